import { z } from 'zod';
import { AppError, Messages } from '../../domain/errors.js';
import { redact } from '../../domain/redacted.js';
import { parseSecretFilters } from '../../domain/secret-filters.js';
import type { SecretValue } from '../../domain/secret-value.js';

/**
 * Request shapes of the Secrets Manager operations, with the constraints of the
 * botocore service model (reference §3). Unknown members are ignored, as AWS does.
 */
const secretId = z.string().min(1).max(2048);
const token = z.string().min(32).max(64);
const versionId = z.string().min(32).max(64);
const stage = z.string().min(1).max(256);
const secretString = z.string().min(1).max(65536);
// SecretBinary travels as base64; its decoded size is checked once decoded.
const secretBinary = z.string().min(1).max(87384);
const description = z.string().max(2048);
const kmsKeyId = z.string().max(2048);
const tag = z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) });
const tags = z.array(tag).max(50);
// Key and Values are optional in the model: a filter missing either is refused by the
// service ("Invalid filter key"), not by the model's "must not be null" (secret-filters.ts).
const rawFilters = z.array(z.object({ Key: z.unknown().optional(), Values: z.unknown().optional() })).max(10);
const nextToken = z.string().min(1).max(4096);

export const shapes = {
  CreateSecret: z.object({
    Name: z.string().min(1).max(512),
    ClientRequestToken: token.optional(),
    Description: description.optional(),
    KmsKeyId: kmsKeyId.optional(),
    SecretBinary: secretBinary.optional(),
    SecretString: secretString.optional(),
    Tags: tags.optional(),
    AddReplicaRegions: z.array(z.unknown()).optional(),
    ForceOverwriteReplicaSecret: z.boolean().optional(),
    Type: z.string().max(256).optional(),
  }),
  GetSecretValue: z.object({ SecretId: secretId, VersionId: versionId.optional(), VersionStage: stage.optional() }),
  BatchGetSecretValue: z.object({
    SecretIdList: z.array(secretId).min(1).max(20).optional(),
    Filters: rawFilters.optional(),
    MaxResults: z.number().int().min(1).max(20).optional(),
    NextToken: nextToken.optional(),
  }),
  DescribeSecret: z.object({ SecretId: secretId }),
  PutSecretValue: z.object({
    SecretId: secretId,
    ClientRequestToken: token.optional(),
    SecretBinary: secretBinary.optional(),
    SecretString: secretString.optional(),
    VersionStages: z.array(stage).min(1).max(20).optional(),
    RotationToken: z.string().min(36).max(256).regex(/^[a-zA-Z0-9-]+$/).optional(),
  }),
  UpdateSecret: z.object({
    SecretId: secretId,
    ClientRequestToken: token.optional(),
    Description: description.optional(),
    KmsKeyId: kmsKeyId.optional(),
    SecretBinary: secretBinary.optional(),
    SecretString: secretString.optional(),
    Type: z.string().max(256).optional(),
  }),
  UpdateSecretVersionStage: z.object({
    SecretId: secretId,
    VersionStage: stage,
    RemoveFromVersionId: versionId.optional(),
    MoveToVersionId: versionId.optional(),
  }),
  ListSecrets: z.object({
    IncludePlannedDeletion: z.boolean().optional(),
    MaxResults: z.number().int().min(1).max(100).optional(),
    NextToken: nextToken.optional(),
    Filters: rawFilters.optional(),
    SortOrder: z.enum(['asc', 'desc']).optional(),
    SortBy: z.enum(['created-date', 'last-accessed-date', 'last-changed-date', 'name']).optional(),
  }),
  ListSecretVersionIds: z.object({
    SecretId: secretId,
    MaxResults: z.number().int().min(1).max(100).optional(),
    NextToken: nextToken.optional(),
    IncludeDeprecated: z.boolean().optional(),
  }),
  DeleteSecret: z.object({
    SecretId: secretId,
    RecoveryWindowInDays: z.number().int().optional(),
    ForceDeleteWithoutRecovery: z.boolean().optional(),
  }),
  RestoreSecret: z.object({ SecretId: secretId }),
  TagResource: z.object({ SecretId: secretId, Tags: tags }),
  UntagResource: z.object({ SecretId: secretId, TagKeys: z.array(z.string().min(1).max(128)) }),
  GetRandomPassword: z.object({
    PasswordLength: z.number().int().optional(),
    ExcludeCharacters: z.string().optional(),
    ExcludeNumbers: z.boolean().optional(),
    ExcludePunctuation: z.boolean().optional(),
    ExcludeUppercase: z.boolean().optional(),
    ExcludeLowercase: z.boolean().optional(),
    IncludeSpace: z.boolean().optional(),
    RequireEachIncludedType: z.boolean().optional(),
  }),
  PutResourcePolicy: z.object({
    SecretId: secretId,
    ResourcePolicy: z.string().min(1).max(20480),
    BlockPublicPolicy: z.boolean().optional(),
  }),
  GetResourcePolicy: z.object({ SecretId: secretId }),
  DeleteResourcePolicy: z.object({ SecretId: secretId }),
  ValidateResourcePolicy: z.object({ SecretId: secretId.optional(), ResourcePolicy: z.string().min(1).max(20480) }),
  RotateSecret: z.object({
    SecretId: secretId,
    ClientRequestToken: token.optional(),
    RotationLambdaARN: z.string().max(2048).optional(),
    RotationRules: z
      .object({
        // Range checked by the schedule rules, which give AWS's own message for it.
        AutomaticallyAfterDays: z.number().int().optional(),
        Duration: z.string().min(2).max(3).regex(/^[0-9]+h$/).optional(),
        ScheduleExpression: z.string().min(1).max(256).optional(),
      })
      .optional(),
    RotateImmediately: z.boolean().optional(),
  }),
  CancelRotateSecret: z.object({ SecretId: secretId }),
} as const;

export type OperationName = keyof typeof shapes;
export type OperationInput<Name extends OperationName> = z.infer<(typeof shapes)[Name]>;

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The value members of a request as one SecretValue, wrapped in Redacted as soon as it
 * leaves the JSON. Both members at once is refused.
 */
export function secretValueOf(input: { SecretString?: string | undefined; SecretBinary?: string | undefined }): SecretValue | undefined {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
    throw new AppError('INVALID_PARAMETER', Messages.bothValues);
  }
  if (input.SecretString !== undefined) return { kind: 'string', value: redact(input.SecretString) };
  if (input.SecretBinary !== undefined) {
    if (input.SecretBinary.length % 4 !== 0 || !base64Pattern.test(input.SecretBinary)) {
      throw new AppError('SERIALIZATION', 'SecretBinary must be base64-encoded.');
    }
    const bytes = Buffer.from(input.SecretBinary, 'base64');
    if (bytes.length < 1 || bytes.length > 65536) {
      throw new AppError('VALIDATION', "1 validation error detected: Value at 'secretBinary' failed to satisfy constraint: Member must have length less than or equal to 65536");
    }
    return { kind: 'binary', value: redact(bytes) };
  }
  return undefined;
}

export function filtersOf(raw: ReadonlyArray<{ Key?: unknown; Values?: unknown }> | undefined) {
  return raw === undefined ? undefined : parseSecretFilters(raw);
}
