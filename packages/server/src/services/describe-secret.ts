import type { SecretServiceDeps } from './context.js';
import { requireSecret } from './resolve-secret.js';
import { describeSecretRecord, type SecretDescription } from './secret-description.js';

export interface DescribeSecretInput {
  readonly SecretId: string;
}

/** DescribeSecret: works on secrets scheduled for deletion too, and then shows DeletedDate. */
export function createDescribeSecret(deps: Pick<SecretServiceDeps, 'store' | 'clock' | 'installation'>) {
  const { store, clock, installation } = deps;
  return async function describeSecret(input: DescribeSecretInput): Promise<SecretDescription> {
    const secret = await requireSecret(store, installation, input.SecretId, clock.now());
    return describeSecretRecord(secret, await store.getLabels(secret.arn), 'VersionIdsToStages', await store.getRotationConfig(secret.arn));
  };
}
