import { randomBytes } from 'node:crypto';
import { createConnection, type Connection } from 'mysql2/promise';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

/**
 * The real servers the database rotators are tested against, each behind one shape:
 * create an application user (with the grants an application has) and a master user
 * (with the grants docs/rotators/<engine>.md lists, no more), log in the way an
 * application does, and clean up. Names carry a random run id, so reruns and parallel
 * files never collide; `cleanup` drops every user the run created, clones included.
 *
 * - PostgreSQL: a private cluster with SCRAM on every TCP login (private-postgres.ts).
 * - MariaDB/MySQL: 127.0.0.1:3306, root without a password, database `test`
 *   (ROTOR_TEST_MYSQL_HOST / _PORT / _USER / _PASSWORD override).
 * - Redis: 127.0.0.1:6379, the default user (ROTOR_TEST_REDIS_HOST / _PORT override).
 */
export interface Credential {
  readonly username: string;
  readonly password: string;
}

export interface EngineHarness {
  readonly kind: 'postgres' | 'mysql' | 'redis';
  /** The run's prefix for user names. */
  readonly prefix: string;
  /** The connection fields of the secret JSON: engine, host, port, dbname. */
  readonly secretFields: Readonly<Record<string, unknown>>;
  /** Whether an application user may change its own password (single-user without a master). */
  readonly selfService: boolean;
  createAppUser(credential: Credential): Promise<void>;
  createMasterUser(credential: Credential): Promise<void>;
  /** A password change behind Rotor's back (a DBA, a drifted replica). */
  setPasswordDirectly(credential: Credential): Promise<void>;
  /**
   * Logs in and runs the application's query: true, or false when the password is refused;
   * throws on anything else. `tls` (PostgreSQL) forces TLS on or off; by default it is used
   * for the users `tls.requireTls` named.
   */
  login(credential: Credential, options?: { tls?: boolean }): Promise<boolean>;
  /** PostgreSQL only: the server's certificate, and making a user (and its clone) TLS-only. */
  readonly tls?: { readonly ca: string; requireTls(username: string): Promise<void> };
  cleanup(): Promise<void>;
}

export function runId(): string {
  return randomBytes(3).toString('hex');
}

/** A password for test users (never printed). */
export function testPassword(): string {
  return randomBytes(18).toString('base64url');
}

