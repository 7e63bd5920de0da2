import pg from 'pg';
import { statementName } from './statements.js';
import type { AccessKeyStore, StoredAccessKey } from '../../../ports/access-key-store.js';
import type { AuditRecord } from '../../../ports/audit-sink.js';
import type { FunctionStore } from '../../../ports/function-store.js';
import type { MetaStore } from '../../../ports/meta-store.js';
import type {
  SecretPatch,
  SecretReader,
  SecretStore,
  SecretStoreTransaction,
  StoredSecret,
  StoredVersion,
} from '../../../ports/secret-store.js';
import { migrate, quoteIdentifier } from './migrate.js';
import { createFunctionStore, createRotationQueries, createRotationRecords } from './rotation-records.js';
import { toRotationConfig } from './rotation-rows.js';
import { rotationConfig } from './rotation-statements.js';
import { jsonParam, pgTypes, secretColumns, secretValues, toAccessKey, toSecret, toVersion } from './rows.js';
import * as sql from './statements.js';
import { all, first, run, type Queryable, type Sql } from './statements.js';

export type PostgresStore = SecretStore & AccessKeyStore & MetaStore & FunctionStore;

export interface PostgresStoreOptions {
  /** A libpq-style URL, e.g. `postgres://rotor@db.internal:5432/rotor`. */
  readonly connectionString: string;
  /**
   * Schema holding Rotor's tables, created when missing; every pooled connection runs
   * with `search_path` set to it.
   * @default the connection's own search_path (normally `public`)
   */
  readonly schema?: string | undefined;
  /** @default 10 */
  readonly poolSize?: number | undefined;
}

/**
 * How often a transaction is run when it loses a race, and how long to wait between
 * tries (full jitter: a random wait up to base × 2^(try−1), so racing replicas spread out).
 */
const retry = { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 250 } as const;

/*
 * SQLSTATEs after which a transaction is run again from the start:
 * - 40001 serialization_failure and 40P01 deadlock_detected: PostgreSQL rolled the
 *   transaction back to resolve a conflict with another one; a rerun sees its result.
 * - 23505 unique_violation: a concurrent transaction inserted the same key and committed
 *   while this one ran. Every use case looks before it inserts (CreateSecret finds the
 *   name, PutSecretValue finds the version id, RotateSecret the active rotation), but under
 *   READ COMMITTED two replicas can both look, both find nothing, and both insert; the
 *   loser's INSERT waits for the winner's commit and then fails. Run again, it finds the
 *   committed row and takes the path a later call would take: a retried CreateSecret or
 *   PutSecretValue with the same ClientRequestToken answers as the first call did (its
 *   idempotent path), a different one gets ResourceExistsException. So concurrent calls
 *   with one token on several replicas behave as one call, as on SQLite's single writer.
 *   A unique violation that is not a race (inserting a duplicate outright) fails the same
 *   way on every try and surfaces after the last one.
 */
const retryableCodes = new Set(['40001', '40P01', '23505']);

