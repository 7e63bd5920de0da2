import { AppError } from '../domain/errors.js';

/**
 * Opaque NextToken: the offset into a listing plus a fingerprint of the request that
 * produced it, so a token replayed against another listing is refused rather than
 * silently paging through the wrong thing.
 */
export function encodeNextToken(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint }), 'utf8').toString('base64url');
}

export function decodeNextToken(token: string | undefined, fingerprint: string): number {
  if (token === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; f?: unknown };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0 && parsed.f === fingerprint) {
      return parsed.o;
    }
  } catch {
    // fall through to the AWS error below
  }
  throw new AppError('INVALID_NEXT_TOKEN', 'The NextToken value is invalid.');
}

/** One page of `items` from `offset`, with the token for the next page when one remains. */
export function page<T>(items: readonly T[], offset: number, maxResults: number, fingerprint: string) {
  const slice = items.slice(offset, offset + maxResults);
  const next = offset + maxResults < items.length ? encodeNextToken(offset + maxResults, fingerprint) : undefined;
  return { items: slice, nextToken: next };
}
