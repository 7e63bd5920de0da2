import { coerceError } from '../domain/errors.js';
import { RotationStepError } from '../domain/rotation.js';
import { scrubSecretMaterial } from '../domain/scrub.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { ResolvedFunction, RotationCredentials } from '../ports/rotation-function.js';
import type { RotationQueries, StoredRotation } from '../ports/rotation-store.js';
import type { RotationProgress, StepFailure } from '../services/record-rotation-progress.js';
import { WakeSignal } from './wake-signal.js';

export interface IssuedRotationCredentials extends RotationCredentials {
  revoke(): Promise<void>;
}

export interface RotationWorkerDeps {
  readonly rotations: RotationQueries;
  readonly progress: RotationProgress;
  readonly resolveFunction: (functionArn: string) => Promise<ResolvedFunction | undefined>;
  readonly issueCredentials: (rotation: StoredRotation, ttlMs: number) => Promise<IssuedRotationCredentials>;
  /** Values that must not appear in a failure reason: the secret's pending, current and previous values. */
  readonly secretMaterial: (secretArn: string, pendingVersionId: string) => Promise<string[]>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Identifies this worker in leases; stable across restarts of one installation. */
  readonly owner: string;
  /** Rotations run at once. @default 32 */
  readonly concurrency?: number;
  /** How long a claim holds without renewal. @default 30_000 */
  readonly leaseMs?: number;
  /** Per-step timeout (AWS's Lambda default for rotation templates). @default 30_000 */
  readonly stepTimeoutMs?: number;
  /** Longest sleep between looks for work when nothing is known to be due. @default 1_000 */
  readonly idlePollMs?: number;
}

function failureOf(thrown: unknown, knownSecrets: readonly string[], timedOut: boolean): StepFailure {
  if (timedOut) return { message: 'The step timed out.', retryable: true, retryAfterMs: undefined };
  if (thrown instanceof RotationStepError) {
    return { message: scrubSecretMaterial(thrown.message, knownSecrets), retryable: thrown.retryable, retryAfterMs: thrown.retryAfterMs };
  }
  const error = coerceError(thrown);
  const cause = error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : error.message;
  return { message: scrubSecretMaterial(cause, knownSecrets), retryable: true, retryAfterMs: undefined };
}

/**
 * Runs rotations: claims runnable ones under a lease, runs their steps in order,
 * persists progress after every step, renews the lease while a step runs, and stops
 * writing the moment the lease is lost. Steps that fail are retried by the policy in
 * RotationProgress; a rotation whose worker dies is claimed again when its lease expires
 * and resumes at the step that was running.
 */
