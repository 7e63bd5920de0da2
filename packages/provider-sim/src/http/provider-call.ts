import type { ServerResponse } from 'node:http';
import type { EventOutcome, SimEventDraft } from '../domain/event-log.js';
import type { FaultRule } from '../domain/faults.js';
import type { AccessToken, Family, FamilyKind } from '../domain/model.js';
import { tokenHash } from '../domain/token-hash.js';
import type { SimContext } from './context.js';

export type ErrorStyle = 'slack' | 'rfc6749';

/** One provider-side fact a committed call reports; the pipeline adds the request's identity. */
export interface EventPart {
  outcome: EventOutcome;
  /** The family the event is about when it differs from the presented token's (new grants). */
  family?: Family | null;
  error?: string;
  reason?: string;
  generation_before: number | null;
  generation_after: number | null;
  issued_access?: AccessToken | null;
  issued_refresh_value?: string | null;
}

export interface CallResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  events: EventPart[];
}

/**
 * A provider request, split at the commit point so faults can act before or after the
 * state change (spec §4.7). `subject` is resolved before commit, from cheap map lookups.
 */
export interface ProviderCall {
  endpoint: string;
  errorStyle: ErrorStyle;
  subject: {
    client_id: string | null;
    grant_type: string | null;
    family: Family | null;
    team_id: string | null;
    kind: FamilyKind | null;
    presented_token: string | null;
    presented_generation: number | null;
  };
  /** The built-in limiter bucket this call draws from, if any. */
  limit: { key: string; perMinute: number } | null;
  commit(): CallResult;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a provider call through faults, the limiter, the commit and the event log. */
export async function runProviderCall(ctx: SimContext, call: ProviderCall, res: ServerResponse): Promise<void> {
  const { subject } = call;
  const requestId = ctx.nextRequestId();
  res.setHeader('x-sim-request-id', requestId);
  const base: SimEventDraft = {
    request_id: requestId,
    endpoint: call.endpoint,
    client_id: subject.client_id,
    team_id: subject.team_id,
    family: subject.family?.id ?? null,
    kind: subject.kind,
    grant_type: subject.grant_type,
    presented_token_hash: subject.presented_token ? tokenHash(subject.presented_token) : null,
    presented_generation: subject.presented_generation,
    outcome: 'ok',
    generation_before: subject.family?.generation ?? null,
    generation_after: subject.family?.generation ?? null,
    http_status: null,
  };
  const record = (draft: Partial<SimEventDraft>): void => {
    ctx.events.append({ ...base, ...draft }, ctx.state.clock.now());
  };

  const rule = ctx.faults.select({
    endpoint: call.endpoint,
    grant_type: subject.grant_type,
    client_id: subject.client_id,
    family: subject.family?.id ?? null,
    team_id: subject.team_id,
    kind: subject.kind,
  });
  const phase = rule?.phase === 'after' || rule?.phase === 'after_commit' ? 'after' : 'before';

  if (rule) {
    switch (rule.action) {
      case 'revoke_token':
        if (subject.presented_token) ctx.state.revokeToken(subject.presented_token, 'fault');
        break;
      case 'revoke_family':
        if (subject.family) ctx.state.revokeFamily(subject.family, 'fault');
        break;
      case 'uninstall':
        if (subject.client_id && subject.team_id) ctx.state.uninstall(subject.client_id, subject.team_id);
        break;
      case 'latency':
        if (phase === 'before') await sleep(rule.delay_ms ?? 0);
        break;
      case 'error_before_commit': {
        const error = faultError(call.errorStyle, rule);
        record({ outcome: 'fault', fault: rule.action, error: error.code, http_status: error.status });
        sendJson(res, error.status, error.body);
        return;
      }
      case 'rate_limit': {
        const retryAfter = rule.retry_after ?? 30;
        record({ outcome: 'rate_limited', fault: rule.action, error: 'ratelimited', http_status: 429 });
        sendJson(res, 429, rateLimitedBody(call.errorStyle), { 'retry-after': String(retryAfter) });
        return;
      }
      case 'reset_connection':
        record({ outcome: 'fault', fault: rule.action });
        resetSocket(res);
        return;
      default:
        break;
    }
  }

  if (call.limit) {
    const decision = ctx.limiter.take(call.limit.key, call.limit.perMinute);
    if (!decision.allowed) {
      record({ outcome: 'rate_limited', error: 'ratelimited', http_status: 429 });
      sendJson(res, 429, rateLimitedBody(call.errorStyle), { 'retry-after': String(decision.retryAfter) });
      return;
    }
  }

  const result = call.commit();
  const afterCommit = rule && !['error_before_commit', 'rate_limit', 'reset_connection'].includes(rule.action) ? rule : null;
  let status: number | null = result.status;
  let error: string | undefined;
  if (afterCommit?.action === 'drop_after_commit' || afterCommit?.action === 'truncate_body') status = null;
  if (afterCommit?.action === 'error_after_commit') {
    const injected = faultError(call.errorStyle, afterCommit);
    status = injected.status;
    error = injected.code;
  }
  for (const part of result.events) {
    const family = part.family === undefined ? subject.family : part.family;
    record({
      outcome: part.outcome,
      family: family?.id ?? null,
      kind: family?.kind ?? subject.kind,
      team_id: family?.team_id ?? subject.team_id,
      client_id: family?.app.client_id ?? subject.client_id,
      generation_before: part.generation_before,
      generation_after: part.generation_after,
      http_status: status,
      ...(part.error !== undefined || error !== undefined ? { error: error ?? part.error } : {}),
      ...(part.reason !== undefined ? { reason: part.reason } : {}),
      ...(afterCommit ? { fault: afterCommit.action } : {}),
      ...(part.issued_access ? { issued_access_token_hash: part.issued_access.hash } : {}),
      ...(part.issued_refresh_value ? { issued_refresh_token_hash: tokenHash(part.issued_refresh_value) } : {}),
    });
  }

  switch (afterCommit?.action) {
    case 'latency':
      if (phase === 'after') await sleep(afterCommit.delay_ms ?? 0);
      break;
    case 'drop_after_commit':
      // The lost response: the provider has rotated, the client never hears about it.
      if (afterCommit.delay_ms) await sleep(afterCommit.delay_ms);
      res.socket?.destroy();
      return;
    case 'error_after_commit': {
      const injected = faultError(call.errorStyle, afterCommit);
      sendJson(res, injected.status, injected.body);
      return;
    }
    case 'malformed_json': {
      const text = JSON.stringify(result.body);
      sendRaw(res, result.status, text.slice(0, Math.max(1, Math.floor(text.length / 2))), result.headers);
      return;
    }
    case 'truncate_body': {
      // Promise the whole body, deliver half, then cut the connection.
      const text = JSON.stringify(result.body);
      res.writeHead(result.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
      res.write(text.slice(0, Math.floor(text.length / 2)), () => res.socket?.destroy());
      return;
    }
    default:
      break;
  }
  if (result.status >= 300 && result.status < 400) {
    res.writeHead(result.status, { ...result.headers, 'content-length': '0' });
    res.end();
    return;
  }
  sendJson(res, result.status, result.body, result.headers);
}

function faultError(style: ErrorStyle, rule: FaultRule): { status: number; code: string; body: unknown } {
  if (style === 'slack') {
    const code = rule.error ?? 'internal_error';
    return { status: rule.status ?? 200, code, body: { ok: false, error: code } };
  }
  const code = rule.error ?? 'server_error';
  return { status: rule.status ?? 500, code, body: { error: code, error_description: 'injected fault' } };
}

function rateLimitedBody(style: ErrorStyle): unknown {
  return style === 'slack' ? { ok: false, error: 'ratelimited' } : { error: 'rate_limited', error_description: 'too many requests' };
}

function resetSocket(res: ServerResponse): void {
  const socket = res.socket as (ServerResponse['socket'] & { resetAndDestroy?: () => void }) | null;
  if (socket?.resetAndDestroy) socket.resetAndDestroy();
  else socket?.destroy();
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendRaw(res, status, JSON.stringify(body), headers);
}

function sendRaw(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}
