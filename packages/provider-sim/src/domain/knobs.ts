/** Which wire protocol an app speaks: Slack's `/api/` methods or generic RFC 6749 `/oauth2/`. */
export type Personality = 'slack' | 'oauth2';

/** What a refresh with a superseded refresh token inside the grace window returns. */
export type GraceReuseMode = 'new_pair' | 'same_pair' | 'access_only';

/** When the access tokens of earlier generations stop working after a refresh. */
export type RevokeOldAccess = 'never' | 'immediate' | 'after_grace';

/** Whether a refresh response carries a new refresh token, the presented one, or none. */
export type RefreshTokenReturn = 'new' | 'same' | 'omit';

/** Which tokens count towards `maxActiveTokens`. */
export type ActiveLimitScope = 'access' | 'refresh' | 'both';

/**
 * Per-app behaviour switches (spec §4.5, plus a few additions marked "added").
 * Durations are in simulated seconds; `null` means "no limit".
 */
export interface Knobs {
  /** `expires_in` of access tokens. Slack: 43200. */
  accessTokenTtl: number;
  /** Extra random seconds added to `accessTokenTtl`, drawn from [min, max] (Microsoft: 60–90 min). */
  expiresInJitter: [number, number] | null;
  /** Whether a refresh issues a new refresh token. `false` behaves like `returnRefreshTokenOnRefresh: "same"`. */
  rotateRefreshToken: boolean;
  /** `new` rotates, `same` returns the presented token (HubSpot), `omit` leaves it out (Google). */
  returnRefreshTokenOnRefresh: RefreshTokenReturn;
  /** How long a superseded refresh token is still accepted. 0 disables the grace window. */
  refreshGraceSeconds: number;
  /** What a grace replay returns. Slack: `new_pair` (another distinct pair). */
  graceReuseMode: GraceReuseMode;
  /** How many rotation steps behind the newest refresh token a grace replay may be (Auth0: 1). */
  graceDepth: number;
  /** Whether presenting a superseded refresh token outside the grace window revokes the whole family. */
  reuseRevokesFamily: boolean;
  /** When earlier access tokens of the family are revoked after a refresh. */
  revokeOldAccessOnRefresh: RevokeOldAccess;
  /** Maximum active tokens per family; the oldest excess is revoked (reason `active_limit`). Slack: 2. */
  maxActiveTokens: number | null;
  /** Added: which tokens `maxActiveTokens` counts. */
  activeLimitScope: ActiveLimitScope;
  /** A refresh token unused for this long expires. */
  refreshTokenIdleTtl: number | null;
  /** A family (grant) expires this long after the initial authorization, whatever happens. */
  familyAbsoluteTtl: number | null;
  /** Live grants per (client, team, user); a new grant revokes the oldest (Google: 100). */
  maxLiveRefreshTokensPerUserClient: number | null;
  /** Slack `oauth.v2.exchange`: the legacy token expires at the first successful refresh of the new family. */
  legacyExpireOnFirstRefresh: boolean;
  /** Added: the error an expired legacy token gets. */
  legacyExpiredError: 'token_expired' | 'invalid_auth';
  /** Body and status format of errors (follows the personality unless overridden). */
  errorStyle: 'slack' | 'rfc6749';
  /** Added: Slack app setting `token_rotation_enabled`; off issues long-lived `xoxb-`/`xoxp-` tokens. */
  tokenRotationEnabled: boolean;
  /** Added: whether `auth.test` reports `expires_in`. */
  authTestExpiresIn: boolean;
  /** Added: built-in token-bucket limit on the token endpoint per (method, app, team). Slack: 600. */
  rateLimitPerMinute: number | null;
  /** Added: lifetime of authorization codes. */
  authorizationCodeTtl: number;
  /** Added: whether generic token responses carry `refresh_token_expires_in` (GitHub). */
  refreshTokenExpiresIn: boolean;
  /** Added: prefix of generic access tokens (GitHub `ghu_`, Google `ya29.`). */
  accessTokenPrefix: string;
  /** Added: prefix of generic refresh tokens (GitHub `ghr_`, Google `1//`). */
  refreshTokenPrefix: string;
}

export const PRESET_NAMES = [
  'slack',
  'slack-config',
  'auth0',
  'okta',
  'google',
  'microsoft',
  'github-app',
  'zoom',
  'atlassian',
  'hubspot',
  'xero',
  'strict-bcp',
] as const;

export type PresetName = (typeof PRESET_NAMES)[number];

export function isPresetName(value: unknown): value is PresetName {
  return typeof value === 'string' && (PRESET_NAMES as readonly string[]).includes(value);
}
