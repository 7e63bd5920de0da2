import { AppError } from '../domain/errors.js';
import { labelsAfterStageUpdate } from '../domain/staging-labels.js';
import type { RequestContext, SecretServiceDeps } from './context.js';
import { assertNotScheduledForDeletion, requireSecret } from './resolve-secret.js';

export interface UpdateSecretVersionStageInput {
  readonly SecretId: string;
  readonly VersionStage: string;
  readonly RemoveFromVersionId?: string | undefined;
  readonly MoveToVersionId?: string | undefined;
}

/** UpdateSecretVersionStage: attach, detach or move one label (reference §4.5). */
export function createUpdateSecretVersionStage(deps: Pick<SecretServiceDeps, 'store' | 'clock' | 'installation'>) {
  const { store, clock, installation } = deps;
  return async function updateSecretVersionStage(input: UpdateSecretVersionStageInput, context: RequestContext) {
    return store.transaction(async (tx) => {
      const now = clock.now();
      const secret = await requireSecret(tx, installation, input.SecretId, now);
      assertNotScheduledForDeletion(secret);
      const versions = await tx.listVersions(secret.arn);
      const known = new Map(versions.map((version) => [version.versionId, version]));
      const changes = labelsAfterStageUpdate(
        await tx.getLabels(secret.arn),
        input.VersionStage,
        input.MoveToVersionId,
        input.RemoveFromVersionId,
        (versionId) => known.has(versionId),
      );
      const target = input.MoveToVersionId === undefined ? undefined : known.get(input.MoveToVersionId);
      if (target?.kind === 'empty' && input.VersionStage === 'AWSCURRENT') {
        throw new AppError('INVALID_REQUEST', `You can't make version ${target.versionId} AWSCURRENT because it has no value yet.`);
      }
      for (const change of changes) await tx.setLabel(secret.arn, change.label, change.versionId);
      if (changes.length > 0) {
        await tx.updateSecret(secret.arn, { lastChangedAt: Math.max(now, secret.lastChangedAt + 1) });
      }
      await tx.appendAudit({
        at: now,
        actor: context.actor,
        operation: 'UpdateSecretVersionStage',
        secretArn: secret.arn,
        versionId: input.MoveToVersionId ?? input.RemoveFromVersionId,
      });
      return { ARN: secret.arn, Name: secret.name };
    });
  };
}
