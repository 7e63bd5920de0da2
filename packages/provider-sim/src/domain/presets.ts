import type { Knobs, Personality, PresetName } from './knobs.js';

export interface Preset {
  personality: Personality;
  knobs: Knobs;
}

const DAY = 86_400;

const SLACK: Knobs = {
  accessTokenTtl: 43_200,
  expiresInJitter: null,
  rotateRefreshToken: true,
  returnRefreshTokenOnRefresh: 'new',
  // Slack says "a short grace period" without a number (reference §1.4); 10 s is our pick.
  refreshGraceSeconds: 10,
  graceReuseMode: 'new_pair',
  graceDepth: 1,
  reuseRevokesFamily: false,
  revokeOldAccessOnRefresh: 'never',
  maxActiveTokens: 2,
  activeLimitScope: 'access',
  refreshTokenIdleTtl: null,
  familyAbsoluteTtl: null,
  maxLiveRefreshTokensPerUserClient: null,
  legacyExpireOnFirstRefresh: true,
  legacyExpiredError: 'token_expired',
  errorStyle: 'slack',
  tokenRotationEnabled: true,
  authTestExpiresIn: true,
  rateLimitPerMinute: 600,
  authorizationCodeTtl: 600,
  refreshTokenExpiresIn: false,
  accessTokenPrefix: '',
  refreshTokenPrefix: '',
};

/** A plain rotating RFC 6749 server without grace; the presets below adjust it. */
const GENERIC: Knobs = {
  ...SLACK,
  accessTokenTtl: 3600,
  refreshGraceSeconds: 0,
  maxActiveTokens: null,
  errorStyle: 'rfc6749',
  rateLimitPerMinute: null,
};

const generic = (knobs: Partial<Knobs>): Preset => ({ personality: 'oauth2', knobs: { ...GENERIC, ...knobs } });

/** Spec §4.9; the numbers come from the provider table in reference §3.2. */
export const PRESETS: Record<PresetName, Preset> = {
  slack: { personality: 'slack', knobs: SLACK },
  // App configuration tokens (tooling.tokens.rotate): 12 h, same rotation machine, no documented active limit.
  'slack-config': { personality: 'slack', knobs: { ...SLACK, maxActiveTokens: null, rateLimitPerMinute: null } },
  auth0: generic({
    accessTokenTtl: DAY,
    refreshGraceSeconds: 10,
    graceDepth: 1,
    reuseRevokesFamily: true,
    refreshTokenIdleTtl: 15 * DAY,
    familyAbsoluteTtl: 30 * DAY,
  }),
  okta: generic({ refreshGraceSeconds: 30, graceDepth: 1, reuseRevokesFamily: true }),
  google: generic({
    accessTokenTtl: 3599,
    rotateRefreshToken: false,
    returnRefreshTokenOnRefresh: 'omit',
    refreshTokenIdleTtl: 180 * DAY,
    maxLiveRefreshTokensPerUserClient: 100,
    accessTokenPrefix: 'ya29.',
    refreshTokenPrefix: '1//',
  }),
  // Old refresh tokens are never revoked by a refresh; they live out their 90 days.
  microsoft: generic({
    expiresInJitter: [0, 1800],
    refreshGraceSeconds: 90 * DAY,
    graceDepth: Number.MAX_SAFE_INTEGER,
    refreshTokenIdleTtl: 90 * DAY,
  }),
  'github-app': generic({
    accessTokenTtl: 28_800,
    revokeOldAccessOnRefresh: 'immediate',
    refreshTokenIdleTtl: 15_897_600,
    refreshTokenExpiresIn: true,
    accessTokenPrefix: 'ghu_',
    refreshTokenPrefix: 'ghr_',
  }),
  zoom: generic({ refreshTokenIdleTtl: 90 * DAY }),
  atlassian: generic({
    refreshGraceSeconds: 600,
    revokeOldAccessOnRefresh: 'after_grace',
    reuseRevokesFamily: true,
    refreshTokenIdleTtl: 90 * DAY,
    familyAbsoluteTtl: 365 * DAY,
  }),
  hubspot: generic({ accessTokenTtl: 1800, rotateRefreshToken: false, returnRefreshTokenOnRefresh: 'same' }),
  xero: generic({ accessTokenTtl: 1800, refreshGraceSeconds: 1800, refreshTokenIdleTtl: 30 * DAY }),
  'strict-bcp': generic({ refreshGraceSeconds: 0, reuseRevokesFamily: true }),
};
