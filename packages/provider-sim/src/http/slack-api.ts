import type { Family, FamilyKind } from '../domain/model.js';
import type { BearerLookup, SimState } from '../domain/sim-state.js';
import { clientCredentials, type SimRequest } from './request.js';
import type { CallResult, EventPart, ProviderCall } from './provider-call.js';
import { slackConfigBody, slackExchangeBody, slackInstallBody, slackRefreshBody } from './slack-bodies.js';

/** Slack personality, `POST /api/<method>` (spec §4.3). Errors are HTTP 200 `{ok:false,error}`. */
export function planSlackCall(state: SimState, method: string, req: SimRequest): ProviderCall {
  switch (method) {
    case 'oauth.v2.access':
      return planOauthAccess(state, req);
    case 'oauth.v2.exchange':
      return planExchange(state, req);
    case 'tooling.tokens.rotate':
      return planToolingRotate(state, req);
    case 'auth.revoke':
      return planAuthRevoke(state, req);
    default:
      return planProtectedMethod(state, method, req);
  }
}

const slackError = (error: string, part: Omit<EventPart, 'error'>): CallResult => ({
  status: 200,
  body: { ok: false, error },
  events: [{ ...part, error }],
});

const unchanged = (family: Family | null | undefined): Pick<EventPart, 'generation_before' | 'generation_after'> => ({
  generation_before: family?.generation ?? null,
  generation_after: family?.generation ?? null,
});

