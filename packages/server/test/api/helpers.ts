import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Credentials } from '../support/rotor-server.js';
import { sendRaw, signHeaders } from '../support/signed-http.js';

/** Signed requests to Rotor's own API (`/v1`, SigV4 service `rotor`), as any HTTP client would send them. */

export interface ApiTarget {
  readonly url: string;
  readonly credentials: Credentials;
}

export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: T;
}

export const secretPath = (secretId: string, suffix: string) => `/v1/secrets/${encodeURIComponent(secretId)}/${suffix}`;

export async function api<T = Record<string, unknown>>(
  target: ApiTarget,
  method: string,
  path: string,
  options: { body?: unknown; service?: string; credentials?: Credentials; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const body = options.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(options.body));
  const headers = await signHeaders({
    url: target.url,
    credentials: options.credentials ?? target.credentials,
    body,
    method,
    path,
    service: options.service ?? 'rotor',
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
  });
  const response = await sendRaw(target.url, false, { method, path, headers, body });
  const text = response.body.toString('utf8');
  return { status: response.status, contentType: response.headers['content-type'] as string | undefined, body: (text === '' ? {} : JSON.parse(text)) as T };
}

export interface StreamedEvent {
  readonly id: number;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

export interface EventStreamReader {
  readonly response: IncomingMessage;
  /** Resolves with the next event (comments skipped), or rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<StreamedEvent>;
  /** Raw text received so far, comments included. */
  raw(): string;
  close(): void;
}

/** Opens `GET /v1/events…` signed, and reads it as Server-Sent Events. */
export async function openEventStream(target: ApiTarget, path: string, extraHeaders: Record<string, string> = {}): Promise<EventStreamReader> {
  const url = new URL(target.url);
  const headers = await signHeaders({ url: target.url, credentials: target.credentials, body: Buffer.alloc(0), method: 'GET', path, service: 'rotor', headers: extraHeaders });
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = httpRequest({ host: url.hostname, port: Number(url.port), method: 'GET', path, headers, agent: false }, resolve);
    request.on('error', reject);
    request.end();
  });
  let buffer = '';
  let all = '';
  const queue: StreamedEvent[] = [];
  let waiter: (() => void) | undefined;
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    all += chunk;
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(': ');
        if (colon !== -1) fields.set(line.slice(0, colon), line.slice(colon + 2));
      }
      const data = fields.get('data');
      if (data !== undefined) queue.push({ id: Number(fields.get('id')), event: fields.get('event') ?? '', data: JSON.parse(data) as Record<string, unknown> });
    }
    waiter?.();
  });
  return {
    response,
    raw: () => all,
    async next(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0) {
        if (Date.now() > deadline) throw new Error(`no event within ${timeoutMs} ms; received: ${all}`);
        await new Promise<void>((resolve) => {
          waiter = resolve;
          setTimeout(resolve, 100);
        });
      }
      return queue.shift()!;
    },
    close: () => response.destroy(),
  };
}

export async function until<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
