import { randomInt } from 'node:crypto';
import { AppError, Messages } from '../domain/errors.js';
import { assertValidSecretName, secretArn } from '../domain/secret-name.js';
import type { SecretValue } from '../domain/secret-value.js';
import type { Tag } from '../ports/secret-store.js';
import type { RequestContext, SecretServiceDeps } from './context.js';
import { assertValidTags } from './tag-rules.js';
import { writeVersion } from './write-version.js';

export interface CreateSecretInput {
  readonly Name: string;
  readonly ClientRequestToken: string | undefined;
  readonly Description?: string | undefined;
  readonly KmsKeyId?: string | undefined;
  readonly Type?: string | undefined;
  readonly Value?: SecretValue | undefined;
  readonly Tags?: readonly Tag[] | undefined;
  readonly AddReplicaRegions?: readonly unknown[] | undefined;
}

export interface CreateSecretOutput {
  ARN: string;
  Name: string;
  VersionId?: string;
}

const suffixAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function arnSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += suffixAlphabet[randomInt(suffixAlphabet.length)];
  return suffix;
}

export function createCreateSecret(deps: SecretServiceDeps) {
  const { store, cipher, clock, installation } = deps;
  return async function createSecret(input: CreateSecretInput, context: RequestContext): Promise<CreateSecretOutput> {
    if (input.ClientRequestToken === undefined) throw new AppError('INVALID_REQUEST', Messages.missingToken);
    assertValidSecretName(input.Name);
    if (input.Tags) assertValidTags(input.Tags);
    if (input.AddReplicaRegions && input.AddReplicaRegions.length > 0) {
      throw new AppError('NOT_SUPPORTED', 'Rotor does not replicate secrets to other regions.');
    }
    const token = input.ClientRequestToken;
    return store.transaction(async (tx) => {
      const now = clock.now();
      const existing = await tx.findSecretByName(input.Name);
      if (existing) {
        if (existing.purgeAt !== undefined && existing.purgeAt <= now) {
          await tx.purgeSecret(existing.arn);
        } else {
          if (existing.deletedAt !== undefined) {
            throw new AppError(
              'INVALID_REQUEST',
              "You can't create this secret because a secret with this name is already scheduled for deletion.",
            );
          }
          // A retry of the same call (same token, same value) answers as the first call did.
          const retried = input.Value && (await tx.getVersion(existing.arn, token));
          if (retried && input.Value) {
            await writeVersion(tx, cipher, { secret: existing, versionId: token, value: input.Value, stages: undefined, now });
            return { ARN: existing.arn, Name: existing.name, VersionId: token };
          }
          throw new AppError('RESOURCE_EXISTS', `The operation failed because the secret ${input.Name} already exists.`);
        }
      }
      const arn = secretArn(installation.region, installation.accountId, input.Name, arnSuffix());
      const secret = {
        arn,
        name: input.Name,
        description: input.Description === '' ? undefined : input.Description,
        kmsKeyId: input.KmsKeyId === '' ? undefined : input.KmsKeyId,
        type: input.Type,
        createdAt: now,
        lastChangedAt: now,
        lastAccessedAt: undefined,
        deletedAt: undefined,
        purgeAt: undefined,
        tags: input.Tags && input.Tags.length > 0 ? [...input.Tags] : undefined,
        resourcePolicy: undefined,
        wrappedKey: cipher.newDataKey(arn),
      };
      await tx.insertSecret(secret);
      const output: CreateSecretOutput = { ARN: arn, Name: input.Name };
      if (input.Value) {
        await writeVersion(tx, cipher, { secret, versionId: token, value: input.Value, stages: undefined, now });
        output.VersionId = token;
      }
      await tx.appendAudit({ at: now, actor: context.actor, operation: 'CreateSecret', secretArn: arn, versionId: output.VersionId });
      return output;
    });
  };
}
