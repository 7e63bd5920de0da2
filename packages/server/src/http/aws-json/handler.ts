import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, coerceError } from '../../domain/errors.js';
import type { Logger } from '../../ports/logger.js';
import { awsErrorTable } from './error-table.js';
import { createOperationTable, isOperationName, unknownOperation, type AwsJsonServices } from './operations.js';
import { shapes } from './shapes.js';
import type { RequestToVerify, VerifiedCaller } from './sigv4.js';
import { toAwsValidationError } from './validation.js';
import { toWire, WireJson } from './wire.js';

export interface AwsJsonHandlerDeps {
  readonly services: AwsJsonServices;
  readonly verify: (request: RequestToVerify) => Promise<VerifiedCaller>;
  readonly logger: Logger;
  /** Largest request body accepted; a value is at most 64 KiB, a policy 20 KiB. */
  readonly maxBodyBytes?: number;
}

const targetPrefix = 'secretsmanager.';
const contentType = 'application/x-amz-json-1.1';

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new AppError('PAYLOAD_TOO_LARGE', `The request body exceeds the ${limit}-byte limit.`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        reject(new AppError('PAYLOAD_TOO_LARGE', `The request body exceeds the ${limit}-byte limit.`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * GetSecretValue is the read path and nearly always `{"SecretId": "..."}`: a request of
 * exactly that kind, inside the model's limits, skips the schema (its validation costs as
 * much as a third of the rest of the read). Anything else goes through zod as usual.
 */
function isPlainGetSecretValue(operation: string, json: unknown): boolean {
  if (operation !== 'GetSecretValue' || typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  let fields = 0;
  for (const key in json) {
    fields++;
    if (key !== 'SecretId' && key !== 'VersionId' && key !== 'VersionStage') return false;
  }
  const { SecretId, VersionId, VersionStage } = json as Record<string, unknown>;
  return (
    fields > 0 &&
    typeof SecretId === 'string' &&
    SecretId.length >= 1 &&
    SecretId.length <= 2048 &&
    (VersionId === undefined || (typeof VersionId === 'string' && VersionId.length >= 32 && VersionId.length <= 64)) &&
    (VersionStage === undefined || (typeof VersionStage === 'string' && VersionStage.length >= 1 && VersionStage.length <= 256))
  );
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('SERIALIZATION', 'The request body is not valid JSON.');
  }
}

function send(response: ServerResponse, status: number, requestId: string, body: string, headers?: Record<string, string>): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    ...headers,
  });
  response.end(body);
}

/**
 * The AWS Secrets Manager edge: `POST /` with `X-Amz-Target: secretsmanager.<Op>`.
 * Every request is authenticated (SigV4) before anything else is looked at; then the
 * body is validated against the operation's shape and handed to its use case. Errors
 * leave as `{"__type", "Message"}` with the status from the error table.
 */
export function createAwsJsonHandler(deps: AwsJsonHandlerDeps) {
  const operations = createOperationTable(deps.services);
  const limit = deps.maxBodyBytes ?? 1024 * 1024;

  return async function handleAwsJson(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    let operation = '';
    try {
      const body = await readBody(request, limit);
      const caller = await deps.verify({ method: request.method ?? 'POST', url: request.url ?? '/', headers: request.headers, body });
      const target = request.headers['x-amz-target'];
      operation = typeof target === 'string' && target.startsWith(targetPrefix) ? target.slice(targetPrefix.length) : '';
      if (!isOperationName(operation)) throw unknownOperation(operation);
      const json = parseJson(body);
      let input: unknown;
      if (isPlainGetSecretValue(operation, json)) input = json;
      else {
        const parsed = shapes[operation].safeParse(json, { reportInput: true });
        if (!parsed.success) throw toAwsValidationError(parsed.error);
        input = parsed.data;
      }
      const handler = operations[operation] as (input: unknown, context: { actor: string }) => unknown;
      const output = await handler(input, { actor: caller.accessKeyId });
      send(response, 200, requestId, output instanceof WireJson ? output.text : JSON.stringify(toWire(output)));
    } catch (thrown) {
      if (request.readableAborted) {
        // The client closed the connection before its body arrived: nobody to answer, and no server fault.
        deps.logger.debug({ requestId, operation }, 'request aborted by the client');
        return;
      }
      const error = coerceError(thrown);
      const { type, status } = awsErrorTable[error.code];
      if (status >= 500) {
        deps.logger.error({ requestId, operation, code: error.code, cause: describeCause(error.cause) }, 'request failed');
      } else {
        deps.logger.debug({ requestId, operation, code: error.code }, 'request refused');
      }
      if (error.code === 'PAYLOAD_TOO_LARGE') discardRestOfBody(request);
      send(response, status, requestId, JSON.stringify({ __type: type, Message: error.message }), {
        'x-amzn-errortype': type,
      });
    }
  };
}

/** Past these, the rest of an oversized body is not worth reading: the connection is cut. */
const discardLimitBytes = 8 * 1024 * 1024;
const discardLimitMs = 10_000;

/**
 * A client still uploading an oversized body gets a connection reset, and often loses the
 * 413 (about 1 in 25 in the fuzz test), when the connection closes at once: the kernel
 * resets a socket closed with unread data. So the rest of the body is read and dropped,
 * and the connection stays usable; one that sends more than 8 MiB or 10 s more is cut.
 */
function discardRestOfBody(request: IncomingMessage): void {
  if (request.complete) return;
  let discarded = 0;
  const cut = () => request.socket.destroy();
  const timer = setTimeout(cut, discardLimitMs);
  timer.unref();
  request.removeAllListeners('data');
  request.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > discardLimitBytes) cut();
  });
  request.once('close', () => clearTimeout(timer));
  request.resume();
}

/** Only the class and message of an unexpected failure are logged; never request data. */
function describeCause(cause: unknown): string | undefined {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return cause === undefined ? undefined : typeof cause;
}
