import { afterEach, describe, expect, it } from 'vitest';
import { OAuthHarness, type OAuthHarnessOptions } from '../support/oauth-harness.js';
import { until } from '../support/rotation-probes.js';
import {
  addFaults,
  callSlack,
  ensureFresh,
  familiesOf,
  hash,
  importRecords,
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
 * Reference oauth-rotation.md §6, the failure scenarios, against the Slack personality of
 * the provider simulator: each scenario is one test, judged from the provider's event log
 * and token families plus Rotor's stored values and rotation events.
 */

const HALF_LIFE = 21_600;
const LIFETIME = 43_200;

describe('§6 failure scenarios, Slack', () => {
  let harness: OAuthHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function start(options: OAuthHarnessOptions = {}): Promise<OAuthHarness> {
    harness = await OAuthHarness.start(options);
    return harness;
  }

  /** Installs one team; returns the secret name and the first stored value. */
  async function installOne(h: OAuthHarness, team = 'T0001', user = false) {
    const { name } = await h.install({ team_id: team, user });
    const first = await h.currentValue(name);
    return { name, first };
  }

  it('§6.1 clock reaches the refresh point: exactly one refresh, new tokens persisted, the next call uses the new token', async () => {
    const h = await start();
    const { name, first } = await installOne(h);
    const due = (await nextRotationSeconds(h, name))!;
    expect(due - first.value.bot!.issued_at!).toBeCloseTo(HALF_LIFE, 0);

    // Just before the refresh point: nothing happens, the stored token is served as is.
    await h.advance(due - h.nowSeconds() - 30);
    const early = await ensureFresh(h, name, { minValidSeconds: 60 });
    expect(early.status).toBe(200);
    expect(early.body.Refreshed).toBe(false);
    expect(hash(early.body.AccessToken)).toBe(hash(first.value.bot!.access_token));
    expect(await refreshRequests(h)).toHaveLength(0);

    // One second past it.
    await h.advance(31);
    const after = await waitForValue(h, name, (current) => current.versionId !== first.versionId);
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued']);
    expect(refreshes[0]!.presented_token_hash).toBe(hash(first.value.bot!.refresh_token));
    expect(hash(after.value.bot!.access_token)).toBe(refreshes[0]!.issued_access_token_hash);
    expect(hash(after.value.bot!.refresh_token)).toBe(refreshes[0]!.issued_refresh_token_hash);
    expect((await onlyFamily(h, 'bot')).current_refresh_token_hash).toBe(hash(after.value.bot!.refresh_token));

    // The next caller gets the new token, and it works at the provider.
    const fresh = await ensureFresh(h, name, { minValidSeconds: 300 });
    expect(fresh.status).toBe(200);
    expect(hash(fresh.body.AccessToken)).toBe(refreshes[0]!.issued_access_token_hash);
    expect(await callSlack(h, fresh.body.AccessToken)).toMatchObject({ ok: true });
    // The next refresh is half a lifetime after this one was sent.
    expect((await nextRotationSeconds(h, name))! - after.value.bot!.issued_at!).toBeCloseTo(HALF_LIFE, 0);
    await pause(300);
    expect(await refreshRequests(h)).toHaveLength(1);
  });

  it('§6.2 access token expired mid-use (token_expired): one refresh and one retry, the call succeeds, no second retry', async () => {
    const h = await start();
    const { name } = await installOne(h);
    const held = await ensureFresh(h, name, { minValidSeconds: 60 });
    // Rotor was away while the token expired (the schedule is overdue as well).
    await h.advance(LIFETIME + 10);
    expect(await callSlack(h, held.body.AccessToken)).toEqual({ ok: false, error: 'token_expired' });

    // What callWithRefresh does: ensure-fresh naming the rejected version, then one retry.
    const retried = await ensureFresh(h, name, { minValidSeconds: 60, ifVersion: held.body.VersionId });
    expect(retried.status).toBe(200);
    expect(retried.body.VersionId).not.toBe(held.body.VersionId);
    expect(await callSlack(h, retried.body.AccessToken)).toMatchObject({ ok: true });

    // A second report of the same rejected version does not refresh again.
    const again = await ensureFresh(h, name, { minValidSeconds: 60, ifVersion: held.body.VersionId });
    expect(again.status).toBe(200);
    expect(again.body.Refreshed).toBe(false);
    expect(hash(again.body.AccessToken)).toBe(hash(retried.body.AccessToken));
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued']);
    expect(hash(retried.body.AccessToken)).toBe(refreshes[0]!.issued_access_token_hash);
  });

  it('§6.3 50 concurrent callers at expiry: exactly one issued refresh, every caller gets the new token', async () => {
    // The schedule waits until 99.9 % of the lifetime, so the callers, not the scheduler, find the token expiring.
    const h = await start({ functionConfig: { refreshFraction: 0.999 } });
    const { name, first } = await installOne(h);
    await addFaults(h, refreshFault(h, { action: 'latency', delay_ms: 400, times: 1 }));
    await h.advance(LIFETIME - 200);
    const answers = await Promise.all(Array.from({ length: 50 }, () => ensureFresh(h, name, { minValidSeconds: 300 })));
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued']);
    expect(refreshes[0]!.presented_token_hash).toBe(hash(first.value.bot!.refresh_token));
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
    expect(new Set(answers.map((answer) => hash(answer.body.AccessToken)))).toEqual(new Set([refreshes[0]!.issued_access_token_hash]));
    expect(new Set(answers.map((answer) => answer.body.VersionId)).size).toBe(1);
    expect(answers.some((answer) => answer.body.Refreshed)).toBe(true);
  });

  it('§6.5 lost refresh answer inside the grace window: retried with the same token, last pair kept, ≤2 active tokens', async () => {
    const h = await start({ knobs: { refreshGraceSeconds: 30 }, functionConfig: { graceSeconds: 30 } });
    const { name, first } = await installOne(h);
    await addFaults(h, refreshFault(h, { action: 'drop_after_commit', times: 1 }));
    await h.advance(HALF_LIFE + 1);
    const after = await waitForValue(h, name, (current) => current.versionId !== first.versionId);
    await h.settled(name);

    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued', 'grace_replay']);
    expect(refreshes[0]!.fault).toBe('drop_after_commit');
    expect(refreshes.map((event) => event.presented_token_hash)).toEqual([hash(first.value.bot!.refresh_token), hash(first.value.bot!.refresh_token)]);
    // Slack answers a replay with another distinct pair; Rotor keeps the last one.
    expect(refreshes[1]!.issued_access_token_hash).not.toBe(refreshes[0]!.issued_access_token_hash);
    expect(hash(after.value.bot!.access_token)).toBe(refreshes[1]!.issued_access_token_hash);
    expect(hash(after.value.bot!.refresh_token)).toBe(refreshes[1]!.issued_refresh_token_hash);
    expect(after.value.bot!.status).toBeUndefined();
    const family = await onlyFamily(h, 'bot');
    expect(family.active_access_tokens).toBeLessThanOrEqual(2);
    expect(family.current_refresh_token_hash).toBe(hash(after.value.bot!.refresh_token));
    expect(await callSlack(h, after.value.bot!.access_token)).toMatchObject({ ok: true });
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(0);

    // Healthy: the next period refreshes the kept token normally.
    await h.advance(HALF_LIFE + 1);
    await waitForValue(h, name, (current) => current.versionId !== after.versionId);
    await h.settled(name);
    const later = await refreshRequests(h);
    expect(outcomes(later)).toEqual(['issued', 'grace_replay', 'issued']);
    expect(later[2]!.presented_token_hash).toBe(hash(after.value.bot!.refresh_token));
  });

  it('§6.6 lost refresh answer, grace 0, no reuse detection: invalid_refresh_token marks the chain, one alert, no further attempts', async () => {
    const h = await start({ knobs: { refreshGraceSeconds: 0, reuseRevokesFamily: false }, functionConfig: { graceSeconds: 0 } });
    const { name, first } = await installOne(h);
    await addFaults(h, refreshFault(h, { action: 'drop_after_commit', times: 1 }));
    await h.advance(HALF_LIFE + 1);
    const dead = await waitForValue(h, name, (current) => current.value.bot?.status === 'reauthorization_required');
    await h.settled(name);

    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued', 'rejected']);
    expect(refreshes[1]!.error).toBe('invalid_refresh_token');
    expect(refreshes.map((event) => event.presented_token_hash)).toEqual([hash(first.value.bot!.refresh_token), hash(first.value.bot!.refresh_token)]);
    expect(dead.value.bot!.status_reason).toBe('invalid_refresh_token');
    // The stored tokens are the last ones Rotor knew; nothing was invented.
    expect(hash(dead.value.bot!.access_token)).toBe(hash(first.value.bot!.access_token));
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
    expect(await nextRotationSeconds(h, name)).toBeUndefined();

    // The old access token works until it expires; then ensure-fresh says reauthorization is required.
    const stillValid = await ensureFresh(h, name, { minValidSeconds: 60 });
    expect(stillValid.status).toBe(200);
    expect(await callSlack(h, stillValid.body.AccessToken)).toMatchObject({ ok: true });
    await h.advance(LIFETIME);
    const expired = await ensureFresh(h, name, { minValidSeconds: 60 });
    expect(expired.status).toBe(409);
    expect(expired.body.type).toMatch(/reauthorization-required$/);
    // A caller whose token was just rejected is told the same, without a refresh.
    const rejected = await ensureFresh(h, name, { minValidSeconds: 60, ifVersion: dead.versionId });
    expect(rejected.status).toBe(409);

    // Days later: not one more refresh attempt, still one alert.
    await h.advance(2 * 86_400);
    await pause(300);
    expect((await rotationStatus(h, name)).Current).toBeNull();
    expect(await refreshRequests(h)).toHaveLength(2);
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
    expect(await familiesOf(h, 'bot')).toHaveLength(1);
  });

  it('§6.10 error before commit (HTTP 503, service_unavailable): the same token is retried, at once inside the grace window, then with backoff, and the refresh succeeds', async () => {
    const h = await start();
    const { name, first } = await installOne(h);
    await addFaults(
      h,
      refreshFault(h, { action: 'error_before_commit', status: 503, times: 1 }),
      refreshFault(h, { action: 'error_before_commit', error: 'service_unavailable', times: 1 }),
      refreshFault(h, { action: 'error_before_commit', status: 503, times: 1 }),
    );
    await h.advance(HALF_LIFE + 1);
    const after = await waitForValue(h, name, (current) => current.versionId !== first.versionId);
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['fault', 'fault', 'fault', 'issued']);
    expect(refreshes.map((event) => event.http_status)).toEqual([503, 200, 503, 200]);
    expect(new Set(refreshes.map((event) => event.presented_token_hash))).toEqual(new Set([hash(first.value.bot!.refresh_token)]));
    // Two replays in the step (the answer may have been lost inside the grace window), then the retry policy's backoff.
    const retries = await rotorEvents(h, name, 'retrying');
    expect(retries.map((event) => /next attempt in (\d+) s/.exec(event.Message ?? '')?.[1])).toEqual(['1']);
    expect(hash(after.value.bot!.access_token)).toBe(refreshes[3]!.issued_access_token_hash);
    expect(hash(after.value.bot!.refresh_token)).toBe(refreshes[3]!.issued_refresh_token_hash);
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(0);
  });

  it('§6.11 error after commit (Slack internal_error) inside the grace window: treated as ambiguous, the same-token retry succeeds', async () => {
    const h = await start({ knobs: { refreshGraceSeconds: 30 }, functionConfig: { graceSeconds: 30 } });
    const { name, first } = await installOne(h);
    await addFaults(h, refreshFault(h, { action: 'error_after_commit', times: 1 }));
    await h.advance(HALF_LIFE + 1);
    const after = await waitForValue(h, name, (current) => current.versionId !== first.versionId);
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued', 'grace_replay']);
    expect(refreshes[0]!).toMatchObject({ fault: 'error_after_commit', error: 'internal_error' });
    expect(refreshes[1]!.presented_token_hash).toBe(refreshes[0]!.presented_token_hash);
    expect(hash(after.value.bot!.access_token)).toBe(refreshes[1]!.issued_access_token_hash);
    expect(hash(after.value.bot!.refresh_token)).toBe(refreshes[1]!.issued_refresh_token_hash);
    expect((await onlyFamily(h, 'bot')).active_access_tokens).toBeLessThanOrEqual(2);
    expect(await callSlack(h, after.value.bot!.access_token)).toMatchObject({ ok: true });
  });

  it('§6.12 429 with Retry-After 30 on the token endpoint: no request before 30 s, the valid token keeps serving, then the refresh succeeds', async () => {
    const h = await start();
    const { name, first } = await installOne(h);
    await addFaults(h, refreshFault(h, { action: 'rate_limit', retry_after: 30, times: 1 }));
    await h.advance(HALF_LIFE + 1);
    const [limited] = await waitForProvider(h, (events) => events.some((event) => event.outcome === 'rate_limited')).then((events) =>
      events.filter((event) => event.outcome === 'rate_limited'),
    );
    const status = await retryPlanned(h, name);
    expect(Date.parse(status.NextAttemptDate!) / 1000 - limited!.t).toBeGreaterThanOrEqual(29.9);

    // Meanwhile the still-valid token is served at once, without touching the provider.
    const served = await ensureFresh(h, name, { minValidSeconds: 300 });
    expect(served.status).toBe(200);
    expect(served.body.Refreshed).toBe(false);
    expect(hash(served.body.AccessToken)).toBe(hash(first.value.bot!.access_token));
    expect(await callSlack(h, served.body.AccessToken)).toMatchObject({ ok: true });
    // Longer than a plain backoff would wait: still only the one limited request.
    await pause(1_500);
    expect(outcomes(await refreshRequests(h))).toEqual(['rate_limited']);

    await h.advance(31);
    const after = await waitForValue(h, name, (current) => current.versionId !== first.versionId);
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['rate_limited', 'issued']);
    expect(refreshes[1]!.t - refreshes[0]!.t).toBeGreaterThanOrEqual(30);
    expect(hash(after.value.bot!.access_token)).toBe(refreshes[1]!.issued_access_token_hash);
  });

  it('§6.13 latency beyond the request timeout (the provider commits): same as a lost answer — inside the grace window the retry succeeds', async () => {
    const h = await start({ knobs: { refreshGraceSeconds: 30 }, functionConfig: { graceSeconds: 30 } });
    const { name, first } = await installOne(h);
    // requestTimeoutMs is 2 s in the harness.
    await addFaults(h, refreshFault(h, { action: 'latency', phase: 'after', delay_ms: 3_000, times: 1 }));
    await h.advance(HALF_LIFE + 1);
    const after = await waitForValue(h, name, (current) => current.versionId !== first.versionId);
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued', 'grace_replay']);
    expect(refreshes[0]!.fault).toBe('latency');
    expect(refreshes[1]!.presented_token_hash).toBe(hash(first.value.bot!.refresh_token));
    expect(hash(after.value.bot!.access_token)).toBe(refreshes[1]!.issued_access_token_hash);
    expect(hash(after.value.bot!.refresh_token)).toBe(refreshes[1]!.issued_refresh_token_hash);
    expect(after.value.bot!.status).toBeUndefined();
  });

  it('§6.13 latency beyond the request timeout with grace 0: same as §6.6 — the chain is marked, one alert, no loop', async () => {
    const h = await start({ knobs: { refreshGraceSeconds: 0 }, functionConfig: { graceSeconds: 0 } });
    const { name } = await installOne(h);
    await addFaults(h, refreshFault(h, { action: 'latency', phase: 'after', delay_ms: 3_000, times: 1 }));
    await h.advance(HALF_LIFE + 1);
    const dead = await waitForValue(h, name, (current) => current.value.bot?.status === 'reauthorization_required');
    await h.settled(name);
    expect(outcomes(await refreshRequests(h))).toEqual(['issued', 'rejected']);
    expect(dead.value.bot!.status_reason).toBe('invalid_refresh_token');
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
    expect(await nextRotationSeconds(h, name)).toBeUndefined();
    await h.advance(86_400);
    await pause(300);
    expect(await refreshRequests(h)).toHaveLength(2);
  });

  it('§6.15 uninstall at the provider: token_revoked on calls, invalid_refresh_token on refresh, reauthorization required', async () => {
    const h = await start();
    const { name, first } = await installOne(h, 'T0015');
    const held = await ensureFresh(h, name, { minValidSeconds: 60 });
    await h.simAdmin('POST', '/_sim/uninstall', { client_id: h.app.client_id, team_id: 'T0015' });
    expect(await callSlack(h, held.body.AccessToken)).toEqual({ ok: false, error: 'token_revoked' });

    // The caller reports the rejected version: the forced refresh is refused for good.
    const reported = await ensureFresh(h, name, { minValidSeconds: 60, ifVersion: held.body.VersionId });
    expect(reported.status).toBe(409);
    expect(reported.body.type).toMatch(/reauthorization-required$/);
    const dead = await h.currentValue(name);
    expect(dead.value.bot).toMatchObject({ status: 'reauthorization_required', status_reason: 'invalid_refresh_token' });
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['rejected']);
    expect(refreshes[0]!.presented_token_hash).toBe(hash(first.value.bot!.refresh_token));
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
    expect(await nextRotationSeconds(h, name)).toBeUndefined();
    // Reported again (another holder): no second refresh, no second alert.
    expect((await ensureFresh(h, name, { minValidSeconds: 60, ifVersion: dead.versionId })).status).toBe(409);
    await h.advance(LIFETIME);
    await pause(300);
    expect(await refreshRequests(h)).toHaveLength(1);
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
  });

  it('§6.15 auth.revoke: a revoked access token is replaced by one forced refresh; a revoked refresh token ends in reauthorization', async () => {
    const h = await start();
    const { name, first } = await installOne(h, 'T0115');
    // auth.revoke of the access token only: calls fail, the refresh token still works.
    expect(await callSlack(h, first.value.bot!.access_token, 'auth.revoke')).toMatchObject({ ok: true, revoked: true });
    expect(await callSlack(h, first.value.bot!.access_token)).toEqual({ ok: false, error: 'token_revoked' });
    const replaced = await ensureFresh(h, name, { minValidSeconds: 60, ifVersion: first.versionId });
    expect(replaced.status).toBe(200);
    expect(replaced.body.Refreshed).toBe(true);
    expect(await callSlack(h, replaced.body.AccessToken)).toMatchObject({ ok: true });
    const healthy = await h.currentValue(name);
    expect(healthy.value.bot!.status).toBeUndefined();

    // auth.revoke of the refresh token: the next scheduled refresh is refused for good.
    const revoke = await fetch(`${h.simUrl}/api/auth.revoke`, { method: 'POST', body: new URLSearchParams({ token: healthy.value.bot!.refresh_token! }) });
    expect(await revoke.json()).toMatchObject({ ok: true, revoked: true });
    await h.advance(HALF_LIFE + 1);
    const dead = await waitForValue(h, name, (current) => current.value.bot?.status === 'reauthorization_required');
    await h.settled(name);
    expect(dead.value.bot!.status_reason).toBe('invalid_refresh_token');
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued', 'rejected']);
    expect(refreshes[1]!.presented_token_hash).toBe(hash(healthy.value.bot!.refresh_token));
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
    expect(await nextRotationSeconds(h, name)).toBeUndefined();
  });

  it('§6.16 repeated early refreshes past the 2-active-token limit: the oldest holder gets token_revoked, re-reads, retries once', async () => {
    const h = await start();
    const { name, first } = await installOne(h);
    // Two forced refreshes (two callers each reporting the then-current version).
    const second = await ensureFresh(h, name, { minValidSeconds: 60, ifVersion: first.versionId });
    const third = await ensureFresh(h, name, { minValidSeconds: 60, ifVersion: second.body.VersionId });
    expect([second.body.Refreshed, third.body.Refreshed]).toEqual([true, true]);
    const family = await onlyFamily(h, 'bot');
    expect(family.active_access_tokens).toBe(2);
    expect(family.access_tokens.find((token) => token.hash === hash(first.value.bot!.access_token))).toMatchObject({ state: 'revoked', revoked_reason: 'active_limit' });

    // The holder of the first token is refused, reports its version, and gets the current token without a refresh.
    expect(await callSlack(h, first.value.bot!.access_token)).toEqual({ ok: false, error: 'token_revoked' });
    const reread = await ensureFresh(h, name, { minValidSeconds: 60, ifVersion: first.versionId });
    expect(reread.status).toBe(200);
    expect(reread.body.Refreshed).toBe(false);
    expect(reread.body.VersionId).toBe(third.body.VersionId);
    expect(await callSlack(h, reread.body.AccessToken)).toMatchObject({ ok: true });
    expect(outcomes(await refreshRequests(h))).toEqual(['issued', 'issued']);
  });

  it('§6.17 bot refresh succeeds, user refresh fails for good: bot tokens persisted, user chain marked, the bot keeps working', async () => {
    const h = await start();
    const { name, first } = await installOne(h, 'T0017', true);
    const userFamily = await onlyFamily(h, 'user');
    await h.simAdmin('POST', '/_sim/revoke', { family: userFamily.id });
    await h.advance(HALF_LIFE + 1);
    const after = await waitForValue(
      h,
      name,
      (current) => current.value.user?.status === 'reauthorization_required' && hash(current.value.bot!.access_token) !== hash(first.value.bot!.access_token),
    );
    await h.settled(name);

    const botFamily = await onlyFamily(h, 'bot');
    const botRefreshes = await refreshRequests(h, botFamily.id);
    const userRefreshes = await refreshRequests(h, userFamily.id);
    expect(outcomes(botRefreshes)).toEqual(['issued']);
    expect(outcomes(userRefreshes)).toEqual(['rejected']);
    expect(hash(after.value.bot!.access_token)).toBe(botRefreshes[0]!.issued_access_token_hash);
    expect(hash(after.value.bot!.refresh_token)).toBe(botRefreshes[0]!.issued_refresh_token_hash);
    expect(after.value.bot!.status).toBeUndefined();
    expect(after.value.user!.status_reason).toBe('invalid_refresh_token');
    const alerts = await rotorEvents(h, name, 'reauthorization-required');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.Message).toMatch(/\buser\b/);
    // The bot's schedule goes on; the bot works; the user chain is refused to a caller that reports it.
    expect((await nextRotationSeconds(h, name))! - after.value.bot!.issued_at!).toBeCloseTo(HALF_LIFE, 0);
    expect(await callSlack(h, after.value.bot!.access_token)).toMatchObject({ ok: true });
    expect((await ensureFresh(h, name, { chain: 'user', minValidSeconds: 60, ifVersion: after.versionId })).status).toBe(409);

    // The next period refreshes the bot alone.
    await h.advance(HALF_LIFE + 1);
    await waitForValue(h, name, (current) => hash(current.value.bot!.access_token) !== hash(after.value.bot!.access_token));
    await h.settled(name);
    expect(outcomes(await refreshRequests(h, botFamily.id))).toEqual(['issued', 'issued']);
    expect(outcomes(await refreshRequests(h, userFamily.id))).toEqual(['rejected']);
    expect((await h.currentValue(name)).value.user!.status).toBe('reauthorization_required');
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
  });

  it('§6.20 oauth.v2.exchange answer lost: re-exchange is refused (token_already_exchanged), reinstall surfaced, the legacy token keeps working', async () => {
    const h = await start();
    const legacy = await h.simAdmin<{ token: string }>('POST', '/_sim/legacy-tokens', { client_id: h.app.client_id, team_id: 'T0020', kind: 'bot' });
    await addFaults(h, { match: { endpoint: 'oauth.v2.exchange' }, action: 'drop_after_commit', times: 1 });
    // A long-lived token is due for migration at once.
    const [name] = await importRecords(h, [{ provider: 'slack', team_id: 'T0020', bot: { token_type: 'bot', access_token: legacy.token } }]);
    const dead = await waitForValue(h, name!, (current) => current.value.bot?.status === 'reauthorization_required');
    await h.settled(name!);

    const exchanges = (await h.events({ endpoint: 'oauth.v2.exchange' })) as Awaited<ReturnType<typeof refreshRequests>>;
    expect(outcomes(exchanges)).toEqual(['issued', 'rejected']);
    expect(exchanges[0]!.fault).toBe('drop_after_commit');
    expect(exchanges[1]!.error).toBe('token_already_exchanged');
    expect(new Set(exchanges.map((event) => event.presented_token_hash))).toEqual(new Set([hash(legacy.token)]));
    expect(dead.value.bot).toMatchObject({ status_reason: 'token_already_exchanged' });
    expect(hash(dead.value.bot!.access_token)).toBe(hash(legacy.token));
    expect(await rotorEvents(h, name!, 'reauthorization-required')).toHaveLength(1);
    expect(await nextRotationSeconds(h, name!)).toBeUndefined();
    // The family the lost exchange created was never refreshed, so the legacy token still works, and Rotor still serves it.
    expect(await callSlack(h, legacy.token)).toMatchObject({ ok: true });
    const served = await ensureFresh(h, name!, { minValidSeconds: 300 });
    expect(served.status).toBe(200);
    expect(hash(served.body.AccessToken)).toBe(hash(legacy.token));
    await h.advance(86_400);
    await pause(300);
    expect(await h.events({ endpoint: 'oauth.v2.exchange' })).toHaveLength(2);
    expect(await h.events({ endpoint: 'oauth.v2.access' })).toHaveLength(0);
  });

  for (const skewMinutes of [5, -5]) {
    it(`§6.23 Rotor's clock ${skewMinutes > 0 ? 'ahead of' : 'behind'} the provider by 5 min: one refresh per period, no storm, every token served is valid at the provider`, async () => {
      const h = await start();
      h.clock.shift(skewMinutes * 60_000);
      const { name } = await installOne(h);
      const stepSeconds = 3 * 3600 + 60;
      for (let step = 1; step <= 8; step++) {
        await h.advance(stepSeconds);
        await settledAndScheduled(h, name);
        const served = await ensureFresh(h, name, { minValidSeconds: 300 });
        expect(served.status).toBe(200);
        const check = await callSlack(h, served.body.AccessToken, 'auth.test');
        expect(check.ok).toBe(true);
        expect(check.expires_in!).toBeGreaterThanOrEqual(300);
      }
      // 24 h: Rotor counts lifetimes on its own clock from its own send times, so the skew changes nothing: one refresh per 6 h.
      const refreshes = await refreshRequests(h);
      expect(outcomes(refreshes)).toEqual(['issued', 'issued', 'issued', 'issued']);
      expect(new Set(refreshes.map((event) => event.presented_token_hash)).size).toBe(refreshes.length);
      for (let index = 1; index < refreshes.length; index++) {
        expect(refreshes[index]!.t - refreshes[index - 1]!.t).toBeGreaterThanOrEqual(HALF_LIFE - 5);
      }
    });
  }

  it('§6.24 client secret rotated at the provider: bad_client_secret flags the function once, the installation is untouched, fixed config recovers', async () => {
    const h = await start({ functionConfig: { misconfiguredRetrySeconds: 60 } });
    const { name, first } = await installOne(h);
    await h.simAdmin('PATCH', `/_sim/apps/${encodeURIComponent(h.app.client_id)}`, { client_secret: 'rotated-at-the-provider' });
    await h.advance(HALF_LIFE + 1);
    await waitForProvider(h, (events) => events.some((event) => event.error === 'bad_client_secret'));
    const status = await retryPlanned(h, name);
    expect(Date.parse(status.NextAttemptDate!) - h.clock.now()).toBeGreaterThan(50_000);
    // Still failing a minute later: no second flag.
    await h.advance(61);
    await waitForProvider(h, (events) => events.filter((event) => event.error === 'bad_client_secret').length === 2);

    const untouched = await h.currentValue(name);
    expect(untouched.versionId).toBe(first.versionId);
    expect(untouched.value.bot!.status).toBeUndefined();
    expect(await rotorEvents(h, name, 'function-misconfigured')).toHaveLength(1);
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(0);
    expect(await callSlack(h, untouched.value.bot!.access_token)).toMatchObject({ ok: true });

    // The operator updates the master secret; the next attempt refreshes with the unchanged refresh token.
    await h.putValue(h.masterSecretArn, { client_id: h.app.client_id, client_secret: 'rotated-at-the-provider' });
    await h.advance(121);
    const after = await waitForValue(h, name, (current) => current.versionId !== first.versionId);
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['rejected', 'rejected', 'issued']);
    expect(new Set(refreshes.map((event) => event.presented_token_hash))).toEqual(new Set([hash(first.value.bot!.refresh_token)]));
    expect(hash(after.value.bot!.access_token)).toBe(refreshes[2]!.issued_access_token_hash);
    expect(await nextRotationSeconds(h, name)).toBeDefined();
    expect(await rotorEvents(h, name, 'function-misconfigured')).toHaveLength(1);
  });
});

/** Waits until the secret's rotation is retrying with a planned next attempt; returns that run. */
async function retryPlanned(h: OAuthHarness, name: string) {
  const status = await until(
    () => rotationStatus(h, name),
    (current) => current.Current?.State === 'retrying' && current.Current.NextAttemptDate !== null,
    { timeoutMs: 10_000, describe: (current) => JSON.stringify(current.Current) },
  );
  return status.Current!;
}

/** Waits until no rotation of the secret runs and its next one is in the future. */
async function settledAndScheduled(h: OAuthHarness, name: string): Promise<void> {
  await until(
    () => rotationStatus(h, name),
    (current) => current.Current === null && current.NextRotationDate !== null && Date.parse(current.NextRotationDate) > h.clock.now(),
    { timeoutMs: 10_000, describe: (current) => JSON.stringify({ current: current.Current, next: current.NextRotationDate }) },
  );
}
