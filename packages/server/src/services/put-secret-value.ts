import { AppError, Messages } from '../domain/errors.js';
import type { SecretValue } from '../domain/secret-value.js';
import type { RequestContext, SecretServiceDeps } from './context.js';
import { assertNotScheduledForDeletion, requireSecret } from './resolve-secret.js';
import { resetScheduleAfterManualChange } from './rotation-schedule-state.js';
import { writeVersion } from './write-version.js';

export interface PutSecretValueInput {
  readonly SecretId: string;
  readonly ClientRequestToken: string | undefined;
  readonly Value: SecretValue | undefined;
  readonly VersionStages?: readonly string[] | undefined;
}

export interface PutSecretValueOutput {
  ARN: string;
  Name: string;
  VersionId: string;
  VersionStages: string[];
}

/**
 * PutSecretValue: a new version, AWSCURRENT by default; labels named in VersionStages
 * move onto it and AWSPREVIOUS follows AWSCURRENT (domain/staging-labels.ts).
 */
export function createPutSecretValue(deps: SecretServiceDeps) {
  const { store, cipher, clock, installation } = deps;
  return async function putSecretValue(input: PutSecretValueInput, context: RequestContext): Promise<PutSecretValueOutput> {
    // Token first: AWS checks it before it looks the secret up (reference §1).
    if (input.ClientRequestToken === undefined) throw new AppError('INVALID_REQUEST', Messages.missingToken);
    const value = input.Value;
    if (value === undefined) throw new AppError('INVALID_REQUEST', Messages.missingValue);
    const versionId = input.ClientRequestToken;
    return store.transaction(async (tx) => {
      const now = clock.now();
      const secret = await requireSecret(tx, installation, input.SecretId, now);
      assertNotScheduledForDeletion(secret);
      const written = await writeVersion(tx, cipher, { secret, versionId, value, stages: input.VersionStages, now });
      if (written.created && written.stages.includes('AWSCURRENT')) await resetScheduleAfterManualChange(tx, secret.arn, now);
      if (written.created) {
        await tx.appendAudit({ at: now, actor: context.actor, operation: 'PutSecretValue', secretArn: secret.arn, versionId });
      }
      return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: written.stages };
    });
  };
}
