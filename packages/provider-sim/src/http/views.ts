import type { App, Family } from '../domain/model.js';
import type { SimState } from '../domain/sim-state.js';

/** JSON views of state for the admin API. Token values never appear, only hashes. */

export function appView(app: App): Record<string, unknown> {
  return {
    client_id: app.client_id,
    client_secret: app.client_secret,
    app_id: app.app_id,
    personality: app.personality,
    preset: app.preset,
    knobs: app.knobs,
  };
}

export function familySummary(state: SimState, family: Family): Record<string, unknown> {
  const now = state.clock.now();
  let active = 0;
  for (const token of family.live_access) if (state.accessStatus(token, now) === 'active') active++;
  return {
    id: family.id,
    kind: family.kind,
    client_id: family.app.client_id,
    app_id: family.app.app_id,
    team_id: family.team_id,
    team_name: family.team_name,
    enterprise_id: family.enterprise_id,
    user_id: family.user_id,
    bot_user_id: family.bot_user_id,
    scope: family.scope,
    created_at: family.created_at,
    absolute_expires_at: family.absolute_expires_at,
    generation: family.generation,
    revoked_at: family.revoked_at,
    revoked_reason: family.revoked_reason,
    active_access_tokens: active,
    current_refresh_token_hash: family.current_refresh?.hash ?? null,
    legacy_token_hash: family.legacy_source?.hash ?? null,
  };
}

export function familyDetail(state: SimState, family: Family): Record<string, unknown> {
  const now = state.clock.now();
  return {
    ...familySummary(state, family),
    access_tokens: family.access_tokens.map((token) => ({
      hash: token.hash,
      generation: token.generation,
      issued_at: token.issued_at,
      expires_at: token.expires_at,
      state: state.accessStatus(token, now),
      revoked_reason: token.revoked_reason ?? (token.revoke_at !== null && now >= token.revoke_at ? 'refreshed' : family.revoked_reason),
    })),
    refresh_tokens: family.refresh_tokens.map((token) => ({
      hash: token.hash,
      generation: token.generation,
      position: token.position,
      issued_at: token.issued_at,
      idle_expires_at: token.idle_expires_at,
      state: state.refreshStatus(token, now),
      superseded_at: token.superseded_at,
      revoked_reason: token.revoked_reason ?? family.revoked_reason,
    })),
  };
}
