import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderSim } from '../src/index.js';
import { admin, createApp, events, installSlack, refreshSlack, slack, startSim, type AppCredentials } from './support/sim-client.js';

let sim: ProviderSim;
let app: AppCredentials;
let install: Record<string, unknown>;

beforeEach(async () => {
  sim = await startSim();
  app = await createApp(sim, 'slack');
  install = await installSlack(sim, app);
});
afterEach(async () => {
  await sim.close();
});

const refreshRule = (rule: Record<string, unknown>): Promise<unknown> =>
  admin(sim, 'POST', 'faults', { rules: [{ match: { endpoint: 'oauth.v2.access', grant_type: 'refresh_token' }, ...rule }] });

async function generation(): Promise<number> {
  const { families } = await admin<{ families: Array<{ generation: number }> }>(sim, 'GET', `families?client_id=${app.client_id}`);
  return families[0]?.generation ?? -1;
}

/** Raw HTTP so that half bodies and dropped sockets are observable (fetch hides some of it). */
function rawPost(path: string, form: Record<string, string>): Promise<{ status: number; text: string } | { error: string }> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve) => {
    const req = request(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      res.on('aborted', () => resolve({ error: 'aborted' }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end(body);
  });
}

const refreshForm = (): Record<string, string> => ({
  client_id: app.client_id,
  client_secret: app.client_secret,
  grant_type: 'refresh_token',
  refresh_token: install.refresh_token as string,
});

describe('fault injection', () => {
  it('drop_after_commit rotates, then closes the socket; the retry inside grace gets a new pair', async () => {
    await refreshRule({ action: 'drop_after_commit', times: 1 });
    await expect(refreshSlack(sim, app, install.refresh_token as string)).rejects.toThrow();
    expect(await generation()).toBe(2);
    const retry = await refreshSlack(sim, app, install.refresh_token as string);
    expect(retry.body.ok).toBe(true);
    const log = await events(sim, { endpoint: 'oauth.v2.access' });
    expect(log.events.map((e) => [e.outcome, e.fault ?? null, e.http_status])).toEqual([
      ['issued', 'drop_after_commit', null],
      ['grace_replay', null, 200],
    ]);
  });

  it('error_after_commit commits and answers Slack internal_error', async () => {
    await refreshRule({ action: 'error_after_commit', times: 1 });
    const res = await refreshSlack(sim, app, install.refresh_token as string);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: false, error: 'internal_error' });
    expect(await generation()).toBe(2);
  });

  it('error_before_commit with a status changes nothing', async () => {
    await refreshRule({ action: 'error_before_commit', status: 503, error: 'service_unavailable', times: 1 });
    const res = await refreshSlack(sim, app, install.refresh_token as string);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ ok: false, error: 'service_unavailable' });
    expect(await generation()).toBe(1);
    expect((await events(sim, { endpoint: 'oauth.v2.access' })).events[0]).toMatchObject({ outcome: 'fault', fault: 'error_before_commit', http_status: 503 });
    expect((await refreshSlack(sim, app, install.refresh_token as string)).body.ok).toBe(true);
  });

  it('latency delays in real time, before or after commit', async () => {
    await refreshRule({ action: 'latency', delay_ms: 300, phase: 'after', times: 1 });
    const pending = refreshSlack(sim, app, install.refresh_token as string);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Committed already, response not yet sent.
    expect(await generation()).toBe(2);
    const started = Date.now();
    expect((await pending).body.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);

    await admin(sim, 'DELETE', 'faults');
    await admin(sim, 'POST', 'faults', { rules: [{ match: { endpoint: 'auth.test' }, action: 'latency', delay_ms: 250 }] });
    const before = Date.now();
    await slack(sim, 'auth.test', {}, { bearer: install.access_token as string });
    expect(Date.now() - before).toBeGreaterThanOrEqual(240);
  });

  it('rate_limit answers 429 with Retry-After and the ratelimited error', async () => {
    await refreshRule({ action: 'rate_limit', retry_after: 30, times: 1 });
    const res = await refreshSlack(sim, app, install.refresh_token as string);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(res.body).toEqual({ ok: false, error: 'ratelimited' });
    expect(await generation()).toBe(1);
    expect((await events(sim, { endpoint: 'oauth.v2.access' })).events[0]).toMatchObject({ outcome: 'rate_limited', fault: 'rate_limit' });
  });

  it('reset_connection resets before commit', async () => {
    await refreshRule({ action: 'reset_connection', times: 1 });
    const res = await rawPost('/api/oauth.v2.access', refreshForm());
    expect(res).toHaveProperty('error');
    expect(await generation()).toBe(1);
  });

  it('malformed_json commits and sends a body that is not JSON', async () => {
    await refreshRule({ action: 'malformed_json', times: 1 });
    const res = await rawPost('/api/oauth.v2.access', refreshForm());
    expect('text' in res && res.status === 200).toBe(true);
    if ('text' in res) expect(() => JSON.parse(res.text)).toThrow();
    expect(await generation()).toBe(2);
  });

  it('truncate_body commits and cuts the response short of its Content-Length', async () => {
    await refreshRule({ action: 'truncate_body', times: 1 });
    const res = await rawPost('/api/oauth.v2.access', refreshForm());
    if ('text' in res) expect(() => JSON.parse(res.text)).toThrow();
    else expect(res.error).toBeTruthy();
    expect(await generation()).toBe(2);
  });

  it('revoke_family, revoke_token and uninstall act out of band before the request is served', async () => {
    const family = (await events(sim)).events[0]?.family as string;
    await admin(sim, 'POST', 'faults', { rules: [{ match: { endpoint: 'auth.test', family }, action: 'revoke_token', times: 1 }] });
    expect((await slack(sim, 'auth.test', {}, { bearer: install.access_token as string })).body.error).toBe('token_revoked');
    const next = await refreshSlack(sim, app, install.refresh_token as string);
    expect(next.body.ok).toBe(true);

    await admin(sim, 'DELETE', 'faults');
    await refreshRule({ action: 'revoke_family', times: 1 });
    expect((await refreshSlack(sim, app, next.body.refresh_token as string)).body.error).toBe('invalid_refresh_token');
    expect((await admin(sim, 'GET', `families/${family}`)).revoked_reason).toBe('fault');

    const other = await installSlack(sim, app, { team_id: 'T0002', user: true });
    await admin(sim, 'DELETE', 'faults');
    await admin(sim, 'POST', 'faults', { rules: [{ match: { endpoint: 'auth.test', team_id: 'T0002' }, action: 'uninstall' }] });
    expect((await slack(sim, 'auth.test', {}, { bearer: other.access_token as string })).body.error).toBe('token_revoked');
    const user = other.authed_user as Record<string, string>;
    expect((await refreshSlack(sim, app, user.refresh_token as string)).body.error).toBe('invalid_refresh_token');
  });

  it('nth fires on the nth matching request only; times bounds firing; client_id must match', async () => {
    await admin(sim, 'POST', 'faults', { rules: [{ match: { endpoint: 'auth.test', nth: 2 }, action: 'error_before_commit', error: 'fatal_error' }] });
    const call = async (): Promise<unknown> => (await slack(sim, 'auth.test', {}, { bearer: install.access_token as string })).body.error ?? 'ok';
    expect([await call(), await call(), await call()]).toEqual(['ok', 'fatal_error', 'ok']);

    await admin(sim, 'DELETE', 'faults');
    await admin(sim, 'POST', 'faults', { rules: [{ match: { endpoint: 'auth.test', client_id: 'someone-else' }, action: 'error_before_commit' }] });
    expect(await call()).toBe('ok');

    await admin(sim, 'DELETE', 'faults');
    const { rules } = await admin<{ rules: Array<{ fired: number }> }>(sim, 'POST', 'faults', { rules: [{ match: { endpoint: 'auth.test' }, action: 'error_before_commit', times: 2 }] });
    expect(rules).toHaveLength(1);
    expect([await call(), await call(), await call()]).toEqual(['internal_error', 'internal_error', 'ok']);
    expect((await admin<{ rules: Array<{ fired: number; matched: number }> }>(sim, 'GET', 'faults')).rules[0]).toMatchObject({ fired: 2, matched: 3 });
  });

  it('probability draws from the seeded PRNG: the same seed fires on the same requests', async () => {
    const pattern = async (seed: number): Promise<string> => {
      const { startProviderSim } = await import('../src/index.js');
      const other = await startProviderSim({ seed, now: 1_700_000_000 });
      try {
        const a = await admin<{ client_id: string; client_secret: string }>(other, 'POST', 'apps', { preset: 'slack' });
        const inst = await admin(other, 'POST', 'install', { client_id: a.client_id });
        await admin(other, 'POST', 'faults', { rules: [{ match: { endpoint: 'auth.test', probability: 0.5 }, action: 'error_before_commit' }] });
        let out = '';
        for (let i = 0; i < 24; i++) out += (await slack(other, 'auth.test', {}, { bearer: inst.access_token as string })).body.ok ? '.' : 'x';
        return out;
      } finally {
        await other.close();
      }
    };
    const first = await pattern(7);
    expect(first).toMatch(/x/);
    expect(first).toMatch(/\./);
    expect(await pattern(7)).toBe(first);
  });

  it('rejects unknown actions with 400', async () => {
    const res = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules: [{ action: 'explode' }] }) });
    expect(res.status).toBe(400);
  });
});
