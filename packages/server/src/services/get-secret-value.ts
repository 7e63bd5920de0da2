import { AppError, Messages } from '../domain/errors.js';
import type { SecretValue } from '../domain/secret-value.js';
import { Stage, stagesOf } from '../domain/staging-labels.js';
import type { StoredSecret } from '../ports/secret-store.js';
import { startOfUtcDay, type SecretServiceDeps } from './context.js';
import { assertNotScheduledForDeletion, requireSecret } from './resolve-secret.js';
import { openVersionValue } from './write-version.js';

export interface GetSecretValueInput {
  readonly SecretId: string;
  readonly VersionId?: string | undefined;
  readonly VersionStage?: string | undefined;
}

export interface SecretValueEntry {
  ARN: string;
  Name: string;
  VersionId: string;
  Value: SecretValue;
  VersionStages: string[];
  CreatedDate: Date;
}

/**
 * Reads one version of a secret: the one holding VersionStage, or VersionId, or
 * AWSCURRENT. Records the access date (day resolution) at most once per day per
 * version, so the read path stays free of writes.
 */
export function createGetSecretValue(deps: SecretServiceDeps) {
  const { store, cipher, clock, installation } = deps;
  // Versions whose access was already recorded today: 64 concurrent first reads write once.
  let recordedDay = 0;
  const recordedToday = new Set<string>();

  async function readVersion(secret: StoredSecret, input: GetSecretValueInput, now: number): Promise<SecretValueEntry> {
    const labels = await store.getLabels(secret.arn);
    let versionId = input.VersionId;
    if (versionId === undefined) {
      const stage = input.VersionStage ?? Stage.current;
      versionId = labels.get(stage);
      if (versionId === undefined) throw new AppError('RESOURCE_NOT_FOUND', Messages.valueNotFoundForStage(stage));
    } else if (input.VersionStage !== undefined && labels.get(input.VersionStage) !== versionId) {
      if (!(await store.getVersion(secret.arn, versionId))) {
        throw new AppError('RESOURCE_NOT_FOUND', Messages.valueNotFoundForVersion(versionId));
      }
      throw new AppError('INVALID_REQUEST', 'You provided a VersionStage that is not associated to the provided VersionId.');
    }
    const version = await store.getVersion(secret.arn, versionId);
    if (!version || version.kind === 'empty') {
      if (input.VersionId === undefined) {
        throw new AppError('RESOURCE_NOT_FOUND', Messages.valueNotFoundForStage(input.VersionStage ?? Stage.current));
      }
      throw new AppError('RESOURCE_NOT_FOUND', Messages.valueNotFoundForVersion(versionId));
    }
    const value = openVersionValue(cipher, secret, version);
    const today = startOfUtcDay(now);
    if ((version.lastAccessedAt ?? 0) < today || (secret.lastAccessedAt ?? 0) < today) {
      if (recordedDay !== today) {
        recordedDay = today;
        recordedToday.clear();
      }
      const key = `${secret.arn}\u0000${versionId}`;
      if (!recordedToday.has(key)) {
        recordedToday.add(key);
        await store.recordAccess(secret.arn, versionId, today);
      }
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: versionId,
      Value: value,
      VersionStages: stagesOf(labels, versionId),
      CreatedDate: new Date(version.createdAt),
    };
  }

  return {
    /** GetSecretValue. */
    async getSecretValue(input: GetSecretValueInput): Promise<SecretValueEntry> {
      const now = clock.now();
      const secret = await requireSecret(store, installation, input.SecretId, now);
      assertNotScheduledForDeletion(secret);
      return readVersion(secret, input, now);
    },
    /** The AWSCURRENT read of an already-resolved secret, for BatchGetSecretValue. */
    readCurrent(secret: StoredSecret, now: number): Promise<SecretValueEntry> {
      return readVersion(secret, { SecretId: secret.arn }, now);
    },
  };
}

export type SecretValueReader = ReturnType<typeof createGetSecretValue>;
