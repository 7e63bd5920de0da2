import type { Knobs, Personality, PresetName } from './knobs.js';

/**
 * Glossary (spec §4.2):
 * - app: an OAuth client (`client_id`/`client_secret`) with a personality and knobs.
 * - family: one grant's chain of tokens (Slack: the bot chain or the user chain of an
 *   installation; generic: one authorization). Revoking the family kills every token in it.
 * - generation: a per-family counter bumped by every mint (install = 1). A grace replay in
 *   `new_pair` mode is a mint too, so the newest pair is always the highest generation.
 * - position: how many rotation steps a refresh token is from the grant. Siblings minted by
 *   grace replays share a position; `graceDepth` is measured in positions.
 */
export type FamilyKind = 'bot' | 'user' | 'config' | 'generic';

export interface App {
  client_id: string;
  client_secret: string;
  app_id: string;
  personality: Personality;
  preset: PresetName | null;
  knobs: Knobs;
  created_at: number;
}

export interface Family {
  id: string;
  kind: FamilyKind;
  app: App;
  team_id: string;
  team_name: string;
  enterprise_id: string | null;
  is_enterprise_install: boolean;
  /** The authorizing user (user and config tokens; generic `sub`). */
  user_id: string | null;
  bot_user_id: string | null;
  bot_id: string | null;
  scope: string;
  created_at: number;
  absolute_expires_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
  generation: number;
  /** Highest refresh-token position issued so far. */
  position: number;
  /** The refresh token a well-behaved client should hold now. */
  current_refresh: RefreshToken | null;
  access_tokens: AccessToken[];
  refresh_tokens: RefreshToken[];
  /** Access tokens that may still be active, oldest first; pruned at every mint. */
  live_access: AccessToken[];
  /** Refresh tokens that may still be accepted, oldest first; pruned at every mint. */
  live_refresh: RefreshToken[];
  /** The long-lived token this family was exchanged from (`oauth.v2.exchange`). */
  legacy_source: LegacyToken | null;
}

export interface AccessToken {
  type: 'access';
  value: string;
  hash: string;
  family: Family;
  generation: number;
  issued_at: number;
  expires_at: number;
  state: 'active' | 'revoked';
  revoked_at: number | null;
  revoked_reason: string | null;
  /** Set by `revokeOldAccessOnRefresh: after_grace`: the token stops working at this time. */
  revoke_at: number | null;
}

export interface RefreshToken {
  type: 'refresh';
  value: string;
  hash: string;
  family: Family;
  generation: number;
  position: number;
  issued_at: number;
  idle_expires_at: number | null;
  state: 'active' | 'superseded' | 'revoked';
  superseded_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
  /** The pair the first refresh with this token minted (what `same_pair` replays return). */
  successor: { access: AccessToken; refresh: RefreshToken | null } | null;
}

/** A long-lived Slack token (`xoxb-`/`xoxp-`), either from a non-rotating install or `/_sim/legacy-tokens`. */
export interface LegacyToken {
  type: 'legacy';
  value: string;
  hash: string;
  app: App;
  kind: 'bot' | 'user';
  team_id: string;
  team_name: string;
  enterprise_id: string | null;
  user_id: string;
  bot_user_id: string | null;
  bot_id: string | null;
  scope: string;
  issued_at: number;
  exchanged_family: Family | null;
  expired_at: number | null;
  revoked_at: number | null;
}

/** What an installation asks for; codes carry it until they are redeemed. */
export interface GrantRequest {
  team_id: string;
  team_name: string;
  enterprise_id: string | null;
  is_enterprise_install: boolean;
  bot: boolean;
  user: boolean;
  config: boolean;
  user_id: string;
  scope: string;
  user_scope: string;
}

export interface AuthCode {
  value: string;
  app: App;
  grant: GrantRequest;
  redirect_uri: string | null;
  code_challenge: string | null;
  code_challenge_method: string | null;
  expires_at: number;
  used: boolean;
}

/** One freshly issued chain head. */
export interface IssuedChain {
  family: Family;
  access: AccessToken;
  refresh: RefreshToken;
}

/** The result of a grant: one chain per requested kind, or long-lived tokens when rotation is off. */
export interface Installation {
  app: App;
  grant: GrantRequest;
  bot: IssuedChain | null;
  user: IssuedChain | null;
  config: IssuedChain | null;
  generic: IssuedChain | null;
  legacy_bot: LegacyToken | null;
  legacy_user: LegacyToken | null;
}
