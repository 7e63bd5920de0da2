import type { App } from '../domain/model.js';
import type { SimState } from '../domain/sim-state.js';
import { oauth2TokenBody } from './oauth2-bodies.js';
import type { CallResult, EventPart, ProviderCall } from './provider-call.js';
import { clientCredentials, type SimRequest } from './request.js';

/** Generic RFC 6749 personality under `/oauth2/` (spec §4.4). */
export function planOauth2Call(state: SimState, endpoint: string, req: SimRequest): ProviderCall | null {
  switch (endpoint) {
    case 'token':
      return planToken(state, req);
    case 'revoke':
      return planRevoke(state, req);
    case 'introspect':
      return planIntrospect(state, req);
    case 'resource':
      return planResource(state, req);
    default:
      return null;
  }
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** RFC 6749 §5.2 error; `invalid_client` is 401, with `WWW-Authenticate: Basic` when Basic was used. */
function oauthError(error: string, description: string, part: Omit<EventPart, 'error'>, viaBasic = false): CallResult {
  const status = error === 'invalid_client' ? 401 : 400;
  const headers: Record<string, string> = { ...NO_STORE };
  if (status === 401 && viaBasic) headers['www-authenticate'] = 'Basic realm="provider-sim"';
  return { status, body: { error, error_description: description }, headers, events: [{ ...part, error }] };
}

type ClientCheck = { app: App } | { failure: CallResult };

function authenticateClient(state: SimState, req: SimRequest, part: Omit<EventPart, 'error'>): ClientCheck {
  const creds = clientCredentials(req);
  const app = state.app(creds.clientId);
  if (!app || creds.clientSecret !== app.client_secret) {
    return { failure: oauthError('invalid_client', 'client authentication failed', part, creds.viaBasic) };
  }
  if (app.personality !== 'oauth2') return { failure: oauthError('unauthorized_client', 'this client is not an oauth2 client', part) };
  return { app };
}

function planToken(state: SimState, req: SimRequest): ProviderCall {
  const creds = clientCredentials(req);
  const grantType = req.params.get('grant_type') ?? null;
  const refreshValue = grantType === 'refresh_token' ? (req.params.get('refresh_token') ?? null) : null;
  const presented = state.refreshToken(refreshValue);
  const code = grantType === 'authorization_code' ? state.code(req.params.get('code')) : undefined;
  const family = presented?.family ?? null;
  const teamId = family?.team_id ?? code?.grant.team_id ?? null;
  const perMinute = state.app(creds.clientId)?.knobs.rateLimitPerMinute ?? null;
  const unchanged = { generation_before: family?.generation ?? null, generation_after: family?.generation ?? null, outcome: 'rejected' as const };
  return {
    endpoint: 'token',
    errorStyle: 'rfc6749',
    subject: {
      client_id: creds.clientId,
      grant_type: grantType,
      family,
      team_id: teamId,
      kind: family?.kind ?? null,
      presented_token: refreshValue,
      presented_generation: presented?.generation ?? null,
    },
    limit: perMinute === null ? null : { key: `token\n${creds.clientId ?? ''}\n${teamId ?? ''}`, perMinute },
    commit() {
      const client = authenticateClient(state, req, unchanged);
      if ('failure' in client) return client.failure;
      const { app } = client;
      if (grantType === null) return oauthError('invalid_request', 'grant_type is required', unchanged);
      const now = state.clock.now();
      if (grantType === 'refresh_token') {
        if (!refreshValue) return oauthError('invalid_request', 'refresh_token is required', unchanged);
        const result = state.refresh(app, refreshValue, ['generic'], req.params.get('scope') ?? null);
        if (!result.ok) {
          const part = { outcome: result.outcome, reason: result.reason, generation_before: result.generationBefore, generation_after: result.family?.generation ?? null };
          if (result.reason === 'invalid_scope') return oauthError('invalid_scope', 'requested scope exceeds the grant', part);
          return oauthError('invalid_grant', `refresh token is ${result.reason === 'unknown' || result.reason === 'wrong_client' || result.reason === 'wrong_kind' ? 'invalid' : result.reason}`, part);
        }
        const refreshToken = state.refreshToken(result.refreshValue);
        return {
          status: 200,
          headers: NO_STORE,
          body: oauth2TokenBody(result.family, result.access, result.refreshValue, refreshToken?.idle_expires_at ?? null, now),
          events: [
            {
              outcome: result.outcome,
              generation_before: result.generationBefore,
              generation_after: result.access.generation,
              issued_access: result.access,
              issued_refresh_value: result.refreshValue,
            },
          ],
        };
      }
      if (grantType === 'authorization_code') {
        const redeemed = state.redeemCode(app, req.params.get('code') ?? null, req.params.get('redirect_uri') ?? null, req.params.get('code_verifier') ?? null);
        if (!redeemed.ok) {
          const description = { invalid_code: 'authorization code is invalid, used or expired', bad_redirect_uri: 'redirect_uri does not match', invalid_code_verifier: 'PKCE verification failed' }[redeemed.error];
          return oauthError('invalid_grant', description, unchanged);
        }
        const chain = redeemed.installation.generic;
        if (!chain) return oauthError('invalid_grant', 'no grant', unchanged);
        return {
          status: 200,
          headers: NO_STORE,
          body: oauth2TokenBody(chain.family, chain.access, chain.refresh.value, chain.refresh.idle_expires_at, now),
          events: [
            {
              outcome: 'issued',
              family: chain.family,
              generation_before: null,
              generation_after: chain.access.generation,
              issued_access: chain.access,
              issued_refresh_value: chain.refresh.value,
            },
          ],
        };
      }
      return oauthError('unsupported_grant_type', `grant_type ${grantType} is not supported`, unchanged);
    },
  };
}

/** RFC 7009: always 200 for an authenticated client; revoking a refresh token ends its grant. */
function planRevoke(state: SimState, req: SimRequest): ProviderCall {
  const creds = clientCredentials(req);
  const token = req.params.get('token') ?? null;
  const lookup = state.lookupBearer(token);
  const family = lookup?.family ?? null;
  const part = { outcome: 'ok' as const, generation_before: family?.generation ?? null, generation_after: family?.generation ?? null };
  return {
    endpoint: 'revoke',
    errorStyle: 'rfc6749',
    subject: { client_id: creds.clientId, grant_type: null, family, team_id: family?.team_id ?? null, kind: family?.kind ?? null, presented_token: token, presented_generation: lookup && lookup.type !== 'legacy' ? lookup.token.generation : null },
    limit: null,
    commit() {
      const client = authenticateClient(state, req, { ...part, outcome: 'rejected' });
      if ('failure' in client) return client.failure;
      if (!token) return oauthError('invalid_request', 'token is required', { ...part, outcome: 'rejected' });
      if (lookup && family && family.app === client.app) {
        if (lookup.type === 'refresh') state.revokeFamily(family, 'revoked_by_client');
        else state.revokeToken(token, 'revoked_by_client');
      }
      return { status: 200, body: {}, headers: NO_STORE, events: [part] };
    },
  };
}

/** RFC 7662. */
function planIntrospect(state: SimState, req: SimRequest): ProviderCall {
  const creds = clientCredentials(req);
  const token = req.params.get('token') ?? null;
  const lookup = state.lookupBearer(token);
  const family = lookup?.family ?? null;
  const part = { outcome: 'ok' as const, generation_before: family?.generation ?? null, generation_after: family?.generation ?? null };
  return {
    endpoint: 'introspect',
    errorStyle: 'rfc6749',
    subject: { client_id: creds.clientId, grant_type: null, family, team_id: family?.team_id ?? null, kind: family?.kind ?? null, presented_token: token, presented_generation: lookup && lookup.type !== 'legacy' ? lookup.token.generation : null },
    limit: null,
    commit() {
      const client = authenticateClient(state, req, { ...part, outcome: 'rejected' });
      if ('failure' in client) return client.failure;
      const current = state.lookupBearer(token);
      if (!current || current.type === 'legacy' || current.family.app !== client.app || (current.status !== 'active' && current.status !== 'grace')) {
        return { status: 200, body: { active: false }, events: [part] };
      }
      const currentFamily = current.family;
      const exp = current.type === 'access' ? current.token.expires_at : (current.token.idle_expires_at ?? currentFamily.absolute_expires_at);
      return {
        status: 200,
        body: {
          active: true,
          scope: currentFamily.scope,
          client_id: currentFamily.app.client_id,
          token_type: current.type === 'access' ? 'access_token' : 'refresh_token',
          sub: currentFamily.user_id,
          iat: Math.floor(current.token.issued_at),
          ...(exp !== null ? { exp: Math.floor(exp) } : {}),
        },
        events: [part],
      };
    },
  };
}

/** A protected resource (RFC 6750 §3): 401 with `WWW-Authenticate: Bearer` when the token will not do. */
function planResource(state: SimState, req: SimRequest): ProviderCall {
  const token = req.bearer ?? req.params.get('access_token') ?? null;
  const lookup = state.lookupBearer(token);
  const family = lookup?.family ?? null;
  const unchanged = { generation_before: family?.generation ?? null, generation_after: family?.generation ?? null };
  return {
    endpoint: 'resource',
    errorStyle: 'rfc6749',
    subject: {
      client_id: family?.app.client_id ?? null,
      grant_type: null,
      family,
      team_id: family?.team_id ?? null,
      kind: family?.kind ?? null,
      presented_token: token,
      presented_generation: lookup && lookup.type !== 'legacy' ? lookup.token.generation : null,
    },
    limit: null,
    commit() {
      const current = state.lookupBearer(token);
      if (!token) {
        return { status: 401, body: { error: 'invalid_request', error_description: 'no access token' }, headers: { 'www-authenticate': 'Bearer realm="provider-sim"' }, events: [{ outcome: 'rejected', error: 'missing_token', reason: 'missing', ...unchanged }] };
      }
      if (!current || current.type !== 'access' || current.status !== 'active') {
        const reason = !current ? 'unknown' : current.type !== 'access' ? 'not_an_access_token' : current.status;
        const description = reason === 'expired' ? 'The access token expired' : reason === 'revoked' ? 'The access token was revoked' : 'The access token is invalid';
        return {
          status: 401,
          body: { error: 'invalid_token', error_description: description },
          headers: { 'www-authenticate': `Bearer realm="provider-sim", error="invalid_token", error_description="${description}"` },
          events: [{ outcome: 'rejected', error: 'invalid_token', reason, ...unchanged }],
        };
      }
      const now = state.clock.now();
      return {
        status: 200,
        body: { ok: true, sub: current.family.user_id, client_id: current.family.app.client_id, scope: current.family.scope, expires_in: Math.max(0, Math.floor(current.token.expires_at - now)) },
        events: [{ outcome: 'ok', ...unchanged }],
      };
    },
  };
}
