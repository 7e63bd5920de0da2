import { AppError } from './errors.js';

/**
 * An OAuth installation as Rotor stores it: the JSON value of a secret holding one or
 * more token chains (docs/design/oauth-contracts.md §1). A chain is one refresh-token
 * lineage — Slack's bot token and user token are two chains of one installation, each
 * with its own refresh token and expiry, refreshed independently (reference §5 rule 10).
 * Times are epoch seconds, as the providers give them.
 */
export type ChainStatus = 'reauthorization_required';

export interface TokenChain {
  readonly token_type: string;
  readonly access_token: string;
  /** Absent for a long-lived token (migrated by `oauth.v2.exchange`) or a provider that never rotates. */
  readonly refresh_token?: string;
  /** When the request that produced this token was sent (expiry counts from there, conservatively). */
  readonly issued_at?: number;
  readonly expires_at?: number;
  readonly scope?: string;
  readonly bot_user_id?: string;
  readonly user_id?: string;
  readonly status?: ChainStatus;
  /** The provider's error code that killed the chain (`invalid_refresh_token`, …): never a token. */
  readonly status_reason?: string;
  readonly status_at?: number;
}

export type OAuthProvider = 'slack' | 'oauth2';

export interface OAuthInstallation {
  readonly provider: OAuthProvider;
  /** Everything but the chains (team, enterprise, app ids …), kept as stored. */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly chains: ReadonlyMap<string, TokenChain>;
}

/** The chain names each provider's value may hold, in the order a default is chosen. */
export const chainNamesOf: Readonly<Record<OAuthProvider, readonly string[]>> = {
  slack: ['bot', 'user'],
  oauth2: ['chain'],
};

function notAnInstallation(why: string): AppError {
  return new AppError('INVALID_REQUEST', `The secret's value is not an OAuth installation: ${why}.`);
}

function parseChain(name: string, raw: unknown): TokenChain {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw notAnInstallation(`"${name}" is not an object`);
  const chain = raw as Record<string, unknown>;
  if (typeof chain.access_token !== 'string' || chain.access_token === '') throw notAnInstallation(`"${name}.access_token" is missing`);
  for (const field of ['refresh_token', 'scope', 'token_type', 'bot_user_id', 'user_id', 'status', 'status_reason'] as const) {
    if (chain[field] !== undefined && chain[field] !== null && typeof chain[field] !== 'string') throw notAnInstallation(`"${name}.${field}" is not a string`);
  }
  for (const field of ['issued_at', 'expires_at', 'status_at'] as const) {
    if (chain[field] !== undefined && chain[field] !== null && typeof chain[field] !== 'number') throw notAnInstallation(`"${name}.${field}" is not a number`);
  }
  if (chain.status !== undefined && chain.status !== null && chain.status !== 'reauthorization_required') {
    throw notAnInstallation(`"${name}.status" is not a known status`);
  }
  const defined = Object.fromEntries(Object.entries(chain).filter(([, value]) => value !== null && value !== undefined));
  return { token_type: name === 'chain' ? 'Bearer' : name, ...defined } as unknown as TokenChain;
}

/** Parses a stored value; throws INVALID_REQUEST naming the first problem (never a token). */
export function parseInstallation(secretString: string): OAuthInstallation {
  let document: unknown;
  try {
    document = JSON.parse(secretString);
  } catch {
    throw notAnInstallation('it is not JSON');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw notAnInstallation('it is not a JSON object');
  const { provider, ...rest } = document as Record<string, unknown>;
  if (provider !== 'slack' && provider !== 'oauth2') throw notAnInstallation('"provider" is not "slack" or "oauth2"');
  const chains = new Map<string, TokenChain>();
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (chainNamesOf[provider].includes(key)) {
      if (value !== null && value !== undefined) chains.set(key, parseChain(key, value));
    } else {
      attributes[key] = value;
    }
  }
  if (chains.size === 0) throw notAnInstallation(`it holds none of the chains ${chainNamesOf[provider].join(', ')}`);
  return { provider, attributes, chains };
}

export function serializeInstallation(installation: OAuthInstallation): string {
  const document: Record<string, unknown> = { provider: installation.provider, ...installation.attributes };
  for (const name of chainNamesOf[installation.provider]) {
    const chain = installation.chains.get(name);
    if (chain) document[name] = chain;
  }
  return JSON.stringify(document);
}

export function withChain(installation: OAuthInstallation, name: string, chain: TokenChain): OAuthInstallation {
  const chains = new Map(installation.chains);
  chains.set(name, chain);
  return { ...installation, chains };
}

