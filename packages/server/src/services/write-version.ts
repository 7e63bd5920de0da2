import { AppError, Messages } from '../domain/errors.js';
import { redact } from '../domain/redacted.js';
import { sameSecretValue, secretValueBytes, type SecretValue } from '../domain/secret-value.js';
import { labelsAfterNewVersion, stagesOf } from '../domain/staging-labels.js';
import { selectVersionsToPrune } from '../domain/version-retention.js';
import type { SecretStoreTransaction, StoredSecret, StoredVersion } from '../ports/secret-store.js';
import type { ValueCipher } from '../ports/value-cipher.js';

export interface WriteVersionInput {
  readonly secret: StoredSecret;
  readonly versionId: string;
  readonly value: SecretValue;
  /** Stages to put on the new version; undefined means AWSCURRENT. */
  readonly stages: readonly string[] | undefined;
  readonly now: number;
}

export interface WrittenVersion {
  readonly versionId: string;
  readonly stages: string[];
  /** False when an identical earlier call already stored this version (idempotent retry). */
  readonly created: boolean;
}

export function openVersionValue(cipher: ValueCipher, secret: StoredSecret, version: StoredVersion): SecretValue {
  if (version.kind === 'empty' || version.sealedValue === undefined) {
    throw new Error('openVersionValue called on an empty version');
  }
  const bytes = cipher.open(secret.wrappedKey, { arn: secret.arn, versionId: version.versionId }, version.sealedValue);
  return version.kind === 'string'
    ? { kind: 'string', value: redact(bytes.toString('utf8')) }
    : { kind: 'binary', value: redact(bytes) };
}

/**
 * Stores a new version and moves its stages, inside the caller's transaction. The
 * ClientRequestToken is the version id, which makes retries idempotent: the same token
 * with the same value returns the stored version unchanged; with another value it is
 * refused (reference §3 CreateSecret/PutSecretValue idempotency).
 */
export async function writeVersion(
  tx: SecretStoreTransaction,
  cipher: ValueCipher,
  input: WriteVersionInput,
): Promise<WrittenVersion> {
  const { secret, versionId, value, now } = input;
  const existing = await tx.getVersion(secret.arn, versionId);
  if (existing) {
    // An empty version is the one a rotation labelled AWSPENDING before createSecret: fill it.
    if (existing.kind !== 'empty') {
      if (!sameSecretValue(openVersionValue(cipher, secret, existing), value)) {
        throw new AppError('RESOURCE_EXISTS', Messages.tokenInUse(versionId, secret.arn));
      }
      return { versionId, stages: stagesOf(await tx.getLabels(secret.arn), versionId), created: false };
    }
  }
  const sealed = cipher.seal(secret.wrappedKey, { arn: secret.arn, versionId }, secretValueBytes(value));
  if (existing) await tx.fillVersion(secret.arn, versionId, value.kind, sealed);
  else {
    await tx.insertVersion(secret.arn, {
      versionId,
      createdAt: now,
      lastAccessedAt: undefined,
      kind: value.kind,
      sealedValue: sealed,
    });
  }
  const labels = await tx.getLabels(secret.arn);
  const { changes, stages } = labelsAfterNewVersion(labels, versionId, input.stages);
  for (const change of changes) await tx.setLabel(secret.arn, change.label, change.versionId);
  await tx.updateSecret(secret.arn, { lastChangedAt: Math.max(now, secret.lastChangedAt + 1) });
  await pruneDeprecatedVersions(tx, secret.arn, now);
  return { versionId, stages, created: true };
}

/** Removes deprecated versions beyond the retention rule (domain/version-retention.ts). */
export async function pruneDeprecatedVersions(tx: SecretStoreTransaction, arn: string, now: number): Promise<void> {
  if ((await tx.countVersions(arn)) <= 100) return;
  const labels = await tx.getLabels(arn);
  const labelled = new Set(labels.values());
  const versions = await tx.listVersions(arn);
  const doomed = selectVersionsToPrune(
    versions.map((version) => ({ versionId: version.versionId, createdAt: version.createdAt, labelled: labelled.has(version.versionId) })),
    now,
  );
  if (doomed.length > 0) await tx.deleteVersions(arn, doomed);
}
