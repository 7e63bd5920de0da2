import { stagesByVersion } from '../domain/staging-labels.js';
import type { StoredSecret, Tag } from '../ports/secret-store.js';

/**
 * The metadata shape shared by DescribeSecret and ListSecrets entries. Only fields that
 * have a value are present (reference §2, DescribeSecret field rules).
 */
export interface SecretDescription {
  ARN: string;
  Name: string;
  Description?: string;
  KmsKeyId?: string;
  Type?: string;
  LastChangedDate: Date;
  LastAccessedDate?: Date;
  DeletedDate?: Date;
  Tags?: Tag[];
  CreatedDate: Date;
  /** DescribeSecret's name for the version → stages map. */
  VersionIdsToStages?: Record<string, string[]>;
  /** ListSecrets' name for the same map. */
  SecretVersionsToStages?: Record<string, string[]>;
}

export function describeSecretRecord(
  secret: StoredSecret,
  labels: ReadonlyMap<string, string>,
  versionsKey: 'VersionIdsToStages' | 'SecretVersionsToStages',
): SecretDescription {
  const description: SecretDescription = {
    ARN: secret.arn,
    Name: secret.name,
    LastChangedDate: new Date(secret.lastChangedAt),
    CreatedDate: new Date(secret.createdAt),
  };
  if (secret.description !== undefined) description.Description = secret.description;
  if (secret.kmsKeyId !== undefined) description.KmsKeyId = secret.kmsKeyId;
  if (secret.type !== undefined) description.Type = secret.type;
  if (secret.lastAccessedAt !== undefined) description.LastAccessedDate = new Date(secret.lastAccessedAt);
  if (secret.deletedAt !== undefined) description.DeletedDate = new Date(secret.deletedAt);
  if (secret.tags !== undefined) description.Tags = [...secret.tags];
  const byVersion = stagesByVersion(labels);
  if (byVersion.size > 0) description[versionsKey] = Object.fromEntries(byVersion);
  return description;
}
