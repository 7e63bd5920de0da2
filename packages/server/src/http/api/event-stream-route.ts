import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../../domain/errors.js';
import { toEventPayload, type RotationEventStream } from '../../engine/event-stream.js';
import type { RotationEvent } from '../../ports/rotation-store.js';

export interface EventStreamRouteDeps {
  readonly stream: Pick<RotationEventStream, 'subscribe'>;
  /** Resolves `?secretId=` (name or ARN) to the secret's ARN. */
  readonly resolveSecretArn: (secretId: string) => Promise<string>;
  /** @default 15_000 */
  readonly heartbeatMs?: number;
}

/** A client that stops reading gets cut off past this much buffered output; it resumes with Last-Event-ID. */
const maxBufferedBytes = 1024 * 1024;

function parseEventId(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new AppError('VALIDATION', `${name} must be an event id (a whole number).`);
  return Number(value);
}

/** One rotation event in the SSE wire format. */
export function formatServerSentEvent(event: RotationEvent): string {
  return `id: ${event.id}\nevent: ${event.kind}\ndata: ${JSON.stringify(toEventPayload(event))}\n\n`;
}

/**
 * `GET /v1/events[?secretId=S]`: rotation events as Server-Sent Events, from the durable
 * log. A client that reconnects with `Last-Event-ID` (or `?lastEventId=`) gets every event
 * after that id, then the live feed; without one it gets live events only. A comment line
 * every 15 s keeps proxies from closing an idle stream.
 */
export function createEventStreamRoute(deps: EventStreamRouteDeps) {
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  return async function serveEvents(request: IncomingMessage, response: ServerResponse, query: URLSearchParams): Promise<void> {
    const header = request.headers['last-event-id'];
    const afterId = parseEventId(typeof header === 'string' ? header.trim() : undefined, 'Last-Event-ID') ?? parseEventId(query.get('lastEventId') ?? undefined, 'lastEventId');
    const secretId = query.get('secretId');
    const secretArn = secretId === null || secretId === '' ? undefined : await deps.resolveSecretArn(secretId);

    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write(': rotor rotation events\nretry: 2000\n\n');
    let closed = false;
    const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), heartbeatMs);
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      response.end();
    };
    response.once('close', close);
    const unsubscribe = await deps.stream.subscribe({
      afterId,
      secretArn,
      onEvent: (event) => {
        if (closed) return;
        response.write(formatServerSentEvent(event));
        if (response.writableLength > maxBufferedBytes) close();
      },
      onClose: close,
    });
    // The connection ends (client gone, cut off, or server stopping): stop delivering to it.
    if (closed) unsubscribe();
    else response.once('close', unsubscribe);
  };
}
