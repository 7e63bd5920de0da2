import type { Command } from 'commander';
import { usageExit, withConnectionOptions } from './client.js';
import { runApiCommand, type RotorApiClient } from './rotor-api.js';
import { positiveInteger } from './secret-input.js';

/** One event as the server sends it (engine/event-stream.ts `toEventPayload`). */
interface EventPayload {
  EventId: number;
  Kind: string;
  Date: string;
  Name: string;
  Step: string | null;
  Attempt: number | null;
  Message: string | null;
}

interface ServerSentEvent {
  readonly id: string | undefined;
  readonly event: string | undefined;
  readonly data: string;
}

/** Splits an SSE byte stream into events (WHATWG rules: `field: value` lines, blank line ends an event, `:` comments). */
async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | undefined;
  let event: string | undefined;
  let data: string[] = [];
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield { id, event, data: data.join('\n') };
        event = undefined;
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
  }
}

export function formatEventLine(payload: EventPayload): string {
  return [payload.Date, payload.Kind.padEnd(14), payload.Name, payload.Step ?? '-', payload.Attempt ?? '-', payload.Message ?? '']
    .join('  ')
    .trimEnd();
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/**
 * Follows the stream: prints each event until `count` were printed or the signal aborts,
 * reconnecting with Last-Event-ID when the connection drops (a server restart, say) so no
 * event is lost or repeated. The first connection's failure is reported as an error.
 */
async function follow(
  api: RotorApiClient,
  options: { secret?: string | undefined; since?: string | undefined; count?: number | undefined; json: boolean },
  signal: AbortSignal,
): Promise<void> {
  let lastId = options.since;
  let printed = 0;
  let connected = false;
  let backoffMs = 500;
  while (!signal.aborted) {
    let response: Response;
    try {
      response = await api.send('GET', '/v1/events', {
        query: { secretId: options.secret },
        headers: lastId === undefined ? {} : { 'last-event-id': lastId },
        signal,
      });
      if (!response.ok) throw await api.failure(response);
      if (!response.body) throw new Error('the server sent no event stream');
    } catch (error) {
      if (signal.aborted) return;
      if (!connected) throw error;
      await sleep(backoffMs, signal);
      backoffMs = Math.min(backoffMs * 2, 10_000);
      continue;
    }
    connected = true;
    backoffMs = 500;
    try {
      for await (const event of readServerSentEvents(response.body)) {
        if (event.id !== undefined) lastId = event.id;
        const payload = JSON.parse(event.data) as EventPayload;
        process.stdout.write(`${options.json ? JSON.stringify(payload) : formatEventLine(payload)}\n`);
        printed += 1;
        if (options.count !== undefined && printed >= options.count) return;
      }
    } catch {
      if (signal.aborted) return;
    }
    await sleep(backoffMs, signal);
  }
}

/** `rotor events`: follows the rotation event stream (Server-Sent Events from Rotor's API). */
export function registerEventsCommand(program: Command): void {
  withConnectionOptions(program.command('events'))
    .description(
      'follow rotation events (started, step-succeeded, retrying, succeeded, failed, cancelled, overdue, rolled-back, reauthorization-required, function-misconfigured) until Ctrl-C',
    )
    .option('--secret <secret-id>', 'only this secret (name or ARN)')
    .option('--since <event-id>', 'first replay the events after this id (0: the whole log)')
    .option('--count <n>', 'exit after N events', positiveInteger)
    .exitOverride(usageExit)
    .action(async (options: { secret?: string; since?: string; count?: number }, command: Command) =>
      runApiCommand(command, async ({ api, output }) => {
        const abort = new AbortController();
        const stop = () => abort.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await follow(api, { ...options, json: output === 'json' }, abort.signal);
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          abort.abort();
        }
      }),
    );
}
