import type { ChangeNotifier } from '../../ports/change-notifier.js';
import type { Logger } from '../../ports/logger.js';
import type { SecretStore } from '../../ports/secret-store.js';
import { createInProcessChangeNotifier, notifyOnCommit } from './in-process.js';
import { createPostgresChangeNotifier } from './postgres.js';

export { createInProcessChangeNotifier, notifyOnCommit } from './in-process.js';
export { createPostgresChangeNotifier } from './postgres.js';

/**
 * The notifier that fits the store: on PostgreSQL a LISTEN connection that hears every
 * replica's commits (triggers send them, so the store is returned as is); on SQLite the
 * in-process notifier, fed by the store itself after each commit that appended an event.
 */
export async function openChangeNotifier<S extends SecretStore>(options: {
  readonly store: S;
  /** The PostgreSQL connection string; undefined for SQLite. */
  readonly database: string | undefined;
  readonly logger: Logger;
}): Promise<{ notifier: ChangeNotifier; store: S }> {
  if (options.database !== undefined) {
    const notifier = await createPostgresChangeNotifier({ connectionString: options.database, logger: options.logger });
    return { notifier, store: options.store };
  }
  const notifier = createInProcessChangeNotifier();
  return { notifier, store: notifyOnCommit(options.store, notifier) };
}
