import { ClientErrorCode, ReauthorizationRequiredError, RotorError, isReauthorizationRequiredError } from './errors.js';
import { EventSubscription, type SecretChange } from './event-subscription.js';
import { isExpiredCredentialError, isUnauthorizedResponse } from './expired-credential.js';
import { readInstallationInfo, type InstallationInfo } from './installation-info.js';
import { encodePathSegment, type Credentials } from './sigv4.js';
import { SingleFlight } from './single-flight.js';
import { createTransport, type Clock, type FetchFunction, type Transport } from './transport.js';

export interface RotorClientOptions {
  /** Rotor's URL, e.g. `http://127.0.0.1:8080` (the same as the AWS SDK's `endpoint`). */
  readonly endpoint: string;
  /** The region Rotor is configured for; requests are signed for it. @default 'us-east-1' */
  readonly region?: string;
  /** A Rotor access key (`rotor keys create`); the same keys as the AWS edge. */
  readonly credentials: Credentials;
  /**
   * How long a token from {@link RotorClient.getValidToken} must stay valid, in seconds; a
   * cached token is used until `expiresAt - minValidSeconds`. @default 300
   */
  readonly minValidSeconds?: number;
  /**
   * Keep one `GET /v1/events` stream open (from the first cached read until `close()`) and
   * drop cached values when their secret rotates. Without it, cached values live until
   * their TTL. @default true
   */
  readonly subscribeToEvents?: boolean;
  /** The longest a value from {@link RotorClient.getSecretValue} is cached, in ms. @default 300_000 */
  readonly maxAgeMs?: number;
  /** Cached values and tokens kept at most (each); the least recently stored go first. @default 1_000 */
  readonly maxCacheEntries?: number;
  /** How long one API call may take, in ms (ensure-fresh may refresh a token first). @default 30_000 */
  readonly requestTimeoutMs?: number;
  /**
   * Reconnect the event stream when nothing arrives for this long, in ms; the server sends a
   * heartbeat every 15 s. @default 60_000
   */
  readonly eventStreamIdleTimeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: FetchFunction;
  /**
   * Time as the client sees it: cache lifetimes, token validity and request signing (the
   * server accepts signatures within 5 minutes of its own clock). @default Date.now
   */
  readonly clock?: Clock;
}

export interface GetSecretValueOptions {
  /** @default 'AWSCURRENT' (when `versionId` is not given either) */
  readonly versionStage?: string;
  readonly versionId?: string;
}

export interface SecretValue {
  readonly arn: string;
  readonly name: string;
  readonly versionId: string;
  readonly versionStages: readonly string[];
  readonly secretString: string | undefined;
  readonly secretBinary: Uint8Array | undefined;
  readonly createdDate: Date | undefined;
  /** When the secret next rotates; cached reads of a stage never outlive it. */
  readonly nextRotationDate: Date | null;
}

/** Which token chain of an installation: `bot` / `user` (Slack) or `chain` (generic OAuth2). */
export type TokenChain = 'bot' | 'user' | 'chain';

export interface GetValidTokenOptions {
  /** @default the client's `minValidSeconds` (300) */
  readonly minValidSeconds?: number;
  /** @default the server's choice: `bot` when present, else `user`, else `chain` */
  readonly chain?: TokenChain;
}

export interface ValidToken {
  /** The access token. */
  readonly token: string;
  /** The secret version the token belongs to; `callWithRefresh` reports it as rejected. */
  readonly versionId: string;
  /**
   * When the token expires, in epoch seconds (as Slack's `expires_at`); null for a
   * long-lived token (a Slack `xoxb-` not yet migrated to rotation), cached for `maxAgeMs`.
   */
  readonly expiresAt: number | null;
  readonly chain: string;
  readonly secretArn: string;
  readonly secretName: string;
  /** Whether the server refreshed the token to answer this request. */
  readonly refreshed: boolean;
  /** Team, enterprise, bot user and scopes of the installation (no tokens). */
  readonly installation: InstallationInfo;
}

export interface CallWithRefreshOptions extends GetValidTokenOptions {
  /**
   * More errors that mean "this token was rejected", on top of Slack's `token_expired`,
   * `invalid_auth`, `token_revoked` and HTTP 401.
   */
  readonly isExpired?: (error: unknown) => boolean;
}

interface CachedValue {
  readonly value: SecretValue;
  readonly expiresAtMs: number;
}

