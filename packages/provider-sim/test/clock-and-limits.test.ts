import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderSim } from '../src/index.js';
import { admin, createApp, installSlack, refreshSlack, slack, START, startSim, type AppCredentials } from './support/sim-client.js';

let sim: ProviderSim;
let app: AppCredentials;

beforeEach(async () => {
  sim = await startSim();
  app = await createApp(sim, 'slack');
});
afterEach(async () => {
  await sim.close();
});

describe('simulated clock', () => {
  it('is frozen at `now` by default and moves only when told', async () => {
    expect(await admin(sim, 'GET', 'clock')).toEqual({ now: START, frozen: true, rate: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await admin(sim, 'GET', 'clock')).now).toBe(START);
    expect((await admin(sim, 'POST', 'clock', { advance: 90 })).now).toBe(START + 90);
    expect((await admin(sim, 'POST', 'clock', { set: START + 1000 })).now).toBe(START + 1000);
  });

  it('unfrozen, runs at `rate` times real time', async () => {
    await admin(sim, 'POST', 'clock', { freeze: false, rate: 100 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { now, frozen } = await admin<{ now: number; frozen: boolean }>(sim, 'POST', 'clock', { freeze: true });
    expect(frozen).toBe(true);
    expect(now - START).toBeGreaterThanOrEqual(15);
    expect(now - START).toBeLessThan(200);
  });

  it('drives expiry: setting the clock past expires_at expires the token', async () => {
    const install = await installSlack(sim, app);
    await admin(sim, 'POST', 'clock', { set: START + 43_199 });
    expect((await slack(sim, 'auth.test', {}, { bearer: install.access_token as string })).body).toMatchObject({ ok: true, expires_in: 1 });
    await admin(sim, 'POST', 'clock', { set: START + 43_200 });
    expect((await slack(sim, 'auth.test', {}, { bearer: install.access_token as string })).body.error).toBe('token_expired');
  });
});

describe('built-in oauth.v2.access limiter', () => {
  it('allows 600 per minute per (app, team), then 429 with Retry-After on simulated time', async () => {
    await admin(sim, 'PATCH', `apps/${app.client_id}`, { knobs: { rateLimitPerMinute: 5 } });
    const install = await installSlack(sim, app);
    const other = await installSlack(sim, app, { team_id: 'T0002' });
    let rt = install.refresh_token as string;
    for (let i = 0; i < 5; i++) {
      const res = await refreshSlack(sim, app, rt);
      expect(res.body.ok).toBe(true);
      rt = res.body.refresh_token as string;
    }
    const limited = await refreshSlack(sim, app, rt);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ ok: false, error: 'ratelimited' });
    expect(limited.headers.get('retry-after')).toBe('12');
    // Another team has its own bucket.
    expect((await refreshSlack(sim, app, other.refresh_token as string)).body.ok).toBe(true);
    await admin(sim, 'POST', 'clock', { advance: 12 });
    expect((await refreshSlack(sim, app, rt)).body.ok).toBe(true);
  });

  it('defaults to 600 per minute for the slack preset', async () => {
    expect(((await admin(sim, 'GET', `apps/${app.client_id}`)).knobs as Record<string, unknown>).rateLimitPerMinute).toBe(600);
    const install = await installSlack(sim, app);
    const statuses = new Map<number, number>();
    // 601 calls in the same simulated instant (grace replays of one token, so all count for team T0001).
    for (let i = 0; i < 601; i++) {
      const res = await refreshSlack(sim, app, install.refresh_token as string);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 600, 429: 1 });
  });
});
