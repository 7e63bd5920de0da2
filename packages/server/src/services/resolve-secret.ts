import { AppError, Messages } from '../domain/errors.js';
import { assertValidSecretName, isArn, parseSecretArn } from '../domain/secret-name.js';
import type { SecretReader, StoredSecret } from '../ports/secret-store.js';
import type { Installation } from './context.js';

/** The `-` and 6 characters that end a full ARN; an id ending so is never read as a partial ARN. */
const fullArnSuffix = /-[A-Za-z0-9]{6}$/;

/**
 * Finds a secret by name, full ARN or partial ARN (the ARN without its 6-character
 * suffix, reference §2). As on AWS, an ARN whose last 7 characters look like a suffix
 * is taken as a full ARN only, and a SecretId that is not an ARN must be a valid name
 * (ValidationException otherwise). A secret whose deletion window has passed counts
 * as gone even before the purge sweep removes it.
 */
export async function findSecret(
  reader: SecretReader,
  installation: Installation,
  secretId: string,
  now: number,
): Promise<StoredSecret | undefined> {
  let secret: StoredSecret | undefined;
  if (isArn(secretId)) {
    secret = await reader.findSecretByArn(secretId);
    if (!secret) {
      const parsed = parseSecretArn(secretId);
      if (
        parsed &&
        parsed.region === installation.region &&
        parsed.account === installation.accountId &&
        !fullArnSuffix.test(parsed.resource)
      ) {
        secret = await reader.findSecretByName(parsed.resource);
      }
    }
  } else {
    assertValidSecretName(secretId);
    secret = await reader.findSecretByName(secretId);
  }
  if (secret?.purgeAt !== undefined && secret.purgeAt <= now) return undefined;
  return secret;
}

export async function requireSecret(
  reader: SecretReader,
  installation: Installation,
  secretId: string,
  now: number,
): Promise<StoredSecret> {
  const secret = await findSecret(reader, installation, secretId, now);
  if (!secret) throw new AppError('RESOURCE_NOT_FOUND', Messages.secretNotFound);
  return secret;
}

/** Most operations refuse a secret that is scheduled for deletion. */
export function assertNotScheduledForDeletion(secret: StoredSecret): void {
  if (secret.deletedAt !== undefined) throw new AppError('INVALID_REQUEST', Messages.markedForDeletion);
}
