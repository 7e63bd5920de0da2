import type { RequestContext, SecretServiceDeps } from './context.js';
import { assertNotScheduledForDeletion, requireSecret } from './resolve-secret.js';

export interface UntagResourceInput {
  readonly SecretId: string;
  readonly TagKeys: readonly string[];
}

/** UntagResource: removes the named keys; unknown keys are ignored. Empty response. */
export function createUntagResource(deps: Pick<SecretServiceDeps, 'store' | 'clock' | 'installation'>) {
  const { store, clock, installation } = deps;
  return async function untagResource(input: UntagResourceInput, context: RequestContext): Promise<Record<string, never>> {
    return store.transaction(async (tx) => {
      const now = clock.now();
      const secret = await requireSecret(tx, installation, input.SecretId, now);
      assertNotScheduledForDeletion(secret);
      const removed = new Set(input.TagKeys);
      // A secret that was tagged once keeps `Tags: []` after its last tag goes (reference §2).
      const tags = secret.tags === undefined ? undefined : secret.tags.filter((tag) => !removed.has(tag.Key));
      if (tags !== undefined) {
        await tx.updateSecret(secret.arn, { tags, lastChangedAt: Math.max(now, secret.lastChangedAt + 1) });
      }
      await tx.appendAudit({ at: now, actor: context.actor, operation: 'UntagResource', secretArn: secret.arn });
      return {};
    });
  };
}
