import { installationFromSlackAccess, slackAttributes } from '../../../domain/installation-import.js';
import type { TokenChain } from '../../../domain/oauth-installation.js';
import { callProvider, ProviderAnswerLost, retryAfterMs, type ProviderResponse } from './provider-http.js';
import type { ClientCredentials, ProviderAnswer, TokenGrant, TokenProvider } from './token-provider.js';

export interface SlackProviderSettings {
  /** `https://slack.com/api` (a simulator's `/api` in tests). */
  readonly apiBaseUrl: string;
  readonly authorizeUrl: string;
  readonly clientAuth: 'client_secret_basic' | 'client_secret_post';
  readonly requestTimeoutMs: number;
  readonly scopes: readonly string[];
  readonly userScopes: readonly string[];
}

// Slack's errors that say "maybe it happened": its docs for internal_error and fatal_error
// warn that "some aspect of the operation succeeded before the error was raised".
const ambiguousSlackErrors = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}


/** Slack answers 200 with `ok:false` for every error but rate limits (429 + Retry-After). */
function interpret(method: string, response: ProviderResponse, now: number): ProviderAnswer | { kind: 'ok'; body: Record<string, unknown> } {
  if (response.status === 429) {
    return { kind: 'refused', error: 'ratelimited', retryAfterMs: retryAfterMs(response.headers, now) ?? 60_000 };
  }
  if (response.status >= 500) throw new ProviderAnswerLost(`Slack ${method} answered HTTP ${response.status}.`);
  const body = response.body;
  if (!body) throw new ProviderAnswerLost(`Slack ${method} answered HTTP ${response.status} with an empty body.`);
  if (body.ok === true) return { kind: 'ok', body };
  const error = text(body.error) ?? `http_${response.status}`;
  if (ambiguousSlackErrors.has(error)) throw new ProviderAnswerLost(`Slack ${method} answered ${error}.`);
  return { kind: 'refused', error };
}


function grantOf(body: Record<string, unknown>, fallbackType: string): TokenGrant {
  const accessToken = text(body.access_token);
  if (!accessToken) throw new ProviderAnswerLost('Slack answered ok without an access_token.');
  return {
    access_token: accessToken,
    refresh_token: text(body.refresh_token),
    expires_in: typeof body.expires_in === 'number' ? body.expires_in : undefined,
    scope: text(body.scope),
    token_type: text(body.token_type) ?? fallbackType,
    bot_user_id: text(body.bot_user_id),
    user_id: text(body.user_id),
    attributes: slackAttributes(body),
  };
}

function chainFromGrant(grant: TokenGrant, issuedAt: number): TokenChain {
  const chain: Record<string, unknown> = { token_type: grant.token_type, access_token: grant.access_token };
  if (grant.refresh_token !== undefined) chain.refresh_token = grant.refresh_token;
  chain.issued_at = issuedAt;
  if (grant.expires_in !== undefined) chain.expires_at = issuedAt + grant.expires_in;
  if (grant.scope !== undefined) chain.scope = grant.scope;
  if (grant.bot_user_id !== undefined) chain.bot_user_id = grant.bot_user_id;
  if (grant.user_id !== undefined) chain.user_id = grant.user_id;
  return chain as unknown as TokenChain;
}

export function createSlackProvider(settings: SlackProviderSettings): TokenProvider {
  const base = settings.apiBaseUrl.replace(/\/+$/, '');

  function clientAuth(client: ClientCredentials): { form: Record<string, string>; basicAuth?: { user: string; password: string } } {
    return settings.clientAuth === 'client_secret_basic'
      ? { form: {}, basicAuth: { user: client.clientId, password: client.clientSecret } }
      : { form: { client_id: client.clientId, client_secret: client.clientSecret } };
  }

  async function tokenCall(method: string, client: ClientCredentials, form: Record<string, string>, fallbackType: string, options: { signal: AbortSignal; now: number }): Promise<ProviderAnswer> {
    const auth = clientAuth(client);
    const response = await callProvider({
      url: `${base}/${method}`,
      form: { ...auth.form, ...form },
      basicAuth: auth.basicAuth,
      timeoutMs: settings.requestTimeoutMs,
      signal: options.signal,
    });
    const answer = interpret(method, response, options.now);
    return answer.kind === 'ok' ? { kind: 'granted', grant: grantOf(answer.body, fallbackType) } : answer;
  }

  return {
    refresh(client, chainName, chain, options) {
      return tokenCall('oauth.v2.access', client, { grant_type: 'refresh_token', refresh_token: chain.refresh_token ?? '' }, chainName, options);
    },

    // Exchange takes client_id and client_secret as arguments (no Basic form documented).
    async exchange(client, chainName, chain, options) {
      const response = await callProvider({
        url: `${base}/oauth.v2.exchange`,
        form: { client_id: client.clientId, client_secret: client.clientSecret, token: chain.access_token },
        timeoutMs: settings.requestTimeoutMs,
        signal: options.signal,
      });
      const answer = interpret('oauth.v2.exchange', response, options.now);
      return answer.kind === 'ok' ? { kind: 'granted', grant: grantOf(answer.body, chainName) } : answer;
    },

    async check(chain, options) {
      const response = await callProvider({ url: `${base}/auth.test`, form: {}, bearer: chain.access_token, timeoutMs: settings.requestTimeoutMs, signal: options.signal });
      const answer = interpret('auth.test', response, options.now);
      return answer.kind === 'ok' ? { kind: 'ok' } : answer;
    },

    async install(client, code, redirectUri, options) {
      const auth = clientAuth(client);
      const issuedAt = Math.floor(options.now / 1000);
      const response = await callProvider({
        url: `${base}/oauth.v2.access`,
        form: { ...auth.form, code, redirect_uri: redirectUri },
        basicAuth: auth.basicAuth,
        timeoutMs: settings.requestTimeoutMs,
        signal: options.signal,
      });
      const answer = interpret('oauth.v2.access', response, options.now);
      if (answer.kind !== 'ok') return answer;
      return { kind: 'installed', installation: installationFromSlackAccess(answer.body, issuedAt) };
    },

    authorizeUrl(clientId, state, redirectUri) {
      const url = new URL(settings.authorizeUrl);
      url.searchParams.set('client_id', clientId);
      if (settings.scopes.length > 0) url.searchParams.set('scope', settings.scopes.join(','));
      if (settings.userScopes.length > 0) url.searchParams.set('user_scope', settings.userScopes.join(','));
      if (redirectUri) url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('state', state);
      return url.toString();
    },
  };
}

export { chainFromGrant };
