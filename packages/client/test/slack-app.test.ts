import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { OAuthHarness, type SimEvent } from '../../server/test/support/oauth-harness.js';
import { RotorClient, isExpiredCredentialError } from '../src/index.js';
import { recordingFetch, until } from './support.js';

/**
 * A Slack app as people write one — the official WebClient, tokens from @rotor/client —
 * against Rotor and the provider simulator on a shared simulated timeline.
 */

let harness: OAuthHarness | undefined;
let client: RotorClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await harness?.close();
  harness = undefined;
});

function webClient(simUrl: string): WebClient {
  return new WebClient(undefined, { slackApiUrl: `${simUrl}/api/`, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
}

/**
 * Waits until no refresh of `name` is due or running. A real hour is far longer than a refresh;
 * jumping the clock again while one runs would expire its lease mid-step, which tests the
 * server's takeover, not this client.
 */
async function quiescent(harness: OAuthHarness, name: string): Promise<void> {
  await until(
    async () => {
      const described = await harness.describe(name);
      const status = await harness.api<{ Current: unknown }>('GET', `/v1/secrets/${encodeURIComponent(name)}/rotation`);
      return { next: described.NextRotationDate?.getTime() ?? 0, running: status.body.Current !== null };
    },
    (state) => !state.running && state.next > harness.clock.now(),
    20_000,
  );
}

const tokenErrors = (events: SimEvent[]) => events.filter((event) => event.endpoint === 'auth.test' && event.outcome !== 'ok');

describe('a Slack app on @rotor/client', () => {
  it('keeps calling Slack across 10 simulated days without a token error reaching it', async () => {
    harness = await OAuthHarness.start();
    const { name } = await harness.install({ team_id: 'TDAYS', bot: true, user: false });
    const recorder = recordingFetch();
    client = new RotorClient({ endpoint: harness.rotor.url, credentials: harness.rotor.credentials, clock: harness.clock, fetch: recorder.fetch });
    const web = webClient(harness.simUrl);
    const start = harness.nowSeconds();
    const seenInside: unknown[] = [];
    const tokens = new Set<string>();
    // One call per simulated hour for 10 days: 240 calls, across some 40 refresh periods.
    for (let hour = 0; hour < 240; hour++) {
      const result = await client.callWithRefresh(name, async (token) => {
        tokens.add(token);
        try {
          return await web.auth.test({ token });
        } catch (thrown) {
          seenInside.push(thrown);
          throw thrown;
        }
      });
      expect(result.ok).toBe(true);
      await harness.advance(3600);
      await quiescent(harness, name);
    }
    expect(harness.nowSeconds() - start).toBeGreaterThanOrEqual(240 * 3600);
    expect(seenInside.filter(isExpiredCredentialError)).toEqual([]);
    expect(tokenErrors(await harness.events({ endpoint: 'auth.test' }))).toEqual([]);
    // Refreshed at half the 12 h lifetime: about one refresh per 6 h, never a storm.
    const refreshes = await harness.acceptedRefreshes();
    expect(refreshes.length).toBeGreaterThanOrEqual(30);
    expect(refreshes.length).toBeLessThanOrEqual(41);
    expect(tokens.size).toBeGreaterThanOrEqual(30);
    // The client asked Rotor only when its cached token neared expiry or rotated, not per call.
    expect(recorder.count('/ensure-fresh')).toBeLessThan(240);
  });

  it("recovers with one refresh and one retry when the token expires mid-use (the provider's clock ahead of Rotor's)", async () => {
    harness = await OAuthHarness.start();
    const { name } = await harness.install({ team_id: 'TSKEW', bot: true, user: false });
    const recorder = recordingFetch();
    client = new RotorClient({ endpoint: harness.rotor.url, credentials: harness.rotor.credentials, clock: harness.clock, fetch: recorder.fetch });
    const web = webClient(harness.simUrl);
    const first = await client.getValidToken(name);
    // Only the provider's clock jumps past the token's expiry: Rotor and the client still believe it valid.
    await harness.simAdmin('POST', '/_sim/clock', { advance: 12 * 3600 + 60 });
    const errors: unknown[] = [];
    const used: string[] = [];
    const result = await client.callWithRefresh(name, async (token) => {
      used.push(token);
      try {
        return await web.auth.test({ token });
      } catch (thrown) {
        errors.push(thrown);
        throw thrown;
      }
    });
    expect(result.ok).toBe(true);
    expect(used[0]).toBe(first.token);
    expect(used).toHaveLength(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'slack_webapi_platform_error', data: { error: 'token_expired' } });
    const calls = recorder.requests.filter((request) => request.path.endsWith('/ensure-fresh')).map((request) => JSON.parse(request.body!) as Record<string, unknown>);
    expect(calls.at(-1)).toMatchObject({ ifVersion: first.versionId });
    expect(await harness.acceptedRefreshes()).toHaveLength(1);
  });
});
