import { equivalentDays, parseRotationRules, type RotationRules } from '../domain/rotation-schedule.js';
import { stagesByVersion } from '../domain/staging-labels.js';
import type { StoredRotationConfig } from '../ports/rotation-store.js';
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
  RotationEnabled?: boolean;
  RotationLambdaARN?: string;
  RotationRules?: RotationRules;
  LastRotatedDate?: Date;
  NextRotationDate?: Date;
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
  rotation?: StoredRotationConfig | undefined,
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
  if (rotation) Object.assign(description, rotationFields(rotation));
  const byVersion = stagesByVersion(labels);
  if (byVersion.size > 0) description[versionsKey] = Object.fromEntries(byVersion);
  return description;
}

/**
 * The rotation fields, present once rotation was first configured (reference §2). Like
 * AWS, rules given as a rate in days also report the equivalent AutomaticallyAfterDays.
 */
function rotationFields(rotation: StoredRotationConfig): Partial<SecretDescription> {
  const fields: Partial<SecretDescription> = { RotationEnabled: rotation.enabled, RotationLambdaARN: rotation.functionArn };
  const rules: { AutomaticallyAfterDays?: number; ScheduleExpression?: string; Duration?: string } = { ...rotation.rules };
  if (rules.AutomaticallyAfterDays === undefined && rules.ScheduleExpression !== undefined) {
    const days = equivalentDays(parseRotationRules(rotation.rules, { timeZone: rotation.timeZone }));
    if (days !== undefined && rules.ScheduleExpression.includes('day')) rules.AutomaticallyAfterDays = days;
  }
  if (Object.keys(rules).length > 0) fields.RotationRules = rules;
  if (rotation.lastRotatedAt !== undefined) fields.LastRotatedDate = new Date(rotation.lastRotatedAt);
  if (rotation.nextRotationAt !== undefined && rotation.enabled) fields.NextRotationDate = new Date(rotation.nextRotationAt);
  return fields;
}
