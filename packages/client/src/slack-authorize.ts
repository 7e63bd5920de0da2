import type { RotorClient, TokenChain } from './rotor-client.js';

/**
 * What Bolt for JavaScript passes its `authorize` function (`AuthorizeSourceData`),
 * restated here so this package needs no Slack dependency.
 */
export interface SlackAuthorizeQuery {
  readonly teamId?: string | undefined;
  readonly enterpriseId?: string | undefined;
  readonly userId?: string | undefined;
  readonly conversationId?: string | undefined;
  readonly isEnterpriseInstall?: boolean | undefined;
}

/** What Bolt expects back (`AuthorizeResult`). */
export interface SlackAuthorizeResult {
  botToken?: string;
  botUserId?: string;
  userToken?: string;
  teamId?: string;
  enterpriseId?: string;
}

export interface SlackAuthorizeOptions {
  /** The secret that holds the installation for this request, e.g. `(q) => \`slack/${q.teamId}/bot\``. */
  readonly secretName: (query: SlackAuthorizeQuery) => string;
  /** Give Bolt the bot token. @default true */
  readonly bot?: boolean;
  /** Give Bolt the user token as well (the installation must have a `user` chain). @default false */
  readonly user?: boolean;
  /** @default the client's `minValidSeconds` */
  readonly minValidSeconds?: number;
}

/**
 * A Bolt `authorize` function backed by Rotor: each incoming request gets tokens that stay
 * valid for `minValidSeconds` (from the client's cache, or refreshed once by Rotor for every
 * process), instead of Bolt's `InstallProvider`, which refreshes without a lock and returns
 * the stale token when a refresh fails.
 *
 * @example
 * const app = new App({ signingSecret, authorize: slackAuthorize(rotor, { secretName: (q) => `slack/${q.teamId}/bot` }) });
 */
export function slackAuthorize(
  rotor: Pick<RotorClient, 'getValidToken'>,
  options: SlackAuthorizeOptions,
): (query: SlackAuthorizeQuery) => Promise<SlackAuthorizeResult> {
  const wantBot = options.bot ?? true;
  const wantUser = options.user ?? false;
  return async function authorize(query: SlackAuthorizeQuery): Promise<SlackAuthorizeResult> {
    const secretId = options.secretName(query);
    const fetchChain = (chain: TokenChain) =>
      rotor.getValidToken(secretId, { chain, ...(options.minValidSeconds === undefined ? {} : { minValidSeconds: options.minValidSeconds }) });
    const [bot, user] = await Promise.all([wantBot ? fetchChain('bot') : undefined, wantUser ? fetchChain('user') : undefined]);
    const installation = (bot ?? user)?.installation;
    const result: SlackAuthorizeResult = {};
    if (bot !== undefined) result.botToken = bot.token;
    const botUserId = bot?.installation.botUserId;
    if (botUserId !== undefined) result.botUserId = botUserId;
    if (user !== undefined) result.userToken = user.token;
    const teamId = installation?.teamId ?? query.teamId;
    if (teamId !== undefined) result.teamId = teamId;
    const enterpriseId = installation?.enterpriseId ?? query.enterpriseId;
    if (enterpriseId !== undefined) result.enterpriseId = enterpriseId;
    return result;
  };
}
