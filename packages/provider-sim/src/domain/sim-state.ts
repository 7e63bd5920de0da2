import { createHash } from 'node:crypto';
import type { SimClock } from './clock.js';
import { SimInputError } from './errors.js';
import { isPresetName, type Knobs, type Personality, type PresetName } from './knobs.js';
import type {
  AccessToken,
  App,
  AuthCode,
  Family,
  FamilyKind,
  GrantRequest,
  Installation,
  IssuedChain,
  LegacyToken,
  RefreshToken,
} from './model.js';
import { PRESETS } from './presets.js';
import type { SeededRandom } from './prng.js';
import { tokenHash } from './token-hash.js';
import { TokenShapes } from './token-shapes.js';

export type TokenStatus = 'active' | 'expired' | 'revoked';
export type RefreshStatus = 'active' | 'grace' | 'superseded' | 'expired' | 'revoked';

export type RefreshRejection = 'unknown' | 'wrong_client' | 'wrong_kind' | 'revoked' | 'expired' | 'superseded' | 'invalid_scope';

export type RefreshResult =
  | {
      ok: true;
      outcome: 'issued' | 'grace_replay';
      family: Family;
      presented: RefreshToken;
      access: AccessToken;
      /** The refresh token value the response carries (null: omitted). */
      refreshValue: string | null;
      /** A refresh token minted by this call, if any. */
      minted: RefreshToken | null;
      generationBefore: number;
    }
  | {
      ok: false;
      outcome: 'rejected' | 'reuse_detected';
      reason: RefreshRejection;
      family: Family | null;
      presented: RefreshToken | null;
      generationBefore: number | null;
    };

export type ExchangeResult =
  | { ok: true; chain: IssuedChain; legacy: LegacyToken }
  | {
      ok: false;
      error: 'token_rotation_not_enabled' | 'invalid_token' | 'authorization_not_found' | 'token_already_exchanged';
      legacy: LegacyToken | null;
    };

export type RedeemResult =
  | { ok: true; installation: Installation }
  | { ok: false; error: 'invalid_code' | 'bad_redirect_uri' | 'invalid_code_verifier' };

export type BearerLookup =
  | { type: 'access'; token: AccessToken; family: Family; status: TokenStatus }
  | { type: 'refresh'; token: RefreshToken; family: Family; status: RefreshStatus }
  | { type: 'legacy'; token: LegacyToken; family: Family | null; status: TokenStatus };

export interface CreateAppInput {
  preset?: PresetName;
  personality?: Personality;
  client_id?: string;
  client_secret?: string;
  knobs?: Partial<Knobs>;
}

export interface CodeOptions {
  redirect_uri: string | null;
  code_challenge: string | null;
  code_challenge_method: string | null;
}

interface InstallationIndex {
  families: Family[];
  legacy: LegacyToken[];
}

/**
 * The simulator's in-memory provider state and its token state machine (spec §4.2–§4.4).
 * Every lookup a request needs is one map access by token value; per-family lists are pruned
 * at each mint so long runs (100k refreshes) stay flat.
 */
export class SimState {
  readonly clock: SimClock;
  readonly #shapes: TokenShapes;
  readonly #rng: SeededRandom;
  readonly #apps = new Map<string, App>();
  readonly #families = new Map<string, Family>();
  readonly #access = new Map<string, AccessToken>();
  readonly #refresh = new Map<string, RefreshToken>();
  readonly #legacy = new Map<string, LegacyToken>();
  readonly #codes = new Map<string, AuthCode>();
  readonly #installations = new Map<string, InstallationIndex>();
  /** Google's live-grant cap: family ids per (client, team, user), oldest first. */
  readonly #grantsPerUser = new Map<string, Family[]>();
  #familyCounter = 0;

  constructor(clock: SimClock, rng: SeededRandom) {
    this.clock = clock;
    this.#rng = rng;
    this.#shapes = new TokenShapes(rng);
  }

  get shapes(): TokenShapes {
    return this.#shapes;
  }

  // ---- apps ---------------------------------------------------------------------------

