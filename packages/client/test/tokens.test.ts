import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthHarness } from '../../server/test/support/oauth-harness.js';
import {
  ReauthorizationRequiredError,
  RotorClient,
  RotorError,
  isExpiredCredentialError,
  slackAuthorize,
  type RotorClientOptions,
  type SecretChange,
} from '../src/index.js';
import { bodyOf, recordingFetch, until } from './support.js';

/**
 * getValidToken, callWithRefresh and slackAuthorize against a real Rotor running the `slack`
 * rotator, which refreshes against the provider simulator over HTTP; the app side is the
 * official `@slack/web-api` WebClient pointed at the simulator.
 */

let harness: OAuthHarness;
let web: WebClient;
let team = 0;
const clients: RotorClient[] = [];

beforeAll(async () => {
  harness = await OAuthHarness.start();
  web = new WebClient(undefined, { slackApiUrl: `${harness.simUrl}/api/`, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(async () => {
  await harness.close();
});

function newClient(options: Partial<RotorClientOptions> = {}) {
  const recorder = recordingFetch();
  const client = new RotorClient({
    endpoint: harness.rotor.url,
    credentials: harness.rotor.credentials,
    clock: harness.clock,
    fetch: recorder.fetch,
    ...options,
  });
  clients.push(client);
  const ensureFreshCalls = () => recorder.requests.filter((r) => r.path.endsWith('/ensure-fresh')).map((r) => bodyOf(r) ?? {});
  return { client, recorder, ensureFreshCalls };
}

interface StoredChain {
  access_token: string;
  refresh_token: string;
  expires_at: number;
  bot_user_id?: string;
  user_id?: string;
}

interface StoredInstallation {
  versionId: string;
  value: { bot: StoredChain; user: StoredChain };
}

async function install(options: { user?: boolean } = {}) {
  team += 1;
  const teamId = `TCLIENT${team}`;
  const { name } = await harness.install({ team_id: teamId, bot: true, user: options.user ?? false });
  const current = (await harness.currentValue(name)) as StoredInstallation;
  const family = await botFamily(teamId);
  return { name, teamId, current, family };
}

async function botFamily(teamId: string): Promise<string> {
  const { families } = await harness.simAdmin<{ families: { id: string; kind: string }[] }>(
    'GET',
    `/_sim/families?client_id=${harness.app.client_id}&team_id=${teamId}&kind=bot`,
  );
  expect(families).toHaveLength(1);
  return families[0]!.id;
}

const revoke = (token: string) => harness.simAdmin('POST', '/_sim/revoke', { token });
const authTest = (token: string) => web.auth.test({ token });

describe('getValidToken', () => {
  it("gives the installation's bot token with its expiry, version and installation facts", async () => {
    const { name, teamId, current } = await install();
    const { client } = newClient();
    const valid = await client.getValidToken(name);
    expect(valid).toMatchObject({
      token: current.value.bot.access_token,
      versionId: current.versionId,
      expiresAt: current.value.bot.expires_at,
      chain: 'bot',
      secretName: name,
      refreshed: false,
    });
    expect(valid.installation).toMatchObject({ provider: 'slack', teamId, botUserId: current.value.bot.bot_user_id });
    expect((await authTest(valid.token)).ok).toBe(true);
  });

  it('serves the token from its cache until expiresAt - minValidSeconds, then asks Rotor, which refreshes', async () => {
    const { name, current, family } = await install();
    // No event stream: its first connection drops the cache (it cannot know what changed before).
    const { client, ensureFreshCalls } = newClient({ subscribeToEvents: false });
    const remaining = current.value.bot.expires_at - harness.nowSeconds();
    // Valid for just long enough now, not once the clock has moved 300 s.
    const minValidSeconds = Math.floor(remaining) - 150;
    const first = await client.getValidToken(name, { minValidSeconds });
    await client.getValidToken(name, { minValidSeconds });
    await client.getValidToken(name);
    expect(ensureFreshCalls()).toHaveLength(1);
    expect(first.refreshed).toBe(false);

    await harness.advance(300);
    expect((await client.getValidToken(name)).token).toBe(first.token);
    expect(ensureFreshCalls()).toHaveLength(1);
    const second = await client.getValidToken(name, { minValidSeconds });
    expect(ensureFreshCalls()).toHaveLength(2);
    expect(ensureFreshCalls()[1]).toEqual({ minValidSeconds });
    expect(second.refreshed).toBe(true);
    expect(second.token).not.toBe(first.token);
    expect(second.versionId).not.toBe(first.versionId);
    expect(second.expiresAt!).toBeGreaterThan(first.expiresAt!);
    expect(await harness.acceptedRefreshes(family)).toHaveLength(1);
    expect((await authTest(second.token)).ok).toBe(true);
  });

  it('makes one ensure-fresh request for concurrent callers, and Rotor one refresh', async () => {
    const { name, current, family } = await install();
    const { client, ensureFreshCalls } = newClient();
    const minValidSeconds = Math.floor(current.value.bot.expires_at - harness.nowSeconds()) + 60;
    const tokens = await Promise.all(Array.from({ length: 30 }, () => client.getValidToken(name, { minValidSeconds })));
    expect(new Set(tokens.map((token) => token.token)).size).toBe(1);
    expect(tokens[0]!.token).not.toBe(current.value.bot.access_token);
    expect(ensureFreshCalls()).toHaveLength(1);
    expect(await harness.acceptedRefreshes(family)).toHaveLength(1);
  });

  it('picks the user chain when asked, and caches each chain apart', async () => {
    const { name, current } = await install({ user: true });
    const { client, ensureFreshCalls } = newClient();
    const bot = await client.getValidToken(name, { chain: 'bot' });
    const user = await client.getValidToken(name, { chain: 'user' });
    expect(bot.token).toBe(current.value.bot.access_token);
    expect(user).toMatchObject({ token: current.value.user.access_token, chain: 'user' });
    expect(user.installation.userId).toBe(current.value.user.user_id);
    await client.getValidToken(name, { chain: 'user' });
    expect(ensureFreshCalls().map((call) => call.chain)).toEqual(['bot', 'user']);
  });

  it('drops a cached token when Rotor reports that the secret rotated', async () => {
    const { name, current } = await install();
    const { client } = newClient();
    const { client: unsubscribed } = newClient({ subscribeToEvents: false });
    const seen: SecretChange[] = [];
    client.onSecretChange((change) => seen.push(change));
    expect((await client.getValidToken(name)).token).toBe(current.value.bot.access_token);
    expect((await unsubscribed.getValidToken(name)).token).toBe(current.value.bot.access_token);
    // Another process forces a refresh until this client has heard of one (its stream may
    // still be registering at the server when the first one happens).
    let latest = current.versionId;
    for (let attempt = 0; attempt < 5 && !seen.some((change) => change.secretName === name); attempt++) {
      const forced = await harness.ensureFresh(name, { ifVersion: latest });
      expect(forced.status).toBe(200);
      latest = forced.body.VersionId as string;
      await until(() => seen, (changes) => changes.some((change) => change.secretName === name), 3_000).catch(() => undefined);
    }
    const fresh = await until(() => client.getValidToken(name), (token) => token.versionId === latest);
    expect(fresh.token).not.toBe(current.value.bot.access_token);
    expect((await unsubscribed.getValidToken(name)).token).toBe(current.value.bot.access_token);
  });
});

describe('callWithRefresh', () => {
  it('refreshes once and retries once when Slack says the token was revoked', async () => {
    const { name, current, family } = await install();
    const { client, ensureFreshCalls } = newClient();
    await revoke(current.value.bot.access_token);
    const used: string[] = [];
    const result = await client.callWithRefresh(name, async (token) => {
      used.push(token);
      return authTest(token);
    });
    expect(result.ok).toBe(true);
    expect(used).toHaveLength(2);
    expect(used[0]).toBe(current.value.bot.access_token);
    expect(used[1]).not.toBe(used[0]);
    expect(ensureFreshCalls()).toEqual([{ minValidSeconds: 300 }, { minValidSeconds: 300, ifVersion: current.versionId }]);
    expect(await harness.acceptedRefreshes(family)).toHaveLength(1);
  });

  it('throws the second rejection instead of looping', async () => {
    const { name, family } = await install();
    const { client, ensureFreshCalls } = newClient();
    let calls = 0;
    const error: unknown = await client
      .callWithRefresh(name, async (token) => {
        calls += 1;
        await revoke(token);
        return authTest(token);
      })
      .catch((thrown: unknown) => thrown);
    expect(calls).toBe(2);
    expect(error).toMatchObject({ code: 'slack_webapi_platform_error', data: { error: 'token_revoked' } });
    expect(ensureFreshCalls().filter((call) => call.ifVersion !== undefined)).toHaveLength(1);
    expect(await harness.acceptedRefreshes(family)).toHaveLength(1);
  });

  it('does not retry a failure that is not about the token, unless isExpired says so', async () => {
    const { name } = await install();
    const { client, ensureFreshCalls } = newClient();
    let calls = 0;
    await expect(
      client.callWithRefresh(name, async () => {
        calls += 1;
        throw new Error('channel_not_found');
      }),
    ).rejects.toThrow('channel_not_found');
    expect(calls).toBe(1);

    class SessionGone extends Error {}
    const tokens: string[] = [];
    const result = await client.callWithRefresh(
      name,
      async (token) => {
        tokens.push(token);
        if (tokens.length === 1) throw new SessionGone('expired session');
        return 'done';
      },
      { isExpired: (thrown) => thrown instanceof SessionGone },
    );
    expect(result).toBe('done');
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).not.toBe(tokens[0]);
    expect(ensureFreshCalls().filter((call) => call.ifVersion !== undefined)).toHaveLength(1);
  });

  it('retries after a returned HTTP 401 response, and returns a second one as it is', async () => {
    const { name } = await install();
    const { client } = newClient();
    const statuses: number[] = [];
    const tokens: string[] = [];
    // The simulator's resource endpoint answers 401 to a revoked token: each call revokes the token it got.
    const response = await client.callWithRefresh(name, async (token) => {
      tokens.push(token);
      await revoke(token);
      const answer = await fetch(`${harness.simUrl}/oauth2/resource`, { headers: { authorization: `Bearer ${token}` } });
      statuses.push(answer.status);
      return answer;
    });
    expect(statuses).toEqual([401, 401]);
    expect(tokens[1]).not.toBe(tokens[0]);
    expect(response.status).toBe(401);
  });

  it('makes one forced refresh for many calls rejected with the same version', async () => {
    const { name, current, family } = await install();
    const { client, ensureFreshCalls } = newClient();
    await revoke(current.value.bot.access_token);
    const results = await Promise.all(Array.from({ length: 12 }, () => client.callWithRefresh(name, (token) => authTest(token))));
    expect(results.every((result) => result.ok === true)).toBe(true);
    expect(ensureFreshCalls().filter((call) => call.ifVersion === current.versionId)).toHaveLength(1);
    expect(await harness.acceptedRefreshes(family)).toHaveLength(1);
  });

  it('uses the newer token it already holds rather than forcing another refresh', async () => {
    const { name, current, family } = await install();
    const { client, ensureFreshCalls } = newClient({ subscribeToEvents: false });
    await revoke(current.value.bot.access_token);
    let releaseSlowCall!: () => void;
    const released = new Promise<void>((resolve) => (releaseSlowCall = resolve));
    const slowTokens: string[] = [];
    // The slow call got the old token before the other call replaced it.
    const slow = client.callWithRefresh(name, async (token) => {
      slowTokens.push(token);
      if (slowTokens.length === 1) await released;
      return authTest(token);
    });
    await until(() => slowTokens.length, (count) => count === 1);
    const fast = await client.callWithRefresh(name, (token) => authTest(token));
    expect(fast.ok).toBe(true);
    releaseSlowCall();
    expect((await slow).ok).toBe(true);
    expect(slowTokens[0]).toBe(current.value.bot.access_token);
    expect(slowTokens[1]).not.toBe(current.value.bot.access_token);
    expect(ensureFreshCalls().filter((call) => call.ifVersion !== undefined)).toHaveLength(1);
    expect(await harness.acceptedRefreshes(family)).toHaveLength(1);
  });

  it('lets a second process that still holds the rejected version get the replacement without a second refresh', async () => {
    const { name, current, family } = await install();
    const first = newClient({ subscribeToEvents: false });
    const second = newClient({ subscribeToEvents: false });
    await first.client.getValidToken(name);
    await second.client.getValidToken(name);
    await revoke(current.value.bot.access_token);
    expect((await first.client.callWithRefresh(name, (token) => authTest(token))).ok).toBe(true);
    const used: string[] = [];
    const result = await second.client.callWithRefresh(name, (token) => {
      used.push(token);
      return authTest(token);
    });
    expect(result.ok).toBe(true);
    expect(used[0]).toBe(current.value.bot.access_token);
    expect(second.ensureFreshCalls().at(-1)).toMatchObject({ ifVersion: current.versionId });
    expect(await harness.acceptedRefreshes(family)).toHaveLength(1);
  });
});

describe('a dead installation', () => {
  it('surfaces ReauthorizationRequiredError, from getValidToken and from callWithRefresh, without tokens in it', async () => {
    const { name, teamId, current } = await install();
    const { client } = newClient();
    const changes: SecretChange[] = [];
    client.onSecretChange((change) => changes.push(change));
    await client.getValidToken(name);
    await harness.simAdmin('POST', '/_sim/uninstall', { client_id: harness.app.client_id, team_id: teamId });

    const viaCall: unknown = await client.callWithRefresh(name, (token) => authTest(token)).catch((thrown: unknown) => thrown);
    expect(viaCall).toBeInstanceOf(ReauthorizationRequiredError);
    expect(viaCall).toBeInstanceOf(RotorError);
    expect(viaCall).toMatchObject({ code: 'ReauthorizationRequired', status: 409, secretId: name });
    const text = `${(viaCall as Error).message} ${JSON.stringify(viaCall)} ${(viaCall as Error).stack}`;
    expect(text).not.toContain(current.value.bot.access_token);
    expect(text).not.toContain(current.value.bot.refresh_token);

    // Once dead, any request that needs a refresh gets the same answer at once.
    await expect(client.getValidToken(name, { minValidSeconds: 50_000 })).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    const event = await until(() => changes.filter((change) => change.secretName === name), (mine) => mine.length > 0);
    expect(event.map((change) => change.kind)).toContain('reauthorization-required');
  });
});

describe('slackAuthorize', () => {
  it('gives Bolt the bot token, bot user, team and enterprise of the installation, and the user token when asked', async () => {
    const { name, teamId, current } = await install({ user: true });
    const { client } = newClient();
    const names: string[] = [];
    const authorize = slackAuthorize(client, {
      secretName: (query) => {
        names.push(`${query.teamId}`);
        return name;
      },
    });
    const result = await authorize({ teamId, enterpriseId: undefined, isEnterpriseInstall: false });
    expect(result).toEqual({ botToken: current.value.bot.access_token, botUserId: current.value.bot.bot_user_id, teamId });
    expect(names).toEqual([teamId]);
    expect((await authTest(result.botToken!)).ok).toBe(true);

    const withUser = await slackAuthorize(client, { secretName: () => name, user: true })({ teamId, isEnterpriseInstall: false });
    expect(withUser.userToken).toBe(current.value.user.access_token);
    expect(withUser.botToken).toBe(current.value.bot.access_token);
  });
});

describe('expired-credential detection', () => {
  it("recognises the WebClient's token errors from the simulator, and not its other errors", async () => {
    const { current } = await install();
    const errorOf = (promise: Promise<unknown>) => promise.then(() => undefined, (thrown: unknown) => thrown);
    const invalid = await errorOf(authTest('xoxe.xoxb-1-not-a-real-token'));
    expect(invalid).toMatchObject({ data: { error: 'invalid_auth' } });
    expect(isExpiredCredentialError(invalid)).toBe(true);
    await revoke(current.value.bot.access_token);
    const revoked = await errorOf(authTest(current.value.bot.access_token));
    expect(revoked).toMatchObject({ data: { error: 'token_revoked' } });
    expect(isExpiredCredentialError(revoked)).toBe(true);
    const notAuthed = await errorOf(web.auth.test());
    expect(notAuthed).toMatchObject({ data: { error: 'not_authed' } });
    expect(isExpiredCredentialError(notAuthed)).toBe(false);
    expect(isExpiredCredentialError(new Error('token_expired'))).toBe(false);
    expect(isExpiredCredentialError(Object.assign(new Error('unauthorized'), { status: 401 }))).toBe(true);
    expect(isExpiredCredentialError(Object.assign(new Error('x'), { response: { status: 401 } }))).toBe(true);
    expect(isExpiredCredentialError(new RotorError('refused', { code: 'UNRECOGNIZED_CLIENT', status: 401 }))).toBe(false);
  });
});
