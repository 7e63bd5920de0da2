import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresStore, type PostgresStore } from '../../src/adapters/store/postgres/index.js';

/**
 * PostgreSQL for tests: one database, a fresh schema per test (or per file), dropped in
 * cleanup (pg-boss `test/hooks.ts`). `ROTOR_TEST_DATABASE_URL` points elsewhere; the
 * default is the local server with trust auth.
 */
export const testDatabaseUrl = process.env.ROTOR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `testDatabaseUrl` with another database name (same server, user and options). */
function urlOfDatabase(name: string): string {
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onMaintenanceDatabase<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlOfDatabase('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
}

/**
 * A fresh, empty database for one Rotor server (or one set of replicas), for the server
 * suites run on PostgreSQL (`ROTOR_TEST_BACKEND=postgres`): a whole database rather than a
 * schema, because `rotor serve --database` has no schema option. Creating one takes
 * ~0.1-0.3 s (a copy of template1); drop it with `dropTestDatabase`.
 */
export async function createTestDatabase(prefix = 'rotor_t'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await onMaintenanceDatabase((client) => client.query(`CREATE DATABASE "${name}"`));
  return { name, url: urlOfDatabase(name) };
}

/** Drops a test database, ending the connections a killed or still running server left open. */
export async function dropTestDatabase(name: string): Promise<void> {
  await onMaintenanceDatabase((client) => client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`));
}

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
