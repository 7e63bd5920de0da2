import type { SecretServiceDeps } from './context.js';

/**
 * Removes secrets whose recovery window has ended. Lookups already treat them as gone;
 * this reclaims the rows and frees their names. Returns how many were purged.
 */
export function createPurgeDeletedSecrets(deps: Pick<SecretServiceDeps, 'store' | 'clock'>) {
  const { store, clock } = deps;
  return async function purgeDeletedSecrets(limit = 500): Promise<number> {
    const now = clock.now();
    const due = await store.findSecretsDueForPurge(now, limit);
    if (due.length === 0) return 0;
    await store.transaction(async (tx) => {
      for (const arn of due) {
        await tx.purgeSecret(arn);
        await tx.appendAudit({ at: now, actor: 'rotor', operation: 'PurgeSecret', secretArn: arn });
      }
    });
    return due.length;
  };
}
