import type Database from 'better-sqlite3';
import type { AccessKeyRow, SecretRow, VersionRow } from './rows.js';

/**
 * Every statement the store runs, prepared once per connection (one function per
 * statement, as graphile-worker's `sql/` folder). The reader and the writer connection
 * each get their own set.
 */
export function prepareStatements(db: Database.Database) {
  const secretByArn = db.prepare<[string], SecretRow>('SELECT * FROM secrets WHERE arn = ?');
  const secretByName = db.prepare<[string], SecretRow>('SELECT * FROM secrets WHERE name = ?');
  const labels = db.prepare<[string], { label: string; version_id: string }>(
    'SELECT label, version_id FROM labels WHERE secret_arn = ?',
  );
  const version = db.prepare<[string, string], VersionRow>(
    'SELECT version_id, created_at, last_accessed_at, kind, sealed_value FROM versions WHERE secret_arn = ? AND version_id = ?',
  );
  const versions = db.prepare<[string], VersionRow>(
    'SELECT version_id, created_at, last_accessed_at, kind, sealed_value FROM versions WHERE secret_arn = ? ORDER BY seq',
  );
  const countVersions = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM versions WHERE secret_arn = ?');
  const orderBy = {
    'created-date': 'created_at',
    'last-accessed-date': 'coalesce(last_accessed_at, 0)',
    'last-changed-date': 'last_changed_at',
    name: 'name',
  } as const;
  const listSecrets = new Map<string, Database.Statement<[number], SecretRow>>();
  for (const [key, column] of Object.entries(orderBy)) {
    for (const order of ['asc', 'desc'] as const) {
      listSecrets.set(
        `${key}:${order}`,
        db.prepare<[number], SecretRow>(
          `SELECT * FROM secrets WHERE (? = 1 OR deleted_at IS NULL) ORDER BY ${column} ${order}, arn ${order}`,
        ),
      );
    }
  }
  return {
    secretByArn,
    secretByName,
    labels,
    version,
    versions,
    countVersions,
    listSecrets,
    insertSecret: db.prepare(
      `INSERT INTO secrets (arn, name, description, kms_key_id, type, created_at, last_changed_at, last_accessed_at,
         deleted_at, purge_at, tags, resource_policy, wrapped_key)
       VALUES (@arn, @name, @description, @kms_key_id, @type, @created_at, @last_changed_at, @last_accessed_at,
         @deleted_at, @purge_at, @tags, @resource_policy, @wrapped_key)`,
    ),
    purgeSecret: db.prepare<[string]>('DELETE FROM secrets WHERE arn = ?'),
    insertVersion: db.prepare(
      `INSERT INTO versions (secret_arn, version_id, seq, created_at, last_accessed_at, kind, sealed_value)
       VALUES (@secret_arn, @version_id,
         (SELECT coalesce(max(seq), 0) + 1 FROM versions WHERE secret_arn = @secret_arn),
         @created_at, @last_accessed_at, @kind, @sealed_value)`,
    ),
    fillVersion: db.prepare<[string, Buffer, string, string]>(
      "UPDATE versions SET kind = ?, sealed_value = ? WHERE secret_arn = ? AND version_id = ? AND kind = 'empty'",
    ),
    deleteVersion: db.prepare<[string, string]>('DELETE FROM versions WHERE secret_arn = ? AND version_id = ?'),
    upsertLabel: db.prepare<[string, string, string]>(
      `INSERT INTO labels (secret_arn, label, version_id) VALUES (?, ?, ?)
       ON CONFLICT (secret_arn, label) DO UPDATE SET version_id = excluded.version_id`,
    ),
    deleteLabel: db.prepare<[string, string]>('DELETE FROM labels WHERE secret_arn = ? AND label = ?'),
    // Access dates only move forward, and only once per day: reads stay reads on most calls.
    touchSecretAccess: db.prepare<[number, string, number]>(
      'UPDATE secrets SET last_accessed_at = ? WHERE arn = ? AND coalesce(last_accessed_at, 0) < ?',
    ),
    touchVersionAccess: db.prepare<[number, string, string, number]>(
      'UPDATE versions SET last_accessed_at = ? WHERE secret_arn = ? AND version_id = ? AND coalesce(last_accessed_at, 0) < ?',
    ),
    dueForPurge: db.prepare<[number, number], { arn: string }>(
      'SELECT arn FROM secrets WHERE purge_at IS NOT NULL AND purge_at <= ? ORDER BY purge_at LIMIT ?',
    ),
    appendAudit: db.prepare(
      `INSERT INTO audit_log (at, actor, operation, secret_arn, version_id)
       VALUES (@at, @actor, @operation, @secret_arn, @version_id)`,
    ),
    getMeta: db.prepare<[string], { value: Buffer }>('SELECT value FROM meta WHERE key = ?'),
    insertMeta: db.prepare<[string, Buffer]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
    insertAccessKey: db.prepare(
      `INSERT INTO access_keys (access_key_id, sealed_secret, name, created_at, revoked_at, expires_at, session_token)
       VALUES (@access_key_id, @sealed_secret, @name, @created_at, @revoked_at, @expires_at, @session_token)`,
    ),
    accessKey: db.prepare<[string], AccessKeyRow>('SELECT * FROM access_keys WHERE access_key_id = ?'),
    accessKeys: db.prepare<[], AccessKeyRow>('SELECT * FROM access_keys ORDER BY created_at, access_key_id'),
    revokeAccessKey: db.prepare<[number, string]>(
      'UPDATE access_keys SET revoked_at = coalesce(revoked_at, ?) WHERE access_key_id = ?',
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
