import type { SimState } from '../domain/sim-state.js';
import type { ProviderCall } from './provider-call.js';
import type { SimRequest } from './request.js';

/**
 * `GET /oauth/v2/authorize` (Slack) and `GET /oauth2/authorize` (generic): approves at once and
 * redirects to `redirect_uri?code=&state=`. Simulator extensions: `team_id`, `team_name`, `user_id`.
 * Without `redirect_uri` it answers `{code, state}` as JSON.
 */
export function planAuthorize(state: SimState, endpoint: 'authorize', req: SimRequest): ProviderCall {
  const clientId = req.params.get('client_id') ?? null;
  return {
    endpoint,
    errorStyle: state.app(clientId)?.personality === 'slack' ? 'slack' : 'rfc6749',
    subject: { client_id: clientId, grant_type: null, family: null, team_id: req.params.get('team_id') ?? null, kind: null, presented_token: null, presented_generation: null },
    limit: null,
    commit() {
      const app = state.app(clientId);
      const none = { generation_before: null, generation_after: null };
      if (!app) return { status: 400, body: { error: 'invalid_client_id' }, events: [{ outcome: 'rejected', error: 'invalid_client_id', ...none }] };
      const p = (key: string): string | undefined => req.params.get(key) ?? undefined;
      const userScope = p('user_scope');
      const grant = state.grantRequest(app, {
        team_id: p('team_id') ?? p('team'),
        team_name: p('team_name'),
        user_id: p('user_id'),
        scope: p('scope'),
        user_scope: userScope,
        bot: app.personality === 'slack' ? p('scope') !== undefined || userScope === undefined : undefined,
        user: userScope !== undefined,
      });
      const redirectUri = p('redirect_uri') ?? null;
      const code = state.createCode(app, grant, {
        redirect_uri: redirectUri,
        code_challenge: p('code_challenge') ?? null,
        code_challenge_method: p('code_challenge_method') ?? (p('code_challenge') ? 'plain' : null),
      });
      const events = [{ outcome: 'ok' as const, ...none }];
      const stateParam = p('state');
      if (!redirectUri) return { status: 200, body: { code: code.value, state: stateParam ?? null }, events };
      const location = new URL(redirectUri);
      location.searchParams.set('code', code.value);
      if (stateParam !== undefined) location.searchParams.set('state', stateParam);
      return { status: 302, body: null, headers: { location: location.toString() }, events };
    },
  };
}
