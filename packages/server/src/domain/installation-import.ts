import { AppError } from './errors.js';
import { parseInstallation, serializeInstallation, type OAuthInstallation, type TokenChain } from './oauth-installation.js';

/**
 * Installations arriving from elsewhere, turned into Rotor's value shape
 * (docs/design/oauth-contracts.md §1): Slack's `oauth.v2.access` answer to an install,
 * the records of the official SDKs' installation stores (Bolt for JavaScript's
 * `Installation`, Python's `slack_sdk.oauth.installation_store.Installation`), and
 * Rotor's own shape. `issuedAt` (epoch seconds) is when the tokens were obtained; an
 * imported record without it counts its expiry from `expiresAt` alone.
 */
function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function idOf(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? text((value as { id?: unknown }).id) : undefined;
}

/** Slack's rotating tokens always live 12 hours: an SDK record's expiry tells when it was issued. */
const slackTokenLifetimeSeconds = 43_200;

function slackIssuedAt(accessToken: unknown, expiresAt: number | undefined): number | undefined {
  return typeof accessToken === 'string' && accessToken.startsWith('xoxe.') && expiresAt !== undefined ? expiresAt - slackTokenLifetimeSeconds : undefined;
}

function chain(fields: Record<string, unknown>): TokenChain {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as unknown as TokenChain;
}

/** The installation-level facts of a Slack token answer (app, team, enterprise); `enterprise_id` only when the answer names it. */
export function slackAttributes(body: Record<string, unknown>): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  if (text(body.app_id)) attributes.app_id = body.app_id;
  const team = body.team as { id?: unknown; name?: unknown } | null | undefined;
  if (team && text(team.id)) attributes.team_id = team.id;
  if (team && text(team.name)) attributes.team_name = team.name;
  if (body.enterprise !== undefined) attributes.enterprise_id = idOf(body.enterprise) ?? null;
  if (typeof body.is_enterprise_install === 'boolean') attributes.is_enterprise_install = body.is_enterprise_install;
  return attributes;
}

/** Slack's `oauth.v2.access` install answer: the bot chain at the top, the user chain under `authed_user`. */
export function installationFromSlackAccess(body: Record<string, unknown>, issuedAt: number): OAuthInstallation {
  const chains = new Map<string, TokenChain>();
  const expiry = (value: unknown) => (numberOf(value) === undefined ? undefined : issuedAt + numberOf(value)!);
  if (text(body.access_token)) {
    chains.set(
      'bot',
      chain({
        token_type: 'bot',
        access_token: body.access_token,
        refresh_token: text(body.refresh_token),
        issued_at: issuedAt,
        expires_at: expiry(body.expires_in),
        scope: text(body.scope),
        bot_user_id: text(body.bot_user_id),
      }),
    );
  }
  const user = body.authed_user as Record<string, unknown> | undefined;
  if (user && text(user.access_token)) {
    chains.set(
      'user',
      chain({
        token_type: 'user',
        access_token: user.access_token,
        refresh_token: text(user.refresh_token),
        issued_at: issuedAt,
        expires_at: expiry(user.expires_in),
        scope: text(user.scope),
        user_id: text(user.id),
      }),
    );
  }
  if (chains.size === 0) throw new AppError('INVALID_REQUEST', 'The install answer holds neither a bot nor a user token.');
  return { provider: 'slack', attributes: { enterprise_id: null, ...slackAttributes(body) }, chains };
}

/** Bolt for JavaScript's `Installation` (`@slack/oauth`): expiresAt in epoch seconds. */
function fromBoltJs(record: Record<string, unknown>): OAuthInstallation {
  const chains = new Map<string, TokenChain>();
  const bot = record.bot as Record<string, unknown> | undefined;
  if (bot && text(bot.token)) {
    chains.set(
      'bot',
      chain({
        token_type: 'bot',
        access_token: bot.token,
        refresh_token: text(bot.refreshToken),
        issued_at: slackIssuedAt(bot.token, numberOf(bot.expiresAt)),
        expires_at: numberOf(bot.expiresAt),
        scope: Array.isArray(bot.scopes) ? bot.scopes.join(',') : undefined,
        bot_user_id: text(bot.userId),
      }),
    );
  }
  const user = record.user as Record<string, unknown> | undefined;
  if (user && text(user.token)) {
    chains.set(
      'user',
      chain({
        token_type: 'user',
        access_token: user.token,
        refresh_token: text(user.refreshToken),
        issued_at: slackIssuedAt(user.token, numberOf(user.expiresAt)),
        expires_at: numberOf(user.expiresAt),
        scope: Array.isArray(user.scopes) ? user.scopes.join(',') : undefined,
        user_id: text(user.id),
      }),
    );
  }
  if (chains.size === 0) throw new AppError('INVALID_REQUEST', 'The installation holds neither bot.token nor user.token.');
  return {
    provider: 'slack',
    attributes: {
      app_id: text(record.appId),
      team_id: idOf(record.team),
      team_name: text((record.team as { name?: unknown } | undefined)?.name),
      enterprise_id: idOf(record.enterprise) ?? null,
      is_enterprise_install: record.isEnterpriseInstall === true,
    },
    chains,
  };
}

