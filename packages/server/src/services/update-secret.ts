import { AppError, Messages } from '../domain/errors.js';
import type { SecretValue } from '../domain/secret-value.js';
import type { SecretPatch } from '../ports/secret-store.js';
import type { RequestContext, SecretServiceDeps } from './context.js';
import { assertNotScheduledForDeletion, requireSecret } from './resolve-secret.js';
import { resetScheduleAfterManualChange } from './rotation-schedule-state.js';
import { writeVersion } from './write-version.js';

export interface UpdateSecretInput {
  readonly SecretId: string;
  readonly ClientRequestToken: string | undefined;
  readonly Description?: string | undefined;
  readonly KmsKeyId?: string | undefined;
  readonly Type?: string | undefined;
  readonly Value?: SecretValue | undefined;
}

export interface UpdateSecretOutput {
  ARN: string;
  Name: string;
  VersionId?: string;
}

/**
 * UpdateSecret: metadata changes, and with a value a new AWSCURRENT version. VersionId is
 * returned only when a version was created (reference §3 UpdateSecret).
 */
export function createUpdateSecret(deps: SecretServiceDeps) {
  const { store, cipher, clock, installation } = deps;
  return async function updateSecret(input: UpdateSecretInput, context: RequestContext): Promise<UpdateSecretOutput> {
    if (input.Value !== undefined && input.ClientRequestToken === undefined) {
      throw new AppError('INVALID_REQUEST', Messages.missingToken);
    }
    return store.transaction(async (tx) => {
      const now = clock.now();
      const secret = await requireSecret(tx, installation, input.SecretId, now);
      assertNotScheduledForDeletion(secret);
      const patch: { -readonly [K in keyof SecretPatch]: SecretPatch[K] } = {};
      if (input.Description !== undefined) patch.description = input.Description === '' ? undefined : input.Description;
      if (input.KmsKeyId !== undefined) patch.kmsKeyId = input.KmsKeyId === '' ? undefined : input.KmsKeyId;
      if (input.Type !== undefined) patch.type = input.Type;
      const output: UpdateSecretOutput = { ARN: secret.arn, Name: secret.name };
      if (Object.keys(patch).length > 0) {
        await tx.updateSecret(secret.arn, { ...patch, lastChangedAt: Math.max(now, secret.lastChangedAt + 1) });
      }
      if (input.Value !== undefined && input.ClientRequestToken !== undefined) {
        const versionId = input.ClientRequestToken;
        const written = await writeVersion(tx, cipher, { secret, versionId, value: input.Value, stages: undefined, now });
        if (written.created) await resetScheduleAfterManualChange(tx, secret.arn, now);
        output.VersionId = versionId;
      }
      await tx.appendAudit({ at: now, actor: context.actor, operation: 'UpdateSecret', secretArn: secret.arn, versionId: output.VersionId });
      return output;
    });
  };
}
