import { AppError, Messages } from '../domain/errors.js';
import { labelsAfterStageUpdate, Stage, stagesByVersion } from '../domain/staging-labels.js';
import { RotationStepError } from '../domain/rotation.js';
import type { RotationFence } from '../ports/rotation-function.js';
import type { RotationSecretsApi } from '../ports/rotator.js';
import type { SecretStoreTransaction } from '../ports/secret-store.js';
import type { SecretServiceDeps } from './context.js';
import { requireSecret } from './resolve-secret.js';
import { openVersionValue, writeVersion } from './write-version.js';

/**
 * The secret operations a built-in rotator may use, with the AWS API's semantics and
 * audited under the rotation's name, so built-in and external functions act alike.
 */
export function createRotationSecretsApi(deps: SecretServiceDeps, actor: string, fence?: RotationFence): RotationSecretsApi {
  const { store, cipher, clock, installation } = deps;

  /**
   * Refuses the write when this run no longer holds the rotation (another run claimed it:
   * its epoch moved on). The empty update is the store's fence check, and on PostgreSQL it
   * holds the row until the transaction ends, so no claim slips in between.
   */
  async function assertStillHeld(tx: SecretStoreTransaction): Promise<void> {
    if (!fence) return;
    if (!(await tx.updateRotation(fence.rotationId, fence.epoch, {}))) {
      throw new RotationStepError('This run lost the rotation to another run; it writes nothing more.');
    }
  }

  return {
    async versionStages(secretId) {
      const secret = await requireSecret(store, installation, secretId, clock.now());
      return Object.fromEntries(stagesByVersion(await store.getLabels(secret.arn)));
    },

    async getValue(secretId, selector) {
      const secret = await requireSecret(store, installation, secretId, clock.now());
      let versionId = selector.versionId;
      if (versionId === undefined) {
        const stage = selector.stage ?? Stage.current;
        versionId = (await store.getLabels(secret.arn)).get(stage);
        if (versionId === undefined) return undefined;
      }
      const version = await store.getVersion(secret.arn, versionId);
      if (!version) throw new AppError('RESOURCE_NOT_FOUND', Messages.valueNotFoundForVersion(versionId));
      if (version.kind === 'empty') return undefined;
      return openVersionValue(cipher, secret, version);
    },

    async putPendingValue(secretId, versionId, value) {
      await store.transaction(async (tx) => {
        const now = clock.now();
        const secret = await requireSecret(tx, installation, secretId, now);
        await assertStillHeld(tx);
        await writeVersion(tx, cipher, { secret, versionId, value, stages: [Stage.pending], now });
        await tx.appendAudit({ at: now, actor, operation: 'PutSecretValue', secretArn: secret.arn, versionId });
      });
    },

    async makeCurrent(secretId, versionId) {
      await store.transaction(async (tx) => {
        const now = clock.now();
        const secret = await requireSecret(tx, installation, secretId, now);
        await assertStillHeld(tx);
        const labels = await tx.getLabels(secret.arn);
        const current = labels.get(Stage.current);
        if (current === versionId) return;
        const version = await tx.getVersion(secret.arn, versionId);
        if (!version || version.kind === 'empty') {
          throw new AppError('INVALID_REQUEST', `Version ${versionId} has no value; it cannot become AWSCURRENT.`);
        }
        const changes = labelsAfterStageUpdate(labels, Stage.current, versionId, current, (id) => id === versionId || id === current);
        for (const change of changes) await tx.setLabel(secret.arn, change.label, change.versionId);
        await tx.updateSecret(secret.arn, { lastChangedAt: Math.max(now, secret.lastChangedAt + 1) });
        await tx.appendAudit({ at: now, actor, operation: 'UpdateSecretVersionStage', secretArn: secret.arn, versionId });
      });
    },

    now: () => clock.now(),

    async readCheckpoint(secretId, versionId) {
      const secret = await requireSecret(store, installation, secretId, clock.now());
      // The active rotation is the secret's newest; a plain read keeps this off the write path.
      const [rotation] = await store.listRotations(secret.arn, 1);
      if (rotation?.versionId !== versionId || rotation.checkpoint === undefined) return undefined;
      return JSON.parse(rotation.checkpoint) as Record<string, unknown>;
    },

    async writeCheckpoint(secretId, versionId, checkpoint) {
      await store.transaction(async (tx) => {
        const secret = await requireSecret(tx, installation, secretId, clock.now());
        const rotation = await tx.getActiveRotation(secret.arn);
        if (rotation?.versionId !== versionId) {
          throw new AppError('INVALID_REQUEST', `No rotation of version ${versionId} is running for secret ${secret.name}.`);
        }
        // Fenced like every rotation write: a run that lost its lease records nothing.
        const epoch = fence?.rotationId === rotation.id ? fence.epoch : rotation.epoch;
        if (!(await tx.updateRotation(rotation.id, epoch, { checkpoint: JSON.stringify(checkpoint) }))) {
          throw new RotationStepError('This run lost the rotation to another run; it writes nothing more.');
        }
      });
    },

    async setExpirySchedule(secretId, schedule) {
      await store.transaction(async (tx) => {
        const secret = await requireSecret(tx, installation, secretId, clock.now());
        await assertStillHeld(tx);
        const config = await tx.getRotationConfig(secret.arn);
        if (!config) return;
        await tx.setRotationConfig(secret.arn, { ...config, expiryDueAt: schedule.dueAt, attention: schedule.attention });
      });
    },

    async reportEvent(secretId, event) {
      await store.transaction(async (tx) => {
        const now = clock.now();
        const secret = await requireSecret(tx, installation, secretId, now);
        await assertStillHeld(tx);
        const rotation = await tx.getActiveRotation(secret.arn);
        await tx.appendRotationEvent({
          at: now,
          kind: event.kind,
          secretArn: secret.arn,
          secretName: secret.name,
          rotationId: rotation?.id,
          versionId: event.versionId ?? rotation?.versionId,
          step: rotation?.step,
          attempt: rotation?.attempt,
          message: event.message,
        });
      });
    },
  };
}
