import { retryDelay, type RetryPolicy } from '../domain/retry-policy.js';
import { stepAfter, type RotationStep } from '../domain/rotation.js';
import { Stage } from '../domain/staging-labels.js';
import type { RotationEventKind, StoredRotation } from '../ports/rotation-store.js';
import type { SecretStoreTransaction } from '../ports/secret-store.js';
import type { SecretServiceDeps } from './context.js';
import { computeNextRotationAt } from './rotation-schedule-state.js';

/** How long an expiry-driven secret waits after a failed rotation before the next one. */
const failedExpiryRetryMs = 10 * 60_000;

export type ProgressOutcome = 'next-step' | 'succeeded' | 'retrying' | 'failed' | 'fenced';

export interface StepFailure {
  /** Already scrubbed of secret material. */
  readonly message: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
}

/**
 * Persists what a worker learned from running one step, fenced by the epoch of its lease:
 * every write checks it, so a worker that lost the lease (paused, partitioned) changes
 * nothing. Returns what the worker should do next.
 */
export function createRotationProgress(deps: Pick<SecretServiceDeps, 'store' | 'clock'> & { retryPolicy: RetryPolicy }) {
  const { store, clock, retryPolicy } = deps;

  async function secretName(tx: SecretStoreTransaction, arn: string): Promise<string> {
    return (await tx.findSecretByArn(arn))?.name ?? arn;
  }

  /** Appends one event about `rotation` at its current step and attempt. */
  function record(
    tx: SecretStoreTransaction,
    rotation: StoredRotation,
    name: string,
    now: number,
    kind: RotationEventKind,
    message?: string,
  ): Promise<number> {
    return tx.appendRotationEvent({
      at: now,
      kind,
      secretArn: rotation.secretArn,
      secretName: name,
      rotationId: rotation.id,
      versionId: rotation.versionId,
      step: rotation.step,
      attempt: rotation.attempt,
      message,
    });
  }

  async function finish(tx: SecretStoreTransaction, rotation: StoredRotation, now: number): Promise<ProgressOutcome> {
    const labels = await tx.getLabels(rotation.secretArn);
    const name = await secretName(tx, rotation.secretArn);
    if (rotation.mode === 'full' && labels.get(Stage.current) !== rotation.versionId) {
      return fail(tx, rotation, now, {
        message: `finishSecret returned without moving AWSCURRENT to version ${rotation.versionId}.`,
        retryable: true,
        retryAfterMs: undefined,
      });
    }
    // The fence before any other write: a 'fenced' answer still commits this transaction,
    // so a worker that lost its lease must not have touched a label by then (it would pull
    // AWSPENDING from under the run that replaced it, failing that run's next step).
    if (!(await tx.updateRotation(rotation.id, rotation.epoch, { state: 'succeeded', finishedAt: now, updatedAt: now, nextAttemptAt: undefined, leaseOwner: undefined, leaseExpiresAt: undefined }))) {
      return 'fenced';
    }
    // AWS clears AWSPENDING once a rotation is done (moto's AWS-verified test sees it go
    // shortly after finishSecret; LocalStack's recordings show only AWSCURRENT): the
    // finished version keeps AWSCURRENT alone, a test-only version keeps nothing.
    if (labels.get(Stage.pending) === rotation.versionId) {
      await tx.setLabel(rotation.secretArn, Stage.pending, null);
    }
    await record(tx, rotation, name, now, 'step-succeeded');
    const config = await tx.getRotationConfig(rotation.secretArn);
    if (config && rotation.mode === 'full') {
      const updated = { ...config, lastRotatedAt: now, anchorAt: now };
      await tx.setRotationConfig(rotation.secretArn, { ...updated, nextRotationAt: computeNextRotationAt(updated, rotation.secretArn, now, now) });
    }
    await record(tx, rotation, name, now, 'succeeded');
    return 'succeeded';
  }

  async function fail(tx: SecretStoreTransaction, rotation: StoredRotation, now: number, failure: StepFailure): Promise<ProgressOutcome> {
    const delay = failure.retryable ? retryDelay(retryPolicy, rotation.attempt, failure.retryAfterMs) : undefined;
    const name = await secretName(tx, rotation.secretArn);
    if (delay !== undefined) {
      const retried = await tx.updateRotation(rotation.id, rotation.epoch, {
        state: 'retrying',
        attempt: rotation.attempt + 1,
        nextAttemptAt: now + delay,
        lastError: failure.message,
        updatedAt: now,
        leaseOwner: undefined,
        leaseExpiresAt: undefined,
      });
      if (!retried) return 'fenced';
      await record(tx, rotation, name, now, 'retrying', `${failure.message} (next attempt in ${Math.round(delay / 1000)} s)`);
      return 'retrying';
    }
    const failed = await tx.updateRotation(rotation.id, rotation.epoch, {
      state: 'failed',
      lastError: failure.message,
      finishedAt: now,
      updatedAt: now,
      nextAttemptAt: undefined,
      leaseOwner: undefined,
      leaseExpiresAt: undefined,
    });
    if (!failed) return 'fenced';
    // AWSPENDING stays (as AWS). The next scheduled slot reattempts this rotation, so the
    // schedule moves on instead of staying due and re-firing at once.
    const config = await tx.getRotationConfig(rotation.secretArn);
    if (config?.enabled) {
      const nextRotationAt = computeNextRotationAt(config, rotation.secretArn, now, now, { expiryNotBefore: now + failedExpiryRetryMs });
      await tx.setRotationConfig(rotation.secretArn, { ...config, nextRotationAt });
    }
    await record(tx, rotation, name, now, 'failed', failure.message);
    return 'failed';
  }

  return {
    /** The step succeeded: move to the next one, or finish the rotation. */
    stepSucceeded(rotation: StoredRotation, step: RotationStep): Promise<{ outcome: ProgressOutcome; rotation: StoredRotation }> {
      return store.transaction(async (tx) => {
        const now = clock.now();
        const next = stepAfter(rotation.mode, step);
        if (next === undefined) return { outcome: await finish(tx, { ...rotation, step }, now), rotation: { ...rotation, step } };
        if (!(await tx.updateRotation(rotation.id, rotation.epoch, { step: next, updatedAt: now }))) {
          return { outcome: 'fenced', rotation };
        }
        await record(tx, { ...rotation, step }, await secretName(tx, rotation.secretArn), now, 'step-succeeded');
        return { outcome: 'next-step', rotation: { ...rotation, step: next, updatedAt: now } };
      });
    },

    /** The step failed: retry later under the policy, or give up leaving AWSPENDING in place. */
    stepFailed(rotation: StoredRotation, failure: StepFailure): Promise<ProgressOutcome> {
      return store.transaction((tx) => fail(tx, rotation, clock.now(), failure));
    },
  };
}

export type RotationProgress = ReturnType<typeof createRotationProgress>;
