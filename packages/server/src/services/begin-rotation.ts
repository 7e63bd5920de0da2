import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { firstStep, rotationInProgressMessage, rotationUnfinished, type RotationMode } from '../domain/rotation.js';
import { Stage } from '../domain/staging-labels.js';
import type { RotationTrigger, StoredRotation } from '../ports/rotation-store.js';
import type { SecretStoreTransaction, StoredSecret } from '../ports/secret-store.js';
import type { ValueCipher } from '../ports/value-cipher.js';

export interface BeginRotationInput {
  readonly secret: StoredSecret;
  readonly functionArn: string;
  readonly versionId: string;
  readonly mode: RotationMode;
  readonly trigger: RotationTrigger;
  readonly now: number;
  /** The scheduled start, for scheduled rotations. */
  readonly dueAt?: number | undefined;
  /** A first checkpoint for the rotator (an ensure-fresh call naming the chain to refresh). */
  readonly checkpoint?: string | undefined;
}

/** A RotationToken as AWS's model allows it: 36–256 characters of `[a-zA-Z0-9-]`. */
export function newRotationToken(): string {
  return `${randomUUID()}-${randomUUID()}`;
}

/**
 * Starts a rotation inside the caller's transaction, as AWS does before it calls the
 * function: the new version id exists and carries AWSPENDING before createSecret runs,
 * and the rotation row is written in the same transaction, so either both exist or
 * neither does.
 *
 * For a test-only rotation (RotateImmediately=false) the pending version holds a copy
 * of the current value; it loses AWSPENDING when testSecret is done (reference §5.1).
 */
export async function beginRotation(
  tx: SecretStoreTransaction,
  cipher: ValueCipher,
  input: BeginRotationInput,
): Promise<StoredRotation> {
  const { secret, versionId, now } = input;
  const labels = await tx.getLabels(secret.arn);
  if (rotationUnfinished(labels) || (await tx.getActiveRotation(secret.arn))) {
    throw new AppError('INVALID_REQUEST', rotationInProgressMessage);
  }
  if (await tx.getVersion(secret.arn, versionId)) {
    throw new AppError('RESOURCE_EXISTS', `You can't use ClientRequestToken ${versionId} because that value is already in use for a version of secret ${secret.arn}.`);
  }
  if (input.mode === 'test') {
    const currentId = labels.get(Stage.current);
    const current = currentId === undefined ? undefined : await tx.getVersion(secret.arn, currentId);
    if (!current || current.kind === 'empty' || current.sealedValue === undefined) {
      throw new AppError('INVALID_REQUEST', "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
    }
    const plaintext = cipher.open(secret.wrappedKey, { arn: secret.arn, versionId: current.versionId }, current.sealedValue);
    const sealed = cipher.seal(secret.wrappedKey, { arn: secret.arn, versionId }, plaintext);
    await tx.insertVersion(secret.arn, { versionId, createdAt: now, lastAccessedAt: undefined, kind: current.kind, sealedValue: sealed });
  } else {
    await tx.insertVersion(secret.arn, { versionId, createdAt: now, lastAccessedAt: undefined, kind: 'empty', sealedValue: undefined });
  }
  await tx.setLabel(secret.arn, Stage.pending, versionId);
  const rotation: StoredRotation = {
    id: randomUUID(),
    secretArn: secret.arn,
    versionId,
    functionArn: input.functionArn,
    mode: input.mode,
    trigger: input.trigger,
    state: 'running',
    step: firstStep(input.mode),
    attempt: 1,
    nextAttemptAt: now,
    lastError: undefined,
    leaseOwner: undefined,
    leaseExpiresAt: undefined,
    epoch: 0,
    rotationToken: newRotationToken(),
    createdAt: now,
    updatedAt: now,
    finishedAt: undefined,
    dueAt: input.dueAt,
    checkpoint: input.checkpoint,
  };
  await tx.insertRotation(rotation);
  await tx.appendRotationEvent({
    at: now,
    kind: 'started',
    secretArn: secret.arn,
    secretName: secret.name,
    rotationId: rotation.id,
    versionId,
    step: rotation.step,
    attempt: 1,
    message: input.trigger === 'schedule' ? 'scheduled rotation' : input.mode === 'test' ? 'testSecret only (RotateImmediately=false)' : 'RotateSecret',
  });
  return rotation;
}
