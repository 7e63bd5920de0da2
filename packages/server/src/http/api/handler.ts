import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { AppError, coerceError } from '../../domain/errors.js';
import type { RotationEventStream } from '../../engine/event-stream.js';
import type { Logger } from '../../ports/logger.js';
import type { RequestContext } from '../../services/context.js';
import type { RollbackOutput } from '../../services/rollback-secret.js';
import type { RotationHistory, RotationStatus } from '../../services/rotation-status.js';
import type { SchedulePreview } from '../../services/schedule-preview.js';
import type { ScheduleSettings } from '../../services/update-rotation-schedule.js';
import type { EnsureFreshInput, EnsureFreshOutput } from '../../services/ensure-fresh.js';
import type { StoredInstallation } from '../../services/oauth-installations.js';
import type { SecretValueWithSchedule } from '../../services/read-secret-value.js';
import type { RequestToVerify, VerifiedCaller } from '../aws-json/sigv4.js';
import { createEventStreamRoute } from './event-stream-route.js';
import { sendProblem, toProblem } from './problem.js';

/** The use cases behind Rotor's own API. */
export interface RotorApiServices {
  rotationStatus(secretId: string): Promise<RotationStatus>;
  rotationHistory(secretId: string, limit: number): Promise<RotationHistory>;
  rollbackSecret(input: { readonly SecretId: string }, context: RequestContext): Promise<RollbackOutput>;
  schedulePreview(secretId: string, count: number): Promise<SchedulePreview>;
  updateRotationSchedule(secretId: string, settings: ScheduleSettings, context: RequestContext): Promise<RotationStatus>;
  /** A secret's ARN from its name or ARN (RESOURCE_NOT_FOUND otherwise). */
  resolveSecretArn(secretId: string): Promise<string>;
  readSecretValue(input: { readonly SecretId: string; readonly VersionId?: string; readonly VersionStage?: string }): Promise<SecretValueWithSchedule>;
  ensureFresh(input: EnsureFreshInput): Promise<EnsureFreshOutput>;
  importInstallations(functionName: string, records: readonly unknown[], context: RequestContext): Promise<StoredInstallation[]>;
}

export interface RotorApiDeps {
  readonly services: RotorApiServices;
  readonly events: Pick<RotationEventStream, 'subscribe'>;
  /** A SigV4 verifier for service `rotor`, same keys and region as the AWS edge. */
  readonly verify: (request: RequestToVerify) => Promise<VerifiedCaller>;
  readonly logger: Logger;
  /** @default 15_000 */
  readonly heartbeatMs?: number;
}

interface RouteInput {
  readonly secretId: string;
  readonly query: URLSearchParams;
  readonly body: Buffer;
  readonly context: RequestContext;
}

interface Route {
  readonly method: string;
  readonly path: RegExp;
  readonly handle: (input: RouteInput) => Promise<unknown>;
}

// Large enough for a batch of imported installations (the CLI sends 100 at a time).
const maxBodyBytes = 1024 * 1024;

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        request.removeAllListeners('data');
        request.resume();
        reject(new AppError('PAYLOAD_TOO_LARGE', `The request body exceeds the ${maxBodyBytes}-byte limit.`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function wholeNumber(query: URLSearchParams, name: string, fallback: number): number {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  if (!/^\d{1,6}$/.test(text)) throw new AppError('VALIDATION', `${name} must be a whole number.`);
  return Number(text);
}

const scheduleSettings = z
  .object({
    TimeZone: z.string().min(1).nullable().optional(),
    Spread: z.boolean().optional(),
    ResetOnManualChange: z.boolean().optional(),
  })
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'Give at least one of TimeZone, Spread, ResetOnManualChange.');

const ensureFreshBody = z
  .object({
    minValidSeconds: z.number().int().min(0).max(31_536_000).default(300),
    ifVersion: z.string().min(32).max(64).optional(),
    chain: z.enum(['bot', 'user', 'chain']).optional(),
  })
  .strict();

const installationsBody = z.object({ installations: z.array(z.unknown()).min(1).max(1000) }).strict();

function optionalQuery(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (value === '' || value.length > 256) throw new AppError('VALIDATION', `${name} must be 1-256 characters.`);
  return value;
}

function parseJsonBody<T>(body: Buffer, schema: z.ZodType<T>): T {
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('SERIALIZATION', 'The request body is not valid JSON.');
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw new AppError('VALIDATION', z.prettifyError(result.error).replaceAll('\n', ' '));
  return result.data;
}

function decodeSecretId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new AppError('VALIDATION', 'The secret id in the path is not valid percent-encoding.');
  }
}

