import { randomUUID } from 'node:crypto';
import { rotationUnfinished } from '../domain/rotation.js';
import { Stage } from '../domain/staging-labels.js';
import type { SecretStoreTransaction } from '../ports/secret-store.js';
import { beginRotation } from './begin-rotation.js';
import type { SecretServiceDeps } from './context.js';
import { computeNextRotationAt } from './rotation-schedule-state.js';

export type ScheduledStart = 'started' | 'reattempted' | 'skipped';

/** A rotation that starts more than this late (downtime, backlog) is reported as overdue. */
export const overdueAfterMs = 60_000;

/**
 * The scheduler's use case: start the rotation a secret's schedule asks for. A secret
 * whose previous rotation failed and left AWSPENDING gets that rotation reattempted (as
 * AWS promises); one with an AWSPENDING Rotor cannot resume is reported as overdue and its
 * schedule moves on rather than firing again at once.
 */
export function createStartScheduledRotation(deps: SecretServiceDeps) {
  const { store, cipher, clock } = deps;

  async function moveScheduleOn(tx: SecretStoreTransaction, arn: string, now: number): Promise<void> {
    const config = await tx.getRotationConfig(arn);
    if (config) await tx.setRotationConfig(arn, { ...config, nextRotationAt: computeNextRotationAt(config, arn, now, now) });
  }

  return async function startScheduledRotation(arn: string): Promise<ScheduledStart> {
    return store.transaction(async (tx) => {
      const now = clock.now();
      // The secret first: reading it inside a transaction locks it (PostgreSQL), so two
      // replicas that both saw it due start it one after the other, and the second skips.
      const secret = await tx.findSecretByArn(arn);
      if (!secret) return 'skipped';
      const config = await tx.getRotationConfig(arn);
      if (!config?.enabled || config.nextRotationAt === undefined || config.nextRotationAt > now) return 'skipped';
      if (await tx.getActiveRotation(arn)) return 'skipped';
      if (secret.deletedAt !== undefined) {
        await moveScheduleOn(tx, arn, now);
        return 'skipped';
      }
      const labels = await tx.getLabels(arn);
      const lateness = now - config.nextRotationAt;
      const overdue = (message: string) =>
        tx.appendRotationEvent({
          at: now,
          kind: 'overdue',
          secretArn: arn,
          secretName: secret.name,
          rotationId: undefined,
          versionId: labels.get(Stage.pending),
          step: undefined,
          attempt: undefined,
          message,
        });
      if (rotationUnfinished(labels)) {
        const latest = await tx.getLatestRotation(arn);
        if (latest?.state === 'failed' && latest.versionId === labels.get(Stage.pending) && (await tx.reopenFailedRotation(latest.id, now))) {
          await tx.setRotationConfig(arn, { ...config, nextRotationAt: undefined });
          await tx.appendRotationEvent({
            at: now,
            kind: 'started',
            secretArn: arn,
            secretName: secret.name,
            rotationId: latest.id,
            versionId: latest.versionId,
            step: latest.step,
            attempt: 1,
            message: 'reattempting the failed rotation',
          });
          return 'reattempted';
        }
        await overdue(
          `AWSPENDING is attached to version ${labels.get(Stage.pending) ?? ''}, which no rotation can resume; remove the label (UpdateSecretVersionStage) to let rotation continue.`,
        );
        await moveScheduleOn(tx, arn, now);
        return 'skipped';
      }
      await beginRotation(tx, cipher, {
        secret,
        functionArn: config.functionArn,
        versionId: randomUUID(),
        mode: 'full',
        trigger: 'schedule',
        now,
        dueAt: config.nextRotationAt,
      });
      // Not due while it runs: success or final failure sets the next date.
      await tx.setRotationConfig(arn, { ...config, nextRotationAt: undefined });
      if (lateness > overdueAfterMs) await overdue(`started ${Math.round(lateness / 1000)} s after its scheduled time`);
      return 'started';
    });
  };
}
