import type { ChangeKind, ChangeListener, ChangeNotifier } from '../../ports/change-notifier.js';
import type { SecretStore } from '../../ports/secret-store.js';

/**
 * The notifier of one process (SQLite: one server owns the data directory, so every change
 * to hear is this process's own). `notify` calls the listeners synchronously; a listener
 * that throws does not keep the others from hearing.
 *
 * @example
 * const notifier = createInProcessChangeNotifier();
 * const store = notifyOnCommit(createSqliteStore({ path }), notifier);
 */
export function createInProcessChangeNotifier(): ChangeNotifier {
  const listeners = new Set<ChangeListener>();
  let closed = false;
  return {
    subscribe(listener) {
      if (!closed) listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    notify(kind) {
      for (const listener of listeners) {
        try {
          listener(kind);
        } catch {
          // A listener's failure is its own; a wake-up call has nothing to report back.
        }
      }
    },
    async close() {
      closed = true;
      listeners.clear();
    },
  };
}

/**
 * The store, with `notifier.notify('rotation-events')` after every committed transaction
 * that appended a rotation event: the event stream reads the new rows at once instead of at
 * its next poll. Called after the transaction resolved (= committed and, on SQLite, fsynced),
 * so a woken reader finds the rows. A body that ran more than once (a retried race) may
 * notify for an append that was rolled back: one extra read, nothing more.
 *
 * Schedule changes are not tracked here: in one process the API already wakes the scheduler.
 */
export function notifyOnCommit<S extends SecretStore>(store: S, notifier: Pick<ChangeNotifier, 'notify'>): S {
  return {
    ...store,
    async transaction(work) {
      const changed = new Set<ChangeKind>();
      const result = await store.transaction((tx) =>
        work({
          ...tx,
          appendRotationEvent(event) {
            changed.add('rotation-events');
            return tx.appendRotationEvent(event);
          },
        }),
      );
      for (const kind of changed) notifier.notify(kind);
      return result;
    },
  };
}
