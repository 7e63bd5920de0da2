import type { RequestContext, SecretServiceDeps } from './context.js';
import { requireSecret } from './resolve-secret.js';

export interface RestoreSecretInput {
  readonly SecretId: string;
}

/** RestoreSecret: cancels a scheduled deletion; on a secret not scheduled it is a no-op 200. */
export function createRestoreSecret(deps: Pick<SecretServiceDeps, 'store' | 'clock' | 'installation'>) {
  const { store, clock, installation } = deps;
  return async function restoreSecret(input: RestoreSecretInput, context: RequestContext) {
    return store.transaction(async (tx) => {
      const now = clock.now();
      const secret = await requireSecret(tx, installation, input.SecretId, now);
      if (secret.deletedAt !== undefined) {
        await tx.updateSecret(secret.arn, { deletedAt: undefined, purgeAt: undefined });
        await tx.appendAudit({ at: now, actor: context.actor, operation: 'RestoreSecret', secretArn: secret.arn });
      }
      return { ARN: secret.arn, Name: secret.name };
    });
  };
}