export function createRotationWorker(deps: RotationWorkerDeps) {
  const concurrency = deps.concurrency ?? 32;
  const leaseMs = deps.leaseMs ?? 30_000;
  const stepTimeoutMs = deps.stepTimeoutMs ?? 30_000;
  const idlePollMs = deps.idlePollMs ?? 1_000;
  const { rotations, progress, clock, logger, owner } = deps;
  const signal = new WakeSignal();
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();

  async function runRotation(claimed: StoredRotation): Promise<void> {
    const log = logger.child({ rotationId: claimed.id, secretId: claimed.secretArn, attempt: claimed.attempt });
    const lease = new AbortController();
    const renewal = setInterval(() => {
      rotations.renewLease(claimed.id, claimed.epoch, owner, clock.now() + leaseMs).then(
        (held) => {
          if (!held) lease.abort(new Error('lease lost'));
        },
        () => lease.abort(new Error('lease renewal failed')),
      );
    }, Math.max(50, Math.floor(leaseMs / 3)));
    let credentials: IssuedRotationCredentials | undefined;
    try {
      const fn = await deps.resolveFunction(claimed.functionArn);
      if (!fn) {
        await progress.stepFailed(claimed, {
          message: `The rotation function ${claimed.functionArn} does not exist.`,
          retryable: false,
          retryAfterMs: undefined,
        });
        return;
      }
      if (fn.needsCredentials) credentials = await deps.issueCredentials(claimed, leaseMs + 8 * stepTimeoutMs);
      const knownSecrets = credentials ? [credentials.secretAccessKey, credentials.sessionToken] : [];
      let rotation = claimed;
      for (;;) {
        // One controller per step, aborted by the step timeout or the lease, and torn down
        // afterwards: AbortSignal.any/timeout keep listeners alive on Node 20 (nodejs/node#54614),
        // which grew the heap by kilobytes per rotation.
        const step = new AbortController();
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          step.abort(new Error('step timed out'));
        }, stepTimeoutMs);
        const onLeaseLost = () => step.abort(lease.signal.reason);
        lease.signal.addEventListener('abort', onLeaseLost, { once: true });
        try {
          await fn.invoker.invoke(
            { Step: rotation.step, SecretId: rotation.secretArn, ClientRequestToken: rotation.versionId, RotationToken: rotation.rotationToken },
            {
              signal: step.signal,
              timeoutMs: stepTimeoutMs,
              credentials: credentials ?? { accessKeyId: '', secretAccessKey: '', sessionToken: '' },
              fence: { rotationId: rotation.id, epoch: rotation.epoch },
            },
          );
        } catch (thrown) {
          if (lease.signal.aborted) return; // someone else owns the rotation now: write nothing
          const material = await deps.secretMaterial(rotation.secretArn, rotation.versionId).catch(() => []);
          const failure = failureOf(thrown, [...knownSecrets, ...material], timedOut);
          const outcome = await progress.stepFailed(rotation, failure);
          log.warn({ step: rotation.step, outcome, reason: failure.message }, 'rotation step failed');
          return;
        } finally {
          clearTimeout(timer);
          lease.signal.removeEventListener('abort', onLeaseLost);
        }
        if (lease.signal.aborted) return;
        const result = await progress.stepSucceeded(rotation, rotation.step);
        if (result.outcome !== 'next-step') {
          log.info({ step: rotation.step, outcome: result.outcome }, 'rotation ended');
          return;
        }
        rotation = result.rotation;
      }
    } catch (thrown) {
      log.error({ cause: thrown instanceof Error ? thrown.message : typeof thrown }, 'rotation run crashed');
    } finally {
      clearInterval(renewal);
      if (credentials) await credentials.revoke().catch(() => undefined);
    }
  }

  async function loop(): Promise<void> {
    while (running) {
      try {
        const free = concurrency - inFlight.size;
        if (free > 0) {
          const now = clock.now();
          const claimed = await rotations.claimRunnableRotations(owner, now, now + leaseMs, free);
          for (const rotation of claimed) {
            const run: Promise<void> = runRotation(rotation).finally(() => {
              inFlight.delete(run);
              signal.wake();
            });
            inFlight.add(run);
          }
          if (claimed.length === free) continue;
        }
        const earliest = await rotations.earliestRunnableAt();
        const now = clock.now();
        const until = earliest === undefined ? idlePollMs : Math.min(idlePollMs, Math.max(earliest - now, 25));
        await signal.sleep(until);
      } catch (thrown) {
        logger.error({ cause: thrown instanceof Error ? thrown.message : typeof thrown }, 'rotation worker loop failed');
        await signal.sleep(idlePollMs);
      }
    }
  }

  return {
    async start(): Promise<void> {
      if (running) return;
      // A previous process under this owner id died holding leases: take them back now.
      await rotations.releaseLeasesOf(owner);
      running = true;
      loopDone = loop();
    },
    /** New work may be runnable (RotateSecret, a scheduled start). */
    wake(): void {
      signal.wake();
    },
    /** Stops claiming and waits for the steps in flight (bounded by their timeouts). */
    async stop(): Promise<void> {
      running = false;
      signal.wake();
      await loopDone;
      await Promise.allSettled([...inFlight]);
      // Rotations claimed but not finished (a retry waiting, say) are handed back at once, so
      // another replica — or this one restarted — need not wait for the lease to expire.
      await rotations.releaseLeasesOf(owner).catch(() => 0);
    },
    get inFlight(): number {
      return inFlight.size;
    },
  };
}

export type RotationWorker = ReturnType<typeof createRotationWorker>;
