import { WebClient, LogLevel } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderSim } from '../src/index.js';
import { admin, advance, createApp, events, installSlack, startSim } from './support/sim-client.js';

let sim: ProviderSim;

beforeEach(async () => {
  sim = await startSim();
});
afterEach(async () => {
  await sim.close();
});

describe('@slack/web-api against the simulator', () => {
  it('WebClient calls auth.test, refreshes through oauth.v2.access and sees token_expired', async () => {
    const app = await createApp(sim, 'slack');
    const install = await installSlack(sim, app);
    const web = new WebClient(install.access_token as string, { slackApiUrl: `${sim.url}/api/`, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } });

    const test = await web.auth.test();
    expect(test).toMatchObject({ ok: true, team_id: 'T0001', user_id: install.bot_user_id, expires_in: 43200 });
    expect((await web.chat.postMessage({ channel: 'C1', text: 'hi' })).ok).toBe(true);

    await advance(sim, 43_000);
    const anonymous = new WebClient(undefined, { slackApiUrl: `${sim.url}/api/`, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } });
    const refreshed = await anonymous.oauth.v2.access({ client_id: app.client_id, client_secret: app.client_secret, grant_type: 'refresh_token', refresh_token: install.refresh_token as string });
    expect(refreshed).toMatchObject({ ok: true, token_type: 'bot', expires_in: 43200 });

    await advance(sim, 200);
    await expect(web.auth.test()).rejects.toMatchObject({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'token_expired' } });
    const fresh = new WebClient(refreshed.access_token, { slackApiUrl: `${sim.url}/api/`, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } });
    expect((await fresh.auth.test()).ok).toBe(true);

    const log = await events(sim, { endpoint: 'auth.test' });
    expect(log.events.map((e) => e.outcome)).toEqual(['ok', 'rejected', 'ok']);
    expect(log.events[1]).toMatchObject({ error: 'token_expired', kind: 'bot' });
    expect(await admin(sim, 'GET', 'clock')).toMatchObject({ frozen: true });
  });

  it('WebClient surfaces the 429 as a rate-limited error', async () => {
    const app = await createApp(sim, 'slack');
    const install = await installSlack(sim, app);
    await admin(sim, 'POST', 'faults', { rules: [{ match: { endpoint: 'auth.test' }, action: 'rate_limit', retry_after: 7, times: 1 }] });
    const web = new WebClient(install.access_token as string, { slackApiUrl: `${sim.url}/api/`, logLevel: LogLevel.ERROR, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
    await expect(web.auth.test()).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 });
  });
});
