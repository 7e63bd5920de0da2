import { RotorClient } from '@rotor/client';
import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { OAuthHarness, tokenHash } from '../support/oauth-harness.js';

/**
 * Issue 5, item 6: a Slack app built with the official `@slack/web-api` client, getting its
 * bot token from `@rotor/client`, keeps calling the provider simulator across 10 simulated
 * days while Rotor refreshes the token on schedule (12 h tokens, refreshed at half life),
 * and not a single `token_expired` reaches the app.
 *
 * Time moves in 30-minute steps; after each jump the app makes a few calls at once, racing
 * the scheduled refresh the jump may have started, and the step ends when Rotor is idle.
 */
const days = 10;
const stepSeconds = 1800;
const callsPerStep = 3;

describe('a Slack app on @rotor/client', () => {
  let harness: OAuthHarness | undefined;
  let rotor: RotorClient | undefined;
  afterEach(async () => {
    rotor?.close();
    rotor = undefined;
    await harness?.close();
    harness = undefined;
  });

  it(`calls chat.postMessage for ${days} simulated days without ever seeing token_expired`, { timeout: 300_000 }, async () => {
    harness = await OAuthHarness.start();
    const h = harness;
    const { name } = await h.install({ team_id: 'TAPP01' });
    // The app's side: Rotor's client on the shared timeline (it signs with the shifted clock),
    // and Slack's own client pointed at the simulator, with its hidden retries turned off.
    rotor = new RotorClient({ endpoint: h.rotor.url, credentials: h.rotor.credentials, clock: { now: () => h.clock.now() } });
    const client = rotor;
    const web = new WebClient(undefined, { slackApiUrl: `${h.simUrl}/api/`, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });

    /** Slack errors the app's own code saw, and the tokens it used (hashes). */
    const seenErrors: string[] = [];
    const tokensUsed = new Set<string>();
    let calls = 0;
    const post = (text: string) =>
      client.callWithRefresh(name, async (token) => {
        tokensUsed.add(tokenHash(token));
        try {
          return await web.chat.postMessage({ token, channel: 'C0APP', text });
        } catch (error) {
          seenErrors.push((error as { data?: { error?: string } }).data?.error ?? (error instanceof Error ? error.message : 'unknown'));
          throw error;
        }
      });

    const steps = (days * 86_400) / stepSeconds;
    for (let step = 1; step <= steps; step++) {
      await h.advance(stepSeconds);
      const answers = await Promise.all(Array.from({ length: callsPerStep }, (_, index) => post(`step ${step} call ${index}`)));
      for (const answer of answers) expect(answer.ok).toBe(true);
      calls += answers.length;
      await h.settle();
    }

    // Nothing but success reached the app.
    expect(seenErrors).toEqual([]);
    expect(calls).toBe(steps * callsPerStep);
    // The provider's view: every call was served, none with a dead token.
    const apiCalls = await h.events({ endpoint: 'chat.postMessage' });
    expect(apiCalls).toHaveLength(calls);
    expect(apiCalls.filter((event) => event.outcome !== 'ok')).toEqual([]);
    // Rotor really rotated underneath: about four refreshes a day, each one accepted, and the app moved along.
    const refreshes = await h.acceptedRefreshes();
    expect(refreshes.length).toBeGreaterThanOrEqual(days * 4 - 1);
    expect(refreshes.length).toBeLessThanOrEqual(days * 4 + 1);
    expect((await h.events({ endpoint: 'oauth.v2.access' })).filter((event) => event.outcome === 'rejected')).toEqual([]);
    expect(tokensUsed.size).toBeGreaterThanOrEqual(refreshes.length);
    console.log(`slack app: ${calls} chat.postMessage calls over ${days} days, ${refreshes.length} refreshes, ${tokensUsed.size} distinct tokens used, 0 token_expired`);
  });
});