/** The chain a caller means when it names none: Slack's bot token, else the user token. */
export function defaultChainOf(installation: OAuthInstallation): string {
  return chainNamesOf[installation.provider].find((name) => installation.chains.has(name)) ?? [...installation.chains.keys()][0]!;
}

export function isChainDead(chain: TokenChain): boolean {
  return chain.status === 'reauthorization_required';
}

/** A long-lived Slack token (`xoxb-`/`xoxp-`, no refresh token) that rotation must exchange first. */
export function needsExchange(provider: OAuthProvider, chain: TokenChain): boolean {
  return provider === 'slack' && chain.refresh_token === undefined && /^xox[bp]-/.test(chain.access_token);
}

/** Whether a rotation can do anything for this chain: refresh it, or exchange its long-lived token. */
export function isRefreshable(provider: OAuthProvider, chain: TokenChain): boolean {
  return !isChainDead(chain) && (chain.refresh_token !== undefined || needsExchange(provider, chain));
}

/**
 * When a chain should be refreshed: once `fraction` of its lifetime has passed (reference
 * §5 rule 8 — the SDKs' fixed two hours before expiry is this with fraction 5/6 of 12 h).
 * A chain without an expiry that can be exchanged is due now; one that cannot be
 * refreshed is never due.
 */
export function refreshDueAt(provider: OAuthProvider, chain: TokenChain, fraction: number, now: number): number | undefined {
  if (!isRefreshable(provider, chain)) return undefined;
  if (needsExchange(provider, chain)) return now;
  if (chain.expires_at === undefined) return undefined;
  // An imported token whose issue time is unknown is refreshed a safety margin before expiry.
  if (chain.issued_at === undefined) return chain.expires_at - unknownIssueMarginSeconds;
  return chain.issued_at + fraction * Math.max(0, chain.expires_at - chain.issued_at);
}

const unknownIssueMarginSeconds = 600;

/**
 * What the schedule should do for an installation: refresh at `dueAt` (epoch seconds), or
 * nothing by expiry (`dueAt` undefined) — and `attention` only when every chain is dead,
 * since a live chain without an expiry simply needs no refresh.
 */
export function expiryScheduleOf(installation: OAuthInstallation, fraction: number, now: number): { dueAt: number | undefined; attention: 'reauthorization-required' | undefined } {
  const due = nextChainDue(installation, fraction, now);
  const allDead = [...installation.chains.values()].every(isChainDead);
  return { dueAt: due?.dueAt, attention: allDead ? 'reauthorization-required' : undefined };
}

/** The refreshable chain due first, with its due time; undefined when no chain can be refreshed. */
export function nextChainDue(installation: OAuthInstallation, fraction: number, now: number): { name: string; dueAt: number } | undefined {
  let best: { name: string; dueAt: number } | undefined;
  for (const [name, chain] of installation.chains) {
    const dueAt = refreshDueAt(installation.provider, chain, fraction, now);
    if (dueAt !== undefined && (best === undefined || dueAt < best.dueAt)) best = { name, dueAt };
  }
  return best;
}

/** Seconds the chain's access token stays valid from `now`; Infinity for a token that does not expire. */
export function secondsValid(chain: TokenChain, now: number): number {
  return chain.expires_at === undefined ? Number.POSITIVE_INFINITY : chain.expires_at - now;
}

/**
 * What a provider's error means for the engine (reference §5 rule 7):
 * - `terminal`: the refresh token is gone; only a new installation helps;
 * - `client`: the app's client credentials are wrong; the installations are fine;
 * - `transient`: try the same request again later.
 */
export type ProviderErrorClass = 'terminal' | 'client' | 'transient';

const terminalErrors = new Set([
  'invalid_refresh_token',
  'invalid_grant',
  'token_revoked',
  'account_inactive',
  'authorization_not_found',
  'token_already_exchanged',
  'invalid_token',
  'token_rotation_not_enabled',
  // GitHub Apps' answer to a used or expired refresh token.
  'bad_refresh_token',
]);
const clientErrors = new Set(['invalid_client_id', 'bad_client_secret', 'invalid_client', 'invalid_grant_type', 'unauthorized_client', 'unsupported_grant_type']);

export function classifyProviderError(code: string): ProviderErrorClass {
  if (terminalErrors.has(code)) return 'terminal';
  if (clientErrors.has(code)) return 'client';
  return 'transient';
}
