import pg from 'pg';
import type { Redacted } from '../../../domain/redacted.js';
import type { TlsConfig } from '../database/config.js';
import type { DatabaseDriver, DatabaseSession, FailureKind } from '../database/driver.js';
import { isTlsSetupFailure } from '../database/tls-errors.js';
import { scramVerifier } from './scram.js';
import type { PostgresRotatorConfig } from './postgres-rotator.js';

/** node-postgres' `ssl` option for a TLS mode. */
export function postgresSsl(tls: TlsConfig): pg.ClientConfig['ssl'] {
  if (tls.mode === 'disable') return false;
  if (tls.mode === 'require') return { rejectUnauthorized: false };
  return { rejectUnauthorized: true, ...(tls.ca === undefined ? {} : { ca: tls.ca }), ...(tls.servername === undefined ? {} : { servername: tls.servername }) };
}

// SQLSTATE classes: 08 connection exception, 53 insufficient resources (too many
// connections), 57P0x shutdown / starting up: all transient.
const transientStates = /^(08|53|57P0)/;
const nodeNetworkCode = /^E[A-Z]+$/;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function classify(error: unknown): FailureKind {
  const code = codeOf(error);
  if (isTlsSetupFailure(error)) return 'invalid';
  // 28P01 invalid_password; 28000 invalid_authorization_specification (pg_hba refusal, no such role).
  if (code === '28P01' || code === '28000') return 'auth';
  if (code !== undefined && (transientStates.test(code) || nodeNetworkCode.test(code))) return 'unreachable';
  if (code === '42501') return 'denied';
  // 3D000 no such database, 42704 no such role, 22xxx data exceptions, 42xxx other syntax/access rules.
  if (code !== undefined && /^(3D|42|22)/.test(code)) return 'invalid';
  const message = error instanceof Error ? error.message : '';
  if (/timeout|terminated|ECONNRESET|socket/i.test(message)) return 'unreachable';
  return 'other';
}

function describe(error: unknown): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined ? message : `[${code}] ${message}`;
}

/** `PASSWORD '<SCRAM verifier>'`, or the escaped plaintext for passwords SCRAM cannot prepare here. */
function passwordClause(client: pg.Client, password: Redacted<string>): string {
  const verifier = scramVerifier(password.reveal());
  return `PASSWORD ${client.escapeLiteral(verifier ?? password.reveal())}`;
}

function createSession(client: pg.Client): DatabaseSession {
  return {
    async whoami() {
      const result = await client.query<{ name: string }>('SELECT current_user AS name');
      return result.rows[0]?.name ?? '';
    },

    async setOwnPassword(password) {
      await client.query(`ALTER ROLE CURRENT_USER WITH ${passwordClause(client, password)}`);
    },

    async setPassword(username, password) {
      await client.query(`ALTER ROLE ${client.escapeIdentifier(username)} WITH ${passwordClause(client, password)}`);
    },

    async ensureUserLike(username, template, password) {
      // One transaction (PostgreSQL's DDL is transactional): the clone appears with its
      // membership and its password together, or not at all.
      await client.query('BEGIN');
      try {
        const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
        const role = client.escapeIdentifier(username);
        if (exists.rowCount === 0) {
          // As AWS's multi-user template: the clone is a member of the original role, so it
          // holds the same privileges now and whatever is granted to the original later.
          await client.query(`CREATE ROLE ${role} WITH LOGIN`);
          await client.query(`GRANT ${client.escapeIdentifier(template)} TO ${role}`);
        }
        await client.query(`ALTER ROLE ${role} WITH LOGIN ${passwordClause(client, password)}`);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },

    async close() {
      await client.end();
    },
  };
}

/** PostgreSQL through node-postgres; one connection per session, no pool. */
export const postgresDriver: DatabaseDriver<PostgresRotatorConfig> = {
  kind: 'postgres',
  displayName: 'PostgreSQL',
  engines: ['postgres', 'postgresql', 'aurora-postgresql'],
  defaultPort: 5432,
  maxUsernameLength: 63,
  classify,
  describe,

  async connect(endpoint, login, config) {
    const client = new pg.Client({
      host: endpoint.host,
      port: endpoint.port,
      user: login.username,
      password: login.password.reveal(),
      database: endpoint.database ?? config.defaultDatabase,
      ssl: postgresSsl(endpoint.tls),
      connectionTimeoutMillis: endpoint.connectTimeoutMs,
      query_timeout: endpoint.statementTimeoutMs,
      statement_timeout: endpoint.statementTimeoutMs,
      application_name: 'rotor-rotator',
    });
    // A connection the server ends later reports here; the session's next call fails instead.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return createSession(client);
  },
};
