import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresStore, type PostgresStore } from '../../src/adapters/store/postgres/index.js';

/**
 * PostgreSQL for tests: one database, a fresh schema per test (or per file), dropped in
 * cleanup (pg-boss `test/hooks.ts`). `ROTOR_TEST_DATABASE_URL` points elsewhere; the
 * default is the local server with trust auth.
 */
export const testDatabaseUrl = process.env.ROTOR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function newSchemaName(prefix = 'rotor_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replaceAll('"', '""')}" CASCADE`);
  } finally {
    await client.end();
  }
}

export interface TestPostgresStore {
  readonly store: PostgresStore;
  readonly schema: string;
  /** Closes the store and drops its schema. */
  cleanup(): Promise<void>;
}

/** A store on a schema of its own. */
export async function openTestPostgresStore(schema = newSchemaName()): Promise<TestPostgresStore> {
  const store = await createPostgresStore({ connectionString: testDatabaseUrl, schema });
  return {
    store,
    schema,
    async cleanup() {
      await store.close();
      await dropSchema(schema);
    },
  };
}

/** Another store (another replica, in effect) on an existing schema; its cleanup drops nothing. */
export async function openPostgresReplica(schema: string): Promise<{ store: PostgresStore; cleanup(): Promise<void> }> {
  const store = await createPostgresStore({ connectionString: testDatabaseUrl, schema });
  return { store, cleanup: () => store.close() };
}
