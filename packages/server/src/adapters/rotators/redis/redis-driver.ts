import { Redis } from 'ioredis';
import type { ConnectionOptions } from 'node:tls';
import type { TlsConfig } from '../database/config.js';
import type { DatabaseDriver, DatabaseSession, FailureKind } from '../database/driver.js';
import { isTlsSetupFailure } from '../database/tls-errors.js';
import { aclRulesOf, passwordHashRule, withoutPasswordRules } from './acl-rules.js';
import type { RedisRotatorConfig } from './redis-rotator.js';

/** ioredis' `tls` option for a TLS mode. */
export function redisTls(tls: TlsConfig): ConnectionOptions | undefined {
  if (tls.mode === 'disable') return undefined;
  if (tls.mode === 'require') return { rejectUnauthorized: false };
  return { rejectUnauthorized: true, ...(tls.ca === undefined ? {} : { ca: tls.ca }), ...(tls.servername === undefined ? {} : { servername: tls.servername }) };
}

/** A refusal the driver detects itself, before Redis would do something unwanted. */
class RedisRefusal extends Error {
  constructor(
    message: string,
    readonly kind: FailureKind,
  ) {
    super(message);
    this.name = 'RedisRefusal';
  }
}

function classify(error: unknown): FailureKind {
  if (error instanceof RedisRefusal) return error.kind;
  if (isTlsSetupFailure(error)) return 'invalid';
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (/^(WRONGPASS|NOAUTH)\b/.test(message) || /invalid password/i.test(message)) return 'auth';
  if (/^NOPERM\b/.test(message)) return 'denied';
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return 'unreachable';
  if (/^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/.test(message)) return 'unreachable';
  if (/Connection is closed|timed out|ETIMEDOUT|ECONNRESET|ECONNREFUSED/i.test(message)) return 'unreachable';
  if (/^ERR\b/.test(message)) return 'invalid';
  return 'other';
}

/** The server's reply text; ioredis keeps the command's arguments (AUTH's password) apart, and they stay out. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function createSession(client: Redis, username: string, config: RedisRotatorConfig): DatabaseSession {
  const acl = (...args: string[]) => client.call('ACL', ...args);
  const persist = async () => {
    if (config.persist === 'acl-save') await acl('SAVE');
    else if (config.persist === 'config-rewrite') await client.call('CONFIG', 'REWRITE');
  };
  return {
    async whoami() {
      try {
        return String(await acl('WHOAMI'));
      } catch (error) {
        // A user without ACL WHOAMI is still logged in: AUTH succeeded, and NOPERM comes after it.
        if (classify(error) === 'denied') return username;
        throw error;
      }
    },

    async setOwnPassword(password) {
      await acl('SETUSER', username, 'resetpass', passwordHashRule(password.reveal()));
      await persist();
    },

    async setPassword(target, password) {
      // ACL SETUSER would create a missing user (disabled, no permissions): refuse instead.
      if ((await acl('GETUSER', target)) === null) throw new RedisRefusal(`ACL user "${target}" does not exist`, 'invalid');
      await acl('SETUSER', target, 'resetpass', passwordHashRule(password.reveal()));
      await persist();
    },

    async ensureUserLike(target, template, password) {
      const listing = (await acl('LIST')) as string[];
      const rules = aclRulesOf(listing, template);
      if (rules === undefined) throw new RedisRefusal(`ACL user "${template}" (the one to copy) does not exist`, 'invalid');
      // One command: the user is reset to the template's rules and gets the password at
      // once, so the copy and the password cannot be half applied.
      await acl('SETUSER', target, 'reset', ...withoutPasswordRules(rules), passwordHashRule(password.reveal()));
      await persist();
    },

    async close() {
      client.disconnect();
    },
  };
}

/** Redis ACL users through ioredis; one connection per session. */
export const redisDriver: DatabaseDriver<RedisRotatorConfig> = {
  kind: 'redis',
  displayName: 'Redis',
  engines: ['redis', 'valkey'],
  defaultPort: 6379,
  maxUsernameLength: 512,
  classify,
  describe,

  async connect(endpoint, login, config) {
    const tls = redisTls(endpoint.tls);
    const client = new Redis({
      host: endpoint.host,
      port: endpoint.port,
      lazyConnect: true,
      enableReadyCheck: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      disableClientInfo: true,
      connectTimeout: endpoint.connectTimeoutMs,
      commandTimeout: endpoint.statementTimeoutMs,
      ...(tls === undefined ? {} : { tls }),
    });
    // ioredis reports connection failures as events and rejects connect() with a generic
    // "Connection is closed"; the event says why.
    let lastError: unknown;
    client.on('error', (error: unknown) => {
      lastError = error;
    });
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw lastError ?? error;
    }
    try {
      // AUTH as its own command, so a refusal is its reply rather than a connection event.
      await client.call('AUTH', login.username, login.password.reveal());
    } catch (error) {
      client.disconnect();
      throw error;
    }
    return createSession(client, login.username, config);
  },
};
