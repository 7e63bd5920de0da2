import type { RotationEventStream } from './event-stream.js';
import type { StoredRotation } from '../ports/rotation-store.js';

export interface RotationWaiterDeps {
  readonly getRotation: (id: string) => Promise<StoredRotation | undefined>;
  readonly events: Pick<RotationEventStream, 'subscribe'>;
  /** How often a waited-on rotation is read again when no event arrives. @default 250 */
  readonly pollMs?: number;
}

const ended = (rotation: StoredRotation | undefined) => rotation === undefined || (rotation.state !== 'running' && rotation.state !== 'retrying');

/**
 * Waits for rotations to end, for callers that need the result (ensure-fresh). All
 * waiters of one rotation share one watcher, woken by the event stream — which on
 * PostgreSQL hears every replica's commits — with a slow poll behind it in case an event
 * is missed.
 */
export function createRotationWaiter(deps: RotationWaiterDeps) {
  const pollMs = deps.pollMs ?? 250;
  const watchers = new Map<string, Promise<StoredRotation | undefined>>();

  function watch(id: string, secretArn: string): Promise<StoredRotation | undefined> {
    return new Promise((resolve) => {
      let done = false;
      let checking = false;
      const finish = (rotation: StoredRotation | undefined) => {
        if (done) return;
        done = true;
        clearInterval(poll);
        void subscription.then((unsubscribe) => unsubscribe(), () => undefined);
        resolve(rotation);
      };
      const check = async () => {
        if (checking || done) return;
        checking = true;
        try {
          const rotation = await deps.getRotation(id);
          if (ended(rotation)) finish(rotation);
        } catch {
          // The next event or poll looks again.
        } finally {
          checking = false;
        }
      };
      const subscription = deps.events.subscribe({
        secretArn,
        onEvent: (event) => {
          if (event.rotationId === id) void check();
        },
        onClose: () => void check(),
      });
      const poll = setInterval(() => void check(), pollMs);
      void check();
    });
  }

  return {
    /** The rotation once it ended, or its state at the deadline (still running) — never throws. */
    async wait(id: string, secretArn: string, timeoutMs: number): Promise<StoredRotation | undefined> {
      let watcher = watchers.get(id);
      if (!watcher) {
        watcher = watch(id, secretArn).finally(() => watchers.delete(id));
        watchers.set(id, watcher);
      }
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const result = await Promise.race([watcher, deadline]);
      clearTimeout(timer);
      return result === 'timeout' ? deps.getRotation(id) : result;
    },
  };
}

export type RotationWaiter = ReturnType<typeof createRotationWaiter>;
