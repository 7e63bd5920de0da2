import { AppError } from '../domain/errors.js';
import { matchesFilters, type SecretFilter } from '../domain/secret-filters.js';
import type { SecretListQuery } from '../ports/secret-store.js';
import type { SecretServiceDeps } from './context.js';
import { decodeNextToken, page } from './pagination.js';
import { describeSecretRecord, type SecretDescription } from './secret-description.js';

export interface ListSecretsInput {
  readonly IncludePlannedDeletion?: boolean | undefined;
  readonly MaxResults?: number | undefined;
  readonly NextToken?: string | undefined;
  readonly Filters?: readonly SecretFilter[] | undefined;
  readonly SortOrder?: 'asc' | 'desc' | undefined;
  readonly SortBy?: SecretListQuery['sortBy'] | undefined;
}

export interface ListSecretsOutput {
  SecretList: SecretDescription[];
  NextToken?: string;
}

/**
 * ListSecrets. Rotor is strongly consistent: a secret is listed as soon as it is created.
 * Filtering happens here over the store's ordered listing; fine for the tens of thousands
 * of secrets one installation holds (keyset paging in the store is the next step beyond).
 */
export function createListSecrets(deps: Pick<SecretServiceDeps, 'store' | 'clock'>) {
  const { store, clock } = deps;
  return async function listSecrets(input: ListSecretsInput): Promise<ListSecretsOutput> {
    const query: SecretListQuery = {
      includePlannedDeletion: input.IncludePlannedDeletion ?? false,
      sortBy: input.SortBy ?? 'created-date',
      sortOrder: input.SortOrder ?? 'asc',
    };
    const filters = input.Filters ?? [];
    const fingerprint = JSON.stringify([query, filters]);
    const offset = decodeNextToken(input.NextToken, fingerprint);
    const maxResults = input.MaxResults ?? 100;
    if (maxResults < 1 || maxResults > 100) {
      throw new AppError('INVALID_PARAMETER', 'MaxResults must be between 1 and 100.');
    }
    const now = clock.now();
    const secrets = (await store.listSecrets(query)).filter(
      (secret) =>
        (secret.purgeAt === undefined || secret.purgeAt > now) &&
        matchesFilters({ name: secret.name, description: secret.description, tags: secret.tags }, filters),
    );
    const { items, nextToken } = page(secrets, offset, maxResults, fingerprint);
    const SecretList: SecretDescription[] = [];
    for (const secret of items) {
      SecretList.push(
        describeSecretRecord(secret, await store.getLabels(secret.arn), 'SecretVersionsToStages', await store.getRotationConfig(secret.arn)),
      );
    }
    return nextToken === undefined ? { SecretList } : { SecretList, NextToken: nextToken };
  };
}
