import { AppError } from '../../domain/errors.js';
import type { RequestContext } from '../../services/context.js';
import type { createBatchGetSecretValue } from '../../services/batch-get-secret-value.js';
import type { createCancelRotateSecret } from '../../services/cancel-rotate-secret.js';
import type { createRotateSecret } from '../../services/rotate-secret.js';
import type { createCreateSecret } from '../../services/create-secret.js';
import type { createDeleteSecret } from '../../services/delete-secret.js';
import type { createDescribeSecret } from '../../services/describe-secret.js';
import type { SecretValueEntry, SecretValueReader } from '../../services/get-secret-value.js';
import { getRandomPassword } from '../../services/get-random-password.js';
import type { createListSecretVersionIds } from '../../services/list-secret-version-ids.js';
import type { createListSecrets } from '../../services/list-secrets.js';
import type { createPutSecretValue } from '../../services/put-secret-value.js';
import type { createResourcePolicyService } from '../../services/resource-policy.js';
import type { createRestoreSecret } from '../../services/restore-secret.js';
import type { createTagResource } from '../../services/tag-resource.js';
import type { createUntagResource } from '../../services/untag-resource.js';
import type { createUpdateSecretVersionStage } from '../../services/update-secret-version-stage.js';
import type { createUpdateSecret } from '../../services/update-secret.js';
import { filtersOf, secretValueOf, shapes, type OperationInput, type OperationName } from './shapes.js';
import { WireJson } from './wire.js';

/** The use cases the AWS edge calls, one per operation. */
export interface AwsJsonServices {
  readonly createSecret: ReturnType<typeof createCreateSecret>;
  readonly secretValues: SecretValueReader;
  readonly batchGetSecretValue: ReturnType<typeof createBatchGetSecretValue>;
  readonly describeSecret: ReturnType<typeof createDescribeSecret>;
  readonly putSecretValue: ReturnType<typeof createPutSecretValue>;
  readonly updateSecret: ReturnType<typeof createUpdateSecret>;
  readonly updateSecretVersionStage: ReturnType<typeof createUpdateSecretVersionStage>;
  readonly listSecrets: ReturnType<typeof createListSecrets>;
  readonly listSecretVersionIds: ReturnType<typeof createListSecretVersionIds>;
  readonly deleteSecret: ReturnType<typeof createDeleteSecret>;
  readonly restoreSecret: ReturnType<typeof createRestoreSecret>;
  readonly tagResource: ReturnType<typeof createTagResource>;
  readonly untagResource: ReturnType<typeof createUntagResource>;
  readonly resourcePolicies: ReturnType<typeof createResourcePolicyService>;
  readonly rotateSecret: ReturnType<typeof createRotateSecret>;
  readonly cancelRotateSecret: ReturnType<typeof createCancelRotateSecret>;
}

/** Wire form of a secret value entry: SecretString or base64 SecretBinary. */
export function wireSecretValue(entry: SecretValueEntry): Record<string, unknown> {
  const wire: Record<string, unknown> = { ARN: entry.ARN, Name: entry.Name, VersionId: entry.VersionId };
  if (entry.Value.kind === 'string') wire.SecretString = entry.Value.value.reveal();
  else wire.SecretBinary = entry.Value.value.reveal().toString('base64');
  wire.VersionStages = entry.VersionStages;
  wire.CreatedDate = entry.CreatedDate.getTime() / 1000;
  return wire;
}

type Handler<Name extends OperationName> = (input: OperationInput<Name>, context: RequestContext) => Promise<unknown> | unknown;

type OperationTable = { readonly [Name in OperationName]: Handler<Name> };

/** Operations of the AWS API that later releases of Rotor deliver. */
export const laterOperations = new Set([
  'ReplicateSecretToRegions',
  'RemoveRegionsFromReplication',
  'StopReplicationToReplica',
]);

export function createOperationTable(services: AwsJsonServices): OperationTable {
  return {
    CreateSecret: (input, context) =>
      services.createSecret(
        {
          Name: input.Name,
          ClientRequestToken: input.ClientRequestToken,
          Description: input.Description,
          KmsKeyId: input.KmsKeyId,
          Type: input.Type,
          Value: secretValueOf(input),
          Tags: input.Tags,
          AddReplicaRegions: input.AddReplicaRegions,
        },
        context,
      ),
    GetSecretValue: async (input) => new WireJson(JSON.stringify(wireSecretValue(await services.secretValues.getSecretValue(input)))),
    BatchGetSecretValue: async (input) => {
      const output = await services.batchGetSecretValue({
        SecretIdList: input.SecretIdList,
        Filters: filtersOf(input.Filters),
        MaxResults: input.MaxResults,
        NextToken: input.NextToken,
      });
      return { ...output, SecretValues: output.SecretValues.map(wireSecretValue) };
    },
    DescribeSecret: (input) => services.describeSecret(input),
    PutSecretValue: (input, context) =>
      services.putSecretValue(
        {
          SecretId: input.SecretId,
          ClientRequestToken: input.ClientRequestToken,
          Value: secretValueOf(input),
          VersionStages: input.VersionStages,
        },
        context,
      ),
    UpdateSecret: (input, context) =>
      services.updateSecret(
        {
          SecretId: input.SecretId,
          ClientRequestToken: input.ClientRequestToken,
          Description: input.Description,
          KmsKeyId: input.KmsKeyId,
          Type: input.Type,
          Value: secretValueOf(input),
        },
        context,
      ),
    UpdateSecretVersionStage: (input, context) => services.updateSecretVersionStage(input, context),
    ListSecrets: (input) => services.listSecrets({ ...input, Filters: filtersOf(input.Filters) }),
    ListSecretVersionIds: (input) => services.listSecretVersionIds(input),
    DeleteSecret: (input, context) => services.deleteSecret(input, context),
    RestoreSecret: (input, context) => services.restoreSecret(input, context),
    TagResource: (input, context) => services.tagResource(input, context),
    UntagResource: (input, context) => services.untagResource(input, context),
    GetRandomPassword: (input) => getRandomPassword(input),
    PutResourcePolicy: (input, context) => services.resourcePolicies.putResourcePolicy(input, context),
    GetResourcePolicy: (input) => services.resourcePolicies.getResourcePolicy(input),
    DeleteResourcePolicy: (input, context) => services.resourcePolicies.deleteResourcePolicy(input, context),
    ValidateResourcePolicy: (input) => services.resourcePolicies.validateResourcePolicy(input),
    RotateSecret: (input, context) => services.rotateSecret(input, context),
    CancelRotateSecret: (input, context) => services.cancelRotateSecret(input, context),
  };
}

export function isOperationName(name: string): name is OperationName {
  return Object.hasOwn(shapes, name);
}

export function unknownOperation(name: string): AppError {
  if (laterOperations.has(name)) {
    return new AppError('NOT_SUPPORTED', `${name} is not available in this version of Rotor.`);
  }
  return new AppError('UNKNOWN_OPERATION', `The operation ${name || '(none)'} is not supported by Secrets Manager.`);
}
