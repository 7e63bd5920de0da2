import type { AccessToken, Family, Installation, IssuedChain, LegacyToken } from '../domain/model.js';

/** Slack response shapes (reference §1.3–§1.6, §1.8). */

export const expiresIn = (token: AccessToken): number => Math.round(token.expires_at - token.issued_at);

function team(family: { team_id: string; team_name: string }): { id: string; name: string } {
  return { id: family.team_id, name: family.team_name };
}

function enterprise(enterpriseId: string | null): { id: string; name: string } | null {
  return enterpriseId === null ? null : { id: enterpriseId, name: enterpriseId };
}

/** `oauth.v2.access` code-grant success (or `/_sim/install`): bot at top level, user under `authed_user`. */
export function slackInstallBody(installation: Installation): Record<string, unknown> {
  if (installation.config) return slackConfigBody(installation.config.family, installation.config.access, installation.config.refresh.value);
  const { app, grant, bot, user, legacy_bot: legacyBot, legacy_user: legacyUser } = installation;
  const body: Record<string, unknown> = { ok: true };
  if (bot) {
    Object.assign(body, {
      access_token: bot.access.value,
      token_type: 'bot',
      scope: bot.family.scope,
      bot_user_id: bot.family.bot_user_id,
      app_id: app.app_id,
      expires_in: expiresIn(bot.access),
      refresh_token: bot.refresh.value,
    });
  } else if (legacyBot) {
    Object.assign(body, { access_token: legacyBot.value, token_type: 'bot', scope: legacyBot.scope, bot_user_id: legacyBot.bot_user_id });
  }
  body.app_id = app.app_id;
  body.team = team(grant);
  body.enterprise = enterprise(grant.enterprise_id);
  body.is_enterprise_install = grant.is_enterprise_install;
  const authedUser: Record<string, unknown> = { id: grant.user_id };
  if (user) {
    Object.assign(authedUser, {
      scope: user.family.scope,
      access_token: user.access.value,
      expires_in: expiresIn(user.access),
      refresh_token: user.refresh.value,
      token_type: 'user',
    });
  } else if (legacyUser) {
    Object.assign(authedUser, { scope: legacyUser.scope, access_token: legacyUser.value, token_type: 'user' });
  }
  body.authed_user = authedUser;
  return body;
}

/** `oauth.v2.access` refresh-grant success: flat, one credential, discriminated by `token_type`. */
export function slackRefreshBody(family: Family, access: AccessToken, refreshValue: string | null): Record<string, unknown> {
  return {
    ok: true,
    app_id: family.app.app_id,
    scope: family.scope,
    token_type: family.kind,
    access_token: access.value,
    ...(refreshValue !== null ? { refresh_token: refreshValue } : {}),
    expires_in: expiresIn(access),
    ...(family.kind === 'bot' ? { bot_user_id: family.bot_user_id } : { user_id: family.user_id }),
    team: team(family),
    enterprise: enterprise(family.enterprise_id),
    is_enterprise_install: family.is_enterprise_install,
  };
}

/** `oauth.v2.exchange` success (reference §1.5). */
export function slackExchangeBody(chain: IssuedChain, legacy: LegacyToken): Record<string, unknown> {
  return {
    ok: true,
    access_token: chain.access.value,
    expires_in: expiresIn(chain.access),
    refresh_token: chain.refresh.value,
    token_type: legacy.kind,
    scope: chain.family.scope,
    ...(legacy.kind === 'bot' ? { bot_user_id: chain.family.bot_user_id } : { user_id: chain.family.user_id }),
    app_id: chain.family.app.app_id,
    team: team(chain.family),
    enterprise: enterprise(chain.family.enterprise_id),
    is_enterprise_install: chain.family.is_enterprise_install,
  };
}

/** `tooling.tokens.rotate` success (reference §1.6). */
export function slackConfigBody(family: Family, access: AccessToken, refreshValue: string | null): Record<string, unknown> {
  return {
    ok: true,
    token: access.value,
    ...(refreshValue !== null ? { refresh_token: refreshValue } : {}),
    team_id: family.team_id,
    user_id: family.user_id,
    iat: Math.floor(access.issued_at),
    exp: Math.floor(access.expires_at),
  };
}
