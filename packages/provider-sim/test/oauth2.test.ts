import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PRESET_NAMES, type ProviderSim } from '../src/index.js';
import { admin, advance, createApp, events, oauth2, startSim, type AppCredentials } from './support/sim-client.js';

let sim: ProviderSim;

beforeEach(async () => {
  sim = await startSim();
});
afterEach(async () => {
  await sim.close();
});

async function grant(app: AppCredentials, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return admin(sim, 'POST', 'install', { client_id: app.client_id, team_id: 'tenant-1', user_id: 'user-1', ...extra });
}

const refresh = (app: AppCredentials, refreshToken: string, extra: Record<string, string> = {}) =>
  oauth2(sim, 'token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: app.client_id, client_secret: app.client_secret, ...extra });

describe('generic oauth2 personality', () => {
  it('install returns an RFC 6749 token response; refresh rotates', async () => {
    const app = await createApp(sim, 'okta');
    const body = await grant(app);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read write' });
    expect(typeof body.refresh_token).toBe('string');
    const res = await refresh(app, body.refresh_token as string);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.refresh_token).not.toBe(body.refresh_token);
    expect(res.body.access_token).not.toBe(body.access_token);
  });

  it('client errors: 401 invalid_client with WWW-Authenticate Basic when Basic was used', async () => {
    const app = await createApp(sim, 'zoom');
    const body = await grant(app);
    const basic = await oauth2(sim, 'token', { grant_type: 'refresh_token', refresh_token: body.refresh_token as string }, { basic: [app.client_id, 'wrong'] });
    expect(basic.status).toBe(401);
    expect(basic.body.error).toBe('invalid_client');
    expect(basic.headers.get('www-authenticate')).toMatch(/^Basic/);
    const form = await refresh({ ...app, client_secret: 'wrong' }, body.refresh_token as string);
    expect(form.status).toBe(401);
    expect(form.headers.get('www-authenticate')).toBeNull();
    const ok = await oauth2(sim, 'token', { grant_type: 'refresh_token', refresh_token: body.refresh_token as string }, { basic: [app.client_id, app.client_secret] });
    expect(ok.status).toBe(200);
  });

  it('request errors: invalid_request, unsupported_grant_type, invalid_grant, invalid_scope', async () => {
    const app = await createApp(sim, 'zoom');
    const body = await grant(app);
    const creds = { client_id: app.client_id, client_secret: app.client_secret };
    expect((await oauth2(sim, 'token', creds)).body.error).toBe('invalid_request');
    expect((await oauth2(sim, 'token', { ...creds, grant_type: 'password' })).body.error).toBe('unsupported_grant_type');
    const bad = await refresh(app, 'nope');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_grant');
    expect((await refresh(app, body.refresh_token as string, { scope: 'admin' })).body.error).toBe('invalid_scope');
    expect((await refresh(app, body.refresh_token as string, { scope: 'read' })).status).toBe(200);
  });

  it('authorization_code grant with redirect checks', async () => {
    const app = await createApp(sim, 'zoom');
    const res = await fetch(`${sim.url}/oauth2/authorize?client_id=${app.client_id}&redirect_uri=${encodeURIComponent('https://cb.test/x')}&state=abc&scope=read`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const code = new URL(res.headers.get('location') as string).searchParams.get('code') as string;
    const creds = { client_id: app.client_id, client_secret: app.client_secret, grant_type: 'authorization_code', code };
    expect((await oauth2(sim, 'token', { ...creds, redirect_uri: 'https://evil.test' })).body.error).toBe('invalid_grant');
    const ok = await oauth2(sim, 'token', { ...creds, redirect_uri: 'https://cb.test/x' });
    expect(ok.body).toMatchObject({ token_type: 'Bearer', scope: 'read' });
    expect((await oauth2(sim, 'token', { ...creds, redirect_uri: 'https://cb.test/x' })).body.error).toBe('invalid_grant');
  });

  it('resource answers 401 Bearer invalid_token for expired and revoked tokens; revoke and introspect follow RFC 7009/7662', async () => {
    const app = await createApp(sim, 'zoom');
    const body = await grant(app);
    const at = body.access_token as string;
    expect((await oauth2(sim, 'resource', {}, { bearer: at, method: 'GET' })).body).toMatchObject({ ok: true, sub: 'user-1' });
    const creds = { client_id: app.client_id, client_secret: app.client_secret };
    expect((await oauth2(sim, 'introspect', { ...creds, token: at })).body).toMatchObject({ active: true, token_type: 'access_token', client_id: app.client_id });
    await advance(sim, 3600);
    const expired = await oauth2(sim, 'resource', {}, { bearer: at, method: 'GET' });
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    expect((await oauth2(sim, 'introspect', { ...creds, token: at })).body).toEqual({ active: false });

    const next = await refresh(app, body.refresh_token as string);
    const newAt = next.body.access_token as string;
    expect((await oauth2(sim, 'revoke', { ...creds, token: newAt })).status).toBe(200);
    expect((await oauth2(sim, 'resource', {}, { bearer: newAt, method: 'GET' })).status).toBe(401);
    // Revoking a refresh token ends the grant.
    expect((await oauth2(sim, 'revoke', { ...creds, token: next.body.refresh_token as string })).status).toBe(200);
    expect((await refresh(app, next.body.refresh_token as string)).body.error).toBe('invalid_grant');
    expect((await oauth2(sim, 'revoke', { ...creds, token: 'unknown' })).status).toBe(200);
  });
});

describe('presets', () => {
  it('every preset of §4.9 can be created', async () => {
    for (const preset of PRESET_NAMES) {
      const app = await createApp(sim, preset);
      expect(app).toMatchObject({ personality: preset.startsWith('slack') ? 'slack' : 'oauth2' });
    }
    expect(PRESET_NAMES).toHaveLength(12);
  });

  it('hubspot returns the same refresh token', async () => {
    const app = await createApp(sim, 'hubspot');
    const body = await grant(app);
    expect(body.expires_in).toBe(1800);
    const first = await refresh(app, body.refresh_token as string);
    const second = await refresh(app, body.refresh_token as string);
    expect(first.body.refresh_token).toBe(body.refresh_token);
    expect(second.body.refresh_token).toBe(body.refresh_token);
    expect(second.body.access_token).not.toBe(first.body.access_token);
  });

  it('google omits the refresh token and keeps the old one working', async () => {
    const app = await createApp(sim, 'google');
    const body = await grant(app);
    expect(body.access_token).toMatch(/^ya29\./);
    const first = await refresh(app, body.refresh_token as string);
    expect(first.status).toBe(200);
    expect(first.body).not.toHaveProperty('refresh_token');
    expect(first.body.expires_in).toBe(3599);
    expect((await refresh(app, body.refresh_token as string)).status).toBe(200);
  });

  it('google caps live grants per user and client at 100, evicting the oldest', async () => {
    const app = await createApp(sim, 'google');
    const first = await grant(app);
    for (let i = 0; i < 100; i++) await grant(app);
    expect((await refresh(app, first.refresh_token as string)).body.error).toBe('invalid_grant');
  });

  it('strict-bcp: replaying a used refresh token revokes the family, newest token included', async () => {
    const app = await createApp(sim, 'strict-bcp');
    const body = await grant(app);
    const next = await refresh(app, body.refresh_token as string);
    const replay = await refresh(app, body.refresh_token as string);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect((await refresh(app, next.body.refresh_token as string)).body.error).toBe('invalid_grant');
    expect((await oauth2(sim, 'resource', {}, { bearer: next.body.access_token as string, method: 'GET' })).status).toBe(401);
    const log = await events(sim, { endpoint: 'token' });
    expect(log.events.map((e) => e.outcome)).toEqual(['issued', 'reuse_detected', 'rejected']);
  });

  it('auth0: the previous token is accepted within the reuse interval; the second-to-last triggers reuse detection', async () => {
    const app = await createApp(sim, 'auth0');
    const g1 = await grant(app);
    const g2 = await refresh(app, g1.refresh_token as string);
    const g3 = await refresh(app, g2.body.refresh_token as string);
    expect(g3.status).toBe(200);
    // g2's token is one step behind and within 10 s: accepted.
    expect((await refresh(app, g2.body.refresh_token as string)).status).toBe(200);
    // g1's token is two steps behind: reuse detected, family revoked.
    expect((await refresh(app, g1.refresh_token as string)).body.error).toBe('invalid_grant');
    expect((await refresh(app, g3.body.refresh_token as string)).body.error).toBe('invalid_grant');
    const log = await events(sim, { endpoint: 'token' });
    expect(log.events.map((e) => e.outcome)).toEqual(['issued', 'issued', 'grace_replay', 'reuse_detected', 'rejected']);
  });

  it('github-app revokes the old access token immediately and reports refresh_token_expires_in', async () => {
    const app = await createApp(sim, 'github-app');
    const body = await grant(app);
    expect(body.access_token).toMatch(/^ghu_/);
    expect(body.refresh_token).toMatch(/^ghr_/);
    expect(body.refresh_token_expires_in).toBe(15_897_600);
    expect(body.expires_in).toBe(28_800);
    const next = await refresh(app, body.refresh_token as string);
    expect((await oauth2(sim, 'resource', {}, { bearer: body.access_token as string, method: 'GET' })).status).toBe(401);
    expect((await oauth2(sim, 'resource', {}, { bearer: next.body.access_token as string, method: 'GET' })).status).toBe(200);
    expect((await refresh(app, body.refresh_token as string)).body.error).toBe('invalid_grant');
  });

  it('atlassian revokes the old access token after the 10 minute leeway', async () => {
    const app = await createApp(sim, 'atlassian');
    const body = await grant(app);
    await refresh(app, body.refresh_token as string);
    await advance(sim, 599);
    expect((await oauth2(sim, 'resource', {}, { bearer: body.access_token as string, method: 'GET' })).status).toBe(200);
    await advance(sim, 1);
    expect((await oauth2(sim, 'resource', {}, { bearer: body.access_token as string, method: 'GET' })).status).toBe(401);
  });

  it('microsoft jitters expires_in between 60 and 90 minutes and never revokes old refresh tokens', async () => {
    const app = await createApp(sim, 'microsoft');
    const body = await grant(app);
    const next = await refresh(app, body.refresh_token as string);
    await advance(sim, 86_400);
    const old = await refresh(app, body.refresh_token as string);
    expect(old.status).toBe(200);
    for (const res of [body, next.body, old.body]) {
      expect(res.expires_in as number).toBeGreaterThanOrEqual(3600);
      expect(res.expires_in as number).toBeLessThanOrEqual(5400);
    }
  });

  it('xero accepts the old refresh token for 30 minutes', async () => {
    const app = await createApp(sim, 'xero');
    const body = await grant(app);
    await refresh(app, body.refresh_token as string);
    await advance(sim, 1799);
    expect((await refresh(app, body.refresh_token as string)).status).toBe(200);
    await advance(sim, 1);
    expect((await refresh(app, body.refresh_token as string)).body.error).toBe('invalid_grant');
  });

  it('knobs can be overridden per app and unknown knobs are refused', async () => {
    const app = await createApp(sim, 'okta', { refreshGraceSeconds: 5 });
    expect(((await admin(sim, 'GET', `apps/${app.client_id}`)).knobs as Record<string, unknown>).refreshGraceSeconds).toBe(5);
    const res = await fetch(`${sim.url}/_sim/apps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ preset: 'okta', knobs: { nope: 1 } }) });
    expect(res.status).toBe(400);
    const graceSame = await createApp(sim, 'okta', { graceReuseMode: 'same_pair' });
    const body = await grant(graceSame);
    const first = await refresh(graceSame, body.refresh_token as string);
    const again = await refresh(graceSame, body.refresh_token as string);
    expect(again.body.access_token).toBe(first.body.access_token);
    expect(again.body.refresh_token).toBe(first.body.refresh_token);
  });
});
