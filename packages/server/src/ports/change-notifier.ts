/**
 * "Something changed in the store; look again." Replicas sharing PostgreSQL hear each
 * other's commits through it (LISTEN/NOTIFY), so a client subscribed to the event stream of
 * one replica sees a rotation another replica ran within milliseconds, and a scheduler wakes
 * when another replica moved a schedule earlier. A notification carries no data: listeners
 * read the store from their own position, so a lost or duplicated notification costs latency
 * or one extra read, never an event. Consumers keep a slow fallback poll for that reason.
 *
 * @example
 * const unsubscribe = notifier.subscribe((kind) => {
 *   if (kind === 'rotation-events') stream.wake();
 * });
 */
export type ChangeKind = 'rotation-events' | 'rotation-schedules';

export type ChangeListener = (kind: ChangeKind) => void;

export interface ChangeNotifier {
  /** Calls `listener` for every change heard until the returned function is called. */
  subscribe(listener: ChangeListener): () => void;
  /**
   * This process committed a change of `kind`: listeners in this process hear it at once.
   * Other processes hear it through the database where the adapter supports that (on
   * PostgreSQL a trigger sends the NOTIFY on commit, so nothing is sent from here).
   */
  notify(kind: ChangeKind): void;
  /** Stops listening; subscribers hear nothing more. */
  close(): Promise<void>;
}
