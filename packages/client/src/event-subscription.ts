import type { Transport } from './transport.js';

/**
 * The client's subscription to `GET /v1/events` (Server-Sent Events): tells the caches which
 * secrets changed. One connection per client, however many secrets are cached. It reconnects
 * after the `retry:` delay the server asks for (doubling up to 30 s while attempts fail) and
 * resumes with `Last-Event-ID`, so events that happen while it is away are replayed.
 */

export interface SecretChange {
  /** The rotation event kind: `succeeded`, `rolled-back` or `reauthorization-required`. */
  readonly kind: string;
  readonly secretArn: string | undefined;
  readonly secretName: string | undefined;
  /** The version the event is about (the new AWSCURRENT after `succeeded`), when it names one. */
  readonly versionId: string | undefined;
  /** The event's id in Rotor's event log. */
  readonly eventId: string | undefined;
}

export interface EventSubscriptionOptions {
  readonly transport: Transport;
  /** A secret changed: drop what is cached for it. */
  readonly onChange: (change: SecretChange) => void;
  /**
   * The stream (re)opened with nothing to resume from, so changes made while it was not
   * listening are unknown: drop everything cached before this moment.
   */
  readonly onResync: () => void;
  /** Event kinds that mean the secret's value changed. */
  readonly kinds: ReadonlySet<string>;
  /**
   * Reconnect when nothing (not even the server's heartbeat comment, every 15 s) arrives for
   * this long: the connection is presumed dead (a half-open TCP connection never errors).
   */
  readonly idleTimeoutMs: number;
}

const maxBackoffMs = 30_000;
const defaultRetryMs = 2_000;

export class EventSubscription {
  readonly #options: EventSubscriptionOptions;
  #lastEventId: string | undefined;
  #retryMs = defaultRetryMs;
  #failures = 0;
  #closed = false;
  #running = false;
  #connection: AbortController | undefined;
  #wakeSleeper: (() => void) | undefined;

  constructor(options: EventSubscriptionOptions) {
    this.#options = options;
  }

  /** Opens the stream unless it is open (or being opened) already. */
  start(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    void this.#run();
  }

  /** Whether the stream is being kept open. */
  get active(): boolean {
    return this.#running && !this.#closed;
  }

  close(): void {
    this.#closed = true;
    this.#connection?.abort(new Error('closed'));
    this.#wakeSleeper?.();
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      const opened = await this.#connectOnce();
      if (this.#closed) break;
      this.#failures = opened ? 0 : this.#failures + 1;
      const delay = Math.min(maxBackoffMs, this.#retryMs * 2 ** Math.min(this.#failures, 5));
      await this.#sleep(opened ? this.#retryMs : delay);
    }
    this.#running = false;
  }

  /** One connection, until it ends; true when the server accepted it. */
  async #connectOnce(): Promise<boolean> {
    const connection = new AbortController();
    this.#connection = connection;
    let idleTimer: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => connection.abort(new Error('idle')), this.#options.idleTimeoutMs);
      idleTimer.unref();
    };
    let opened = false;
    try {
      touch();
      const resumeFrom = this.#lastEventId;
      const headers: Record<string, string> = resumeFrom === undefined ? {} : { 'last-event-id': resumeFrom };
      const response = await this.#options.transport.openStream({ path: '/v1/events', headers, signal: connection.signal });
      opened = true;
      if (resumeFrom === undefined) this.#options.onResync();
      if (response.body === null) return opened;
      const parser = new ServerSentEventParser((event) => this.#dispatch(event));
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        touch();
        parser.push(decoder.decode(value, { stream: true }));
        if (parser.retryMs !== undefined) this.#retryMs = parser.retryMs;
      }
    } catch {
      // Refused, cut, idle or closed: the loop decides whether to try again.
    } finally {
      clearTimeout(idleTimer);
      connection.abort(new Error('done'));
      if (this.#connection === connection) this.#connection = undefined;
    }
    return opened;
  }

  #dispatch(event: ParsedEvent): void {
    if (event.id !== undefined) this.#lastEventId = event.id;
    if (!this.#options.kinds.has(event.event)) return;
    let payload: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(event.data);
      if (typeof parsed === 'object' && parsed !== null) payload = parsed as Record<string, unknown>;
    } catch {
      // An event without a readable payload names no secret: drop everything to be safe.
    }
    const secretArn = stringField(payload, 'SecretId') ?? stringField(payload, 'secretArn') ?? stringField(payload, 'ARN');
    const secretName = stringField(payload, 'Name') ?? stringField(payload, 'secretName');
    if (secretArn === undefined && secretName === undefined) {
      this.#options.onResync();
      return;
    }
    const versionId = stringField(payload, 'VersionId') ?? stringField(payload, 'versionId');
    this.#options.onChange(Object.freeze({ kind: event.event, secretArn, secretName, versionId, eventId: event.id }));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      // A reconnect timer alone must not keep the process alive.
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeSleeper = done;
    });
  }
}

function stringField(payload: Record<string, unknown>, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export interface ParsedEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/**
 * The SSE wire format (WHATWG HTML §9.2.6): lines end in LF, CRLF or CR; `field: value`
 * (one optional space after the colon); `:` starts a comment; a blank line dispatches.
 * Accepts text in arbitrary chunks.
 */
export class ServerSentEventParser {
  #buffer = '';
  #id: string | undefined;
  #event = '';
  #data: string[] = [];
  #sawCarriageReturn = false;
  retryMs: number | undefined;
  readonly #onEvent: (event: ParsedEvent) => void;

  constructor(onEvent: (event: ParsedEvent) => void) {
    this.#onEvent = onEvent;
  }

  push(text: string): void {
    let chunk = text;
    // A CRLF split across two chunks: the LF belongs to the line the CR ended.
    if (this.#sawCarriageReturn && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.#sawCarriageReturn = false;
    this.#buffer += chunk;
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const c = this.#buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(this.#buffer.slice(start, i));
      if (c === 13) {
        if (i + 1 === this.#buffer.length) this.#sawCarriageReturn = true;
        else if (this.#buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.#buffer = this.#buffer.slice(start);
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) {
        this.#onEvent({ id: this.#id, event: this.#event === '' ? 'message' : this.#event, data: this.#data.join('\n') });
      }
      this.#event = '';
      this.#data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }
}