function planOauthAccess(state: SimState, req: SimRequest): ProviderCall {
  const creds = clientCredentials(req);
  // Slack treats an absent grant_type as the code grant.
  const grantType = req.params.get('grant_type') ?? 'authorization_code';
  const refreshValue = grantType === 'refresh_token' ? (req.params.get('refresh_token') ?? null) : null;
  const presented = state.refreshToken(refreshValue);
  const code = grantType === 'authorization_code' ? state.code(req.params.get('code')) : undefined;
  const family = presented?.family ?? null;
  const teamId = family?.team_id ?? code?.grant.team_id ?? null;
  const perMinute = state.app(creds.clientId)?.knobs.rateLimitPerMinute ?? null;
  return {
    endpoint: 'oauth.v2.access',
    errorStyle: 'slack',
    subject: {
      client_id: creds.clientId,
      grant_type: grantType,
      family,
      team_id: teamId,
      kind: family?.kind ?? null,
      presented_token: refreshValue,
      presented_generation: presented?.generation ?? null,
    },
    limit: perMinute === null ? null : { key: `oauth.v2.access\n${creds.clientId ?? ''}\n${teamId ?? ''}`, perMinute },
    commit() {
      const app = state.app(creds.clientId);
      if (!app || app.personality !== 'slack') return slackError('invalid_client_id', { outcome: 'rejected', ...unchanged(family) });
      if (creds.clientSecret !== app.client_secret) return slackError('bad_client_secret', { outcome: 'rejected', ...unchanged(family) });
      if (grantType === 'refresh_token') {
        const result = state.refresh(app, refreshValue, ['bot', 'user']);
        if (!result.ok) {
          return slackError('invalid_refresh_token', { outcome: result.outcome, reason: result.reason, ...unchanged(result.family) });
        }
        return {
          status: 200,
          body: slackRefreshBody(result.family, result.access, result.refreshValue),
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
      if (grantType !== 'authorization_code') return slackError('invalid_grant_type', { outcome: 'rejected', ...unchanged(family) });
      const redeemed = state.redeemCode(app, req.params.get('code') ?? null, req.params.get('redirect_uri') ?? null, req.params.get('code_verifier') ?? null);
      if (!redeemed.ok) return slackError(redeemed.error, { outcome: 'rejected', ...unchanged(null) });
      const { installation } = redeemed;
      const chains = [installation.bot, installation.user, installation.config].filter((chain) => chain !== null);
      const events: EventPart[] = chains.map((chain) => ({
        outcome: 'issued',
        family: chain.family,
        generation_before: null,
        generation_after: chain.access.generation,
        issued_access: chain.access,
        issued_refresh_value: chain.refresh.value,
      }));
      if (events.length === 0) events.push({ outcome: 'issued', family: null, generation_before: null, generation_after: null });
      return { status: 200, body: slackInstallBody(installation), events };
    },
  };
}

function planExchange(state: SimState, req: SimRequest): ProviderCall {
  const creds = clientCredentials(req);
  const tokenValue = req.params.get('token') ?? null;
  const legacy = state.legacyToken(tokenValue);
  return {
    endpoint: 'oauth.v2.exchange',
    errorStyle: 'slack',
    subject: {
      client_id: creds.clientId,
      grant_type: null,
      family: legacy?.exchanged_family ?? null,
      team_id: legacy?.team_id ?? null,
      kind: legacy?.kind ?? null,
      presented_token: tokenValue,
      presented_generation: null,
    },
    limit: null,
    commit() {
      const app = state.app(creds.clientId);
      if (!app || app.personality !== 'slack') return slackError('invalid_client_id', { outcome: 'rejected', ...unchanged(null) });
      if (creds.clientSecret !== app.client_secret) return slackError('bad_client_secret', { outcome: 'rejected', ...unchanged(null) });
      const result = state.exchange(app, tokenValue);
      if (!result.ok) return slackError(result.error, { outcome: 'rejected', ...unchanged(result.legacy?.exchanged_family) });
      return {
        status: 200,
        body: slackExchangeBody(result.chain, result.legacy),
        events: [
          {
            outcome: 'issued',
            family: result.chain.family,
            generation_before: null,
            generation_after: result.chain.access.generation,
            issued_access: result.chain.access,
            issued_refresh_value: result.chain.refresh.value,
          },
        ],
      };
    },
  };
}

function planToolingRotate(state: SimState, req: SimRequest): ProviderCall {
  const refreshValue = req.params.get('refresh_token') ?? null;
  const presented = state.refreshToken(refreshValue);
  const family = presented?.family ?? null;
  return {
    endpoint: 'tooling.tokens.rotate',
    errorStyle: 'slack',
    subject: {
      client_id: family?.app.client_id ?? null,
      grant_type: 'refresh_token',
      family,
      team_id: family?.team_id ?? null,
      kind: family?.kind ?? null,
      presented_token: refreshValue,
      presented_generation: presented?.generation ?? null,
    },
    limit: null,
    commit() {
      const result = state.refresh(null, refreshValue, ['config']);
      if (!result.ok) return slackError('invalid_refresh_token', { outcome: result.outcome, reason: result.reason, ...unchanged(result.family) });
      return {
        status: 200,
        body: slackConfigBody(result.family, result.access, result.refreshValue),
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
    },
  };
}

/** The token a Slack method was called with: `Authorization: Bearer` or the `token` argument. */
function presentedBearer(req: SimRequest): string | null {
  return req.bearer ?? req.params.get('token') ?? null;
}

function bearerSubject(lookup: BearerLookup | null, token: string | null, grantType: string | null = null): ProviderCall['subject'] {
  const family = lookup?.family ?? null;
  const legacy = lookup?.type === 'legacy' ? lookup.token : null;
  return {
    client_id: family?.app.client_id ?? legacy?.app.client_id ?? null,
    grant_type: grantType,
    family,
    team_id: family?.team_id ?? legacy?.team_id ?? null,
    kind: (family?.kind ?? legacy?.kind ?? null) as FamilyKind | null,
    presented_token: token,
    presented_generation: lookup && lookup.type !== 'legacy' ? lookup.token.generation : null,
  };
}

/** The common auth errors of every method (reference §1.7): null when the token may call. */
function authError(token: string | null, lookup: BearerLookup | null): { error: string; reason: string } | null {
  if (!token) return { error: 'not_authed', reason: 'missing' };
  if (!lookup) return { error: 'invalid_auth', reason: 'unknown' };
  if (lookup.type === 'refresh') return { error: 'invalid_auth', reason: 'refresh_token_as_bearer' };
  if (lookup.status === 'revoked') return { error: 'token_revoked', reason: 'revoked' };
  if (lookup.status === 'expired') {
    const error = lookup.type === 'legacy' ? lookup.token.app.knobs.legacyExpiredError : 'token_expired';
    return { error, reason: 'expired' };
  }
  return null;
}

/** `auth.test` and every other method: same checks; `auth.test` also describes the token. */
function planProtectedMethod(state: SimState, method: string, req: SimRequest): ProviderCall {
  const token = presentedBearer(req);
  const lookup = state.lookupBearer(token);
  return {
    endpoint: method,
    errorStyle: 'slack',
    subject: bearerSubject(lookup, token),
    limit: null,
    commit() {
      // Re-read: a fault may have revoked the token since the subject was resolved.
      const current = state.lookupBearer(token);
      const denied = authError(token, current);
      if (denied || !current) return slackError(denied?.error ?? 'invalid_auth', { outcome: 'rejected', reason: denied?.reason ?? 'unknown', ...unchanged(current?.family) });
      const body = method === 'auth.test' ? authTestBody(state, current) : { ok: true };
      return { status: 200, body, events: [{ outcome: 'ok', ...unchanged(current.family) }] };
    },
  };
}

function authTestBody(state: SimState, lookup: BearerLookup): Record<string, unknown> {
  const now = state.clock.now();
  if (lookup.type === 'legacy') {
    const token = lookup.token;
    return {
      ok: true,
      url: `https://${slug(token.team_name)}.slack.com/`,
      team: token.team_name,
      user: token.kind === 'bot' ? 'sim-bot' : 'sim-user',
      team_id: token.team_id,
      user_id: token.kind === 'bot' ? token.bot_user_id : token.user_id,
      ...(token.kind === 'bot' ? { bot_id: token.bot_id } : {}),
      app_id: token.app.app_id,
      ...(token.enterprise_id ? { enterprise_id: token.enterprise_id } : {}),
      is_enterprise_install: false,
      expires_in: null,
    };
  }
  const family = lookup.family;
  const isBot = family.kind === 'bot';
  const expiresAt = lookup.type === 'access' ? lookup.token.expires_at : now;
  return {
    ok: true,
    url: `https://${slug(family.team_name)}.slack.com/`,
    team: family.team_name,
    user: isBot ? 'sim-bot' : 'sim-user',
    team_id: family.team_id,
    user_id: isBot ? family.bot_user_id : family.user_id,
    ...(isBot ? { bot_id: family.bot_id } : {}),
    app_id: family.app.app_id,
    ...(family.enterprise_id ? { enterprise_id: family.enterprise_id } : {}),
    is_enterprise_install: family.is_enterprise_install,
    ...(family.app.knobs.authTestExpiresIn ? { expires_in: Math.max(0, Math.floor(expiresAt - now)) } : {}),
  };
}

function slug(teamName: string): string {
  return teamName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'team';
}

/** `auth.revoke`: revokes exactly the presented token (access, refresh or legacy), not the family. */
function planAuthRevoke(state: SimState, req: SimRequest): ProviderCall {
  const token = presentedBearer(req);
  const lookup = state.lookupBearer(token);
  return {
    endpoint: 'auth.revoke',
    errorStyle: 'slack',
    subject: bearerSubject(lookup, token),
    limit: null,
    commit() {
      const current = state.lookupBearer(token);
      // A refresh token may be revoked with itself, as long as it is still alive.
      const denied =
        current?.type === 'refresh'
          ? current.status === 'revoked' || current.status === 'expired'
            ? { error: 'invalid_auth', reason: current.status }
            : null
          : authError(token, current);
      if (denied || !current || !token) return slackError(denied?.error ?? 'invalid_auth', { outcome: 'rejected', reason: denied?.reason ?? 'unknown', ...unchanged(current?.family) });
      const test = ['1', 'true'].includes(req.params.get('test') ?? '');
      if (!test) state.revokeToken(token, 'auth.revoke');
      return { status: 200, body: { ok: true, revoked: !test }, events: [{ outcome: 'ok', ...unchanged(current.family) }] };
    },
  };
}
