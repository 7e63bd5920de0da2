import pg from 'pg';
import type { ChangeKind, ChangeListener, ChangeNotifier } from '../../ports/change-notifier.js';
import type { Logger } from '../../ports/logger.js';
import { quoteIdentifier } from '../store/postgres/migrate.js';

export interface PostgresChangeNotifierOptions {
  /** The store's connection string. */
  readonly connectionString: string;
  /**
   * The store's schema; notifications about other schemas (other installations sharing the
   * database) are ignored.
   * @default the connection's current_schema()
   */
  readonly schema?: string | undefined;
  readonly logger: Logger;
  /** First wait before reconnecting; doubles up to `maxReconnectDelayMs`. @default 250 */
  readonly reconnectDelayMs?: number;
  /** @default 5_000 */
  readonly maxReconnectDelayMs?: number;
}

/** Channels written by the triggers of migration 0003, and what each means. */
const channels: Readonly<Record<string, ChangeKind>> = {
  rotor_events: 'rotation-events',
  rotor_schedules: 'rotation-schedules',
};
const allKinds = Object.values(channels);

/**
 * Listens on one dedicated connection (not a pooled one: LISTEN belongs to a session, and
 * a pooled connection is handed to transactions). The NOTIFYs come from triggers on
 * `rotation_events` and `rotation_configs` (migration 0003), so every replica hears every
 * commit, its own included, and nobody has to remember to send them.
 *
 * When the connection drops (database restart, failover, network), it reconnects with
 * backoff (250 ms, doubling, at most 5 s) and then tells every subscriber "everything may
 * have changed", since notifications sent meanwhile were lost. Resolves once listening;
 * throws when the first connection fails (the store just connected, so that is news).
 *
 * @example
 * const notifier = await createPostgresChangeNotifier({ connectionString, logger });
 */
export async function createPostgresChangeNotifier(options: PostgresChangeNotifierOptions): Promise<ChangeNotifier> {
  const baseDelay = options.reconnectDelayMs ?? 250;
  const maxDelay = options.maxReconnectDelayMs ?? 5_000;
  const { logger } = options;
  const listeners = new Set<ChangeListener>();
  let client: pg.Client | undefined;
  let closed = false;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let failures = 0;

  function emit(kind: ChangeKind): void {
    for (const listener of listeners) {
      try {
        listener(kind);
      } catch {
        // A listener's failure is its own; a wake-up call has nothing to report back.
      }
    }
  }

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: options.connectionString, application_name: 'rotor-listen' });
    // Attached before connect(): an error on an idle client is emitted, not thrown, and an
    // unhandled 'error' event would end the process.
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next, undefined));
    try {
      await next.connect();
      if (options.schema !== undefined) await next.query(`SET search_path TO ${quoteIdentifier(options.schema)}`);
      const schema = (await next.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0]?.schema ?? null;
      next.on('notification', (message) => {
        const kind = channels[message.channel];
        if (kind !== undefined && (schema === null || message.payload === schema)) emit(kind);
      });
      await next.query(Object.keys(channels).map((channel) => `LISTEN ${channel}`).join('; '));
    } catch (error) {
      next.removeAllListeners('end');
      await next.end().catch(() => undefined);
      throw error;
    }
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
  }

  function lost(which: pg.Client, error: Error | undefined): void {
    if (closed || client !== which) return;
    client = undefined;
    which.removeAllListeners('end');
    void which.end().catch(() => undefined);
    logger.warn({ cause: error?.message ?? 'connection ended' }, 'change notification connection lost; reconnecting');
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || reconnectTimer !== undefined) return;
    const delay = Math.min(maxDelay, baseDelay * 2 ** failures);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connect().then(
        () => {
          if (closed) return;
          logger.info({ attempts: failures + 1 }, 'change notification connection restored');
          failures = 0;
          // Whatever was committed while nobody listened went unheard: look at everything.
          for (const kind of allKinds) emit(kind);
        },
        (error: unknown) => {
          failures += 1;
          logger.warn({ cause: error instanceof Error ? error.message : typeof error, attempt: failures }, 'change notification reconnect failed');
          scheduleReconnect();
        },
      );
    }, delay);
    reconnectTimer.unref();
  }

  await connect();

  return {
    subscribe(listener) {
      if (!closed) listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    notify(kind) {
      emit(kind);
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
      const current = client;
      client = undefined;
      if (current !== undefined) {
        current.removeAllListeners('end');
        await current.end().catch(() => undefined);
      }
    },
  };
}
