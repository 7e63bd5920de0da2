/**
 * The non-secret facts of an OAuth installation value (docs/design/oauth-contracts.md §1):
 * who it belongs to and which chain a token came from. Access and refresh tokens are not
 * copied: the client keeps only the one access token it was asked for, never a refresh token.
 */
export interface InstallationInfo {
  /** `slack` or `oauth2`. */
  readonly provider: string | undefined;
  readonly appId: string | undefined;
  readonly teamId: string | undefined;
  readonly teamName: string | undefined;
  readonly enterpriseId: string | undefined;
  readonly isEnterpriseInstall: boolean;
  /** The bot user of a Slack installation (`bot.bot_user_id`). */
  readonly botUserId: string | undefined;
  /** The installing user of a Slack installation (`user.user_id`). */
  readonly userId: string | undefined;
  /** The scopes of the chain the token came from. */
  readonly scope: string | undefined;
  /**
   * The chain's status when it is not healthy: `reauthorization_required` once Rotor can no
   * longer refresh it (its access token may still work until it expires).
   */
  readonly chainStatus: string | undefined;
}

export function readInstallationInfo(secretString: string | undefined, chain: string): InstallationInfo {
  let value: Record<string, unknown> = {};
  if (secretString !== undefined) {
    try {
      const parsed: unknown = JSON.parse(secretString);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) value = parsed as Record<string, unknown>;
    } catch {
      // Not JSON: no facts to give.
    }
  }
  const bot = objectField(value, 'bot');
  const user = objectField(value, 'user');
  const chainValue = objectField(value, chain);
  return Object.freeze({
    provider: stringField(value, 'provider'),
    appId: stringField(value, 'app_id'),
    teamId: stringField(value, 'team_id'),
    teamName: stringField(value, 'team_name'),
    enterpriseId: stringField(value, 'enterprise_id'),
    isEnterpriseInstall: value.is_enterprise_install === true,
    botUserId: stringField(bot, 'bot_user_id'),
    userId: stringField(user, 'user_id'),
    scope: stringField(chainValue, 'scope'),
    chainStatus: stringField(chainValue, 'status'),
  });
}

function objectField(value: Record<string, unknown>, name: string): Record<string, unknown> {
  const field = value[name];
  return typeof field === 'object' && field !== null && !Array.isArray(field) ? (field as Record<string, unknown>) : {};
}

function stringField(value: Record<string, unknown>, name: string): string | undefined {
  const field = value[name];
  return typeof field === 'string' && field !== '' ? field : undefined;
}
