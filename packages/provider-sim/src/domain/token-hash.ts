import { createHash } from 'node:crypto';

/**
 * How a token appears in events and views: the first 16 hex characters of its SHA-256.
 * Enough to correlate requests, useless for replaying them; token values never leave
 * the simulator any other way than in the response that issued them.
 */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}
