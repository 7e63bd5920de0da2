import type pg from 'pg';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lockClass } from './rotation-statements.js';

/** Numbered `.sql` files, shipped beside the package (not compiled), applied in id order. */
export const postgresMigrationsDir = fileURLToPath(new URL('../../../../migrations/postgres/', import.meta.url));

interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export function readMigrations(dir: string = postgresMigrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({ id: Number(file.slice(0, 4)), name: file, sql: readFileSync(`${dir}/${file}`, 'utf8') }));
}

/** `name` as a double-quoted SQL identifier (embedded quotes doubled). */
export function quoteIdentifier(name: string): string {
  if (name.length === 0 || name.includes('\u0000')) throw new Error('A schema name must be non-empty and contain no NUL');
  return `"${name.replaceAll('"', '""')}"`;
}

export interface MigrateOptions {
  /** Created when missing; the pool's connections must already have it as their search_path. */
  readonly schema?: string | undefined;
  readonly migrations?: readonly Migration[];
}

/**
 * Applies pending migrations, each in its own transaction that first inserts its id into
 * `migrations` (insert-first, as graphile-worker's migrate.ts does).
 *
 * Several replicas may start at once. Each migration transaction first takes a
 * transaction-scoped advisory lock (keyed by the schema, so installations sharing a
 * database do not wait on each other): starters queue there; the first inserts the id and
 * runs the SQL; the next ones, let in after it commits, find the id (ON CONFLICT DO
 * NOTHING inserts nothing) and skip. DDL is transactional in PostgreSQL, so a migration
 * that fails leaves neither its tables nor its id behind. Without the lock, a second
 * starter's INSERT would wait on the first one's uncommitted id anyway, but CREATE SCHEMA
 * IF NOT EXISTS and CREATE TABLE IF NOT EXISTS are not race-safe by themselves (both can
 * fail with a unique violation on the catalog), so the bootstrap takes it too.
 */
export async function migrate(pool: pg.Pool, options: MigrateOptions = {}): Promise<number[]> {
  const migrations = options.migrations ?? readMigrations();
  const client = await pool.connect();
  let broken: Error | undefined;
  const inTransaction = async <T>(work: () => Promise<T>): Promise<T> => {
    await client.query('BEGIN');
    try {
      // current_schema() is NULL until the schema exists, so the configured name is the key.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext(coalesce($2, current_schema())))', [
        lockClass.migrations,
        options.schema ?? null,
      ]);
      const result = await work();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    }
  };
  try {
    await inTransaction(async () => {
      if (options.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(options.schema)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS migrations (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    });
    const applied: number[] = [];
    for (const migration of migrations) {
      const ran = await inTransaction(async () => {
        const inserted = await client.query(
          'INSERT INTO migrations (id, name, applied_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
          [migration.id, migration.name, Date.now()],
        );
        if (inserted.rowCount === 0) return false;
        // No parameters: the simple-query protocol runs a file of several statements.
        await client.query(migration.sql);
        return true;
      });
      if (ran) applied.push(migration.id);
    }
    return applied;
  } finally {
    client.release(broken);
  }
}
