import { SimInputError } from '../domain/errors.js';
import type { Knobs } from '../domain/knobs.js';
import type { GrantRequest } from '../domain/model.js';
import type { SimContext } from './context.js';
import type { SimRequest } from './request.js';
import { oauth2TokenBody } from './oauth2-bodies.js';
import { slackInstallBody } from './slack-bodies.js';
import { appView, familyDetail, familySummary } from './views.js';

export interface AdminResult {
  status: number;
  body: unknown;
}

/** The admin API under `/_sim/` (contracts §3). Synchronous: admin calls never see faults. */
export function handleAdmin(ctx: SimContext, path: string, req: SimRequest): AdminResult {
  const { state } = ctx;
  const body = objectBody(req);
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [resource, id] = segments;
  const route = `${req.method} ${resource ?? ''}${id !== undefined ? '/:id' : ''}`;

  switch (route) {
    case 'GET health':
      return ok({ ok: true, now: state.clock.now() });
    case 'GET apps':
      return ok({ apps: state.apps().map(appView) });
    case 'POST apps': {
      const app = state.createApp({
        preset: body.preset as never,
        personality: body.personality as never,
        client_id: optionalString(body, 'client_id'),
        client_secret: optionalString(body, 'client_secret'),
        knobs: body.knobs as Partial<Knobs> | undefined,
      });
      return ok(appView(app));
    }
    case 'GET apps/:id':
      return ok(appView(requireApp(ctx, id)));
    case 'PATCH apps/:id':
      return ok(appView(state.patchApp(id as string, { client_secret: optionalString(body, 'client_secret'), knobs: body.knobs as Partial<Knobs> | undefined })));
    case 'POST install':
      return install(ctx, body);
    case 'POST legacy-tokens': {
      const app = requireApp(ctx, optionalString(body, 'client_id'));
      const kind = body.kind === 'user' ? 'user' : 'bot';
      const grant = state.grantRequest(app, grantInput(body));
      const token = state.createLegacyToken(app, grant, kind);
      return ok({ token: token.value, kind, team_id: token.team_id, user_id: kind === 'bot' ? token.bot_user_id : token.user_id });
    }
    case 'GET clock':
      return ok(state.clock.state());
    case 'POST clock': {
      if (body.set !== undefined) state.clock.set(requireNumber(body, 'set'));
      if (body.advance !== undefined) state.clock.advance(requireNumber(body, 'advance'));
      if (body.freeze !== undefined || body.rate !== undefined) {
        const rate = body.rate === undefined ? undefined : requireNumber(body, 'rate');
        state.clock.freeze(body.freeze === undefined ? state.clock.state().frozen : body.freeze === true, rate);
      }
      return ok(state.clock.state());
    }
    case 'GET faults':
      return ok({ rules: ctx.faults.list() });
    case 'POST faults': {
      const rules = body.rules ?? (body.action !== undefined ? [body] : undefined);
      ctx.faults.add(rules);
      return ok({ rules: ctx.faults.list() });
    }
    case 'DELETE faults':
      ctx.faults.clear();
      return ok({ rules: [] });
    case 'DELETE faults/:id':
      if (!ctx.faults.remove(id as string)) throw new SimInputError(`unknown fault rule ${id}`, 404);
      return ok({ rules: ctx.faults.list() });
    case 'GET events': {
      const q = req.query;
      const since = q.get('since');
      const limit = q.get('limit');
      return ok(
        ctx.events.query({
          since: since ? Number(since) : 0,
          client_id: q.get('client_id'),
          family: q.get('family'),
          endpoint: q.get('endpoint'),
          ...(limit ? { limit: Number(limit) } : {}),
        }),
      );
    }
    case 'GET families':
      return ok({
        families: state.families({ client_id: req.query.get('client_id'), team_id: req.query.get('team_id'), kind: req.query.get('kind') }).map((family) => familySummary(state, family)),
      });
    case 'GET families/:id': {
      const family = state.family(id);
      if (!family) throw new SimInputError(`unknown family ${id}`, 404);
      return ok(familyDetail(state, family));
    }
    case 'POST revoke': {
      if (typeof body.token === 'string') return ok({ revoked: state.revokeToken(body.token, 'admin') !== null });
      const family = state.family(optionalString(body, 'family'));
      if (!family) throw new SimInputError('give {token} or an existing {family}', 404);
      state.revokeFamily(family, 'admin');
      return ok({ revoked: true, family: family.id });
    }
    case 'POST uninstall': {
      const clientId = optionalString(body, 'client_id');
      const teamId = optionalString(body, 'team_id');
      if (!clientId || !teamId) throw new SimInputError('client_id and team_id are required');
      return ok({ ok: true, ...state.uninstall(clientId, teamId) });
    }
    default:
      throw new SimInputError(`no admin route ${req.method} /_sim/${segments.join('/')}`, 404);
  }
}

