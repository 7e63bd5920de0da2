import type { Redacted } from '../../../domain/redacted.js';
import type { TlsConfig } from './config.js';

/**
 * What the database rotators need from an engine: log in, say who we are, change a
 * password, make the second user of an alternating pair. One implementation per engine
 * (postgres/, mysql/, redis/); the four steps are written once, in user-rotator.ts.
 */

/** Where to connect; everything but the user. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** The database to connect to (PostgreSQL, MySQL); undefined for the engine's default. */
  readonly database: string | undefined;
  readonly tls: TlsConfig;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
}

export interface Login {
  readonly username: string;
  readonly password: Redacted<string>;
}

/** A logged-in connection. Every method may throw the driver's own errors; `classify` sorts them. */
export interface DatabaseSession {
  /** The test query: the user this session is logged in as. */
  whoami(): Promise<string>;
  /** Changes the password of the user this session is logged in as. */
  setOwnPassword(password: Redacted<string>): Promise<void>;
  /** Changes another user's password (a master session); the user must exist. */
  setPassword(username: string, password: Redacted<string>): Promise<void>;
  /**
   * Alternating users: makes `username` exist with the privileges of `template`, then
   * sets its password — the password last, so that a pending password that logs in
   * means the whole step was done (setSecret's idempotency check relies on it).
   */
  ensureUserLike(username: string, template: string, password: Redacted<string>): Promise<void>;
  close(): Promise<void>;
}

/**
 * How a driver error reads: `auth` (wrong user or password), `unreachable` (network,
 * timeouts, server starting or full: try again later), `denied` (logged in but lacking a
 * privilege: a configuration error), `invalid` (the server refused the request itself,
 * e.g. a password policy), `other`.
 */
export type FailureKind = 'auth' | 'unreachable' | 'denied' | 'invalid' | 'other';

export interface DatabaseDriver<Config> {
  /** The `engine` values of AWS's secret JSON this driver serves. */
  readonly engines: readonly string[];
  /** The rotator kind. */
  readonly kind: string;
  /**
   * The engine's name in messages ("PostgreSQL"): not the `engine` field's value, which the
   * engine's scrubbing of failure reasons would take for secret material and replace.
   */
  readonly displayName: string;
  readonly defaultPort: number;
  readonly maxUsernameLength: number;
  connect(endpoint: Endpoint, login: Login, config: Config): Promise<DatabaseSession>;
  classify(error: unknown): FailureKind;
  /**
   * A short description of a driver error: its code and message, never the statement
   * that failed (drivers attach the SQL, which may hold a password). The caller scrubs it.
   */
  describe(error: unknown): string;
}
