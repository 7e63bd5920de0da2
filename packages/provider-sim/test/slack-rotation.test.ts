import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderSim } from '../src/index.js';
import { admin, advance, createApp, events, installSlack, refreshSlack, slack, startSim, type AppCredentials } from './support/sim-client.js';

let sim: ProviderSim;
let app: AppCredentials;

beforeEach(async () => {
  sim = await startSim();
  app = await createApp(sim, 'slack');
});
afterEach(async () => {
  await sim.close();
});

const hash = (token: string): string => createHash('sha256').update(token).digest('hex').slice(0, 16);

describe('Slack install and refresh', () => {
  it('installs with Slack-shaped rotating tokens for bot and user', async () => {
    const body = await installSlack(sim, app, { user: true, team_name: 'Softball' });
    expect(body).toMatchObject({ ok: true, token_type: 'bot', expires_in: 43200, team: { id: 'T0001', name: 'Softball' }, enterprise: null, is_enterprise_install: false });
    expect(body.access_token).toMatch(/^xoxe\.xoxb-1-[A-Z0-9]+$/);
    expect(body.refresh_token).toMatch(/^xoxe-1-[A-Z0-9]+$/);
    const user = body.authed_user as Record<string, unknown>;
    expect(user.access_token).toMatch(/^xoxe\.xoxp-1-/);
    expect(user).toMatchObject({ token_type: 'user', expires_in: 43200 });
    expect(user.refresh_token).not.toBe(body.refresh_token);
  });

  it('omits the top-level access token for user-only installs', async () => {
    const body = await installSlack(sim, app, { bot: false, user: true });
    expect(body.access_token).toBeUndefined();
    expect((body.authed_user as Record<string, unknown>).access_token).toMatch(/^xoxe\.xoxp-1-/);
  });

  it('rotates: a refresh returns a flat new pair and supersedes the presented refresh token', async () => {
    const install = await installSlack(sim, app);
    const res = await refreshSlack(sim, app, install.refresh_token as string);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, token_type: 'bot', expires_in: 43200, team: { id: 'T0001' }, is_enterprise_install: false });
    expect(res.body.bot_user_id).toBe(install.bot_user_id);
    expect(res.body.access_token).not.toBe(install.access_token);
    expect(res.body.refresh_token).not.toBe(install.refresh_token);
    expect(res.body.authed_user).toBeUndefined();

    // The old access token keeps working until its own expiry (revokeOldAccessOnRefresh: never).
    expect((await slack(sim, 'auth.test', {}, { bearer: install.access_token as string })).body.ok).toBe(true);

    const log = await events(sim, { endpoint: 'oauth.v2.access' });
    expect(log.events).toHaveLength(1);
    expect(log.events[0]).toMatchObject({ outcome: 'issued', generation_before: 1, generation_after: 2, kind: 'bot', presented_token_hash: hash(install.refresh_token as string) });
    expect(JSON.stringify(log)).not.toContain(install.refresh_token as string);
  });

  it('refreshes user tokens with user_id and token_type user', async () => {
    const install = await installSlack(sim, app, { bot: false, user: true, user_id: 'U777' });
    const user = install.authed_user as Record<string, string>;
    const res = await refreshSlack(sim, app, user.refresh_token as string);
    expect(res.body).toMatchObject({ ok: true, token_type: 'user', user_id: 'U777' });
    expect(res.body.access_token).toMatch(/^xoxe\.xoxp-1-/);
  });

  it('a replay inside the grace window mints another distinct pair, and the newest pair is the last minted', async () => {
    const install = await installSlack(sim, app);
    const first = await refreshSlack(sim, app, install.refresh_token as string);
    await advance(sim, 5);
    const replay = await refreshSlack(sim, app, install.refresh_token as string);
    expect(replay.body.ok).toBe(true);
    expect(replay.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(replay.body.access_token).not.toBe(first.body.access_token);

    const log = await events(sim, { endpoint: 'oauth.v2.access' });
    expect(log.events.map((e) => e.outcome)).toEqual(['issued', 'grace_replay']);
    expect(log.events[1]).toMatchObject({ generation_before: 2, generation_after: 3 });
    const family = log.events[0]?.family as string;
    const view = await admin(sim, 'GET', `families/${family}`);
    expect(view.current_refresh_token_hash).toBe(hash(replay.body.refresh_token as string));

    // The last pair rotates on; the first minted pair's refresh token dies when its grace ends.
    await advance(sim, 11);
    expect((await refreshSlack(sim, app, first.body.refresh_token as string)).body).toEqual({ ok: false, error: 'invalid_refresh_token' });
    expect((await refreshSlack(sim, app, replay.body.refresh_token as string)).body.ok).toBe(true);
  });

  it('rejects a superseded refresh token outside the grace window without revoking the family', async () => {
    const install = await installSlack(sim, app);
    const first = await refreshSlack(sim, app, install.refresh_token as string);
    await advance(sim, 10);
    const late = await refreshSlack(sim, app, install.refresh_token as string);
    expect(late.status).toBe(200);
    expect(late.body).toEqual({ ok: false, error: 'invalid_refresh_token' });
    const log = await events(sim, { endpoint: 'oauth.v2.access' });
    expect(log.events[1]).toMatchObject({ outcome: 'rejected', reason: 'superseded', error: 'invalid_refresh_token' });
    expect((await refreshSlack(sim, app, first.body.refresh_token as string)).body.ok).toBe(true);
  });

  it('with refreshGraceSeconds 0 an immediate replay is rejected', async () => {
    await admin(sim, 'PATCH', `apps/${app.client_id}`, { knobs: { refreshGraceSeconds: 0 } });
    const install = await installSlack(sim, app);
    await refreshSlack(sim, app, install.refresh_token as string);
    expect((await refreshSlack(sim, app, install.refresh_token as string)).body.error).toBe('invalid_refresh_token');
  });

  it('keeps at most 2 active access tokens, revoking the oldest', async () => {
    const install = await installSlack(sim, app);
    const second = await refreshSlack(sim, app, install.refresh_token as string);
    expect((await slack(sim, 'auth.test', {}, { bearer: install.access_token as string })).body.ok).toBe(true);
    const third = await refreshSlack(sim, app, second.body.refresh_token as string);
    expect((await slack(sim, 'auth.test', {}, { bearer: install.access_token as string })).body).toEqual({ ok: false, error: 'token_revoked' });
    expect((await slack(sim, 'auth.test', {}, { bearer: second.body.access_token as string })).body.ok).toBe(true);
    expect((await slack(sim, 'auth.test', {}, { bearer: third.body.access_token as string })).body.ok).toBe(true);
    const family = (await admin<{ families: Array<Record<string, unknown>> }>(sim, 'GET', `families?client_id=${app.client_id}&team_id=T0001`)).families[0];
    expect(family).toMatchObject({ generation: 3, active_access_tokens: 2 });
    const detail = await admin<{ access_tokens: Array<Record<string, unknown>> }>(sim, 'GET', `families/${family?.id as string}`);
    expect(detail.access_tokens[0]).toMatchObject({ generation: 1, state: 'revoked', revoked_reason: 'active_limit' });
  });

  it('rejects bad client credentials and grant types with Slack errors', async () => {
    const install = await installSlack(sim, app);
    const rt = install.refresh_token as string;
    expect((await slack(sim, 'oauth.v2.access', { client_id: 'nope', client_secret: 'x', grant_type: 'refresh_token', refresh_token: rt })).body.error).toBe('invalid_client_id');
    expect((await slack(sim, 'oauth.v2.access', { client_id: app.client_id, client_secret: 'wrong', grant_type: 'refresh_token', refresh_token: rt })).body.error).toBe('bad_client_secret');
    expect((await slack(sim, 'oauth.v2.access', { client_id: app.client_id, client_secret: app.client_secret, grant_type: 'password' })).body.error).toBe('invalid_grant_type');
    // Credentials may also come as HTTP Basic.
    const basic = await slack(sim, 'oauth.v2.access', { grant_type: 'refresh_token', refresh_token: rt }, { basic: [app.client_id, app.client_secret] });
    expect(basic.body.ok).toBe(true);
  });

  it('accepts JSON bodies', async () => {
    const install = await installSlack(sim, app);
    const res = await fetch(`${sim.url}/api/oauth.v2.access`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: app.client_id, client_secret: app.client_secret, grant_type: 'refresh_token', refresh_token: install.refresh_token }),
    });
    expect(((await res.json()) as { ok: boolean }).ok).toBe(true);
  });

  it('expires access tokens on simulated time; auth.test reports the remaining seconds', async () => {
    const install = await installSlack(sim, app);
    const bearer = install.access_token as string;
    await advance(sim, 43_000);
    expect((await slack(sim, 'auth.test', {}, { bearer })).body).toMatchObject({ ok: true, expires_in: 200, team_id: 'T0001', user_id: install.bot_user_id });
    await advance(sim, 200);
    expect((await slack(sim, 'auth.test', {}, { bearer })).body).toEqual({ ok: false, error: 'token_expired' });
    expect((await slack(sim, 'chat.postMessage', { channel: 'C1' }, { bearer })).body).toEqual({ ok: false, error: 'token_expired' });
  });

  it('answers not_authed, invalid_auth, and lets any method pass with a good token in the token param', async () => {
    const install = await installSlack(sim, app);
    expect((await slack(sim, 'auth.test', {})).body).toEqual({ ok: false, error: 'not_authed' });
    expect((await slack(sim, 'auth.test', { token: 'xoxb-nope' })).body).toEqual({ ok: false, error: 'invalid_auth' });
    expect((await slack(sim, 'auth.test', { token: install.refresh_token as string })).body).toEqual({ ok: false, error: 'invalid_auth' });
    expect((await slack(sim, 'conversations.list', { token: install.access_token as string })).body).toEqual({ ok: true });
  });

  it('auth.revoke revokes exactly the presented token; test=true revokes nothing', async () => {
    const install = await installSlack(sim, app);
    const at = install.access_token as string;
    expect((await slack(sim, 'auth.revoke', { test: 'true' }, { bearer: at })).body).toEqual({ ok: true, revoked: false });
    expect((await slack(sim, 'auth.test', {}, { bearer: at })).body.ok).toBe(true);
    expect((await slack(sim, 'auth.revoke', {}, { bearer: at })).body).toEqual({ ok: true, revoked: true });
    expect((await slack(sim, 'auth.test', {}, { bearer: at })).body).toEqual({ ok: false, error: 'token_revoked' });
    // The family is untouched: the refresh token still rotates.
    const next = await refreshSlack(sim, app, install.refresh_token as string);
    expect(next.body.ok).toBe(true);
    // Revoking a refresh token kills that token only.
    expect((await slack(sim, 'auth.revoke', { token: next.body.refresh_token as string })).body).toEqual({ ok: true, revoked: true });
    expect((await refreshSlack(sim, app, next.body.refresh_token as string)).body.error).toBe('invalid_refresh_token');
    expect((await slack(sim, 'auth.test', {}, { bearer: next.body.access_token as string })).body.ok).toBe(true);
  });

  it('uninstall revokes every token of the installation and nothing else', async () => {
    const install = await installSlack(sim, app, { user: true });
    const other = await installSlack(sim, app, { team_id: 'T0002' });
    expect(await admin(sim, 'POST', 'uninstall', { client_id: app.client_id, team_id: 'T0001' })).toMatchObject({ families: 2 });
    expect((await slack(sim, 'auth.test', {}, { bearer: install.access_token as string })).body.error).toBe('token_revoked');
    const user = install.authed_user as Record<string, string>;
    expect((await slack(sim, 'auth.test', {}, { bearer: user.access_token as string })).body.error).toBe('token_revoked');
    expect((await refreshSlack(sim, app, install.refresh_token as string)).body.error).toBe('invalid_refresh_token');
    expect((await slack(sim, 'auth.test', {}, { bearer: other.access_token as string })).body.ok).toBe(true);
  });

  it('admin revoke by family and by token', async () => {
    const install = await installSlack(sim, app);
    const family = (await events(sim)).events[0]?.family as string;
    await admin(sim, 'POST', 'revoke', { token: install.access_token });
    expect((await slack(sim, 'auth.test', {}, { bearer: install.access_token as string })).body.error).toBe('token_revoked');
    expect((await refreshSlack(sim, app, install.refresh_token as string)).body.ok).toBe(true);
    await admin(sim, 'POST', 'revoke', { family });
    expect((await admin(sim, 'GET', `families/${family}`)).revoked_reason).toBe('admin');
  });

  it('idle and absolute TTLs reject refresh tokens on simulated time', async () => {
    await admin(sim, 'PATCH', `apps/${app.client_id}`, { knobs: { refreshTokenIdleTtl: 100, familyAbsoluteTtl: 1000 } });
    const install = await installSlack(sim, app);
    await advance(sim, 99);
    const next = await refreshSlack(sim, app, install.refresh_token as string);
    expect(next.body.ok).toBe(true);
    await advance(sim, 100);
    expect((await refreshSlack(sim, app, next.body.refresh_token as string)).body.error).toBe('invalid_refresh_token');

    const second = await installSlack(sim, app, { team_id: 'T0002' });
    let rt = second.refresh_token as string;
    // Every refresh is within the idle TTL, but the family dies 1000 s after the grant.
    for (let i = 0; i < 10; i++) {
      await advance(sim, 99);
      const res = await refreshSlack(sim, app, rt);
      expect(res.body.ok).toBe(true);
      rt = res.body.refresh_token as string;
    }
    await advance(sim, 99);
    const log = await events(sim, { endpoint: 'oauth.v2.access' });
    expect((await refreshSlack(sim, app, rt)).body.error).toBe('invalid_refresh_token');
    const last = (await events(sim, { endpoint: 'oauth.v2.access', since: String(log.next) })).events[0];
    expect(last).toMatchObject({ outcome: 'rejected', reason: 'expired' });
  });

  it('the code flow: authorize redirects with a code that oauth.v2.access redeems once', async () => {
    const res = await fetch(`${sim.url}/oauth/v2/authorize?client_id=${app.client_id}&scope=chat:write&user_scope=search:read&redirect_uri=${encodeURIComponent('https://example.test/cb')}&state=s1&team_id=T0009`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') as string);
    expect(location.searchParams.get('state')).toBe('s1');
    const code = location.searchParams.get('code') as string;
    const redeem = { client_id: app.client_id, client_secret: app.client_secret, code };
    expect((await slack(sim, 'oauth.v2.access', redeem)).body.error).toBe('bad_redirect_uri');
    const ok = await slack(sim, 'oauth.v2.access', { ...redeem, redirect_uri: 'https://example.test/cb' });
    expect(ok.body).toMatchObject({ ok: true, token_type: 'bot', scope: 'chat:write', team: { id: 'T0009' }, authed_user: { scope: 'search:read', token_type: 'user' } });
    expect((await slack(sim, 'oauth.v2.access', { ...redeem, redirect_uri: 'https://example.test/cb' })).body.error).toBe('invalid_code');
  });

  it('code_only install plus PKCE: a wrong verifier is invalid_code_verifier', async () => {
    const verifier = 'v'.repeat(50);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const { code } = await admin<{ code: string }>(sim, 'POST', 'install', { client_id: app.client_id, code_only: true, code_challenge: challenge });
    const base = { client_id: app.client_id, client_secret: app.client_secret, code };
    expect((await slack(sim, 'oauth.v2.access', { ...base, code_verifier: 'wrong' })).body.error).toBe('invalid_code_verifier');
    expect((await slack(sim, 'oauth.v2.access', { ...base, code_verifier: verifier })).body.ok).toBe(true);
  });

  it('rotation off issues long-lived xoxb tokens without expiry', async () => {
    await admin(sim, 'PATCH', `apps/${app.client_id}`, { knobs: { tokenRotationEnabled: false } });
    const body = await installSlack(sim, app);
    expect(body.access_token).toMatch(/^xoxb-\d+-\d+-[A-Za-z0-9]+$/);
    expect(body.refresh_token).toBeUndefined();
    expect(body.expires_in).toBeUndefined();
  });
});

