import { AppError } from '../domain/errors.js';
import { Stage } from '../domain/staging-labels.js';
import type { RequestContext, SecretServiceDeps } from './context.js';
import { assertNotScheduledForDeletion, requireSecret } from './resolve-secret.js';

/**
 * CancelRotateSecret: turns automatic rotation off (the configuration stays visible),
 * stops a rotation in progress, and — as AWS — leaves AWSPENDING where it is; the
 * response names that version so the caller can remove the label.
 */
export function createCancelRotateSecret(deps: SecretServiceDeps) {
  const { store, clock, installation } = deps;
  return async function cancelRotateSecret(input: { readonly SecretId: string }, context: RequestContext) {
    return store.transaction(async (tx) => {
      const now = clock.now();
      const secret = await requireSecret(tx, installation, input.SecretId, now);
      assertNotScheduledForDeletion(secret);
      const config = await tx.getRotationConfig(secret.arn);
      if (!config) {
        throw new AppError(
          'INVALID_REQUEST',
          "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call.",
        );
      }
      await tx.setRotationConfig(secret.arn, { ...config, enabled: false, nextRotationAt: undefined });
      const active = await tx.getActiveRotation(secret.arn);
      if (active) {
        // Bumping nothing but the state is enough: the worker's next write checks the epoch
        // and state together and finds the rotation cancelled.
        await tx.updateRotation(active.id, active.epoch, {
          state: 'cancelled',
          finishedAt: now,
          updatedAt: now,
          nextAttemptAt: undefined,
          leaseOwner: undefined,
          leaseExpiresAt: undefined,
        });
        await tx.appendRotationEvent({
          at: now,
          kind: 'cancelled',
          secretArn: secret.arn,
          secretName: secret.name,
          rotationId: active.id,
          versionId: active.versionId,
          step: active.step,
          attempt: active.attempt,
          message: 'CancelRotateSecret',
        });
      }
      await tx.appendAudit({ at: now, actor: context.actor, operation: 'CancelRotateSecret', secretArn: secret.arn });
      const pending = (await tx.getLabels(secret.arn)).get(Stage.pending);
      const output: { ARN: string; Name: string; VersionId?: string } = { ARN: secret.arn, Name: secret.name };
      if (pending !== undefined) output.VersionId = pending;
      return output;
    });
  };
}