interface CachedToken {
  readonly token: ValidToken;
  /** When the request for it began, in ms: a token without expiry is kept for `maxAgeMs`. */
  readonly fetchedAtMs: number;
}

interface ValueResponse {
  ARN?: unknown;
  Name?: unknown;
  VersionId?: unknown;
  VersionStages?: unknown;
  SecretString?: unknown;
  SecretBinary?: unknown;
  CreatedDate?: unknown;
  NextRotationDate?: unknown;
}

interface EnsureFreshResponse {
  ARN?: unknown;
  Name?: unknown;
  VersionId?: unknown;
  SecretString?: unknown;
  Chain?: unknown;
  AccessToken?: unknown;
  ExpiresAt?: unknown;
  Refreshed?: unknown;
}

/** A chain's `status` once it can no longer be refreshed (docs/design/oauth-contracts.md §1). */
const deadChainStatus = 'reauthorization_required';

/** Rotation event kinds after which a secret's cached value and token are stale. */
const changeKinds: ReadonlySet<string> = new Set(['succeeded', 'rolled-back', 'reauthorization-required']);

/**
 * Rotor's application client: cached secret values that are dropped when their secret
 * rotates, access tokens that are valid for as long as asked, and one retry after a
 * rejected token. No dependencies: SigV4 with node:crypto, the global fetch.
 *
 * @example
 * const rotor = new RotorClient({ endpoint: 'http://127.0.0.1:8080', credentials: { accessKeyId, secretAccessKey } });
 * const { secretString } = await rotor.getSecretValue('app/db');
 * const { token } = await rotor.getValidToken('slack/T123/bot');
 * await rotor.callWithRefresh('slack/T123/bot', (token) => web.chat.postMessage({ token, channel, text }));
 * rotor.close();
 */
export class RotorClient {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #minValidSeconds: number;
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  readonly #values = new Map<string, CachedValue>();
  readonly #tokens = new Map<string, CachedToken>();
  readonly #valueFlights = new SingleFlight<SecretValue>();
  readonly #tokenFlights = new SingleFlight<ValidToken>();
  readonly #events: EventSubscription | undefined;
  /**
   * Bumped whenever cached data may have gone stale (a rotation event, a stream that opened
   * with nothing to resume from). An answer whose request began before a bump is returned
   * to its callers but not cached: it may predate the change.
   */
  #generation = 0;
  #closed = false;
  readonly #changeListeners = new Set<(change: SecretChange) => void>();