function sendJson(response: ServerResponse, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-rotor-request-id': requestId });
  response.end(text);
}

/**
 * Rotor's own REST API under `/v1`: what AWS Secrets Manager has no operation for —
 * rotation status and history, rollback, schedule preview and settings, the event
 * stream. JSON in and out; errors as problem+json through `problemTable`. Every request
 * is SigV4-verified (service `rotor`) before its path is looked at, so an unauthenticated
 * caller learns nothing, not even which routes exist. Secret ids in paths are
 * percent-encoded names or ARNs.
 */
export function createRotorApiHandler(deps: RotorApiDeps) {
  const { services } = deps;
  const serveEvents = createEventStreamRoute({
    stream: deps.events,
    resolveSecretArn: (secretId) => services.resolveSecretArn(secretId),
    heartbeatMs: deps.heartbeatMs,
  });
  const routes: readonly Route[] = [
    { method: 'GET', path: /^\/v1\/secrets\/(.+)\/rotation$/, handle: ({ secretId }) => services.rotationStatus(secretId) },
    {
      method: 'GET',
      path: /^\/v1\/secrets\/(.+)\/rotations$/,
      handle: ({ secretId, query }) => services.rotationHistory(secretId, wholeNumber(query, 'limit', 20)),
    },
    { method: 'POST', path: /^\/v1\/secrets\/(.+)\/rollback$/, handle: ({ secretId, context }) => services.rollbackSecret({ SecretId: secretId }, context) },
    {
      method: 'GET',
      path: /^\/v1\/secrets\/(.+)\/schedule\/preview$/,
      handle: ({ secretId, query }) => services.schedulePreview(secretId, wholeNumber(query, 'n', 10)),
    },
    {
      method: 'PUT',
      path: /^\/v1\/secrets\/(.+)\/schedule$/,
      handle: ({ secretId, body, context }) => services.updateRotationSchedule(secretId, parseJsonBody(body, scheduleSettings), context),
    },
    {
      method: 'GET',
      path: /^\/v1\/secrets\/(.+)\/value$/,
      handle: ({ secretId, query }) =>
        services.readSecretValue({ SecretId: secretId, VersionId: optionalQuery(query, 'versionId'), VersionStage: optionalQuery(query, 'versionStage') }),
    },
    {
      method: 'POST',
      path: /^\/v1\/secrets\/(.+)\/ensure-fresh$/,
      handle: ({ secretId, body }) => services.ensureFresh({ SecretId: secretId, ...parseJsonBody(body, ensureFreshBody) }),
    },
    {
      method: 'POST',
      path: /^\/v1\/oauth\/([A-Za-z0-9_-]{1,64})\/installations$/,
      handle: async ({ secretId: functionName, body, context }) => ({
        Installations: await services.importInstallations(functionName, parseJsonBody(body, installationsBody).installations, context),
      }),
    },
  ];

  return async function handleRotorApi(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const url = request.url ?? '/';
    const method = request.method ?? 'GET';
    try {
      const body = await readBody(request);
      const caller = await deps.verify({ method, url, headers: request.headers, body });
      const queryStart = url.indexOf('?');
      const path = queryStart === -1 ? url : url.slice(0, queryStart);
      const query = new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1));
      if (path === '/v1/events' && method === 'GET') {
        await serveEvents(request, response, query);
        return;
      }
      for (const route of routes) {
        if (route.method !== method) continue;
        const match = route.path.exec(path);
        if (!match?.[1]) continue;
        const output = await route.handle({ secretId: decodeSecretId(match[1]), query, body, context: { actor: caller.accessKeyId } });
        sendJson(response, output, requestId);
        return;
      }
      throw new AppError('UNKNOWN_OPERATION', `No route for ${method} ${path}.`);
    } catch (thrown) {
      if (request.readableAborted) return;
      const error = coerceError(thrown);
      const problem = toProblem(error);
      if (problem.status >= 500) {
        const cause = error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : undefined;
        deps.logger.error({ requestId, method, code: error.code, cause }, 'api request failed');
      } else {
        deps.logger.debug({ requestId, method, code: error.code }, 'api request refused');
      }
      if (response.headersSent) response.end();
      else sendProblem(response, problem, requestId);
    }
  };
}
