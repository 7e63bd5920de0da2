import type { AccessToken, Family } from '../domain/model.js';
import { expiresIn } from './slack-bodies.js';

/** RFC 6749 §5.1 success body. */
export function oauth2TokenBody(family: Family, access: AccessToken, refreshValue: string | null, refreshIdleExpiresAt: number | null, now: number): Record<string, unknown> {
  const knobs = family.app.knobs;
  const body: Record<string, unknown> = {
    access_token: access.value,
    token_type: 'Bearer',
    expires_in: expiresIn(access),
  };
  if (refreshValue !== null) {
    body.refresh_token = refreshValue;
    const ends = [refreshIdleExpiresAt, family.absolute_expires_at].filter((t): t is number => t !== null);
    if (knobs.refreshTokenExpiresIn && ends.length > 0) body.refresh_token_expires_in = Math.max(0, Math.floor(Math.min(...ends) - now));
  }
  body.scope = family.scope;
  return body;
}
