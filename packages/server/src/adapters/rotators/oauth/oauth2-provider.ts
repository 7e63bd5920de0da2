import type { TokenChain } from '../../../domain/oauth-installation.js';
import { callProvider, ProviderAnswerLost, retryAfterMs, type ProviderResponse } from './provider-http.js';
import { chainFromGrant } from './slack-provider.js';
import type { ClientCredentials, ProviderAnswer, TokenGrant, TokenProvider } from './token-provider.js';

export interface OAuth2ProviderSettings {
  readonly tokenUrl: string;
  readonly authorizeUrl: string | undefined;
  /** A URL answering 2xx to `Authorization: Bearer <access token>` (testSecret), if any. */
  readonly checkUrl: string | undefined;
  readonly clientAuth: 'client_secret_basic' | 'client_secret_post';
  readonly requestTimeoutMs: number;
  readonly scopes: readonly string[];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** RFC 6749 §5.1/§5.2: 200 with the tokens, 400/401 with `{error}`; 429 and 5xx are the provider's trouble. */
function interpret(response: ProviderResponse, now: number): ProviderAnswer {
  if (response.status === 429) return { kind: 'refused', error: 'rate_limited', retryAfterMs: retryAfterMs(response.headers, now) ?? 60_000 };
  if (response.status >= 500) throw new ProviderAnswerLost(`The token endpoint answered HTTP ${response.status}.`);
  const body = response.body;
  if (response.status >= 200 && response.status < 300) {
    // GitHub answers token-endpoint errors with HTTP 200 and an `error` field.
    if (!text(body?.access_token) && text(body?.error)) return { kind: 'refused', error: text(body?.error)! };
    const accessToken = text(body?.access_token);
    if (!body || !accessToken) throw new ProviderAnswerLost(`The token endpoint answered HTTP ${response.status} without an access_token.`);
    const grant: TokenGrant = {
      access_token: accessToken,
      refresh_token: text(body.refresh_token),
      expires_in: typeof body.expires_in === 'number' ? body.expires_in : typeof body.expires_in === 'string' ? Number(body.expires_in) || undefined : undefined,
      scope: text(body.scope),
      token_type: text(body.token_type) ?? 'Bearer',
      attributes: {},
    };
    return { kind: 'granted', grant };
  }
  return { kind: 'refused', error: text(body?.error) ?? `http_${response.status}` };
}

export function createOAuth2Provider(settings: OAuth2ProviderSettings): TokenProvider {
  async function tokenCall(client: ClientCredentials, form: Record<string, string | undefined>, options: { signal: AbortSignal; now: number }): Promise<ProviderAnswer> {
    const basic = settings.clientAuth === 'client_secret_basic';
    const response = await callProvider({
      url: settings.tokenUrl,
      form: basic ? form : { ...form, client_id: client.clientId, client_secret: client.clientSecret },
      basicAuth: basic ? { user: client.clientId, password: client.clientSecret } : undefined,
      timeoutMs: settings.requestTimeoutMs,
      signal: options.signal,
    });
    return interpret(response, options.now);
  }

  return {
    refresh(client, _chainName, chain, options) {
      return tokenCall(client, { grant_type: 'refresh_token', refresh_token: chain.refresh_token }, options);
    },

    async exchange() {
      return { kind: 'refused', error: 'unsupported_grant_type' };
    },

    async check(chain: TokenChain, options) {
      if (settings.checkUrl === undefined) return { kind: 'ok' };
      const response = await callProvider({ url: settings.checkUrl, method: 'GET', bearer: chain.access_token, timeoutMs: settings.requestTimeoutMs, signal: options.signal });
      if (response.status >= 200 && response.status < 300) return { kind: 'ok' };
      if (response.status === 401) return { kind: 'refused', error: 'invalid_token' };
      if (response.status === 429) return { kind: 'refused', error: 'rate_limited', retryAfterMs: retryAfterMs(response.headers, options.now) ?? 60_000 };
      throw new ProviderAnswerLost(`The check URL answered HTTP ${response.status}.`);
    },

    async install(client, code, redirectUri, options) {
      const answer = await tokenCall(client, { grant_type: 'authorization_code', code, redirect_uri: redirectUri }, options);
      if (answer.kind !== 'granted') return answer;
      const chain = chainFromGrant(answer.grant, Math.floor(options.now / 1000));
      return { kind: 'installed', installation: { provider: 'oauth2', attributes: {}, chains: new Map([['chain', chain]]) } };
    },

    authorizeUrl(clientId, state, redirectUri) {
      if (settings.authorizeUrl === undefined) throw new Error('This function has no authorizeUrl configured.');
      const url = new URL(settings.authorizeUrl);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', clientId);
      if (settings.scopes.length > 0) url.searchParams.set('scope', settings.scopes.join(' '));
      if (redirectUri) url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('state', state);
      return url.toString();
    },
  };
}
