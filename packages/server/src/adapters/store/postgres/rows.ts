import pg, { type CustomTypesConfig } from 'pg';
import type { StoredAccessKey } from '../../../ports/access-key-store.js';
import type { StoredSecret, StoredVersion, Tag, ValueKind } from '../../../ports/secret-store.js';

/**
 * How values come back from PostgreSQL, and the row shapes mapped to the port's records.
 *
 * BIGINT (times in ms, identity ids, `count(*)`) arrives from `pg` as a string, since
 * int8 can exceed 2^53. Rotor's int8 values are milliseconds (2^53 ms is year 287396)
 * and row counts, so the pool parses them to numbers once, here, and refuses a value a
 * number cannot hold exactly rather than round it. BYTEA arrives as a Buffer and JSONB
 * as parsed JSON.
 */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`BIGINT ${text} does not fit a JavaScript number`);
  return value;
}

const int8 = pg.types.builtins.INT8;

export const pgTypes: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === int8 && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

export interface SecretRow {
  arn: string;
  name: string;
  description: string | null;
  kms_key_id: string | null;
  type: string | null;
  created_at: number;
  last_changed_at: number;
  last_accessed_at: number | null;
  deleted_at: number | null;
  purge_at: number | null;
  /** JSONB: already parsed. */
  tags: Tag[] | null;
  resource_policy: string | null;
  wrapped_key: Buffer;
}

export interface VersionRow {
  version_id: string;
  created_at: number;
  last_accessed_at: number | null;
  kind: ValueKind;
  sealed_value: Buffer | null;
}

export interface AccessKeyRow {
  access_key_id: string;
  sealed_secret: Buffer;
  name: string;
  created_at: number;
  revoked_at: number | null;
  expires_at: number | null;
  session_token: string | null;
}

export const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);
export const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

/**
 * Diagnostic text (a step's error, an event message) comes from rotation functions and
 * providers; a NUL in it must not make the progress write fail, so it is stored as U+FFFD.
 */
export const storableMessage = (text: string | null): string | null => (text === null ? null : text.replaceAll('\u0000', '\uFFFD'));

/** A JSONB parameter: `pg` would send a JS array as a PostgreSQL array literal, so JSON is sent as text. */
export const jsonParam = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

export function toSecret(row: SecretRow): StoredSecret {
  return {
    arn: row.arn,
    name: row.name,
    description: orUndefined(row.description),
    kmsKeyId: orUndefined(row.kms_key_id),
    type: orUndefined(row.type),
    createdAt: row.created_at,
    lastChangedAt: row.last_changed_at,
    lastAccessedAt: orUndefined(row.last_accessed_at),
    deletedAt: orUndefined(row.deleted_at),
    purgeAt: orUndefined(row.purge_at),
    tags: orUndefined(row.tags),
    resourcePolicy: orUndefined(row.resource_policy),
    wrappedKey: row.wrapped_key,
  };
}

/** Parameters of `insertSecret`, in column order. */
export function secretValues(secret: StoredSecret): unknown[] {
  return [
    secret.arn,
    secret.name,
    orNull(secret.description),
    orNull(secret.kmsKeyId),
    orNull(secret.type),
    secret.createdAt,
    secret.lastChangedAt,
    orNull(secret.lastAccessedAt),
    orNull(secret.deletedAt),
    orNull(secret.purgeAt),
    jsonParam(secret.tags),
    orNull(secret.resourcePolicy),
    secret.wrappedKey,
  ];
}

export function toVersion(row: VersionRow): StoredVersion {
  return {
    versionId: row.version_id,
    createdAt: row.created_at,
    lastAccessedAt: orUndefined(row.last_accessed_at),
    kind: row.kind,
    sealedValue: orUndefined(row.sealed_value),
  };
}

export function toAccessKey(row: AccessKeyRow): StoredAccessKey {
  return {
    accessKeyId: row.access_key_id,
    sealedSecret: row.sealed_secret,
    name: row.name,
    createdAt: row.created_at,
    revokedAt: orUndefined(row.revoked_at),
    expiresAt: orUndefined(row.expires_at),
    sessionToken: orUndefined(row.session_token),
  };
}

/** Column (and its parameter cast) for each patchable field of a secret. */
export const secretColumns = {
  description: { column: 'description', cast: 'text' },
  kmsKeyId: { column: 'kms_key_id', cast: 'text' },
  type: { column: 'type', cast: 'text' },
  lastChangedAt: { column: 'last_changed_at', cast: 'bigint' },
  deletedAt: { column: 'deleted_at', cast: 'bigint' },
  purgeAt: { column: 'purge_at', cast: 'bigint' },
  tags: { column: 'tags', cast: 'jsonb' },
  resourcePolicy: { column: 'resource_policy', cast: 'text' },
} as const;
