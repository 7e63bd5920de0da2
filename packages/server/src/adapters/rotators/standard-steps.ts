import { RotationStepError } from '../../domain/rotation.js';
import type { RotationStepEvent } from '../../ports/rotation-function.js';
import type { RotationSecretsApi, RotatorContext } from '../../ports/rotator.js';

/**
 * Steps every built-in rotator shares, written as AWS's rotation templates write them.
 */

/** The template's first check: the version exists and carries AWSPENDING. */
export async function requirePendingVersion(secrets: RotationSecretsApi, event: RotationStepEvent): Promise<void> {
  const stages = await secrets.versionStages(event.SecretId);
  const mine = stages[event.ClientRequestToken];
  if (!mine) {
    throw new RotationStepError(`Version ${event.ClientRequestToken} has no stage for rotation of secret ${event.SecretId}.`, { retryable: false });
  }
  if (!mine.includes('AWSPENDING') && !mine.includes('AWSCURRENT')) {
    throw new RotationStepError(`Version ${event.ClientRequestToken} is not set as AWSPENDING for rotation of secret ${event.SecretId}.`, { retryable: false });
  }
}

/** finishSecret: AWSCURRENT moves to the new version; AWSPREVIOUS follows. */
export async function finishByMakingCurrent({ event, secrets }: RotatorContext<unknown>): Promise<void> {
  await secrets.makeCurrent(event.SecretId, event.ClientRequestToken);
}
