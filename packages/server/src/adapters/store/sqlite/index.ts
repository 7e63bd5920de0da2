import Database from 'better-sqlite3';
import type { AccessKeyStore, StoredAccessKey } from '../../../ports/access-key-store.js';
import type { FunctionStore } from '../../../ports/function-store.js';
import type { AuditRecord } from '../../../ports/audit-sink.js';
import type { MetaStore } from '../../../ports/meta-store.js';
import type {
  SecretPatch,
  SecretReader,
  SecretStore,
  SecretStoreTransaction,
  StoredSecret,
  StoredVersion,
} from '../../../ports/secret-store.js';
import { migrate } from './migrate.js';
import { GroupCommitter } from './group-commit.js';
import { ReadCache } from './read-cache.js';
import { createFunctionStore, createRotationQueries, createRotationRecords } from './rotation-records.js';
import { toRotationConfig } from './rotation-rows.js';
import { prepareRotationStatements, type RotationStatements } from './rotation-statements.js';
import { secretColumns, toAccessKey, toSecret, toVersion } from './rows.js';
import { prepareStatements, type Statements } from './statements.js';

export type SqliteStore = SecretStore & AccessKeyStore & MetaStore & FunctionStore;

export interface SqliteStoreOptions {
  /** Path of the database file; WAL and SHM files sit beside it. */
  readonly path: string;
}

function openConnection(path: string, readonly: boolean): Database.Database {
  const db = new Database(path, { readonly, fileMustExist: readonly });
  // Another connection may hold the write lock for a moment (a second process, the CLI).
  db.pragma('busy_timeout = 5000');
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    // FULL: a commit is fsynced before it is acknowledged, so an acknowledged write
    // (a refresh token, say) survives kill -9 and power loss (DESIGN: storage).
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
  }
  return db;
}

/** Loads through `cache` when given (the reader connection), straight from SQLite otherwise. */
type Lookup = <T>(key: string, load: () => T) => T;
const direct: Lookup = (_key, load) => load();

function createReader(sql: Statements, rotationSql: RotationStatements, lookup: Lookup = direct): SecretReader {
  return {
    async getRotationConfig(arn) {
      return lookup(`rc\u0000${arn}`, () => {
        const row = rotationSql.rotationConfig.get(arn);
        return row && toRotationConfig(row);
      });
    },
    async findSecretByArn(arn) {
      return lookup(`sa\u0000${arn}`, () => {
        const row = sql.secretByArn.get(arn);
        return row && toSecret(row);
      });
    },
    async findSecretByName(name) {
      return lookup(`sn\u0000${name}`, () => {
        const row = sql.secretByName.get(name);
        return row && toSecret(row);
      });
    },
    async getLabels(arn) {
      const labels = lookup(`l\u0000${arn}`, () => {
        const loaded = new Map<string, string>();
        for (const row of sql.labels.all(arn)) loaded.set(row.label, row.version_id);
        return loaded;
      });
      // A copy: callers may build on it, and the cached map must stay as loaded.
      return new Map(labels);
    },
    async getVersion(arn, versionId) {
      return lookup(`v\u0000${arn}\u0000${versionId}`, () => {
        const row = sql.version.get(arn, versionId);
        return row && toVersion(row);
      });
    },
    async listVersions(arn) {
      return sql.versions.all(arn).map(toVersion);
    },
    async countVersions(arn) {
      return sql.countVersions.get(arn)?.n ?? 0;
    },
    async listSecrets(query) {
      const statement = sql.listSecrets.get(`${query.sortBy}:${query.sortOrder}`);
      if (!statement) throw new Error(`No listing for ${query.sortBy} ${query.sortOrder}`);
      return statement.all(query.includePlannedDeletion ? 1 : 0).map(toSecret);
    },
  };
}

function secretRow(secret: StoredSecret) {
  return {
    arn: secret.arn,
    name: secret.name,
    description: secret.description ?? null,
    kms_key_id: secret.kmsKeyId ?? null,
    type: secret.type ?? null,
    created_at: secret.createdAt,
    last_changed_at: secret.lastChangedAt,
    last_accessed_at: secret.lastAccessedAt ?? null,
    deleted_at: secret.deletedAt ?? null,
    purge_at: secret.purgeAt ?? null,
    tags: secret.tags === undefined ? null : JSON.stringify(secret.tags),
    resource_policy: secret.resourcePolicy ?? null,
    wrapped_key: secret.wrappedKey,
  };
}

