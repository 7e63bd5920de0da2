import type { Tag } from '../ports/secret-store.js';
import type { RequestContext, SecretServiceDeps } from './context.js';
import { assertNotScheduledForDeletion, requireSecret } from './resolve-secret.js';
import { assertValidTags, mergeTags } from './tag-rules.js';

export interface TagResourceInput {
  readonly SecretId: string;
  readonly Tags: readonly Tag[];
}

/** TagResource: appends tags, overwriting the value of keys already present. Empty response. */
export function createTagResource(deps: Pick<SecretServiceDeps, 'store' | 'clock' | 'installation'>) {
  const { store, clock, installation } = deps;
  return async function tagResource(input: TagResourceInput, context: RequestContext): Promise<Record<string, never>> {
    assertValidTags(input.Tags);
    return store.transaction(async (tx) => {
      const now = clock.now();
      const secret = await requireSecret(tx, installation, input.SecretId, now);
      assertNotScheduledForDeletion(secret);
      const tags = mergeTags(secret.tags ?? [], input.Tags);
      assertValidTags(tags);
      await tx.updateSecret(secret.arn, { tags, lastChangedAt: Math.max(now, secret.lastChangedAt + 1) });
      await tx.appendAudit({ at: now, actor: context.actor, operation: 'TagResource', secretArn: secret.arn });
      return {};
    });
  };
}