  createApp(input: CreateAppInput): App {
    const presetName = input.preset ?? 'slack';
    if (!isPresetName(presetName)) throw new SimInputError(`unknown preset ${String(presetName)}`);
    const preset = PRESETS[presetName];
    const personality = input.personality ?? preset.personality;
    if (personality !== 'slack' && personality !== 'oauth2') throw new SimInputError(`unknown personality ${String(personality)}`);
    const clientId = input.client_id ?? (personality === 'slack' ? this.#shapes.slackClientId() : this.#shapes.generic(''));
    if (this.#apps.has(clientId)) throw new SimInputError(`client_id ${clientId} already exists`, 409);
    const app: App = {
      client_id: clientId,
      client_secret: input.client_secret ?? this.#shapes.clientSecret(),
      app_id: this.#shapes.slackId('A'),
      personality,
      preset: presetName,
      knobs: mergeKnobs(preset.knobs, input.knobs),
      created_at: this.clock.now(),
    };
    this.#apps.set(clientId, app);
    return app;
  }

  patchApp(clientId: string, patch: { client_secret?: string; knobs?: Partial<Knobs> }): App {
    const app = this.#apps.get(clientId);
    if (!app) throw new SimInputError(`unknown client_id ${clientId}`, 404);
    if (patch.client_secret !== undefined) app.client_secret = patch.client_secret;
    if (patch.knobs !== undefined) app.knobs = mergeKnobs(app.knobs, patch.knobs);
    return app;
  }

  app(clientId: string | null | undefined): App | undefined {
    return clientId ? this.#apps.get(clientId) : undefined;
  }

  apps(): App[] {
    return [...this.#apps.values()];
  }

  // ---- lookups --------------------------------------------------------------------------

  family(id: string | null | undefined): Family | undefined {
    return id ? this.#families.get(id) : undefined;
  }

  families(filter: { client_id?: string | null; team_id?: string | null; kind?: string | null }): Family[] {
    const out: Family[] = [];
    const scan = filter.client_id && filter.team_id ? (this.#installations.get(installKey(filter.client_id, filter.team_id))?.families ?? []) : this.#families.values();
    for (const family of scan) {
      if (filter.client_id && family.app.client_id !== filter.client_id) continue;
      if (filter.team_id && family.team_id !== filter.team_id) continue;
      if (filter.kind && family.kind !== filter.kind) continue;
      out.push(family);
    }
    return out;
  }

  refreshToken(value: string | null | undefined): RefreshToken | undefined {
    return value ? this.#refresh.get(value) : undefined;
  }

  legacyToken(value: string | null | undefined): LegacyToken | undefined {
    return value ? this.#legacy.get(value) : undefined;
  }

  code(value: string | null | undefined): AuthCode | undefined {
    return value ? this.#codes.get(value) : undefined;
  }

  /** Resolves a token presented as a credential (bearer or `token` parameter). */
  lookupBearer(value: string | null | undefined): BearerLookup | null {
    if (!value) return null;
    const now = this.clock.now();
    const access = this.#access.get(value);
    if (access) return { type: 'access', token: access, family: access.family, status: this.accessStatus(access, now) };
    const refresh = this.#refresh.get(value);
    if (refresh) return { type: 'refresh', token: refresh, family: refresh.family, status: this.refreshStatus(refresh, now) };
    const legacy = this.#legacy.get(value);
    if (legacy) return { type: 'legacy', token: legacy, family: legacy.exchanged_family, status: this.legacyStatus(legacy) };
    return null;
  }

  accessStatus(token: AccessToken, now = this.clock.now()): TokenStatus {
    if (token.family.revoked_at !== null || token.state === 'revoked') return 'revoked';
    if (token.revoke_at !== null && now >= token.revoke_at) return 'revoked';
    if (now >= token.expires_at) return 'expired';
    return 'active';
  }

  refreshStatus(token: RefreshToken, now = this.clock.now()): RefreshStatus {
    const family = token.family;
    if (family.revoked_at !== null || token.state === 'revoked') return 'revoked';
    if (family.absolute_expires_at !== null && now >= family.absolute_expires_at) return 'expired';
    if (token.idle_expires_at !== null && now >= token.idle_expires_at) return 'expired';
    if (token.state === 'active') return 'active';
    const knobs = family.app.knobs;
    // Grace 0 means none: with a frozen clock, "now - superseded_at <= 0" would otherwise accept replays.
    const inWindow = token.superseded_at !== null && now < token.superseded_at + knobs.refreshGraceSeconds;
    const deepEnough = family.position - token.position <= knobs.graceDepth;
    return inWindow && deepEnough ? 'grace' : 'superseded';
  }

  legacyStatus(token: LegacyToken): TokenStatus {
    if (token.revoked_at !== null) return 'revoked';
    if (token.expired_at !== null) return 'expired';
    return 'active';
  }

  // ---- grants -----------------------------------------------------------------------------

  /** Completes a grant without a code: what `/_sim/install` and a redeemed code both do. */
  install(app: App, grant: GrantRequest): Installation {
    const now = this.clock.now();
    const installation: Installation = { app, grant, bot: null, user: null, config: null, generic: null, legacy_bot: null, legacy_user: null };
    if (app.personality === 'oauth2') {
      installation.generic = this.#createFamily(app, 'generic', grant, grant.scope, now);
      return installation;
    }
    if (grant.config) {
      installation.config = this.#createFamily(app, 'config', grant, grant.scope, now);
      return installation;
    }
    if (!app.knobs.tokenRotationEnabled) {
      if (grant.bot) installation.legacy_bot = this.createLegacyToken(app, grant, 'bot');
      if (grant.user) installation.legacy_user = this.createLegacyToken(app, grant, 'user');
      return installation;
    }
    if (grant.bot) installation.bot = this.#createFamily(app, 'bot', grant, grant.scope, now);
    if (grant.user) installation.user = this.#createFamily(app, 'user', grant, grant.user_scope, now);
    return installation;
  }

  /** Fills in the defaults of an install request (ids are generated from the seeded PRNG). */
  grantRequest(app: App, input: Partial<GrantRequest>): GrantRequest {
    const config = input.config ?? app.preset === 'slack-config';
    const teamId = input.team_id ?? this.#shapes.slackId('T');
    return {
      team_id: teamId,
      team_name: input.team_name ?? `Team ${teamId}`,
      enterprise_id: input.enterprise_id ?? null,
      is_enterprise_install: input.is_enterprise_install ?? false,
      bot: app.personality === 'slack' && !config ? (input.bot ?? true) : false,
      user: app.personality === 'slack' && !config ? (input.user ?? false) : false,
      config,
      user_id: input.user_id ?? this.#shapes.slackId('U'),
      scope: input.scope ?? (app.personality === 'slack' ? 'chat:write,commands' : 'read write'),
      user_scope: input.user_scope ?? 'chat:write',
    };
  }

  createCode(app: App, grant: GrantRequest, options: CodeOptions): AuthCode {
    const code: AuthCode = {
      value: this.#shapes.authorizationCode(),
      app,
      grant,
      redirect_uri: options.redirect_uri,
      code_challenge: options.code_challenge,
      code_challenge_method: options.code_challenge_method,
      expires_at: this.clock.now() + app.knobs.authorizationCodeTtl,
      used: false,
    };
    this.#codes.set(code.value, code);
    return code;
  }

  redeemCode(app: App, value: string | null, redirectUri: string | null, codeVerifier: string | null): RedeemResult {
    const code = this.code(value);
    if (!code || code.used || code.app !== app || this.clock.now() >= code.expires_at) return { ok: false, error: 'invalid_code' };
    if (code.redirect_uri !== null && code.redirect_uri !== redirectUri) return { ok: false, error: 'bad_redirect_uri' };
    if (code.code_challenge !== null) {
      const expected = code.code_challenge_method === 'plain' ? codeVerifier : codeVerifier && createHash('sha256').update(codeVerifier).digest('base64url');
      if (!expected || expected !== code.code_challenge) return { ok: false, error: 'invalid_code_verifier' };
    }
    code.used = true;
    this.#codes.delete(code.value);
    return { ok: true, installation: this.install(app, code.grant) };
  }

  createLegacyToken(app: App, grant: GrantRequest, kind: 'bot' | 'user'): LegacyToken {
    const value = this.#shapes.slackLegacy(kind);
    const token: LegacyToken = {
      type: 'legacy',
      value,
      hash: tokenHash(value),
      app,
      kind,
      team_id: grant.team_id,
      team_name: grant.team_name,
      enterprise_id: grant.enterprise_id,
      user_id: grant.user_id,
      bot_user_id: kind === 'bot' ? this.#shapes.slackId('U') : null,
      bot_id: kind === 'bot' ? this.#shapes.slackId('B') : null,
      scope: kind === 'bot' ? grant.scope : grant.user_scope,
      issued_at: this.clock.now(),
      exchanged_family: null,
      expired_at: null,
      revoked_at: null,
    };
    this.#legacy.set(value, token);
    this.#installation(app.client_id, grant.team_id).legacy.push(token);
    return token;
  }

  /** `oauth.v2.exchange`: turns a long-lived token into a rotating family, once (reference §1.5). */
  exchange(app: App, value: string | null): ExchangeResult {
    const legacy = this.legacyToken(value);
    if (!app.knobs.tokenRotationEnabled) return { ok: false, error: 'token_rotation_not_enabled', legacy: legacy ?? null };
    if (!legacy || legacy.app !== app) return { ok: false, error: 'invalid_token', legacy: legacy ?? null };
    if (legacy.revoked_at !== null) return { ok: false, error: 'authorization_not_found', legacy };
    if (legacy.exchanged_family !== null) return { ok: false, error: 'token_already_exchanged', legacy };
    const grant: GrantRequest = {
      team_id: legacy.team_id,
      team_name: legacy.team_name,
      enterprise_id: legacy.enterprise_id,
      is_enterprise_install: false,
      bot: legacy.kind === 'bot',
      user: legacy.kind === 'user',
      config: false,
      user_id: legacy.user_id,
      scope: legacy.scope,
      user_scope: legacy.scope,
    };
    const chain = this.#createFamily(app, legacy.kind, grant, legacy.scope, this.clock.now(), legacy);
    legacy.exchanged_family = chain.family;
    return { ok: true, chain, legacy };
  }

  // ---- refresh state machine -------------------------------------------------------------

  /**
   * The refresh grant (spec §4.3.1, §4.4). `kinds` limits which families the endpoint serves
   * (`oauth.v2.access` bot/user, `tooling.tokens.rotate` config, `/oauth2/token` generic).
   */
  refresh(app: App | null, value: string | null, kinds: readonly FamilyKind[], requestedScope: string | null = null): RefreshResult {
    const presented = this.refreshToken(value);
    const reject = (reason: RefreshRejection, outcome: 'rejected' | 'reuse_detected' = 'rejected'): RefreshResult => ({
      ok: false,
      outcome,
      reason,
      family: presented?.family ?? null,
      presented: presented ?? null,
      generationBefore: presented?.family.generation ?? null,
    });
    if (!presented) return reject('unknown');
    const family = presented.family;
    if (app !== null && family.app !== app) return reject('wrong_client');
    if (!kinds.includes(family.kind)) return reject('wrong_kind');
    const now = this.clock.now();
    const knobs = family.app.knobs;
    const status = this.refreshStatus(presented, now);
    if (status === 'revoked' || status === 'expired') return reject(status);
    if (status === 'superseded') {
      if (!knobs.reuseRevokesFamily) return reject('superseded');
      // RFC 9700 §4.14.2: the server cannot tell who replayed, so the whole grant goes.
      this.revokeFamily(family, 'reuse_detected');
      return reject('superseded', 'reuse_detected');
    }
    if (requestedScope !== null && !isSubsetScope(requestedScope, family.scope)) return reject('invalid_scope');

    const generationBefore = family.generation;
    const rotates = knobs.rotateRefreshToken && knobs.returnRefreshTokenOnRefresh === 'new';
    let access: AccessToken;
    let minted: RefreshToken | null = null;
    let refreshValue: string | null;

    if (status === 'active' && !rotates) {
      access = this.#mintAccess(family, now);
      if (knobs.refreshTokenIdleTtl !== null) presented.idle_expires_at = now + knobs.refreshTokenIdleTtl;
      refreshValue = knobs.returnRefreshTokenOnRefresh === 'omit' ? null : presented.value;
    } else if (status === 'active' || knobs.graceReuseMode === 'new_pair' || (knobs.graceReuseMode === 'same_pair' && !presented.successor)) {
      access = this.#mintAccess(family, now);
      minted = this.#mintRefresh(family, presented.position + 1, access.generation, now);
      this.#supersedeCurrent(family, now);
      presented.state = presented.state === 'active' ? 'superseded' : presented.state;
      presented.superseded_at ??= now;
      presented.successor ??= { access, refresh: minted };
      family.current_refresh = minted;
      refreshValue = minted.value;
    } else if (knobs.graceReuseMode === 'same_pair' && presented.successor) {
      // Idempotent replay: the pair the first exchange minted, nothing new.
      return {
        ok: true,
        outcome: 'grace_replay',
        family,
        presented,
        access: presented.successor.access,
        refreshValue: presented.successor.refresh?.value ?? null,
        minted: null,
        generationBefore,
      };
    } else {
      // access_only: a fresh access token, paired with the refresh token the client should hold now.
      access = this.#mintAccess(family, now);
      refreshValue = family.current_refresh?.value ?? null;
    }

    this.#afterMint(family, access, now);
    return { ok: true, outcome: status === 'active' ? 'issued' : 'grace_replay', family, presented, access, refreshValue, minted, generationBefore };
  }

  // ---- revocation ------------------------------------------------------------------------------

  revokeFamily(family: Family, reason: string): void {
    if (family.revoked_at !== null) return;
    family.revoked_at = this.clock.now();
    family.revoked_reason = reason;
    family.live_access = [];
    family.live_refresh = [];
  }

  /** Revokes exactly one token (AT, RT or legacy); the family is untouched. */
  revokeToken(value: string, reason: string): BearerLookup['type'] | null {
    const now = this.clock.now();
    const access = this.#access.get(value);
    if (access) {
      revokeAccess(access, reason, now);
      return 'access';
    }
    const refresh = this.#refresh.get(value);
    if (refresh) {
      revokeRefresh(refresh, reason, now);
      return 'refresh';
    }
    const legacy = this.#legacy.get(value);
    if (legacy) {
      legacy.revoked_at ??= now;
      return 'legacy';
    }
    return null;
  }

  /** `apps.uninstall`: every family and long-lived token of (app, team). */
  uninstall(clientId: string, teamId: string): { families: number; legacy_tokens: number } {
    const index = this.#installations.get(installKey(clientId, teamId));
    if (!index) return { families: 0, legacy_tokens: 0 };
    for (const family of index.families) this.revokeFamily(family, 'uninstalled');
    const now = this.clock.now();
    for (const legacy of index.legacy) legacy.revoked_at ??= now;
    return { families: index.families.length, legacy_tokens: index.legacy.length };
  }

  // ---- internals -------------------------------------------------------------------------------

  #createFamily(app: App, kind: FamilyKind, grant: GrantRequest, scope: string, now: number, legacy: LegacyToken | null = null): IssuedChain {
    const knobs = app.knobs;
    const isBot = kind === 'bot';
    const family: Family = {
      id: `fam-${++this.#familyCounter}`,
      kind,
      app,
      team_id: grant.team_id,
      team_name: grant.team_name,
      enterprise_id: grant.enterprise_id,
      is_enterprise_install: grant.is_enterprise_install,
      user_id: isBot ? null : grant.user_id,
      bot_user_id: isBot ? (legacy?.bot_user_id ?? this.#shapes.slackId('U')) : null,
      bot_id: isBot ? (legacy?.bot_id ?? this.#shapes.slackId('B')) : null,
      scope,
      created_at: now,
      absolute_expires_at: knobs.familyAbsoluteTtl === null ? null : now + knobs.familyAbsoluteTtl,
      revoked_at: null,
      revoked_reason: null,
      generation: 0,
      position: 0,
      current_refresh: null,
      access_tokens: [],
      refresh_tokens: [],
      live_access: [],
      live_refresh: [],
      legacy_source: legacy,
    };
    this.#families.set(family.id, family);
    this.#installation(app.client_id, grant.team_id).families.push(family);
    const access = this.#mintAccess(family, now);
    const refresh = this.#mintRefresh(family, 1, access.generation, now);
    family.current_refresh = refresh;
    this.#enforceLiveGrantCap(family);
    return { family, access, refresh };
  }

  #mintAccess(family: Family, now: number): AccessToken {
    const knobs = family.app.knobs;
    const value =
      family.kind === 'generic' ? this.#shapes.generic(knobs.accessTokenPrefix) : this.#shapes.slackRotatingAccess(family.kind);
    const jitter = knobs.expiresInJitter ? Math.round(this.#rng.between(knobs.expiresInJitter[0], knobs.expiresInJitter[1])) : 0;
    const token: AccessToken = {
      type: 'access',
      value,
      hash: tokenHash(value),
      family,
      generation: ++family.generation,
      issued_at: now,
      expires_at: now + knobs.accessTokenTtl + jitter,
      state: 'active',
      revoked_at: null,
      revoked_reason: null,
      revoke_at: null,
    };
    this.#access.set(value, token);
    family.access_tokens.push(token);
    family.live_access.push(token);
    return token;
  }

  #mintRefresh(family: Family, position: number, generation: number, now: number): RefreshToken {
    const knobs = family.app.knobs;
    const value = family.kind === 'generic' ? this.#shapes.generic(knobs.refreshTokenPrefix) : this.#shapes.slackRefresh();
    const token: RefreshToken = {
      type: 'refresh',
      value,
      hash: tokenHash(value),
      family,
      generation,
      position,
      issued_at: now,
      idle_expires_at: knobs.refreshTokenIdleTtl === null ? null : now + knobs.refreshTokenIdleTtl,
      state: 'active',
      superseded_at: null,
      revoked_at: null,
      revoked_reason: null,
      successor: null,
    };
    this.#refresh.set(value, token);
    family.refresh_tokens.push(token);
    family.live_refresh.push(token);
    family.position = Math.max(family.position, position);
    return token;
  }

  /** The family's current refresh token stops being current (it keeps its own grace window). */
  #supersedeCurrent(family: Family, now: number): void {
    const current = family.current_refresh;
    if (current && current.state === 'active') {
      current.state = 'superseded';
      current.superseded_at = now;
    }
  }

  #afterMint(family: Family, minted: AccessToken, now: number): void {
    const knobs = family.app.knobs;
    if (knobs.revokeOldAccessOnRefresh !== 'never') {
      for (const token of family.live_access) {
        if (token === minted) continue;
        if (knobs.revokeOldAccessOnRefresh === 'immediate') revokeAccess(token, 'refreshed', now);
        else token.revoke_at ??= now + knobs.refreshGraceSeconds;
      }
    }
    if (family.legacy_source && knobs.legacyExpireOnFirstRefresh) family.legacy_source.expired_at ??= now;
    this.#enforceActiveLimit(family, now);
  }

  /** Slack's "limit of 2 active tokens": the oldest excess is revoked (reference §1.4). */
  #enforceActiveLimit(family: Family, now: number): void {
    family.live_access = family.live_access.filter((token) => this.accessStatus(token, now) === 'active');
    family.live_refresh = family.live_refresh.filter((token) => {
      const status = this.refreshStatus(token, now);
      return status === 'active' || status === 'grace';
    });
    const { maxActiveTokens: max, activeLimitScope: scope } = family.app.knobs;
    if (max === null) return;
    if (scope !== 'refresh') {
      while (family.live_access.length > max) revokeAccess(family.live_access.shift() as AccessToken, 'active_limit', now);
    }
    if (scope !== 'access') {
      while (family.live_refresh.length > max) revokeRefresh(family.live_refresh.shift() as RefreshToken, 'active_limit', now);
    }
  }

  #enforceLiveGrantCap(family: Family): void {
    const cap = family.app.knobs.maxLiveRefreshTokensPerUserClient;
    if (cap === null) return;
    const key = `${family.app.client_id}\n${family.team_id}\n${family.user_id ?? ''}`;
    const grants = (this.#grantsPerUser.get(key) ?? []).filter((f) => f.revoked_at === null);
    grants.push(family);
    while (grants.length > cap) this.revokeFamily(grants.shift() as Family, 'live_grant_limit');
    this.#grantsPerUser.set(key, grants);
  }

  #installation(clientId: string, teamId: string): InstallationIndex {
    const key = installKey(clientId, teamId);
    let index = this.#installations.get(key);
    if (!index) {
      index = { families: [], legacy: [] };
      this.#installations.set(key, index);
    }
    return index;
  }
}

