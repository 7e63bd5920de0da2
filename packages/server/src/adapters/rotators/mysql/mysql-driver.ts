import { randomBytes } from 'node:crypto';
import { createConnection, type Connection, type ConnectionOptions, type RowDataPacket } from 'mysql2/promise';
import type { TlsConfig } from '../database/config.js';
import type { DatabaseDriver, DatabaseSession, FailureKind } from '../database/driver.js';
import { isTlsSetupFailure } from '../database/tls-errors.js';
import { copiedGrants } from './grants.js';
import type { MysqlRotatorConfig } from './mysql-rotator.js';

/** mysql2's `ssl` option for a TLS mode (`verify-full` checks the host name too). */
export function mysqlSsl(tls: TlsConfig): ConnectionOptions['ssl'] {
  if (tls.mode === 'disable') return undefined;
  if (tls.mode === 'require') return { rejectUnauthorized: false };
  return { rejectUnauthorized: true, verifyIdentity: true, ...(tls.ca === undefined ? {} : { ca: tls.ca }) };
}

// Access denied at login: 1045 (wrong password), 1698 (no password / no such user, MariaDB).
const authErrors = new Set([1045, 1698]);
// Logged in, but not allowed: database access, table/command privilege, CREATE USER, GRANT.
const deniedErrors = new Set([1044, 1142, 1143, 1227, 1370, 1410]);
// Too many connections, lock wait timeout, deadlock, server shutting down, read-only.
const transientErrors = new Set([1040, 1205, 1213, 1053, 1290, 1836]);
const transientCodes = /^(E[A-Z]+|PROTOCOL_CONNECTION_LOST|PROTOCOL_SEQUENCE_TIMEOUT|PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR)$/;

interface MysqlError {
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  sqlMessage?: unknown;
}

function classify(error: unknown): FailureKind {
  if (isTlsSetupFailure(error)) return 'invalid';
  const { code, errno, sqlState } = (error ?? {}) as MysqlError;
  if (typeof errno === 'number') {
    if (authErrors.has(errno)) return 'auth';
    if (deniedErrors.has(errno)) return 'denied';
    if (transientErrors.has(errno)) return 'unreachable';
  }
  if (sqlState === '28000') return 'auth';
  if (typeof code === 'string' && transientCodes.test(code)) return 'unreachable';
  if (typeof sqlState === 'string' && /^(42|22|HY)/.test(sqlState)) return 'invalid';
  const message = error instanceof Error ? error.message : '';
  if (/timeout|closed|ECONNRESET/i.test(message)) return 'unreachable';
  return 'other';
}

/** Code and server message only: mysql2 attaches the statement (`sql`), which may hold a password. */
function describe(error: unknown): string {
  const { code, sqlMessage } = (error ?? {}) as MysqlError;
  const message = typeof sqlMessage === 'string' ? sqlMessage : error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `[${code}] ${message}` : message;
}

function createSession(connection: Connection, config: MysqlRotatorConfig, timeout: number): DatabaseSession {
  let mariadb: boolean | undefined;
  const run = (sql: string, values?: unknown[]) => connection.query({ sql, timeout, ...(values === undefined ? {} : { values }) });
  const account = (user: string) => `${connection.escape(user)}@${connection.escape(config.userHost)}`;
  const isMariadb = async () => {
    if (mariadb === undefined) {
      const [rows] = await run('SELECT VERSION() AS version');
      mariadb = /mariadb/i.test(String((rows as RowDataPacket[])[0]?.version ?? ''));
    }
    return mariadb;
  };

  return {
    async whoami() {
      const [rows] = await run('SELECT CURRENT_USER() AS account');
      const value = String((rows as RowDataPacket[])[0]?.account ?? '');
      return value.slice(0, value.lastIndexOf('@') === -1 ? value.length : value.lastIndexOf('@'));
    },

    async setOwnPassword(password) {
      // Changing one's own password needs no privilege in these forms (MariaDB refuses
      // ALTER USER CURRENT_USER() without CREATE USER). MariaDB's `SET PASSWORD = '…'` takes a
      // hash, hence PASSWORD(); MySQL 8 has no PASSWORD() and documents ALTER USER USER().
      if (await isMariadb()) await run('SET PASSWORD = PASSWORD(?)', [password.reveal()]);
      else await run('ALTER USER USER() IDENTIFIED BY ?', [password.reveal()]);
    },

    async setPassword(username, password) {
      await run(`ALTER USER ${account(username)} IDENTIFIED BY ?`, [password.reveal()]);
    },

    async ensureUserLike(username, template, password) {
      const grantee = account(username);
      // A throwaway password first (never stored, never empty: an account with an empty
      // password would log in with none until the real one is set, last).
      await run(`CREATE USER IF NOT EXISTS ${grantee} IDENTIFIED BY ?`, [randomBytes(24).toString('base64url')]);
      const [rows] = await run(`SHOW GRANTS FOR ${account(template)}`);
      const lines = (rows as RowDataPacket[]).map((row) => String(Object.values(row)[0] ?? ''));
      // Server-printed statements, run without placeholders (a `?` in a name is not one).
      for (const statement of copiedGrants(lines, { user: template, host: config.userHost }, grantee)) await run(statement);
      await run(`ALTER USER ${grantee} IDENTIFIED BY ?`, [password.reveal()]);
    },

    async close() {
      await connection.end();
    },
  };
}

/** MySQL and MariaDB through mysql2; one connection per session, no pool. */
export const mysqlDriver: DatabaseDriver<MysqlRotatorConfig> = {
  kind: 'mysql',
  displayName: 'MySQL',
  engines: ['mysql', 'mariadb', 'aurora-mysql', 'aurora'],
  defaultPort: 3306,
  // MariaDB allows 80 characters, MySQL 8 32; a name MySQL refuses fails setSecret with its own message.
  maxUsernameLength: 80,
  classify,
  describe,

  async connect(endpoint, login, config) {
    const connection = await createConnection({
      host: endpoint.host,
      port: endpoint.port,
      user: login.username,
      password: login.password.reveal(),
      ...(endpoint.database === undefined ? {} : { database: endpoint.database }),
      ssl: mysqlSsl(endpoint.tls),
      connectTimeout: endpoint.connectTimeoutMs,
      multipleStatements: false,
    });
    // A connection the server ends later reports here; the session's next call fails instead.
    connection.on('error', () => undefined);
    return createSession(connection, config, endpoint.statementTimeoutMs);
  },
};
