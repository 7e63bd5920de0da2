import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { RotationQueries } from '../ports/rotation-store.js';
import type { ScheduledStart } from '../services/start-scheduled-rotation.js';
import { WakeSignal } from './wake-signal.js';

export interface RotationSchedulerDeps {
  readonly rotations: RotationQueries;
  readonly startScheduledRotation: (arn: string) => Promise<ScheduledStart>;
  /** Called after rotations were started, so the worker claims them at once. */
  readonly onStarted: () => void;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Secrets started per look. @default 500 */
  readonly batchSize?: number;
  /** Longest sleep: schedule changes made by another process are seen within it. @default 1_000 */
  readonly maxSleepMs?: number;
}

/**
 * Starts scheduled rotations at their NextRotationDate. It sleeps exactly until the
 * earliest due time (not on a fixed tick), so a rotation starts within milliseconds of
 * its date, and an idle installation with many scheduled secrets does one indexed
 * lookup per `maxSleepMs`.
 */
export function createRotationScheduler(deps: RotationSchedulerDeps) {
  const batchSize = deps.batchSize ?? 500;
  const maxSleepMs = deps.maxSleepMs ?? 1_000;
  const { rotations, clock, logger } = deps;
  const signal = new WakeSignal();
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();

  async function loop(): Promise<void> {
    while (running) {
      try {
        const due = await rotations.findDueSecrets(clock.now(), batchSize);
        let progressed = false;
        if (due.length > 0) {
          const outcomes = await Promise.allSettled(due.map((entry) => deps.startScheduledRotation(entry.arn)));
          for (const outcome of outcomes) {
            if (outcome.status === 'rejected') {
              logger.warn({ cause: outcome.reason instanceof Error ? outcome.reason.message : typeof outcome.reason }, 'scheduled start failed');
            } else if (outcome.value !== 'skipped') progressed = true;
          }
          if (progressed) deps.onStarted();
          if (due.length === batchSize && progressed) continue;
        }
        const earliest = await rotations.earliestDueAt();
        const now = clock.now();
        // A secret that is due but could not start (a failing store, say) must not turn
        // this loop into a spin: retry it after a short pause instead.
        const floor = due.length > 0 && !progressed ? 250 : 0;
        await signal.sleep(earliest === undefined ? maxSleepMs : Math.min(maxSleepMs, Math.max(floor, earliest - now)));
      } catch (thrown) {
        logger.error({ cause: thrown instanceof Error ? thrown.message : typeof thrown }, 'rotation scheduler loop failed');
        await signal.sleep(maxSleepMs);
      }
    }
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      loopDone = loop();
    },
    /** A schedule changed: look again now. */
    wake(): void {
      signal.wake();
    },
    async stop(): Promise<void> {
      running = false;
      signal.wake();
      await loopDone;
    },
  };
}
