import { redact, type Redacted } from '../../../domain/redacted.js';
import { RotationStepError } from '../../../domain/rotation.js';
import type { SecretValue } from '../../../domain/secret-value.js';

/**
 * A database credential as AWS's database secret JSON spells it: `engine`, `host`,
 * `port`, `username`, `password`, `dbname`, and `masterarn` naming the secret of the
 * user that may change this one's password. Fields Rotor does not know are kept as
 * they are, so a rotation never drops what an application put there.
 *
 * @example
 * {"engine":"postgres","host":"db.internal","port":5432,"username":"orders_app",
 *  "password":"…","dbname":"orders","masterarn":"arn:aws:secretsmanager:…:secret:db-master-AbCdEf"}
 */
export interface DatabaseCredential {
  readonly engine: string | undefined;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly username: string;
  readonly password: Redacted<string>;
  readonly dbname: string | undefined;
  readonly masterarn: string | undefined;
  /** The whole JSON object, unknown fields included. */
  readonly document: Readonly<Record<string, unknown>>;
}

function optionalString(document: Record<string, unknown>, field: string, what: string): string | undefined {
  const value = document[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new RotationStepError(`Field "${field}" of the ${what} must be a string.`, { retryable: false });
  return value;
}

/**
 * Reads a credential from a version's value. `what` names the value in messages
 * ("the AWSCURRENT value", "the master secret"); messages never quote the value.
 */
export function parseCredential(value: SecretValue | undefined, what: string): DatabaseCredential {
  if (value === undefined) throw new RotationStepError(`The ${what} has no value.`, { retryable: false });
  if (value.kind !== 'string') throw new RotationStepError(`The ${what} is binary; a database credential is a JSON SecretString.`, { retryable: false });
  let document: unknown;
  try {
    document = JSON.parse(value.value.reveal());
  } catch {
    throw new RotationStepError(`The ${what} is not JSON; a database credential is a JSON object with username and password.`, { retryable: false });
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new RotationStepError(`The ${what} is not a JSON object; a database credential has username and password fields.`, { retryable: false });
  }
  const fields = document as Record<string, unknown>;
  const username = optionalString(fields, 'username', what);
  if (username === undefined) throw new RotationStepError(`The ${what} has no "username" field.`, { retryable: false });
  const password = fields.password;
  if (typeof password !== 'string' || password === '') {
    throw new RotationStepError(`The ${what} has no "password" field (a non-empty string).`, { retryable: false });
  }
  let port: number | undefined;
  const rawPort = fields.port;
  if (rawPort !== undefined && rawPort !== null && rawPort !== '') {
    // AWS's templates accept the port as a number or a string of digits.
    port = typeof rawPort === 'number' ? rawPort : typeof rawPort === 'string' && /^\d+$/.test(rawPort) ? Number(rawPort) : Number.NaN;
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new RotationStepError(`Field "port" of the ${what} must be a port number (1-65535).`, { retryable: false });
    }
  }
  return {
    engine: optionalString(fields, 'engine', what),
    host: optionalString(fields, 'host', what),
    port,
    username,
    password: redact(password),
    dbname: optionalString(fields, 'dbname', what),
    masterarn: optionalString(fields, 'masterarn', what),
    document: fields,
  };
}

/** The JSON SecretString of `base` with a new username and password; every other field is kept. */
export function credentialValue(base: DatabaseCredential, username: string, password: string): SecretValue {
  return { kind: 'string', value: redact(JSON.stringify({ ...base.document, username, password })) };
}

/**
 * The other user of an alternating pair, as AWS's multi-user templates name it: `app`
 * alternates with `app_clone` (with the default suffix), and `app_clone` with `app`.
 */
export function alternateUsername(username: string, cloneSuffix: string): string {
  return username.endsWith(cloneSuffix) && username.length > cloneSuffix.length
    ? username.slice(0, -cloneSuffix.length)
    : `${username}${cloneSuffix}`;
}
