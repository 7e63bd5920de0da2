import { AppError } from '../domain/errors.js';
import { parseSecretArn, secretArn } from '../domain/secret-name.js';
import type { RequestContext, SecretServiceDeps } from './context.js';
import { findSecret, requireSecret } from './resolve-secret.js';

export interface DeleteSecretInput {
  readonly SecretId: string;
  readonly RecoveryWindowInDays?: number | undefined;
  readonly ForceDeleteWithoutRecovery?: boolean | undefined;
}

export interface DeleteSecretOutput {
  ARN: string;
  Name: string;
  DeletionDate: Date;
}

const dayMs = 86_400_000;

/**
 * DeleteSecret: schedules deletion after a 7–30 day window (default 30), or purges at once
 * with ForceDeleteWithoutRecovery, which also answers 200 for a secret that does not exist
 * (reference §3 DeleteSecret).
 */
export function createDeleteSecret(deps: Pick<SecretServiceDeps, 'store' | 'clock' | 'installation'>) {
  const { store, clock, installation } = deps;
  return async function deleteSecret(input: DeleteSecretInput, context: RequestContext): Promise<DeleteSecretOutput> {
    const window = input.RecoveryWindowInDays;
    // Both checks run before the existence check, as AWS does even with Force=true.
    if (window !== undefined && input.ForceDeleteWithoutRecovery === true) {
      throw new AppError(
        'INVALID_PARAMETER',
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    if (window !== undefined && (window < 7 || window > 30)) {
      throw new AppError('INVALID_PARAMETER', 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    }
    return store.transaction(async (tx) => {
      const now = clock.now();
      if (input.ForceDeleteWithoutRecovery === true) {
        const secret = await findSecret(tx, installation, input.SecretId, now);
        if (!secret) {
          // AWS answers as if the secret existed, so a force delete is safe to repeat.
          const parsed = parseSecretArn(input.SecretId);
          const name = parsed ? parsed.resource : input.SecretId;
          const arn = parsed ? input.SecretId : secretArn(installation.region, installation.accountId, name, 'AAAAAA');
          return { ARN: arn, Name: name, DeletionDate: new Date(now) };
        }
        await tx.purgeSecret(secret.arn);
        await tx.appendAudit({ at: now, actor: context.actor, operation: 'DeleteSecret', secretArn: secret.arn });
        return { ARN: secret.arn, Name: secret.name, DeletionDate: new Date(now) };
      }
      const secret = await requireSecret(tx, installation, input.SecretId, now);
      if (secret.deletedAt !== undefined) {
        throw new AppError(
          'INVALID_REQUEST',
          "You tried to perform the operation on a secret that's currently marked deleted.",
        );
      }
      const purgeAt = now + (window ?? 30) * dayMs;
      await tx.updateSecret(secret.arn, { deletedAt: now, purgeAt });
      await tx.appendAudit({ at: now, actor: context.actor, operation: 'DeleteSecret', secretArn: secret.arn });
      return { ARN: secret.arn, Name: secret.name, DeletionDate: new Date(purgeAt) };
    });
  };
}