/** `POST /_sim/install`: a code for the redirect flow, or the token endpoint's success body. */
function install(ctx: SimContext, body: Record<string, unknown>): AdminResult {
  const { state } = ctx;
  const app = requireApp(ctx, optionalString(body, 'client_id'));
  const grant = state.grantRequest(app, grantInput(body));
  if (body.code_only === true) {
    const code = state.createCode(app, grant, {
      redirect_uri: optionalString(body, 'redirect_uri') ?? null,
      code_challenge: optionalString(body, 'code_challenge') ?? null,
      code_challenge_method: optionalString(body, 'code_challenge_method') ?? (body.code_challenge ? 'S256' : null),
    });
    return ok({ code: code.value });
  }
  const installation = state.install(app, grant);
  const chains = [installation.bot, installation.user, installation.config, installation.generic].filter((chain) => chain !== null);
  for (const chain of chains) {
    ctx.events.append(
      {
        request_id: ctx.nextRequestId(),
        endpoint: '_sim/install',
        client_id: app.client_id,
        team_id: chain.family.team_id,
        family: chain.family.id,
        kind: chain.family.kind,
        grant_type: null,
        presented_token_hash: null,
        presented_generation: null,
        outcome: 'installed',
        generation_before: null,
        generation_after: chain.access.generation,
        http_status: 200,
        issued_access_token_hash: chain.access.hash,
        issued_refresh_token_hash: chain.refresh.hash,
      },
      state.clock.now(),
    );
  }
  if (installation.generic) {
    const chain = installation.generic;
    return ok(oauth2TokenBody(chain.family, chain.access, chain.refresh.value, chain.refresh.idle_expires_at, state.clock.now()));
  }
  return ok(slackInstallBody(installation));
}

function grantInput(body: Record<string, unknown>): Partial<GrantRequest> {
  const input: Partial<GrantRequest> = {};
  for (const key of ['team_id', 'team_name', 'enterprise_id', 'user_id', 'scope', 'user_scope'] as const) {
    const value = optionalString(body, key);
    if (value !== undefined) input[key] = value;
  }
  for (const key of ['bot', 'user', 'config', 'is_enterprise_install'] as const) {
    if (typeof body[key] === 'boolean') input[key] = body[key];
  }
  return input;
}

function ok(body: unknown): AdminResult {
  return { status: 200, body };
}

function objectBody(req: SimRequest): Record<string, unknown> {
  if (req.malformedBody) throw new SimInputError('body is not valid JSON');
  if (req.json === undefined) return Object.fromEntries(req.params);
  if (typeof req.json !== 'object' || req.json === null || Array.isArray(req.json)) throw new SimInputError('body must be a JSON object');
  return req.json as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new SimInputError(`${key} must be a string`);
  return value;
}

function requireNumber(body: Record<string, unknown>, key: string): number {
  const value = typeof body[key] === 'string' ? Number(body[key]) : body[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new SimInputError(`${key} must be a number`);
  return value;
}

function requireApp(ctx: SimContext, clientId: string | undefined): ReturnType<SimContext['state']['patchApp']> {
  const app = ctx.state.app(clientId);
  if (!app) throw new SimInputError(`unknown client_id ${clientId ?? '(missing)'}`, 404);
  return app;
}
