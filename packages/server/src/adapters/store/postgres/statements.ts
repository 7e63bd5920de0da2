import { createHash } from 'node:crypto';
import type { QueryConfig } from 'pg';
import { AppError } from '../../../domain/errors.js';
import type { AccessKeyRow, SecretRow, VersionRow } from './rows.js';

/**
 * A statement with its parameters. `Row` is the shape of the rows it returns (a phantom:
 * only the executors below read it). The `name` makes `pg` prepare the statement once per
 * pooled connection and reuse the plan, the PostgreSQL counterpart of SQLite's prepared
 * statements.
 */
export interface Sql<Row> extends QueryConfig<unknown[]> {
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
  readonly rowShape?: Row;
}

/** A pool or a pooled client. */
export interface Queryable {
  query(config: QueryConfig<unknown[]>): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

export function statement<Args extends unknown[], Row = never>(name: string, text: string): (...values: Args) => Sql<Row> {
  return (...values) => ({ name, text, values });
}

/**
 * PostgreSQL's text and JSONB cannot hold U+0000, which the AWS API and SQLite accept in a
 * Description, a tag or a KmsKeyId: 22021 (invalid byte sequence for UTF8: 0x00, a text
 * parameter) and 22P05 (unsupported Unicode escape sequence, `\u0000` in JSONB). Such a
 * request is the caller's to fix, so it gets INVALID_PARAMETER (400), not a 500.
 */
const nulCharacterCodes = new Set(['22021', '22P05']);

async function query(db: Queryable, sql: Sql<unknown>): Promise<{ rows: unknown[]; rowCount: number | null }> {
  try {
    return await db.query(sql);
  } catch (error) {
    if (nulCharacterCodes.has((error as { code?: unknown }).code as string)) {
      throw new AppError('INVALID_PARAMETER', 'A text parameter contains the NUL character (U+0000), which the PostgreSQL store cannot hold.', {
        cause: error,
      });
    }
    throw error;
  }
}

export async function all<Row>(db: Queryable, sql: Sql<Row>): Promise<Row[]> {
  return (await query(db, sql)).rows as Row[];
}

export async function first<Row>(db: Queryable, sql: Sql<Row>): Promise<Row | undefined> {
  return (await query(db, sql)).rows[0] as Row | undefined;
}

/** Runs a write; resolves to the number of rows it touched. */
export async function run(db: Queryable, sql: Sql<unknown>): Promise<number> {
  return (await query(db, sql)).rowCount ?? 0;
}

/**
 * A prepared-statement name for a patch of `fields`. PostgreSQL cuts names at 63 bytes, and
 * two patches whose names agree on the first 63 would then share one prepared statement:
 * long names end in a hash of the whole field list instead.
 */
export function statementName(prefix: string, fields: readonly string[]): string {
  const full = `${prefix}-${fields.join('-')}`;
  if (full.length <= 63) return full;
  return `${prefix}-${createHash('sha256').update(full).digest('hex').slice(0, 24)}`;
}

/*
 * Columns are named, never `*`: a prepared statement's result shape is fixed, and a
 * connection that prepared `SELECT *` before a migration added a column would fail with
 * "cached plan must not change result type" during a rolling upgrade.
 */
const secretFields = `arn, name, description, kms_key_id, type, created_at, last_changed_at, last_accessed_at,
  deleted_at, purge_at, tags, resource_policy, wrapped_key`;
const versionFields = 'version_id, created_at, last_accessed_at, kind, sealed_value';
const accessKeyFields = 'access_key_id, sealed_secret, name, created_at, revoked_at, expires_at, session_token';

export const secretByArn = statement<[arn: string], SecretRow>('secret-by-arn', `SELECT ${secretFields} FROM secrets WHERE arn = $1`);
export const secretByName = statement<[name: string], SecretRow>('secret-by-name', `SELECT ${secretFields} FROM secrets WHERE name = $1`);

/*
 * Inside a transaction a secret is found *and locked*: every use case that changes a
 * secret finds it first, so two transactions on one secret queue here (the second waits
 * for the first to commit, then reads the committed row) and their label moves and
 * version inserts never interleave. READ COMMITTED takes a fresh snapshot per statement,
 * so everything read after the lock is granted (labels, versions) is current too.
 * FOR UPDATE rather than FOR NO KEY UPDATE: it also conflicts with the KEY SHARE lock a
 * foreign-key check takes, so no other transaction adds a version or label under a
 * locked secret, and a purge (a DELETE) needs no lock upgrade.
 */
export const secretByArnForUpdate = statement<[arn: string], SecretRow>(
  'secret-by-arn-for-update',
  `SELECT ${secretFields} FROM secrets WHERE arn = $1 FOR UPDATE`,
);
export const secretByNameForUpdate = statement<[name: string], SecretRow>(
  'secret-by-name-for-update',
  `SELECT ${secretFields} FROM secrets WHERE name = $1 FOR UPDATE`,
);

export const labels = statement<[arn: string], { label: string; version_id: string }>(
  'labels',
  'SELECT label, version_id FROM labels WHERE secret_arn = $1',
);
export const version = statement<[arn: string, versionId: string], VersionRow>(
  'version',
  `SELECT ${versionFields} FROM versions WHERE secret_arn = $1 AND version_id = $2`,
);
export const versions = statement<[arn: string], VersionRow>(
  'versions',
  `SELECT ${versionFields} FROM versions WHERE secret_arn = $1 ORDER BY seq`,
);
export const countVersions = statement<[arn: string], { n: number }>(
  'count-versions',
  'SELECT count(*) AS n FROM versions WHERE secret_arn = $1',
);

/*
 * Text order is COLLATE "C" (code point order), SQLite's BINARY order, whatever the
 * database's default collation: ListSecrets pages must not reorder across backends.
 */
const listOrder = {
  'created-date': 'created_at',
  'last-accessed-date': 'coalesce(last_accessed_at, 0)',
  'last-changed-date': 'last_changed_at',
  name: 'name COLLATE "C"',
} as const;

export function listSecrets(
  sortBy: keyof typeof listOrder,
  sortOrder: 'asc' | 'desc',
  includePlannedDeletion: boolean,
): Sql<SecretRow> {
  const column = listOrder[sortBy];
  return {
    name: `list-secrets-${sortBy}-${sortOrder}`,
    text: `SELECT ${secretFields} FROM secrets WHERE ($1::boolean OR deleted_at IS NULL)
      ORDER BY ${column} ${sortOrder}, arn COLLATE "C" ${sortOrder}`,
    values: [includePlannedDeletion],
  };
}

/** Parameters: rows.ts `secretValues`. */
export const insertSecret = statement<unknown[]>(
  'insert-secret',
  `INSERT INTO secrets (${secretFields})
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13)`,
);
export const purgeSecret = statement<[arn: string]>('purge-secret', 'DELETE FROM secrets WHERE arn = $1');

export const insertVersion = statement<
  [arn: string, versionId: string, createdAt: number, lastAccessedAt: number | null, kind: string, sealedValue: Buffer | null]
>(
  'insert-version',
  `INSERT INTO versions (secret_arn, version_id, created_at, last_accessed_at, kind, sealed_value)
   VALUES ($1, $2, $3, $4, $5, $6)`,
);
export const fillVersion = statement<[kind: string, sealedValue: Buffer, arn: string, versionId: string]>(
  'fill-version',
  "UPDATE versions SET kind = $1, sealed_value = $2 WHERE secret_arn = $3 AND version_id = $4 AND kind = 'empty'",
);
export const deleteVersions = statement<[arn: string, versionIds: readonly string[]]>(
  'delete-versions',
  'DELETE FROM versions WHERE secret_arn = $1 AND version_id = ANY ($2::text[])',
);
export const upsertLabel = statement<[arn: string, label: string, versionId: string]>(
  'upsert-label',
  `INSERT INTO labels (secret_arn, label, version_id) VALUES ($1, $2, $3)
   ON CONFLICT (secret_arn, label) DO UPDATE SET version_id = excluded.version_id`,
);
export const deleteLabel = statement<[arn: string, label: string]>(
  'delete-label',
  'DELETE FROM labels WHERE secret_arn = $1 AND label = $2',
);

/*
 * Access dates only move forward, and only once per day: on most reads both WHEREs are
 * false and nothing is written. One statement (a data-modifying CTE) for the secret and
 * the version: one round trip, one implicit transaction.
 */
export const recordAccess = statement<[day: number, arn: string, versionId: string]>(
  'record-access',
  `WITH touched AS (
     UPDATE secrets SET last_accessed_at = $1 WHERE arn = $2 AND coalesce(last_accessed_at, 0) < $1)
   UPDATE versions SET last_accessed_at = $1
   WHERE secret_arn = $2 AND version_id = $3 AND coalesce(last_accessed_at, 0) < $1`,
);
export const dueForPurge = statement<[now: number, limit: number], { arn: string }>(
  'due-for-purge',
  'SELECT arn FROM secrets WHERE purge_at IS NOT NULL AND purge_at <= $1 ORDER BY purge_at LIMIT $2',
);
export const appendAudit = statement<
  [at: number, actor: string, operation: string, secretArn: string | null, versionId: string | null]
>(
  'append-audit',
  'INSERT INTO audit_log (at, actor, operation, secret_arn, version_id) VALUES ($1, $2, $3, $4, $5)',
);
export const getMeta = statement<[key: string], { value: Buffer }>('get-meta', 'SELECT value FROM meta WHERE key = $1');
export const insertMeta = statement<[key: string, value: Buffer]>(
  'insert-meta',
  'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
);
export const insertAccessKey = statement<
  [
    accessKeyId: string,
    sealedSecret: Buffer,
    name: string,
    createdAt: number,
    revokedAt: number | null,
    expiresAt: number | null,
    sessionToken: string | null,
  ]
>('insert-access-key', `INSERT INTO access_keys (${accessKeyFields}) VALUES ($1, $2, $3, $4, $5, $6, $7)`);
export const accessKey = statement<[accessKeyId: string], AccessKeyRow>(
  'access-key',
  `SELECT ${accessKeyFields} FROM access_keys WHERE access_key_id = $1`,
);
export const accessKeys = statement<[], AccessKeyRow>(
  'access-keys',
  `SELECT ${accessKeyFields} FROM access_keys ORDER BY created_at, access_key_id COLLATE "C"`,
);
export const revokeAccessKey = statement<[at: number, accessKeyId: string]>(
  'revoke-access-key',
  'UPDATE access_keys SET revoked_at = coalesce(revoked_at, $1) WHERE access_key_id = $2',
);
