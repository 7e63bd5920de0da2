import { CreateSecretCommand, DescribeSecretCommand, PutSecretValueCommand, RotateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingRotationFunction, type StepContext } from '../support/recording-rotation-function.js';
import { createScratchDatabase, errorName, replicaClient, ReplicaCluster, sleep, type ScratchDatabase } from '../support/replica-cluster.js';
import { until } from '../support/rotation-probes.js';

/**
 * A replica paused in the middle of a step resumes after another replica took its lease
 * over. Replica A claims the rotation and calls createSecret, which the function holds;
 * A is SIGSTOPped; the lease (30 s, not configurable) expires and replica B claims the
 * rotation and runs it up to testSecret, which the function holds too, so the rotation
 * is still running (under B's epoch) when A gets SIGCONT. A's late progress write must be
 * fenced; then A's held call is let go and does what the function would do for A:
 * PutSecretValue with A's short-lived keys. Nothing A or its keys do after it resumes may
 * change the database; B then finishes the rotation as if A had never existed.
 */

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('a replica paused mid-step past its lease', () => {
  let db: ScratchDatabase;
  let cluster: ReplicaCluster;
  const heldCall = deferred<StepContext>();
  const release = deferred<void>();
  const staleWrite = deferred<string>();
  const heldTest = deferred<StepContext>();
  const releaseTest = deferred<void>();
  const fn = new RecordingRotationFunction({
    // The first createSecret (A's) waits for the test, then writes with A's keys; the
    // first testSecret (B's) waits, then runs as usual.
    async beforeStep(context) {
      if (context.event.Step === 'testSecret' && fn.calls.filter((call) => call.step === 'testSecret').length === 1) {
        heldTest.resolve(context);
        await releaseTest.promise;
        return 'continue';
      }
      if (context.event.Step !== 'createSecret' || fn.calls.indexOf(context.call) !== 0) return 'continue';
      heldCall.resolve(context);
      await release.promise;
      try {
        await context.client.send(
          new PutSecretValueCommand({ SecretId: context.event.SecretId, ClientRequestToken: context.event.ClientRequestToken, SecretString: 'written by the stale run', VersionStages: ['AWSPENDING'] }),
        );
        staleWrite.resolve('stored');
      } catch (error) {
        staleWrite.resolve(errorName(error));
      }
      return 'handled';
    },
  });
  const clients: SecretsManagerClient[] = [];

  beforeAll(async () => {
    db = await createScratchDatabase('rotor_stale');
    cluster = new ReplicaCluster({ databaseUrl: db.url, count: 2 });
  });
  afterAll(async () => {
    release.resolve();
    releaseTest.resolve();
    for (const client of clients) client.destroy();
    await cluster.destroy();
    await fn.close();
    await db.drop();
  });

  /** Everything a write about this secret could touch, as the database holds it. */
  async function snapshot(arn: string) {
    const query = async (text: string) => (await db.pool.query(text, [arn])).rows;
    return {
      rotations: await query('SELECT * FROM rotations WHERE secret_arn = $1 ORDER BY seq'),
      labels: await query('SELECT label, version_id FROM labels WHERE secret_arn = $1 ORDER BY label'),
      versions: await query("SELECT version_id, kind, encode(sha256(sealed_value), 'hex') AS sealed FROM versions WHERE secret_arn = $1 ORDER BY seq"),
      events: await query('SELECT id, kind, step, rotation_id FROM rotation_events WHERE secret_arn = $1 ORDER BY id'),
      audit: await query('SELECT id, actor, operation, version_id FROM audit_log WHERE secret_arn = $1 ORDER BY id'),
      secret: await query('SELECT last_changed_at FROM secrets WHERE arn = $1'),
      schedule: await query('SELECT * FROM rotation_configs WHERE secret_arn = $1'),
    };
  }

  it('fences its progress write, and its keys are revoked before its function can use them', async () => {
    const started = Date.now();
    const replicaA = await cluster.start(0);
    const registered = await cluster.createUrlFunction('held', await fn.listen());
    fn.signingKey = registered.signingKey;
    const credentials = cluster.credentials();
    const viaA = replicaClient(replicaA.url, credentials);
    clients.push(viaA);
    const created = await viaA.send(new CreateSecretCommand({ Name: 'stale/db-password', SecretString: 'before' }));
    const arn = created.ARN!;

    // Only A runs when the rotation starts, so A claims it.
    const rotated = await viaA.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: registered.arn }));
    const held = await heldCall.promise;
    expect(held.call.endpoint).toBe(replicaA.url);
    const replicaB = await cluster.start(1);
    cluster.pause(0);
    const pausedAt = Date.now();

    // B claims once A's lease has expired (≤ 30 s) and runs the steps up to testSecret.
    const heldByB = await heldTest.promise;
    const tookOverAfterMs = Date.now() - pausedAt;
    expect(heldByB.call.endpoint).toBe(replicaB.url);
    expect(heldByB.call.accessKeyId).not.toBe(held.call.accessKeyId);
    const rotationRow = async () =>
      (await db.pool.query('SELECT state, step, epoch, lease_owner, attempt FROM rotations WHERE secret_arn = $1', [arn])).rows[0] as Record<string, unknown>;
    const running = await rotationRow();
    expect(running).toMatchObject({ state: 'running', step: 'testSecret', epoch: 2, attempt: 1 });
    expect(running.lease_owner).toMatch(/./);
    expect(fn.creates.map((attempt) => [attempt.accessKeyId, attempt.outcome])).toEqual([[heldByB.call.accessKeyId, 'stored']]);
    const before = await snapshot(arn);
    expect(before.labels).toEqual([
      { label: 'AWSCURRENT', version_id: created.VersionId },
      { label: 'AWSPENDING', version_id: rotated.VersionId },
    ]);

    // A wakes up: its step timed out while it slept, and it records that under its old epoch.
    cluster.resume(0);
    await until(
      async () => cluster.replicas[0]!.log(),
      (log) => /"outcome":"fenced"/.test(log),
      { timeoutMs: 15_000, intervalMs: 100, describe: (log) => `replica A logged no fenced write: ${log.slice(-2000)}` },
    );
    // Its run has ended, and with it the short-lived keys it handed the function.
    await until(
      () => held.client.send(new DescribeSecretCommand({ SecretId: arn })).then(() => 'accepted', errorName),
      (answer) => answer === 'UnrecognizedClientException',
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    release.resolve();
    expect(await staleWrite.promise).toBe('UnrecognizedClientException');
    // The same keys through B fare no better: keys live in the database.
    const viaBWithAKeys = replicaClient(replicaB.url, { accessKeyId: held.call.accessKeyId, secretAccessKey: 'irrelevant' });
    clients.push(viaBWithAKeys);
    await expect(viaBWithAKeys.send(new DescribeSecretCommand({ SecretId: arn }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });

    // Give A every chance to write something late, then compare: B's rotation is untouched.
    await sleep(1_500);
    expect(await snapshot(arn)).toEqual(before);

    // B goes on and finishes under its own epoch.
    releaseTest.resolve();
    const finished = await until(rotationRow, (row) => row.state === 'succeeded', { timeoutMs: 20_000, intervalMs: 100 });
    expect(finished).toEqual({ state: 'succeeded', step: 'finishSecret', epoch: 2, lease_owner: null, attempt: 1 });
    const after = await snapshot(arn);
    expect(after.labels).toEqual([
      { label: 'AWSCURRENT', version_id: rotated.VersionId },
      { label: 'AWSPREVIOUS', version_id: created.VersionId },
    ]);
    expect(fn.calls.filter((call) => call.accessKeyId === heldByB.call.accessKeyId).map((call) => [call.step, call.status])).toEqual(
      ['createSecret', 'setSecret', 'testSecret', 'finishSecret'].map((step) => [step, 200]),
    );
    expect(fn.calls.filter((call) => call.accessKeyId === held.call.accessKeyId).map((call) => call.step)).toEqual(['createSecret']);
    const keys = (await db.pool.query("SELECT name, revoked_at FROM access_keys WHERE name LIKE 'rotation:%' ORDER BY created_at")).rows as { name: string; revoked_at: string | null }[];
    expect(keys).toHaveLength(2);
    expect(keys.every((key) => key.revoked_at !== null)).toBe(true);
    console.log(
      `stale-writer: B took over ${(tookOverAfterMs / 1000).toFixed(1)} s after A paused; A's late write was fenced; ` +
        `its function's PutSecretValue with A's keys: ${await staleWrite.promise}; ${((Date.now() - started) / 1000).toFixed(1)} s in all`,
    );
  }, 120_000);
});