/** Python's `slack_sdk` `Installation` (flat fields; `*_token_expires_at` in epoch seconds). */
function fromPython(record: Record<string, unknown>): OAuthInstallation {
  const chains = new Map<string, TokenChain>();
  const scopes = (value: unknown) => (Array.isArray(value) ? value.join(',') : text(value));
  if (text(record.bot_token)) {
    chains.set(
      'bot',
      chain({
        token_type: 'bot',
        access_token: record.bot_token,
        refresh_token: text(record.bot_refresh_token),
        issued_at: slackIssuedAt(record.bot_token, numberOf(record.bot_token_expires_at)),
        expires_at: numberOf(record.bot_token_expires_at),
        scope: scopes(record.bot_scopes),
        bot_user_id: text(record.bot_user_id),
      }),
    );
  }
  if (text(record.user_token)) {
    chains.set(
      'user',
      chain({
        token_type: 'user',
        access_token: record.user_token,
        refresh_token: text(record.user_refresh_token),
        issued_at: slackIssuedAt(record.user_token, numberOf(record.user_token_expires_at)),
        expires_at: numberOf(record.user_token_expires_at),
        scope: scopes(record.user_scopes),
        user_id: text(record.user_id),
      }),
    );
  }
  if (chains.size === 0) throw new AppError('INVALID_REQUEST', 'The installation holds neither bot_token nor user_token.');
  return {
    provider: 'slack',
    attributes: {
      app_id: text(record.app_id),
      team_id: text(record.team_id),
      team_name: text(record.team_name),
      enterprise_id: text(record.enterprise_id) ?? null,
      is_enterprise_install: record.is_enterprise_install === true,
    },
    chains,
  };
}

/** Any supported record, recognised by its fields. */
export function importInstallation(record: unknown, issuedAt: number): OAuthInstallation {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new AppError('INVALID_REQUEST', 'An installation record must be a JSON object.');
  }
  const fields = record as Record<string, unknown>;
  if (fields.provider === 'slack' || fields.provider === 'oauth2') return parseInstallation(JSON.stringify(fields));
  if (fields.ok === true && (fields.access_token !== undefined || fields.authed_user !== undefined)) return installationFromSlackAccess(fields, issuedAt);
  if (typeof fields.bot === 'object' || typeof fields.user === 'object') return fromBoltJs(fields);
  if (fields.bot_token !== undefined || fields.user_token !== undefined) return fromPython(fields);
  throw new AppError('INVALID_REQUEST', 'The record is not an installation Rotor recognises (Rotor, Bolt JS, slack_sdk or an oauth.v2.access answer).');
}

/**
 * Keeps chains the new installation lacks (a reinstall that asked for bot scopes only keeps
 * the user chain), and never lets an older token replace a newer live one: re-importing an
 * old export would otherwise put back a refresh token the provider has already retired.
 */
export function mergeInstallations(previous: OAuthInstallation | undefined, next: OAuthInstallation): OAuthInstallation {
  if (!previous || previous.provider !== next.provider) return next;
  const chains = new Map(previous.chains);
  for (const [name, incoming] of next.chains) {
    const stored = previous.chains.get(name);
    const storedIsNewer =
      stored !== undefined &&
      stored.status === undefined &&
      stored.expires_at !== undefined &&
      incoming.expires_at !== undefined &&
      stored.expires_at > incoming.expires_at;
    if (!storedIsNewer) chains.set(name, incoming);
  }
  return { provider: next.provider, attributes: { ...previous.attributes, ...next.attributes }, chains };
}

/**
 * A secret name from a pattern such as `slack/{team_or_enterprise_id}`: `{team_id}`,
 * `{enterprise_id}`, `{app_id}`, `{user_id}`, `{team_or_enterprise_id}` (org-wide installs
 * have no team), plus what the caller adds: `{function}` and `{install_name}` (the
 * install link's `?name=`, for providers whose answer names nothing).
 */
export function secretNameFor(pattern: string, installation: OAuthInstallation, extra: Readonly<Record<string, string>> = {}): string {
  const user = installation.chains.get('user');
  const values: Record<string, unknown> = {
    ...extra,
    ...installation.attributes,
    user_id: user?.user_id,
    team_or_enterprise_id: installation.attributes.is_enterprise_install === true ? installation.attributes.enterprise_id : installation.attributes.team_id,
  };
  return pattern.replace(/\{([a-z_]+)\}/g, (_match, key: string) => {
    const value = values[key];
    if (typeof value !== 'string' || value === '') {
      throw new AppError('INVALID_REQUEST', `The secret name pattern needs {${key}}, which this installation does not have.`);
    }
    return value;
  });
}

export { serializeInstallation };
