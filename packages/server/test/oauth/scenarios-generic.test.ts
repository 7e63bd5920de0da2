import { afterEach, describe, expect, it } from 'vitest';
import { OAuthHarness, type OAuthHarnessOptions } from '../support/oauth-harness.js';
import { until } from '../support/rotation-probes.js';
import {
  addFaults,
  callResource,
  ensureFresh,
  hash,
  nextRotationSeconds,
  onlyFamily,
  outcomes,
  pause,
  refreshFault,
  refreshRequests,
  rotationStatus,
  rotorEvents,
  waitForProvider,
  waitForValue,
} from './scenario-support.js';

/**
 * Reference oauth-rotation.md §6, the failure scenarios that need a generic RFC 6749
 * provider: the `oauth2` function against the simulator's presets (strict-bcp, zoom, xero,
 * atlassian, hubspot, google, github-app, okta). One test per scenario (variant), judged
 * from the provider's event log and families plus Rotor's stored values and events.
 */

describe('§6 failure scenarios, generic OAuth2 presets', () => {
  let harness: OAuthHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function start(options: OAuthHarnessOptions): Promise<OAuthHarness> {
    harness = await OAuthHarness.start(options);
    return harness;
  }

  async function installOne(h: OAuthHarness, app = 'A0001') {
    const { name } = await h.install({ team_id: app });
    const first = await h.currentValue(name);
    return { name, first };
  }

  /**
   * Advances `seconds` and waits until the secret is idle again: no rotation running and
   * either its next refresh in the future or its chain dead. (NextRotationDate alone is not
   * enough: it reads null for a moment while the scheduler starts a rotation.)
   */
  async function step(h: OAuthHarness, name: string, seconds: number): Promise<void> {
    await h.advance(seconds);
    await until(
      async () => ({ status: await rotationStatus(h, name), value: await h.currentValue(name) }),
      ({ status, value }) =>
        status.Current === null &&
        ((status.NextRotationDate !== null && Date.parse(status.NextRotationDate) > h.clock.now()) || value.value.chain?.status === 'reauthorization_required'),
      { timeoutMs: 15_000, describe: ({ status }) => JSON.stringify({ current: status.Current, next: status.NextRotationDate }) },
    );
  }

  it('§6.7 lost refresh answer, grace 0, reuse detection (strict-bcp): the family is revoked as reuse, the chain marked once, no loop, no older token tried', async () => {
    const h = await start({ preset: 'strict-bcp' });
    const { name, first } = await installOne(h);
    await addFaults(h, refreshFault(h, { action: 'drop_after_commit', times: 1 }));
    await h.advance(1801);
    const dead = await waitForValue(h, name, (current) => current.value.chain?.status === 'reauthorization_required');
    await h.settled(name);

    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued', 'reuse_detected']);
    expect(refreshes[1]!.error).toBe('invalid_grant');
    expect(refreshes.map((event) => event.presented_token_hash)).toEqual([hash(first.value.chain!.refresh_token), hash(first.value.chain!.refresh_token)]);
    const family = await onlyFamily(h, 'generic');
    expect(family.revoked_reason).toBe('reuse_detected');
    expect(family.active_access_tokens).toBe(0);
    expect(dead.value.chain!.status_reason).toBe('invalid_grant');
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
    expect(await nextRotationSeconds(h, name)).toBeUndefined();
    // The revoked token is refused at the provider; a caller reporting it hears 409.
    expect(await callResource(h, dead.value.chain!.access_token)).toBe(401);
    expect((await ensureFresh(h, name, { minValidSeconds: 60, ifVersion: dead.versionId })).status).toBe(409);

    await h.advance(2 * 86_400);
    await pause(300);
    expect(await refreshRequests(h)).toHaveLength(2);
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
  });

  it('§6.11 HTTP 500 after commit with grace 0 (zoom): ambiguous, retried once with the same token, invalid_grant marks the chain as in §6.6', async () => {
    const h = await start({ preset: 'zoom' });
    const { name, first } = await installOne(h);
    await addFaults(h, refreshFault(h, { action: 'error_after_commit', times: 1 }));
    await h.advance(1801);
    const dead = await waitForValue(h, name, (current) => current.value.chain?.status === 'reauthorization_required');
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued', 'rejected']);
    expect(refreshes[0]!).toMatchObject({ fault: 'error_after_commit', http_status: 500 });
    expect(refreshes[1]!).toMatchObject({ error: 'invalid_grant', presented_token_hash: hash(first.value.chain!.refresh_token) });
    expect(dead.value.chain!.status_reason).toBe('invalid_grant');
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
    await h.advance(86_400);
    await pause(300);
    expect(await refreshRequests(h)).toHaveLength(2);
  });

  it('§6.18 refresh-token idle expiry with the schedule running (xero, idle 1 h): the schedule keeps the token alive past the idle limit', async () => {
    const h = await start({ preset: 'xero', knobs: { refreshTokenIdleTtl: 3600 } });
    const { name, first } = await installOne(h);
    // Access tokens last 30 min: Rotor refreshes every 15 min, well inside the hour of idleness allowed.
    for (let index = 0; index < 6; index++) await step(h, name, 901);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(Array(6).fill('issued'));
    expect(new Set(refreshes.map((event) => event.presented_token_hash)).size).toBe(6);
    const current = await h.currentValue(name);
    expect(current.value.chain!.status).toBeUndefined();
    const family = await onlyFamily(h, 'generic');
    expect(family.revoked_at).toBeNull();
    const live = family.refresh_tokens.find((token) => token.hash === hash(current.value.chain!.refresh_token))!;
    expect(live.state).toBe('active');
    expect(live.idle_expires_at! - h.nowSeconds()).toBeGreaterThan(2700);
    // 90 minutes after the install: the first refresh token would have idled out long ago.
    expect(family.refresh_tokens.find((token) => token.hash === hash(first.value.chain!.refresh_token))!.idle_expires_at! - h.nowSeconds()).toBeLessThan(0);
    expect(await callResource(h, current.value.chain!.access_token)).toBe(200);
  });

  it('§6.18 refresh-token idle expiry reached while Rotor was down (atlassian, idle 2 h): invalid_grant on the overdue refresh, reauthorization surfaced', async () => {
    const h = await start({ preset: 'atlassian', knobs: { refreshTokenIdleTtl: 7200 } });
    const { name, first } = await installOne(h);
    await h.stopRotor();
    await h.advance(3 * 3600);
    await h.startRotor();
    const dead = await waitForValue(h, name, (current) => current.value.chain?.status === 'reauthorization_required');
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['rejected']);
    expect(refreshes[0]!).toMatchObject({ error: 'invalid_grant', reason: 'expired', presented_token_hash: hash(first.value.chain!.refresh_token) });
    expect(dead.value.chain!.status_reason).toBe('invalid_grant');
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
    expect(await nextRotationSeconds(h, name)).toBeUndefined();
    expect((await ensureFresh(h, name, { minValidSeconds: 60 })).status).toBe(409);
  });

  it('§6.19 grant reaches its absolute lifetime (atlassian, 3 h): reauthorization surfaced at the first refresh past the deadline, while the last token still works', async () => {
    const h = await start({ preset: 'atlassian', knobs: { familyAbsoluteTtl: 3 * 3600 } });
    const { name } = await installOne(h);
    const deadline = (await onlyFamily(h, 'generic')).absolute_expires_at!;
    let current = await h.currentValue(name);
    for (let index = 0; index < 10 && current.value.chain!.status === undefined; index++) {
      await step(h, name, 1801);
      current = await h.currentValue(name);
    }
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued', 'issued', 'issued', 'issued', 'issued', 'rejected']);
    const refused = refreshes[5]!;
    expect(refused).toMatchObject({ error: 'invalid_grant', reason: 'expired' });
    // Surfaced within one refresh period (half an access-token lifetime) of the deadline…
    expect(refused.t).toBeGreaterThanOrEqual(deadline);
    expect(refused.t - deadline).toBeLessThanOrEqual(1800);
    expect(current.value.chain).toMatchObject({ status: 'reauthorization_required', status_reason: 'invalid_grant' });
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
    expect(await nextRotationSeconds(h, name)).toBeUndefined();
    // …before the installation goes dark: the last access token still works and is still served.
    expect(hash(current.value.chain!.access_token)).toBe(refreshes[4]!.issued_access_token_hash);
    expect(current.value.chain!.expires_at! - h.nowSeconds()).toBeGreaterThan(1500);
    expect(await callResource(h, current.value.chain!.access_token)).toBe(200);
    const served = await ensureFresh(h, name, { minValidSeconds: 300 });
    expect(served.status).toBe(200);
    expect(hash(served.body.AccessToken)).toBe(hash(current.value.chain!.access_token));
  });

  for (const preset of ['hubspot', 'google'] as const) {
    it(`§6.21 provider ${preset === 'hubspot' ? 'returns the same refresh token (hubspot)' : 'omits the refresh token (google)'}: the stored refresh token is kept, no error`, async () => {
      const h = await start({ preset });
      const { name, first } = await installOne(h);
      const period = preset === 'hubspot' ? 901 : 1800;
      await step(h, name, period);
      const middle = await h.currentValue(name);
      await step(h, name, period);
      const last = await h.currentValue(name);

      const refreshes = await refreshRequests(h);
      expect(outcomes(refreshes)).toEqual(['issued', 'issued']);
      expect(refreshes.map((event) => event.presented_token_hash)).toEqual([hash(first.value.chain!.refresh_token), hash(first.value.chain!.refresh_token)]);
      expect(refreshes.map((event) => event.issued_refresh_token_hash)).toEqual(
        preset === 'hubspot' ? [hash(first.value.chain!.refresh_token), hash(first.value.chain!.refresh_token)] : [undefined, undefined],
      );
      for (const [index, value] of [middle, last].entries()) {
        expect(hash(value.value.chain!.refresh_token)).toBe(hash(first.value.chain!.refresh_token));
        expect(hash(value.value.chain!.access_token)).toBe(refreshes[index]!.issued_access_token_hash);
        expect(value.value.chain!.status).toBeUndefined();
      }
      expect(await rotationStatus(h, name)).toMatchObject({ LastRun: { State: 'succeeded' } });
      expect(await callResource(h, last.value.chain!.access_token)).toBe(200);
    });
  }

  it('§6.22 old access token revoked at once by the refresh (github-app): the holder is refused, reports it, gets the new token, its retry works', async () => {
    const h = await start({ preset: 'github-app' });
    const { name, first } = await installOne(h);
    const held = await ensureFresh(h, name, { minValidSeconds: 60 });
    // The refresh commits, its answer takes a moment: meanwhile the old token is already dead.
    await addFaults(h, refreshFault(h, { action: 'latency', phase: 'after', delay_ms: 800, times: 1 }));
    await h.advance(14_401);
    await waitForProvider(h, (events) => events.some((event) => event.outcome === 'issued' && event.endpoint === 'token' && event.presented_token_hash === hash(first.value.chain!.refresh_token)));
    expect(await callResource(h, held.body.AccessToken)).toBe(401);
    const retried = await ensureFresh(h, name, { minValidSeconds: 60, ifVersion: held.body.VersionId });
    expect(retried.status).toBe(200);
    expect(await callResource(h, retried.body.AccessToken)).toBe(200);

    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued']);
    expect(hash(retried.body.AccessToken)).toBe(refreshes[0]!.issued_access_token_hash);
    const family = await onlyFamily(h, 'generic');
    expect(family.access_tokens.find((token) => token.hash === hash(first.value.chain!.access_token))).toMatchObject({ state: 'revoked' });
    // Every later caller gets the new token straight away.
    const later = await ensureFresh(h, name, { minValidSeconds: 60 });
    expect(hash(later.body.AccessToken)).toBe(refreshes[0]!.issued_access_token_hash);
    expect(later.body.Refreshed).toBe(false);
  });

  it('§6.24 client secret rotated at the provider (okta, invalid_client 401): the function is flagged once, the installation is not marked, fixed config recovers', async () => {
    const h = await start({ preset: 'okta', functionConfig: { misconfiguredRetrySeconds: 60 } });
    const { name, first } = await installOne(h);
    await h.simAdmin('PATCH', `/_sim/apps/${encodeURIComponent(h.app.client_id)}`, { client_secret: 'rotated-at-the-provider' });
    await h.advance(1801);
    const [refused] = (await waitForProvider(h, (events) => events.some((event) => event.error === 'invalid_client'))).filter((event) => event.error === 'invalid_client');
    expect(refused!.http_status).toBe(401);
    await until(
      () => rotorEvents(h, name, 'function-misconfigured'),
      (events) => events.length === 1,
    );
    const untouched = await h.currentValue(name);
    expect(untouched.versionId).toBe(first.versionId);
    expect(untouched.value.chain!.status).toBeUndefined();
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(0);
    expect((await onlyFamily(h, 'generic')).revoked_at).toBeNull();

    await h.putValue(h.masterSecretArn, { client_id: h.app.client_id, client_secret: 'rotated-at-the-provider' });
    await h.advance(61);
    const after = await waitForValue(h, name, (current) => current.versionId !== first.versionId);
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['rejected', 'issued']);
    expect(refreshes[1]!.presented_token_hash).toBe(hash(first.value.chain!.refresh_token));
    expect(hash(after.value.chain!.access_token)).toBe(refreshes[1]!.issued_access_token_hash);
    expect(await rotorEvents(h, name, 'function-misconfigured')).toHaveLength(1);
    expect(await nextRotationSeconds(h, name)).toBeDefined();
  });
});
