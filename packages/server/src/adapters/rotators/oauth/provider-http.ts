/**
 * One HTTP exchange with an OAuth provider, classified by what the caller may conclude
 * about the provider's state afterwards (reference §5 rules 3 and 7):
 * - `ProviderUnreached`: the request never left (connection refused, DNS): nothing changed;
 * - `ProviderAnswerLost`: it may have arrived (timeout, reset, truncated or non-JSON body):
 *   the provider may have committed a refresh we never saw — an ambiguous outcome.
 * Messages carry the URL's origin and the failure's kind, never a request body.
 */
export class ProviderUnreached extends Error {
  override readonly name = 'ProviderUnreached';
}

export class ProviderAnswerLost extends Error {
  override readonly name = 'ProviderAnswerLost';
}

export interface ProviderResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body; `undefined` when the body was empty. */
  readonly body: Record<string, unknown> | undefined;
}

export interface ProviderRequest {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly form?: Record<string, string | undefined>;
  readonly basicAuth?: { readonly user: string; readonly password: string };
  readonly bearer?: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

// Errors raised before a single byte reached the provider.
const notSentCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL']);

function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

export async function callProvider(request: ProviderRequest): Promise<ProviderResponse> {
  const origin = new URL(request.url).origin;
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (request.form) {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(request.form)) if (value !== undefined) form.set(key, value);
    body = form.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (request.basicAuth) {
    // RFC 6749 §2.3.1: each part form-encoded before base64.
    const user = encodeURIComponent(request.basicAuth.user);
    const password = encodeURIComponent(request.basicAuth.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  if (request.bearer) headers.authorization = `Bearer ${request.bearer}`;
  // One controller per call, torn down after: AbortSignal.any keeps listeners alive on Node 20.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, request.timeoutMs);
  const onAbort = () => controller.abort(request.signal.reason);
  if (request.signal.aborted) onAbort();
  else request.signal.addEventListener('abort', onAbort, { once: true });
  try {
    let response: Response;
    try {
      response = await fetch(request.url, { method: request.method ?? 'POST', headers, body, signal: controller.signal });
    } catch (error) {
      const code = causeCode(error);
      if (code !== undefined && notSentCodes.has(code)) throw new ProviderUnreached(`${origin} could not be reached (${code}).`);
      if (timedOut) throw new ProviderAnswerLost(`${origin} did not answer within ${request.timeoutMs} ms.`);
      if (request.signal.aborted) throw new ProviderAnswerLost(`The call to ${origin} was abandoned (the step was stopped).`);
      throw new ProviderAnswerLost(`The connection to ${origin} failed before an answer arrived (${code ?? 'network error'}).`);
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new ProviderAnswerLost(`${origin} answered HTTP ${response.status} but the body was cut off.`);
    }
    if (text.trim() === '') return { status: response.status, headers: response.headers, body: undefined };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ProviderAnswerLost(`${origin} answered HTTP ${response.status} with a body that is not JSON.`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ProviderAnswerLost(`${origin} answered HTTP ${response.status} with JSON that is not an object.`);
    }
    return { status: response.status, headers: response.headers, body: parsed as Record<string, unknown> };
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener('abort', onAbort);
  }
}

/** `Retry-After` in milliseconds (seconds or an HTTP date), or undefined. */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
