import { AppError } from '../domain/errors.js';
import { stagesOf } from '../domain/staging-labels.js';
import type { SecretServiceDeps } from './context.js';
import { decodeNextToken, page } from './pagination.js';
import { requireSecret } from './resolve-secret.js';

export interface ListSecretVersionIdsInput {
  readonly SecretId: string;
  readonly MaxResults?: number | undefined;
  readonly NextToken?: string | undefined;
  readonly IncludeDeprecated?: boolean | undefined;
}

export interface VersionListEntry {
  VersionId: string;
  VersionStages?: string[];
  LastAccessedDate?: Date;
  CreatedDate: Date;
  KmsKeyIds: string[];
}

export interface ListSecretVersionIdsOutput {
  Versions: VersionListEntry[];
  NextToken?: string;
  ARN: string;
  Name: string;
}

/**
 * ListSecretVersionIds, newest first. Deprecated (unlabelled) versions appear only with
 * IncludeDeprecated, and then without a VersionStages key (reference §2). Empty versions
 * a rotation has not filled yet are listed: AWS shows the AWSPENDING id during createSecret.
 */
export function createListSecretVersionIds(deps: Pick<SecretServiceDeps, 'store' | 'clock' | 'installation'>) {
  const { store, clock, installation } = deps;
  return async function listSecretVersionIds(input: ListSecretVersionIdsInput): Promise<ListSecretVersionIdsOutput> {
    const maxResults = input.MaxResults ?? 100;
    if (maxResults < 1 || maxResults > 100) {
      throw new AppError('INVALID_PARAMETER', 'MaxResults must be between 1 and 100.');
    }
    const secret = await requireSecret(store, installation, input.SecretId, clock.now());
    const includeDeprecated = input.IncludeDeprecated ?? false;
    const fingerprint = JSON.stringify([secret.arn, includeDeprecated]);
    const offset = decodeNextToken(input.NextToken, fingerprint);
    const labels = await store.getLabels(secret.arn);
    const entries: VersionListEntry[] = [];
    for (const version of (await store.listVersions(secret.arn)).reverse()) {
      const stages = stagesOf(labels, version.versionId);
      if (stages.length === 0 && !includeDeprecated) continue;
      const entry: VersionListEntry = {
        VersionId: version.versionId,
        CreatedDate: new Date(version.createdAt),
        KmsKeyIds: [secret.kmsKeyId ?? 'DefaultEncryptionKey'],
      };
      if (stages.length > 0) entry.VersionStages = stages;
      if (version.lastAccessedAt !== undefined) entry.LastAccessedDate = new Date(version.lastAccessedAt);
      entries.push(entry);
    }
    const { items, nextToken } = page(entries, offset, maxResults, fingerprint);
    const output: ListSecretVersionIdsOutput = { Versions: items, ARN: secret.arn, Name: secret.name };
    if (nextToken !== undefined) output.NextToken = nextToken;
    return output;
  };
}