function createTransaction(db: Database.Database, sql: Statements, rotationSql: RotationStatements): SecretStoreTransaction {
  const patchStatements = new Map<string, Database.Statement>();
  return {
    ...createReader(sql, rotationSql),
    ...createRotationRecords(db, rotationSql),
    async insertSecret(secret) {
      sql.insertSecret.run(secretRow(secret));
    },
    async updateSecret(arn, patch: SecretPatch) {
      const fields = (Object.keys(patch) as (keyof SecretPatch)[]).filter((field) => field in secretColumns).sort();
      if (fields.length === 0) return;
      const key = fields.join(',');
      let statement = patchStatements.get(key);
      if (!statement) {
        const assignments = fields.map((field) => `${secretColumns[field]} = @${field}`).join(', ');
        statement = db.prepare(`UPDATE secrets SET ${assignments} WHERE arn = @arn`);
        patchStatements.set(key, statement);
      }
      const values: Record<string, unknown> = { arn };
      for (const field of fields) {
        const value = patch[field];
        values[field] = field === 'tags' ? (value === undefined ? null : JSON.stringify(value)) : (value ?? null);
      }
      statement.run(values);
    },
    async purgeSecret(arn) {
      sql.purgeSecret.run(arn);
    },
    async insertVersion(arn, version: StoredVersion) {
      sql.insertVersion.run({
        secret_arn: arn,
        version_id: version.versionId,
        created_at: version.createdAt,
        last_accessed_at: version.lastAccessedAt ?? null,
        kind: version.kind,
        sealed_value: version.sealedValue ?? null,
      });
    },
    async fillVersion(arn, versionId, kind, sealedValue) {
      sql.fillVersion.run(kind, sealedValue, arn, versionId);
    },
    async deleteVersions(arn, versionIds) {
      for (const versionId of versionIds) sql.deleteVersion.run(arn, versionId);
    },
    async setLabel(arn, label, versionId) {
      if (versionId === null) sql.deleteLabel.run(arn, label);
      else sql.upsertLabel.run(arn, label, versionId);
    },
    async appendAudit(record: AuditRecord) {
      sql.appendAudit.run({
        at: record.at,
        actor: record.actor,
        operation: record.operation,
        secret_arn: record.secretArn ?? null,
        version_id: record.versionId ?? null,
      });
    },
  };
}

/**
 * The embedded store: one writer connection whose transactions are group-committed
 * (group-commit.ts), and one reader connection that sees only committed data (WAL
 * lets it read while the writer writes).
 */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const writer = openConnection(options.path, false);
  migrate(writer);
  const reader = openConnection(options.path, true);
  const writeSql = prepareStatements(writer);
  const readSql = prepareStatements(reader);
  const writeRotationSql = prepareRotationStatements(writer);
  const readRotationSql = prepareRotationStatements(reader);
  const tx = createTransaction(writer, writeSql, writeRotationSql);
  const cache = new ReadCache(reader);
  const committer = new GroupCommitter(writer, { afterCommit: () => cache.invalidate() });
  const write = <T>(work: () => T | Promise<T>): Promise<T> => committer.run(work);
  const lookup: Lookup = (key, load) => cache.get(key, load);

  return {
    ...createReader(readSql, readRotationSql, lookup),
    ...createRotationQueries(readRotationSql, writeRotationSql, write),
    ...createFunctionStore(readRotationSql, writeRotationSql, write),
    transaction: (work) => write(() => work(tx)),
    async recordAccess(arn, versionId, day) {
      await write(() => {
        writeSql.touchSecretAccess.run(day, arn, day);
        writeSql.touchVersionAccess.run(day, arn, versionId, day);
      });
    },
    async findSecretsDueForPurge(now, limit) {
      return readSql.dueForPurge.all(now, limit).map((row) => row.arn);
    },
    async getMeta(key) {
      return readSql.getMeta.get(key)?.value;
    },
    async getOrCreateMeta(key, create) {
      return write(() => {
        writeSql.insertMeta.run(key, create());
        const stored = writeSql.getMeta.get(key);
        if (!stored) throw new Error(`meta ${key} missing after insert`);
        return stored.value;
      });
    },
    async insertAccessKey(key: StoredAccessKey) {
      await write(() => {
        writeSql.insertAccessKey.run({
          access_key_id: key.accessKeyId,
          sealed_secret: key.sealedSecret,
          name: key.name,
          created_at: key.createdAt,
          revoked_at: key.revokedAt ?? null,
          expires_at: key.expiresAt ?? null,
          session_token: key.sessionToken ?? null,
        });
      });
    },
    async findAccessKey(accessKeyId) {
      return lookup(`ak\u0000${accessKeyId}`, () => {
        const row = readSql.accessKey.get(accessKeyId);
        return row && toAccessKey(row);
      });
    },
    async listAccessKeys() {
      return readSql.accessKeys.all().map(toAccessKey);
    },
    async revokeAccessKey(accessKeyId, at) {
      return write(() => writeSql.revokeAccessKey.run(at, accessKeyId).changes > 0);
    },
    async close() {
      await committer.drain();
      reader.close();
      writer.close();
    },
  };
}