function installKey(clientId: string, teamId: string): string {
  return `${clientId}\n${teamId}`;
}

function revokeAccess(token: AccessToken, reason: string, now: number): void {
  if (token.state === 'revoked') return;
  token.state = 'revoked';
  token.revoked_at = now;
  token.revoked_reason = reason;
}

function revokeRefresh(token: RefreshToken, reason: string, now: number): void {
  if (token.state === 'revoked') return;
  token.state = 'revoked';
  token.revoked_at = now;
  token.revoked_reason = reason;
}

function isSubsetScope(requested: string, granted: string): boolean {
  const grantedSet = new Set(granted.split(/[\s,]+/).filter(Boolean));
  return requested
    .split(/[\s,]+/)
    .filter(Boolean)
    .every((scope) => grantedSet.has(scope));
}

const KNOB_KEYS = new Set<string>(Object.keys(PRESETS.slack.knobs));

function mergeKnobs(base: Knobs, patch: Partial<Knobs> | undefined): Knobs {
  if (patch === undefined) return { ...base };
  if (typeof patch !== 'object' || patch === null) throw new SimInputError('knobs must be an object');
  for (const key of Object.keys(patch)) {
    if (!KNOB_KEYS.has(key)) throw new SimInputError(`unknown knob ${key}`);
  }
  return { ...base, ...patch };
}