function isRetryable(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code !== undefined && retryableCodes.has(error.code);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function createReader(db: Queryable, lockSecrets: boolean): SecretReader {
  const byArn = lockSecrets ? sql.secretByArnForUpdate : sql.secretByArn;
  const byName = lockSecrets ? sql.secretByNameForUpdate : sql.secretByName;
  return {
    async getRotationConfig(arn) {
      const row = await first(db, rotationConfig(arn));
      return row && toRotationConfig(row);
    },
    async findSecretByArn(arn) {
      const row = await first(db, byArn(arn));
      return row && toSecret(row);
    },
    async findSecretByName(name) {
      const row = await first(db, byName(name));
      return row && toSecret(row);
    },
    async getLabels(arn) {
      const labels = new Map<string, string>();
      for (const row of await all(db, sql.labels(arn))) labels.set(row.label, row.version_id);
      return labels;
    },
    async getVersion(arn, versionId) {
      const row = await first(db, sql.version(arn, versionId));
      return row && toVersion(row);
    },
    async listVersions(arn) {
      return (await all(db, sql.versions(arn))).map(toVersion);
    },
    async countVersions(arn) {
      return (await first(db, sql.countVersions(arn)))?.n ?? 0;
    },
    async listSecrets(query) {
      return (await all(db, sql.listSecrets(query.sortBy, query.sortOrder, query.includePlannedDeletion))).map(toSecret);
    },
  };
}

/** A transaction's store methods, all on its one pooled client. */
function createTransaction(client: Queryable): SecretStoreTransaction {
  return {
    ...createReader(client, true),
    ...createRotationRecords(client),
    async insertSecret(secret: StoredSecret) {
      await run(client, sql.insertSecret(...secretValues(secret)));
    },
    async updateSecret(arn, patch: SecretPatch) {
      const fields = (Object.keys(patch) as (keyof SecretPatch)[]).filter((field) => field in secretColumns).sort();
      if (fields.length === 0) return;
      const assignments = fields.map((field, i) => `${secretColumns[field].column} = $${i + 2}::${secretColumns[field].cast}`);
      const update: Sql<never> = {
        name: statementName('update-secret', fields),
        text: `UPDATE secrets SET ${assignments.join(', ')} WHERE arn = $1`,
        values: [arn, ...fields.map((field) => (field === 'tags' ? jsonParam(patch.tags) : (patch[field] ?? null)))],
      };
      await run(client, update);
    },
    async purgeSecret(arn) {
      await run(client, sql.purgeSecret(arn));
    },
    async insertVersion(arn, version: StoredVersion) {
      await run(
        client,
        sql.insertVersion(arn, version.versionId, version.createdAt, version.lastAccessedAt ?? null, version.kind, version.sealedValue ?? null),
      );
    },
    async fillVersion(arn, versionId, kind, sealedValue) {
      await run(client, sql.fillVersion(kind, sealedValue, arn, versionId));
    },
    async deleteVersions(arn, versionIds) {
      if (versionIds.length > 0) await run(client, sql.deleteVersions(arn, versionIds));
    },
    async setLabel(arn, label, versionId) {
      if (versionId === null) await run(client, sql.deleteLabel(arn, label));
      else await run(client, sql.upsertLabel(arn, label, versionId));
    },
    async appendAudit(record: AuditRecord) {
      await run(client, sql.appendAudit(record.at, record.actor, record.operation, record.secretArn ?? null, record.versionId ?? null));
    },
  };
}

/**
 * Runs `work` in a READ COMMITTED transaction on one pooled client, and runs it again
 * (up to `retry.maxAttempts` times) when it lost a race (see `retryableCodes`). A body
 * may therefore run more than once: it must do store work only, as the port requires.
 */
async function runTransaction<T>(pool: pg.Pool, work: (tx: SecretStoreTransaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await work(createTransaction(client));
      const committed = await client.query('COMMIT');
      // A body that caught a failed statement and went on leaves the transaction aborted;
      // PostgreSQL then answers COMMIT with ROLLBACK instead of an error. Say so.
      if (committed.command === 'ROLLBACK') throw new Error('The transaction was rolled back: a statement in it had failed.');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is gone: drop it from the pool instead of reusing it.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      if (attempt >= retry.maxAttempts || !isRetryable(error)) throw error;
    } finally {
      client.release(broken);
    }
    await sleep(Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1)));
  }
}

/**
 * The multi-replica store: a connection pool; each transaction holds one connection from
 * BEGIN to COMMIT, reads outside transactions take any free connection and see committed
 * data only. Migrations run before the store is returned.
 *
 * @example
 * const store = await createPostgresStore({ connectionString: process.env.ROTOR_DATABASE_URL!, schema: 'rotor' });
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const searchPath = options.schema === undefined ? undefined : `SET search_path TO ${quoteIdentifier(options.schema)}`;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    types: pgTypes,
    application_name: 'rotor',
    // Awaited before the pool hands the connection out; if it fails the connection is
    // discarded and the caller gets the error, so no statement ever runs in another schema.
    onConnect: searchPath === undefined ? undefined : async (client) => void (await client.query(searchPath)),
  });
  // An idle connection that dies (server restart, network) is removed by the pool; without
  // a listener its 'error' event would crash the process. The next query reconnects.
  pool.on('error', () => undefined);
  try {
    await migrate(pool, { schema: options.schema });
  } catch (error) {
    await pool.end();
    throw error;
  }
  let closed = false;

  return {
    ...createReader(pool, false),
    ...createRotationQueries(pool),
    ...createFunctionStore(pool),
    transaction: (work) => runTransaction(pool, work),
    async recordAccess(arn, versionId, day) {
      await run(pool, sql.recordAccess(day, arn, versionId));
    },
    async findSecretsDueForPurge(now, limit) {
      return (await all(pool, sql.dueForPurge(now, limit))).map((row) => row.arn);
    },
    async getMeta(key) {
      return (await first(pool, sql.getMeta(key)))?.value;
    },
    async getOrCreateMeta(key, create) {
      const existing = await first(pool, sql.getMeta(key));
      if (existing) return existing.value;
      // A replica starting at the same moment may insert first: ON CONFLICT keeps its
      // value (the INSERT waits for its commit), and both read back the one stored.
      await run(pool, sql.insertMeta(key, create()));
      const stored = await first(pool, sql.getMeta(key));
      if (!stored) throw new Error(`meta ${key} missing after insert`);
      return stored.value;
    },
    async insertAccessKey(key: StoredAccessKey) {
      await run(
        pool,
        sql.insertAccessKey(
          key.accessKeyId,
          key.sealedSecret,
          key.name,
          key.createdAt,
          key.revokedAt ?? null,
          key.expiresAt ?? null,
          key.sessionToken ?? null,
        ),
      );
    },
    async findAccessKey(accessKeyId) {
      const row = await first(pool, sql.accessKey(accessKeyId));
      return row && toAccessKey(row);
    },
    async listAccessKeys() {
      return (await all(pool, sql.accessKeys())).map(toAccessKey);
    },
    async revokeAccessKey(accessKeyId, at) {
      return (await run(pool, sql.revokeAccessKey(at, accessKeyId))) > 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
