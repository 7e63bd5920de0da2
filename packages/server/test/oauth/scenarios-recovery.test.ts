import { afterEach, describe, expect, it } from 'vitest';
import { OAuthHarness, signedApi, type OAuthHarnessOptions } from '../support/oauth-harness.js';
import { createScratchDatabase, ReplicaCluster } from '../support/replica-cluster.js';
import { until } from '../support/rotation-probes.js';
import { spawnRotor, testBackend, type RotorProcess } from '../support/rotor-server.js';
import {
  addFaults,
  blockPendingWrites,
  callSlack,
  faultFired,
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
  sharedStoreRotor,
  waitForProvider,
  waitForValue,
  type EnsureFreshBody,
} from './scenario-support.js';

/**
 * Reference oauth-rotation.md §6, the scenarios about Rotor's own failures and its
 * multi-process behaviour: replicas sharing one store (4), a crash between the provider's
 * commit and the store write (8), a store that refuses the write (9), and a rotation that
 * finds its refresh token replaced underneath it (14). Slack personality throughout.
 */

const HALF_LIFE = 21_600;

describe('§6 failure scenarios, Rotor-side failures and replicas', () => {
  let harness: OAuthHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function start(options: OAuthHarnessOptions = {}): Promise<OAuthHarness> {
    harness = await OAuthHarness.start(options);
    return harness;
  }

  async function installOne(h: OAuthHarness, team = 'T0001') {
    const { name } = await h.install({ team_id: team });
    const first = await h.currentValue(name);
    return { name, first };
  }

  it('§6.4 three replicas on one store, ten callers each, at expiry and after a rejection: one issued refresh per generation, every caller gets the winner\'s token', async () => {
    const db = await createScratchDatabase('rotor_oauth_replicas');
    const cluster = new ReplicaCluster({ databaseUrl: db.url, count: 2 });
    try {
      // Real time on every replica: the simulator starts at the wall clock, and nothing advances it.
      const h = await start({ start: Math.floor(Date.now() / 1000), rotor: sharedStoreRotor(db.url, cluster.rootKey) });
      await Promise.all([cluster.start(0), cluster.start(1)]);
      const grant = await h.simAdmin('POST', '/_sim/install', { client_id: h.app.client_id, team_id: 'T0004', bot: true });
      // Imported as if the token had 200 s left: every caller asking for 300 s needs a refresh.
      const [name] = await importRecords(h, [{ ...grant, expires_in: 200 }]);
      const first = await h.currentValue(name!);
      const urls = [h.rotor.url, ...cluster.replicas.map((replica) => replica.url)];
      const callAll = (body: Record<string, unknown>) =>
        Promise.all(
          urls.flatMap((url) =>
            Array.from({ length: 10 }, () =>
              signedApi<EnsureFreshBody>(url, h.rotor.credentials, 'POST', `/v1/secrets/${encodeURIComponent(name!)}/ensure-fresh`, body),
            ),
          ),
        );

      const atExpiry = await callAll({ minValidSeconds: 300 });
      await h.settled(name!);
      let refreshes = await refreshRequests(h);
      expect(outcomes(refreshes)).toEqual(['issued']);
      expect(refreshes[0]!.presented_token_hash).toBe(hash(first.value.bot!.refresh_token));
      expect(atExpiry.map((answer) => answer.status)).toEqual(Array(30).fill(200));
      expect(new Set(atExpiry.map((answer) => hash(answer.body.AccessToken)))).toEqual(new Set([refreshes[0]!.issued_access_token_hash]));
      const second = await h.currentValue(name!);
      expect(new Set(atExpiry.map((answer) => answer.body.VersionId))).toEqual(new Set([second.versionId]));

      // Every caller reports that version rejected at once: still one refresh.
      const afterRejection = await callAll({ minValidSeconds: 300, ifVersion: second.versionId });
      await h.settled(name!);
      refreshes = await refreshRequests(h);
      expect(outcomes(refreshes)).toEqual(['issued', 'issued']);
      expect(refreshes[1]!.presented_token_hash).toBe(refreshes[0]!.issued_refresh_token_hash);
      expect(afterRejection.map((answer) => answer.status)).toEqual(Array(30).fill(200));
      expect(new Set(afterRejection.map((answer) => hash(answer.body.AccessToken)))).toEqual(new Set([refreshes[1]!.issued_access_token_hash]));
      const third = await h.currentValue(name!);
      expect(hash(third.value.bot!.refresh_token)).toBe(refreshes[1]!.issued_refresh_token_hash);
      expect(await callSlack(h, third.value.bot!.access_token)).toMatchObject({ ok: true });
      expect((await h.events()).filter((event) => event.outcome === 'rejected' || event.outcome === 'grace_replay')).toHaveLength(0);
    } finally {
      await cluster.destroy();
      await harness?.close();
      harness = undefined;
      await db.drop();
    }
  });

  /**
   * Scenario 8 without a kill hook: `rotor serve` (a child process) on the harness's data
   * directory sends the refresh; the provider commits and holds its answer; the child is
   * SIGKILLed while it waits; an in-process Rotor then starts on the same directory.
   */
  async function crashAfterCommit(h: OAuthHarness, name: string, versionId: string): Promise<void> {
    const dataDir = await h.stopRotor();
    let server: RotorProcess | undefined;
    try {
      server = await spawnRotor(dataDir);
      await addFaults(h, refreshFault(h, { action: 'latency', phase: 'after', delay_ms: 15_000, times: 1 }));
      const call = signedApi(server.url, h.rotor.credentials, 'POST', `/v1/secrets/${encodeURIComponent(name)}/ensure-fresh`, { minValidSeconds: 60, ifVersion: versionId }).then(
        (response) => response.status,
        () => 'connection lost',
      );
      await waitForProvider(h, (events) => events.some((event) => event.outcome === 'issued' && event.grant_type === 'refresh_token'));
      const exited = new Promise((resolve) => server!.child.once('exit', resolve));
      server.child.kill('SIGKILL');
      await exited;
      expect(await call).toBe('connection lost');
    } finally {
      if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    }
    await h.startRotor();
    // On PostgreSQL the dead server's lease holds until it expires (30 s): move Rotor's clock past it.
    if (testBackend === 'postgres') {
      h.clock.shift(31_000);
      h.rotor.rotor.wake();
    }
  }

  it('§6.8 crash after the provider committed, before Rotor stored the answer, grace 30 s: on restart the intent is retried with the same token and the replay is kept', async () => {
    const h = await start({ start: Math.floor(Date.now() / 1000), knobs: { refreshGraceSeconds: 30 }, functionConfig: { graceSeconds: 30, requestTimeoutMs: 20_000 } });
    const { name, first } = await installOne(h, 'T0008');
    await crashAfterCommit(h, name, first.versionId);
    const after = await waitForValue(h, name, (current) => current.versionId !== first.versionId);
    await h.settled(name);

    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued', 'grace_replay']);
    expect(refreshes.map((event) => event.presented_token_hash)).toEqual([hash(first.value.bot!.refresh_token), hash(first.value.bot!.refresh_token)]);
    expect(hash(after.value.bot!.access_token)).toBe(refreshes[1]!.issued_access_token_hash);
    expect(hash(after.value.bot!.refresh_token)).toBe(refreshes[1]!.issued_refresh_token_hash);
    expect(after.value.bot!.status).toBeUndefined();
    expect((await onlyFamily(h, 'bot')).current_refresh_token_hash).toBe(hash(after.value.bot!.refresh_token));
    expect(await callSlack(h, after.value.bot!.access_token)).toMatchObject({ ok: true });
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(0);
  });

  it('§6.8 crash after the provider committed, before Rotor stored the answer, grace 0: on restart the same-token retry is refused and the chain is marked once', async () => {
    const h = await start({ start: Math.floor(Date.now() / 1000), knobs: { refreshGraceSeconds: 0 }, functionConfig: { graceSeconds: 0, requestTimeoutMs: 20_000 } });
    const { name, first } = await installOne(h, 'T0108');
    await crashAfterCommit(h, name, first.versionId);
    const dead = await waitForValue(h, name, (current) => current.value.bot?.status === 'reauthorization_required');
    await h.settled(name);

    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued', 'rejected']);
    expect(refreshes.map((event) => event.presented_token_hash)).toEqual([hash(first.value.bot!.refresh_token), hash(first.value.bot!.refresh_token)]);
    expect(dead.value.bot!.status_reason).toBe('invalid_refresh_token');
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
    expect(await nextRotationSeconds(h, name)).toBeUndefined();
    await h.advance(86_400);
    await pause(300);
    expect(await refreshRequests(h)).toHaveLength(2);
  });

  it('§6.9 store write fails after a successful refresh: the write is retried with the answer in memory, no second refresh', async () => {
    const h = await start();
    const { name, first } = await installOne(h);
    const unblock = await blockPendingWrites(h);
    try {
      await h.advance(HALF_LIFE + 1);
      await waitForProvider(h, (events) => events.some((event) => event.outcome === 'issued' && event.grant_type === 'refresh_token'));
      await pause(250);
      // The refresh happened, its answer is not stored yet, and the step is still at work.
      expect((await h.currentValue(name)).versionId).toBe(first.versionId);
      expect((await rotationStatus(h, name)).Current).toMatchObject({ State: 'running', Step: 'createSecret', Attempt: 1 });
    } finally {
      await unblock();
    }
    const after = await waitForValue(h, name, (current) => current.versionId !== first.versionId);
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued']);
    expect(hash(after.value.bot!.access_token)).toBe(refreshes[0]!.issued_access_token_hash);
    expect(hash(after.value.bot!.refresh_token)).toBe(refreshes[0]!.issued_refresh_token_hash);
    expect((await rotationStatus(h, name)).LastRun).toMatchObject({ State: 'succeeded', Attempt: 1 });
  });

  it('§6.9 store write fails for longer than the step: the refresh is retried with the same token inside the grace window, never an older one', async () => {
    const h = await start({ knobs: { refreshGraceSeconds: 30 }, functionConfig: { graceSeconds: 30 } });
    const { name, first } = await installOne(h);
    const unblock = await blockPendingWrites(h);
    try {
      await h.advance(HALF_LIFE + 1);
      const failed = await until(
        () => rotationStatus(h, name),
        (status) => status.Current?.State === 'retrying',
        { timeoutMs: 15_000, describe: (status) => JSON.stringify(status.Current) },
      );
      expect(failed.Current!.LastError).toMatch(/could not be stored/);
    } finally {
      await unblock();
    }
    const after = await waitForValue(h, name, (current) => current.versionId !== first.versionId);
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    expect(outcomes(refreshes)).toEqual(['issued', 'grace_replay']);
    expect(refreshes.map((event) => event.presented_token_hash)).toEqual([hash(first.value.bot!.refresh_token), hash(first.value.bot!.refresh_token)]);
    expect(hash(after.value.bot!.access_token)).toBe(refreshes[1]!.issued_access_token_hash);
    expect(hash(after.value.bot!.refresh_token)).toBe(refreshes[1]!.issued_refresh_token_hash);
    expect(after.value.bot!.status).toBeUndefined();
  });

  it('§6.9 store write fails for longer than the step with grace 0: the same-token retry is refused and reauthorization is surfaced', async () => {
    const h = await start({ knobs: { refreshGraceSeconds: 0 }, functionConfig: { graceSeconds: 0 } });
    const { name } = await installOne(h);
    const unblock = await blockPendingWrites(h);
    try {
      await h.advance(HALF_LIFE + 1);
      await until(
        () => rotationStatus(h, name),
        (status) => status.Current?.State === 'retrying',
        { timeoutMs: 15_000, describe: (status) => JSON.stringify(status.Current) },
      );
    } finally {
      await unblock();
    }
    const dead = await waitForValue(h, name, (current) => current.value.bot?.status === 'reauthorization_required');
    await h.settled(name);
    expect(outcomes(await refreshRequests(h))).toEqual(['issued', 'rejected']);
    expect(dead.value.bot!.status_reason).toBe('invalid_refresh_token');
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(1);
    expect(await nextRotationSeconds(h, name)).toBeUndefined();
  });

  it('§6.14 refresh token replaced while Rotor\'s refresh was in flight (another process refreshed and stored): invalid_refresh_token is not fatal, Rotor re-reads and goes on', async () => {
    const h = await start({ knobs: { refreshGraceSeconds: 0 }, functionConfig: { graceSeconds: 0, requestTimeoutMs: 10_000 } });
    const { name, first } = await installOne(h, 'T0014');
    // Rotor's refresh waits 3 s at the provider before it is looked at.
    const [slow] = await addFaults(h, refreshFault(h, { action: 'latency', delay_ms: 3_000, times: 1 }));
    await h.advance(HALF_LIFE + 1);
    await until(
      () => faultFired(h, slow!.id),
      (fired) => fired === 1,
    );

    // Process A refreshes with the same token first and stores its result in Rotor.
    const response = await fetch(`${h.simUrl}/api/oauth.v2.access`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${h.app.client_id}:${h.app.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.value.bot!.refresh_token! }),
    });
    const byA = (await response.json()) as Record<string, unknown>;
    expect(byA.ok).toBe(true);
    await importRecords(h, [byA]);

    const after = await waitForValue(h, name, (current) => hash(current.value.bot!.refresh_token) !== hash(byA.refresh_token as string) && current.versionId !== first.versionId);
    await h.settled(name);
    const refreshes = await refreshRequests(h);
    // A's refresh, Rotor's refused stale one, Rotor's refresh of the token A stored (Rotor
    // refreshes once more rather than adopting A's fresh result: harmless, one extra refresh).
    expect(outcomes(refreshes)).toEqual(['issued', 'rejected', 'issued']);
    expect(refreshes.map((event) => event.presented_token_hash)).toEqual([
      hash(first.value.bot!.refresh_token),
      hash(first.value.bot!.refresh_token),
      hash(byA.refresh_token as string),
    ]);
    expect(after.value.bot!.status).toBeUndefined();
    expect(hash(after.value.bot!.refresh_token)).toBe(refreshes[2]!.issued_refresh_token_hash);
    expect(await rotorEvents(h, name, 'reauthorization-required')).toHaveLength(0);
    expect(await nextRotationSeconds(h, name)).toBeDefined();
    expect(await callSlack(h, after.value.bot!.access_token)).toMatchObject({ ok: true });
  });
});