  constructor(options: RotorClientOptions) {
    if (typeof options.endpoint !== 'string' || options.endpoint === '' || !URL.canParse(options.endpoint)) {
      throw new RotorError('endpoint must be an absolute URL such as http://127.0.0.1:8080.', { code: ClientErrorCode.configuration });
    }
    const { accessKeyId, secretAccessKey } = options.credentials ?? {};
    if (typeof accessKeyId !== 'string' || accessKeyId === '' || typeof secretAccessKey !== 'string' || secretAccessKey === '') {
      throw new RotorError('credentials need an accessKeyId and a secretAccessKey.', { code: ClientErrorCode.configuration });
    }
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#minValidSeconds = options.minValidSeconds ?? 300;
    this.#maxAgeMs = options.maxAgeMs ?? 300_000;
    this.#maxEntries = options.maxCacheEntries ?? 1_000;
    const fetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#transport = createTransport({
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      credentials: options.credentials,
      fetch: fetchFunction,
      clock: this.#clock,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    });
    if (options.subscribeToEvents ?? true) {
      this.#events = new EventSubscription({
        transport: this.#transport,
        kinds: changeKinds,
        idleTimeoutMs: options.eventStreamIdleTimeoutMs ?? 60_000,
        onChange: (change) => this.#dropChanged(change),
        onResync: () => this.#dropAll(),
      });
    }
  }

  /**
   * A client configured from the environment: `ROTOR_ENDPOINT`, `AWS_ACCESS_KEY_ID`,
   * `AWS_SECRET_ACCESS_KEY`, optionally `AWS_SESSION_TOKEN` and `AWS_REGION` (or
   * `AWS_DEFAULT_REGION`). `options` override what the environment says.
   */
  static fromEnvironment(options: Partial<RotorClientOptions> = {}, env: NodeJS.ProcessEnv = process.env): RotorClient {
    const missing = ['ROTOR_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].filter((name) => !env[name]);
    const endpoint = options.endpoint ?? env.ROTOR_ENDPOINT;
    const credentials =
      options.credentials ??
      (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined }
        : undefined);
    if (endpoint === undefined || credentials === undefined) {
      const names = missing.filter((name) => (name === 'ROTOR_ENDPOINT' ? endpoint === undefined : credentials === undefined));
      throw new RotorError(`Missing environment variable${names.length > 1 ? 's' : ''} ${names.join(', ')}.`, { code: ClientErrorCode.configuration });
    }
    return new RotorClient({
      ...options,
      endpoint,
      credentials,
      region: options.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined),
    });
  }

  /**
   * A secret's value, `AWSCURRENT` unless a stage or version is named. Cached until the
   * first of: `maxAgeMs`, the secret's `NextRotationDate` (for stage reads), a rotation
   * event for the secret. Concurrent misses for one secret make one request.
   */
  async getSecretValue(secretId: string, options: GetSecretValueOptions = {}): Promise<SecretValue> {
    this.#checkUsable(secretId);
    const { versionId } = options;
    const versionStage = options.versionStage ?? (versionId === undefined ? 'AWSCURRENT' : undefined);
    const key = `${secretId}\n${versionStage ?? ''}\n${versionId ?? ''}`;
    this.#events?.start();
    const cached = this.#values.get(key);
    if (cached !== undefined) {
      if (cached.expiresAtMs > this.#clock.now()) return copyValue(cached.value);
      this.#values.delete(key);
    }
    const value = await this.#valueFlights.run(key, async () => {
      const generation = this.#generation;
      const startedAt = this.#clock.now();
      const response = await this.#transport.request<ValueResponse>({
        method: 'GET',
        path: `/v1/secrets/${encodePathSegment(secretId)}/value`,
        query: { versionStage, versionId },
        secretId,
      });
      const fetched = parseValue(response);
      let expiresAtMs = startedAt + this.#maxAgeMs;
      // A named version never changes; a stage moves when the secret rotates.
      if (versionId === undefined && fetched.nextRotationDate !== null) {
        expiresAtMs = Math.min(expiresAtMs, fetched.nextRotationDate.getTime());
      }
      if (generation === this.#generation && !this.#closed && expiresAtMs > this.#clock.now()) {
        remember(this.#values, key, { value: fetched, expiresAtMs }, this.#maxEntries);
      }
      return fetched;
    });
    return copyValue(value);
  }

  /**
   * An access token of an OAuth installation secret that stays valid for at least
   * `minValidSeconds`: from the cache while it does, otherwise from
   * `POST /v1/secrets/{id}/ensure-fresh`, which refreshes it first when needed (one refresh
   * per chain across every process). Throws {@link ReauthorizationRequiredError} when the
   * chain needs a new installation.
   */
  async getValidToken(secretId: string, options: GetValidTokenOptions = {}): Promise<ValidToken> {
    this.#checkUsable(secretId);
    const minValidSeconds = options.minValidSeconds ?? this.#minValidSeconds;
    const key = tokenKey(secretId, options.chain);
    this.#events?.start();
    const cached = this.#tokens.get(key);
    if (cached !== undefined && this.#isValidFor(cached, minValidSeconds)) return cached.token;
    return this.#tokenFlights.run(`${key}\nmin:${minValidSeconds}`, () => this.#ensureFresh(secretId, options.chain, minValidSeconds, undefined));
  }

  /**
   * Runs `fn` with a valid token. When it fails because the token was rejected (Slack
   * `token_expired` / `invalid_auth` / `token_revoked`, HTTP 401, or `options.isExpired`),
   * gets a replacement — the newer token this client already holds, or ensure-fresh with
   * `ifVersion` set to the rejected version — and runs `fn` once more. A second failure is
   * the caller's: thrown (or, for a returned 401 response, returned) as it is.
   */
  async callWithRefresh<T>(
    secretId: string,
    fn: (token: string, info: ValidToken) => Promise<T>,
    options: CallWithRefreshOptions = {},
  ): Promise<T> {
    const first = await this.getValidToken(secretId, options);
    const isExpired = (error: unknown) => isExpiredCredentialError(error) || (options.isExpired?.(error) ?? false);
    let rejection: { error: unknown } | { response: T };
    try {
      const result = await fn(first.token, first);
      if (!isUnauthorizedResponse(result)) return result;
      rejection = { response: result };
    } catch (thrown) {
      if (!isExpired(thrown)) throw thrown;
      rejection = { error: thrown };
    }
    const second = await this.#replaceRejected(secretId, options, first);
    if (second.token === first.token) {
      // Rotor has nothing newer: retrying could only fail the same way.
      if (second.installation.chainStatus === deadChainStatus) {
        throw new ReauthorizationRequiredError(
          `The ${second.chain} token of ${second.secretName} was rejected and Rotor can no longer refresh it; install the app again.`,
          // The provider's error is not attached: an HTTP library's error may carry the token.
          { secretId },
        );
      }
      if ('error' in rejection) throw rejection.error;
      return rejection.response;
    }
    return fn(second.token, second);
  }

  /**
   * Calls `listener` after each rotation event that changes a secret's value (`succeeded`,
   * `rolled-back`, `reauthorization-required`), once this client's cache has dropped it —
   * to reopen a database pool with rotated credentials, say. Opens the event stream if it
   * is not open; does nothing with `subscribeToEvents: false`. Returns the unsubscribe
   * function.
   */
  onSecretChange(listener: (change: SecretChange) => void): () => void {
    if (this.#closed) throw new RotorError('The Rotor client is closed.', { code: ClientErrorCode.closed });
    this.#changeListeners.add(listener);
    this.#events?.start();
    return () => {
      this.#changeListeners.delete(listener);
    };
  }

  /** Ends the event stream and empties the caches; later calls throw `ClientClosed`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#events?.close();
    this.#changeListeners.clear();
    this.#dropAll();
  }

  #checkUsable(secretId: string): void {
    if (this.#closed) throw new RotorError('The Rotor client is closed.', { code: ClientErrorCode.closed });
    if (typeof secretId !== 'string' || secretId === '') {
      throw new RotorError('A secret id (a name or an ARN) is required.', { code: ClientErrorCode.invalidArgument });
    }
  }

  #isValidFor(entry: CachedToken, minValidSeconds: number): boolean {
    const now = this.#clock.now();
    if (entry.token.expiresAt === null) return entry.fetchedAtMs + this.#maxAgeMs > now;
    return entry.token.expiresAt * 1000 - minValidSeconds * 1000 > now;
  }

  async #replaceRejected(secretId: string, options: GetValidTokenOptions, rejected: ValidToken): Promise<ValidToken> {
    const minValidSeconds = options.minValidSeconds ?? this.#minValidSeconds;
    const key = tokenKey(secretId, options.chain);
    const cached = this.#tokens.get(key);
    if (cached !== undefined && cached.token.token !== rejected.token && this.#isValidFor(cached, minValidSeconds)) return cached.token;
    if (cached?.token.token === rejected.token) this.#tokens.delete(key);
    const replaced = await this.#tokenFlights.run(`${key}\nrejected:${rejected.versionId}`, () =>
      this.#ensureFresh(secretId, options.chain, minValidSeconds, rejected.versionId),
    );
    // AWSCURRENT had moved on (the other chain refreshed, say) but still holds the rejected
    // token: now that version is the current one, reporting it forces the refresh.
    if (replaced.token === rejected.token && replaced.versionId !== rejected.versionId && replaced.installation.chainStatus !== deadChainStatus) {
      return this.#tokenFlights.run(`${key}\nrejected:${replaced.versionId}`, () =>
        this.#ensureFresh(secretId, options.chain, minValidSeconds, replaced.versionId),
      );
    }
    return replaced;
  }

  async #ensureFresh(secretId: string, chain: TokenChain | undefined, minValidSeconds: number, ifVersion: string | undefined): Promise<ValidToken> {
    const generation = this.#generation;
    const fetchedAtMs = this.#clock.now();
    const key = tokenKey(secretId, chain);
    let response: EnsureFreshResponse;
    try {
      response = await this.#transport.request<EnsureFreshResponse>({
        method: 'POST',
        path: `/v1/secrets/${encodePathSegment(secretId)}/ensure-fresh`,
        body: { minValidSeconds, ...(ifVersion === undefined ? {} : { ifVersion }), ...(chain === undefined ? {} : { chain }) },
        secretId,
      });
    } catch (thrown) {
      if (isReauthorizationRequiredError(thrown)) {
        this.#tokens.delete(key);
        throw new ReauthorizationRequiredError(thrown.message, {
          status: thrown.status,
          type: thrown.type,
          requestId: thrown.requestId,
          secretId,
        });
      }
      throw thrown;
    }
    const token = parseToken(response);
    if (generation === this.#generation && !this.#closed) {
      const current = this.#tokens.get(key);
      // Keep whichever token lasts longer: a slow answer must not replace a newer token.
      if (current === undefined || ifVersion !== undefined || (current.token.expiresAt ?? Infinity) <= (token.expiresAt ?? Infinity)) {
        remember(this.#tokens, key, { token, fetchedAtMs }, this.#maxEntries);
      }
    }
    return token;
  }

  #dropChanged(change: SecretChange): void {
    this.#generation += 1;
    this.#valueFlights.forgetAll();
    this.#tokenFlights.forgetAll();
    const matches = (arn: string, name: string) => arn === change.secretArn || name === change.secretName;
    for (const [key, entry] of this.#values) if (matches(entry.value.arn, entry.value.name)) this.#values.delete(key);
    for (const [key, entry] of this.#tokens) if (matches(entry.token.secretArn, entry.token.secretName)) this.#tokens.delete(key);
    for (const listener of this.#changeListeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own; the other listeners and the stream go on.
      }
    }
  }

  #dropAll(): void {
    this.#generation += 1;
    this.#valueFlights.forgetAll();
    this.#tokenFlights.forgetAll();
    this.#values.clear();
    this.#tokens.clear();
  }
}

function tokenKey(secretId: string, chain: TokenChain | undefined): string {
  return `${secretId}\n${chain ?? ''}`;
}

/** Map insertion order is storage order: the oldest entry goes first when the map is full. */
function remember<V>(map: Map<string, V>, key: string, value: V, maxEntries: number): void {
  map.delete(key);
  if (map.size >= maxEntries) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, value);
}

/** Cached values are shared: callers get frozen copies (binary copied, as it cannot be frozen). */
function copyValue(value: SecretValue): SecretValue {
  if (value.secretBinary === undefined) return value;
  return Object.freeze({ ...value, secretBinary: new Uint8Array(value.secretBinary) });
}

function invalidResponse(what: string): RotorError {
  return new RotorError(`Rotor's answer lacks ${what}.`, { code: ClientErrorCode.invalidResponse, status: 200 });
}

function parseValue(response: ValueResponse): SecretValue {
  if (typeof response.ARN !== 'string') throw invalidResponse('ARN');
  if (typeof response.Name !== 'string') throw invalidResponse('Name');
  if (typeof response.VersionId !== 'string') throw invalidResponse('VersionId');
  const stages = Array.isArray(response.VersionStages) ? response.VersionStages.filter((stage): stage is string => typeof stage === 'string') : [];
  const nextRotation = typeof response.NextRotationDate === 'number' ? new Date(response.NextRotationDate * 1000) : null;
  const created = typeof response.CreatedDate === 'number' ? new Date(response.CreatedDate * 1000) : undefined;
  return Object.freeze({
    arn: response.ARN,
    name: response.Name,
    versionId: response.VersionId,
    versionStages: Object.freeze(stages),
    secretString: typeof response.SecretString === 'string' ? response.SecretString : undefined,
    secretBinary: typeof response.SecretBinary === 'string' ? new Uint8Array(Buffer.from(response.SecretBinary, 'base64')) : undefined,
    createdDate: created,
    nextRotationDate: nextRotation,
  });
}

function parseToken(response: EnsureFreshResponse): ValidToken {
  if (typeof response.AccessToken !== 'string' || response.AccessToken === '') throw invalidResponse('AccessToken');
  if (typeof response.VersionId !== 'string') throw invalidResponse('VersionId');
  if (typeof response.ExpiresAt !== 'number' && response.ExpiresAt !== null) throw invalidResponse('ExpiresAt');
  if (typeof response.ARN !== 'string') throw invalidResponse('ARN');
  if (typeof response.Name !== 'string') throw invalidResponse('Name');
  const chain = typeof response.Chain === 'string' ? response.Chain : 'chain';
  return Object.freeze({
    token: response.AccessToken,
    versionId: response.VersionId,
    expiresAt: response.ExpiresAt,
    chain,
    secretArn: response.ARN,
    secretName: response.Name,
    refreshed: response.Refreshed === true,
    installation: readInstallationInfo(typeof response.SecretString === 'string' ? response.SecretString : undefined, chain),
  });
}