describe('oauth.v2.exchange', () => {
  it('migrates a legacy token; it works until the first refresh of the new family, then expires', async () => {
    const { token } = await admin<{ token: string }>(sim, 'POST', 'legacy-tokens', { client_id: app.client_id, team_id: 'T0001', kind: 'bot' });
    expect(token).toMatch(/^xoxb-/);
    const exchange = { client_id: app.client_id, client_secret: app.client_secret, token };
    const res = await slack(sim, 'oauth.v2.exchange', exchange);
    expect(res.body).toMatchObject({ ok: true, token_type: 'bot', expires_in: 43200, team: { id: 'T0001' } });
    expect(res.body.access_token).toMatch(/^xoxe\.xoxb-1-/);
    expect(res.body.bot_user_id).toMatch(/^U/);

    expect((await slack(sim, 'auth.test', {}, { bearer: token })).body.ok).toBe(true);
    expect((await slack(sim, 'oauth.v2.exchange', exchange)).body).toEqual({ ok: false, error: 'token_already_exchanged' });
    expect((await refreshSlack(sim, app, res.body.refresh_token as string)).body.ok).toBe(true);
    expect((await slack(sim, 'auth.test', {}, { bearer: token })).body).toEqual({ ok: false, error: 'token_expired' });
  });

  it('reports exchange errors', async () => {
    const creds = { client_id: app.client_id, client_secret: app.client_secret };
    expect((await slack(sim, 'oauth.v2.exchange', { ...creds, token: 'xoxb-unknown' })).body.error).toBe('invalid_token');
    expect((await slack(sim, 'oauth.v2.exchange', { ...creds, client_secret: 'bad', token: 'xoxb-unknown' })).body.error).toBe('bad_client_secret');
    expect((await slack(sim, 'oauth.v2.exchange', { client_id: 'nope', client_secret: 'x', token: 'xoxb-unknown' })).body.error).toBe('invalid_client_id');
    const { token } = await admin<{ token: string }>(sim, 'POST', 'legacy-tokens', { client_id: app.client_id, kind: 'user' });
    expect(token).toMatch(/^xoxp-/);
    await slack(sim, 'auth.revoke', {}, { bearer: token });
    expect((await slack(sim, 'oauth.v2.exchange', { ...creds, token })).body.error).toBe('authorization_not_found');
    const { token: other } = await admin<{ token: string }>(sim, 'POST', 'legacy-tokens', { client_id: app.client_id, kind: 'user' });
    await admin(sim, 'PATCH', `apps/${app.client_id}`, { knobs: { tokenRotationEnabled: false } });
    expect((await slack(sim, 'oauth.v2.exchange', { ...creds, token: other })).body.error).toBe('token_rotation_not_enabled');
  });
});

