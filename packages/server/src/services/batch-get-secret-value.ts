import { AppError, coerceError } from '../domain/errors.js';
import { matchesFilters, type SecretFilter } from '../domain/secret-filters.js';
import type { SecretServiceDeps } from './context.js';
import type { SecretValueEntry, SecretValueReader } from './get-secret-value.js';
import { decodeNextToken, page } from './pagination.js';
import { findSecret } from './resolve-secret.js';

export interface BatchGetSecretValueInput {
  readonly SecretIdList?: readonly string[] | undefined;
  readonly Filters?: readonly SecretFilter[] | undefined;
  readonly MaxResults?: number | undefined;
  readonly NextToken?: string | undefined;
}

export interface BatchError {
  SecretId: string;
  ErrorCode: string;
  Message: string;
}

export interface BatchGetSecretValueOutput {
  SecretValues: SecretValueEntry[];
  Errors: BatchError[];
  NextToken?: string;
}

/**
 * BatchGetSecretValue: partial success is normal, so per-secret failures are collected
 * as `Errors` (a result object) instead of failing the call. `errorType` maps an AppError
 * code to the wire ErrorCode; it comes from the edge that owns that table.
 */
export function createBatchGetSecretValue(
  deps: Pick<SecretServiceDeps, 'store' | 'clock' | 'installation'> & {
    readonly reader: SecretValueReader;
    readonly errorType: (code: AppError['code']) => string;
  },
) {
  const { store, clock, installation, reader, errorType } = deps;
  return async function batchGetSecretValue(input: BatchGetSecretValueInput): Promise<BatchGetSecretValueOutput> {
    const ids = input.SecretIdList;
    const filters = input.Filters;
    if (ids !== undefined && filters !== undefined) {
      throw new AppError('INVALID_PARAMETER', "Either 'SecretIdList' or 'Filters' must be provided, but not both.");
    }
    if (input.MaxResults !== undefined && filters === undefined) {
      throw new AppError('INVALID_PARAMETER', "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.");
    }
    if (ids === undefined && filters === undefined) {
      throw new AppError('INVALID_PARAMETER', "Either 'SecretIdList' or 'Filters' must be provided.");
    }
    const now = clock.now();
    const output: BatchGetSecretValueOutput = { SecretValues: [], Errors: [] };
    if (ids !== undefined) {
      for (const secretId of ids) {
        try {
          const secret = await findSecret(store, installation, secretId, now);
          if (!secret) throw new AppError('RESOURCE_NOT_FOUND', "Secrets Manager can't find the specified secret.");
          if (secret.deletedAt !== undefined) {
            throw new AppError('INVALID_REQUEST', "You can't perform this operation on the secret because it was marked for deletion.");
          }
          output.SecretValues.push(await reader.readCurrent(secret, now));
        } catch (thrown) {
          const error = coerceError(thrown);
          output.Errors.push({ SecretId: secretId, ErrorCode: errorType(error.code), Message: error.message });
        }
      }
      return output;
    }
    const maxResults = input.MaxResults ?? 20;
    if (maxResults < 1 || maxResults > 20) throw new AppError('INVALID_PARAMETER', 'MaxResults must be between 1 and 20.');
    const fingerprint = JSON.stringify(['batch', filters]);
    const offset = decodeNextToken(input.NextToken, fingerprint);
    const secrets = (await store.listSecrets({ includePlannedDeletion: false, sortBy: 'created-date', sortOrder: 'asc' })).filter(
      (secret) =>
        (secret.purgeAt === undefined || secret.purgeAt > now) &&
        matchesFilters({ name: secret.name, description: secret.description, tags: secret.tags }, filters ?? []),
    );
    const { items, nextToken } = page(secrets, offset, maxResults, fingerprint);
    for (const secret of items) {
      try {
        output.SecretValues.push(await reader.readCurrent(secret, now));
      } catch (thrown) {
        const error = coerceError(thrown);
        output.Errors.push({ SecretId: secret.arn, ErrorCode: errorType(error.code), Message: error.message });
      }
    }
    if (nextToken !== undefined) output.NextToken = nextToken;
    return output;
  };
}