export async function postgresHarness(): Promise<EngineHarness> {
  const cluster: PrivatePostgres = await startPrivatePostgres({ tls: true });
  const tlsUsers = new Set<string>();
  const prefix = `rt${runId()}`;
  const admin = await cluster.admin();
  await admin.query('CREATE DATABASE app');
  await admin.end();
  const app = await cluster.admin('app');
  await app.query('CREATE TABLE items (id serial PRIMARY KEY, name text)');
  await app.query("INSERT INTO items (name) VALUES ('one')");
  const ident = (name: string) => app.escapeIdentifier(name);
  const literal = (text: string) => app.escapeLiteral(text);
  return {
    kind: 'postgres',
    prefix,
    secretFields: { engine: 'postgres', host: cluster.host, port: cluster.port, dbname: 'app' },
    selfService: true,
    async createAppUser({ username, password }) {
      await app.query(`CREATE ROLE ${ident(username)} LOGIN PASSWORD ${literal(password)}`);
      await app.query(`GRANT SELECT, INSERT ON items TO ${ident(username)}`);
    },
    async createMasterUser({ username, password }) {
      // docs/rotators/postgres.md: CREATEROLE, not a superuser.
      await app.query(`CREATE ROLE ${ident(username)} LOGIN CREATEROLE PASSWORD ${literal(password)}`);
    },
    async setPasswordDirectly({ username, password }) {
      await app.query(`ALTER ROLE ${ident(username)} PASSWORD ${literal(password)}`);
    },
    tls: {
      ca: cluster.ca!,
      async requireTls(username) {
        await app.query(`GRANT tls_only TO ${ident(username)}`);
        tlsUsers.add(username).add(`${username}_clone`);
      },
    },
    async login({ username, password }, options = {}) {
      const tls = options.tls ?? tlsUsers.has(username);
      const client = new pg.Client({
        host: cluster.host,
        port: cluster.port,
        user: username,
        password,
        database: 'app',
        connectionTimeoutMillis: 5_000,
        ssl: tls ? { ca: cluster.ca!, rejectUnauthorized: true } : false,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        if ((error as { code?: string }).code === '28P01') return false;
        throw error;
      }
      try {
        await client.query('SELECT count(*) FROM items');
        return true;
      } finally {
        await client.end();
      }
    },
    async cleanup() {
      await app.end().catch(() => undefined);
      await cluster.stop();
    },
  };
}

export async function mysqlHarness(): Promise<EngineHarness> {
  const host = process.env.ROTOR_TEST_MYSQL_HOST ?? '127.0.0.1';
  const port = Number(process.env.ROTOR_TEST_MYSQL_PORT ?? 3306);
  const prefix = `rt${runId()}`;
  const table = `test.${prefix}_items`;
  const admin: Connection = await createConnection({
    host,
    port,
    user: process.env.ROTOR_TEST_MYSQL_USER ?? 'root',
    password: process.env.ROTOR_TEST_MYSQL_PASSWORD ?? '',
    database: 'test',
  });
  await admin.query(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40))`);
  await admin.query(`INSERT INTO ${table} (name) VALUES ('one')`);
  const users = new Set<string>();
  const account = (name: string) => `${admin.escape(name)}@'%'`;
  return {
    kind: 'mysql',
    prefix,
    secretFields: { engine: 'mariadb', host, port, dbname: 'test' },
    selfService: true,
    async createAppUser({ username, password }) {
      users.add(username);
      users.add(`${username}_clone`);
      await admin.query(`CREATE USER ${account(username)} IDENTIFIED BY ?`, [password]);
      await admin.query(`GRANT SELECT, INSERT ON ${table} TO ${account(username)}`);
    },
    async createMasterUser({ username, password }) {
      users.add(username);
      // docs/rotators/mysql.md: CREATE USER, read access to the grant tables, and the
      // application's privileges WITH GRANT OPTION (to copy them to the clone).
      await admin.query(`CREATE USER ${account(username)} IDENTIFIED BY ?`, [password]);
      await admin.query(`GRANT CREATE USER ON *.* TO ${account(username)}`);
      await admin.query(`GRANT SELECT ON mysql.* TO ${account(username)}`);
      await admin.query(`GRANT SELECT, INSERT ON test.* TO ${account(username)} WITH GRANT OPTION`);
    },
    async setPasswordDirectly({ username, password }) {
      await admin.query(`ALTER USER ${account(username)} IDENTIFIED BY ?`, [password]);
    },
    async login({ username, password }) {
      let connection: Connection;
      try {
        connection = await createConnection({ host, port, user: username, password, database: 'test', connectTimeout: 5_000 });
      } catch (error) {
        const errno = (error as { errno?: number }).errno;
        if (errno === 1045 || errno === 1698) return false;
        throw error;
      }
      try {
        await connection.query(`SELECT count(*) FROM ${table}`);
        return true;
      } finally {
        await connection.end();
      }
    },
    async cleanup() {
      for (const user of users) await admin.query(`DROP USER IF EXISTS ${account(user)}`);
      await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.end();
    },
  };
}

export async function redisHarness(): Promise<EngineHarness> {
  const host = process.env.ROTOR_TEST_REDIS_HOST ?? '127.0.0.1';
  const port = Number(process.env.ROTOR_TEST_REDIS_PORT ?? 6379);
  const prefix = `rt${runId()}`;
  const admin = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  const users = new Set<string>();
  return {
    kind: 'redis',
    prefix,
    secretFields: { engine: 'redis', host, port },
    // An application user without +acl cannot change its own password: single-user needs the master too.
    selfService: false,
    async createAppUser({ username, password }) {
      users.add(username);
      users.add(`${username}_clone`);
      await admin.call('ACL', 'SETUSER', username, 'on', `>${password}`, `~${prefix}:*`, 'resetchannels', '-@all', '+get', '+set', '+ping');
    },
    async createMasterUser({ username, password }) {
      users.add(username);
      // docs/rotators/redis.md: the acl command (and ping).
      await admin.call('ACL', 'SETUSER', username, 'on', `>${password}`, 'resetchannels', '-@all', '+acl', '+ping');
    },
    async setPasswordDirectly({ username, password }) {
      await admin.call('ACL', 'SETUSER', username, 'resetpass', `>${password}`);
    },
    async login({ username, password }) {
      const client = new Redis({ host, port, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null, disableClientInfo: true });
      client.on('error', () => undefined);
      try {
        await client.connect();
        try {
          await client.call('AUTH', username, password);
        } catch (error) {
          if (/^WRONGPASS/.test((error as Error).message)) return false;
          throw error;
        }
        await client.set(`${prefix}:probe`, username);
        await client.get(`${prefix}:probe`);
        return true;
      } finally {
        client.disconnect();
      }
    },
    async cleanup() {
      for (const user of users) await admin.call('ACL', 'DELUSER', user);
      await admin.del(`${prefix}:probe`);
      admin.disconnect();
    },
  };
}

export const harnesses = { postgres: postgresHarness, mysql: mysqlHarness, redis: redisHarness } as const;