describe('tooling.tokens.rotate', () => {
  it('rotates app configuration tokens in a config family', async () => {
    const config = await createApp(sim, 'slack-config');
    const body = await admin(sim, 'POST', 'install', { client_id: config.client_id, team_id: 'T0001', user_id: 'U1' });
    expect(body).toMatchObject({ ok: true, team_id: 'T0001', user_id: 'U1', exp: 1_700_000_000 + 43_200, iat: 1_700_000_000 });
    expect(body.token).toMatch(/^xoxe\.xoxp-1-/);
    const res = await slack(sim, 'tooling.tokens.rotate', { refresh_token: body.refresh_token as string });
    expect(res.body).toMatchObject({ ok: true, team_id: 'T0001', user_id: 'U1' });
    expect(res.body.refresh_token).toMatch(/^xoxe-1-/);
    expect(res.body.refresh_token).not.toBe(body.refresh_token);
    expect((await slack(sim, 'tooling.tokens.rotate', { refresh_token: 'xoxe-1-nope' })).body).toEqual({ ok: false, error: 'invalid_refresh_token' });
    const log = await events(sim, { endpoint: 'tooling.tokens.rotate' });
    expect(log.events[0]).toMatchObject({ kind: 'config', outcome: 'issued' });
    // A config refresh token is not an oauth.v2.access refresh token.
    expect((await refreshSlack(sim, config, res.body.refresh_token as string)).body.error).toBe('invalid_refresh_token');
  });
});
