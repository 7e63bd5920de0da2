/**
 * The client's errors. Each class is recognised by a symbol brand rather than by prototype,
 * so `error instanceof RotorError` holds even when an application loads two copies of this
 * package (Temporal's `SymbolBasedInstanceOfError`). Messages come from the server's
 * problem+json `title`/`detail` or are fixed texts of this package; they never carry a
 * secret value, a token or a credential.
 */

const rotorErrorBrand = Symbol.for('@rotor/client.RotorError');
const reauthorizationBrand = Symbol.for('@rotor/client.ReauthorizationRequiredError');

function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/**
 * Codes the client itself gives; every other code is the server's (`code` of its problem
 * document, e.g. `RESOURCE_NOT_FOUND`, `INVALID_SIGNATURE`).
 */
export const ClientErrorCode = {
  /** The server could not be reached, or the connection failed mid-request. */
  network: 'NetworkError',
  /** No answer within `requestTimeoutMs`. */
  timeout: 'RequestTimeout',
  /** The answer was not what the API documents (not JSON, fields missing). */
  invalidResponse: 'InvalidResponse',
  /** `RotorClient.fromEnvironment` found a required variable missing, or the options are unusable. */
  configuration: 'InvalidConfiguration',
  /** The secret's chain needs a new installation (HTTP 409 from ensure-fresh). */
  reauthorizationRequired: 'ReauthorizationRequired',
  /** An argument is unusable (an empty secret id, say). */
  invalidArgument: 'InvalidArgument',
  /** The client was closed. */
  closed: 'ClientClosed',
} as const;

export interface RotorErrorOptions {
  readonly code: string;
  /** HTTP status of the server's answer; 0 when there was none. */
  readonly status?: number;
  /** The problem document's `type` URI, when the server sent one. */
  readonly type?: string | undefined;
  /** The server's `x-rotor-request-id`, to find the request in its log. */
  readonly requestId?: string | undefined;
  /** Seconds to wait before trying again (`Retry-After`), when the server said. */
  readonly retryAfterSeconds?: number | undefined;
  readonly cause?: unknown;
}

/** Any failure of a call to Rotor. */
export class RotorError extends Error {
  /** A stable code: the server's problem `code`, or one of {@link ClientErrorCode}. */
  readonly code: string;
  /** HTTP status of the server's answer; 0 when there was none (network, timeout, configuration). */
  readonly status: number;
  readonly type: string | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options: RotorErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RotorError';
    this.code = options.code;
    this.status = options.status ?? 0;
    this.type = options.type;
    this.requestId = options.requestId;
    this.retryAfterSeconds = options.retryAfterSeconds;
    Object.defineProperty(this, rotorErrorBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, rotorErrorBrand);
  }
}

/**
 * The installation behind a secret can no longer be refreshed (its refresh token was
 * revoked, reused or expired): only a human re-installing the app helps. Rotor has marked
 * the chain `reauthorization_required` and emitted one `reauthorization-required` event.
 */
export class ReauthorizationRequiredError extends RotorError {
  /** The secret id as the caller gave it. */
  readonly secretId: string;

  constructor(message: string, options: Omit<RotorErrorOptions, 'code'> & { readonly secretId: string }) {
    super(message, { ...options, code: ClientErrorCode.reauthorizationRequired, status: options.status ?? 409 });
    this.name = 'ReauthorizationRequiredError';
    this.secretId = options.secretId;
    Object.defineProperty(this, reauthorizationBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, reauthorizationBrand);
  }
}

/** Same as `value instanceof RotorError`, spelled as a type guard. */
export function isRotorError(value: unknown): value is RotorError {
  return hasBrand(value, rotorErrorBrand);
}

/** Same as `value instanceof ReauthorizationRequiredError`, spelled as a type guard. */
export function isReauthorizationRequiredError(value: unknown): value is ReauthorizationRequiredError {
  return hasBrand(value, reauthorizationBrand);
}
