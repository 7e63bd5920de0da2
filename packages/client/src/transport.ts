import { ClientErrorCode, ReauthorizationRequiredError, RotorError } from './errors.js';
import { createSigner, type Credentials } from './sigv4.js';

/** Time as the client sees it. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export type FetchFunction = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: Credentials;
  readonly fetch: FetchFunction;
  readonly clock: Clock;
  readonly requestTimeoutMs: number;
}

export interface ApiRequest {
  readonly method: 'GET' | 'POST';
  /** Already encoded path, e.g. `/v1/secrets/app%2Fdb/value`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  /** For {@link ReauthorizationRequiredError.secretId}. */
  readonly secretId?: string;
}

export interface StreamRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
}

/**
 * Signed JSON requests to Rotor's `/v1` API and the mapping of its answers: 2xx to the parsed
 * body, problem+json to {@link RotorError} (409 `reauthorization-required` to
 * {@link ReauthorizationRequiredError}). Bodies of failed answers are never put in messages.
 */
export function createTransport(options: TransportOptions) {
  const base = new URL(options.endpoint);
  // "http://host:8080/prefix/" and "http://host:8080/prefix" both mean the API is under /prefix.
  const prefix = base.pathname.replace(/\/+$/, '');
  const sign = createSigner({ credentials: options.credentials, region: options.region });

  function urlFor(path: string, query?: Readonly<Record<string, string | undefined>>): URL {
    const url = new URL(base.origin);
    url.pathname = prefix + path;
    const pairs = Object.entries(query ?? {}).filter((pair): pair is [string, string] => pair[1] !== undefined);
    if (pairs.length > 0) url.search = `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
    return url;
  }

  async function send(url: URL, method: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<Response> {
    const signed = sign({ method, url, headers, body }, new Date(options.clock.now()));
    try {
      return await options.fetch(url, { method, headers: signed, ...(body === '' ? {} : { body }), signal });
    } catch (thrown) {
      if (signal.aborted && isTimeout(signal.reason)) {
        throw new RotorError(`No answer from Rotor within ${options.requestTimeoutMs} ms (${method} ${url.pathname}).`, {
          code: ClientErrorCode.timeout,
          cause: thrown,
        });
      }
      if (signal.aborted) throw signal.reason;
      throw new RotorError(`Could not reach Rotor at ${url.origin} (${method} ${url.pathname}).`, { code: ClientErrorCode.network, cause: thrown });
    }
  }

  return {
    /** One API call; resolves with the JSON body of a 2xx answer. */
    async request<T>(request: ApiRequest): Promise<T> {
      const url = urlFor(request.path, request.query);
      const body = request.body === undefined ? '' : JSON.stringify(request.body);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (body !== '') headers['content-type'] = 'application/json';
      const signal = AbortSignal.timeout(options.requestTimeoutMs);
      const response = await send(url, request.method, headers, body, signal);
      let text: string;
      try {
        text = await response.text();
      } catch (thrown) {
        throw new RotorError(`The connection to Rotor failed while reading the answer to ${request.method} ${url.pathname}.`, {
          code: signal.aborted ? ClientErrorCode.timeout : ClientErrorCode.network,
          status: response.status,
          cause: thrown,
        });
      }
      if (!response.ok) throw toRotorError(response, text, request.secretId);
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new RotorError(`Rotor's answer to ${request.method} ${url.pathname} is not JSON.`, {
          code: ClientErrorCode.invalidResponse,
          status: response.status,
          requestId: response.headers.get('x-rotor-request-id') ?? undefined,
        });
      }
    },

    /** Opens a signed long-lived GET (the event stream); a non-2xx answer becomes a RotorError. */
    async openStream(request: StreamRequest): Promise<Response> {
      const url = urlFor(request.path);
      const response = await send(url, 'GET', { accept: 'text/event-stream', ...request.headers }, '', request.signal);
      if (!response.ok) {
        const text = await response.text().catch(() => '');
        throw toRotorError(response, text, undefined);
      }
      return response;
    },
  };
}

export type Transport = ReturnType<typeof createTransport>;

function isTimeout(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
}

interface ProblemDocument {
  type?: unknown;
  title?: unknown;
  detail?: unknown;
  code?: unknown;
  status?: unknown;
}

function toRotorError(response: Response, text: string, secretId: string | undefined): RotorError {
  let problem: ProblemDocument = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) problem = parsed as ProblemDocument;
  } catch {
    // Not a problem document (a proxy's HTML page, say): its text is not repeated.
  }
  const title = typeof problem.title === 'string' ? problem.title : undefined;
  const detail = typeof problem.detail === 'string' && problem.detail !== '' ? problem.detail : undefined;
  const type = typeof problem.type === 'string' ? problem.type : undefined;
  const code = typeof problem.code === 'string' && problem.code !== '' ? problem.code : `Http${response.status}`;
  const message = detail !== undefined && title !== undefined ? `${title}: ${detail}` : (detail ?? title ?? `Rotor answered HTTP ${response.status}.`);
  const requestId = response.headers.get('x-rotor-request-id') ?? undefined;
  const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
  if (response.status === 409 && isReauthorization(type, code)) {
    return new ReauthorizationRequiredError(message, { status: 409, type, requestId, secretId: secretId ?? '' });
  }
  return new RotorError(message, { code, status: response.status, type, requestId, retryAfterSeconds });
}

function isReauthorization(type: string | undefined, code: string): boolean {
  return (
    code === 'ReauthorizationRequired' ||
    code === 'REAUTHORIZATION_REQUIRED' ||
    (type !== undefined && /reauthori[sz]ation-required$/.test(type))
  );
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
