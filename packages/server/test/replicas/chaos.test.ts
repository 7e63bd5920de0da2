import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { randomInt, randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingRotationFunction, type StepCall } from '../support/recording-rotation-function.js';
import { createScratchDatabase, errorName, replicaClient, ReplicaCluster, serverAnswered, sleep, type ScratchDatabase } from '../support/replica-cluster.js';
import { labelProblems, listAllVersions, until } from '../support/rotation-probes.js';

/**
 * Three replicas on one PostgreSQL database rotate 500 secrets (rate(1 minute) schedules,
 * plus RotateSecret on random secrets through random replicas) through a URL function,
 * while PutSecretValue writes to 50 other secrets and replicas are SIGKILLed (restarted
 * on the same port) or SIGSTOPped past their 30 s lease and resumed, at random. Then the
 * chaos stops, the schedules are switched off and the replicas finish what is running.
 *
 * The function records every call and every PutSecretValue it makes in createSecret.
 * Checked afterwards: each rotated version holds the value of exactly one createSecret
 * (effective createSecret: its PutSecretValue stored the value; any other found it there
 * or was refused); a run that lost its lease starts no step after its successor started
 * (a run is one claim, named by the short-lived key Rotor issued for it); two rotations
 * of one secret never interleave; every rotation succeeded and none is stuck; every
 * secret has one AWSCURRENT, on the last rotation's version, and no AWSPENDING on a
 * non-current version; every acknowledged PutSecretValue is there with its value.
 *
 * Duration: the issue asks for "several minutes"; CI runs this on two cores on every
 * push, so the default is 90 s of chaos (with two 35 s pauses, the lease being 30 s and
 * not configurable) and about 2.5 minutes in all. ROTOR_CHAOS_SECONDS=600 runs ten minutes.
 */

const CHAOS_MS = Math.max(45, Number(process.env.ROTOR_CHAOS_SECONDS ?? 90)) * 1000;
const ROTATING = 500;
const PUT_SECRETS = 50;
/** Rotation versions per secret stay far below the 100 that pruning keeps; puts too. */
const MAX_PUTS_PER_SECRET = 80;
const PUT_LOOPS = 3;
/** The lease is 30 s (the worker's default; the server has no setting for it). */
const PAUSE_MS = 35_000;
const DRAIN_MS = 150_000;

interface PutRecord {
  readonly versionId: string;
  readonly value: string;
  acknowledged: boolean;
  refusedWith?: string;
}

interface PutSecret {
  readonly name: string;
  readonly puts: PutRecord[];
  busy: boolean;
}

const stats = {
  kills: 0,
  pauses: 0,
  rotateAcknowledged: 0,
  rotateRefused: 0,
  rotateUnanswered: 0,
  putsAcknowledged: 0,
  putRetries: 0,
};

/** Runs `work` over `items`, `concurrency` at a time. */
async function pooled<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

/** Calls `send` until it succeeds (transport failures and 5xx only), up to `tries` times. */
async function persist<T>(send: () => Promise<T>, tries = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= tries || serverAnswered(error)) throw error;
      await sleep(200);
    }
  }
}

describe('three replicas under SIGKILL and SIGSTOP', () => {
  let db: ScratchDatabase;
  let cluster: ReplicaCluster;
  const fn = new RecordingRotationFunction();
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  let clients: SecretsManagerClient[] = [];

  beforeAll(async () => {
    db = await createScratchDatabase('rotor_chaos');
    cluster = new ReplicaCluster({ databaseUrl: db.url, count: 3 });
    await cluster.startAll();
    const credentials = cluster.credentials();
    clients = cluster.replicas.map((replica) => replicaClient(replica.url, credentials, { agent, requestTimeoutMs: 5_000 }));
  });
  afterAll(async () => {
    agent.destroy();
    await cluster?.destroy();
    await fn.close();
    await db?.drop();
  });

  /** A client for a random replica that is up (undefined while none is). */
  function anyUp(): SecretsManagerClient | undefined {
    const up = cluster.up();
    return up.length === 0 ? undefined : clients[up[randomInt(up.length)]!.index];
  }
  const viaAny = <T>(send: (client: SecretsManagerClient) => Promise<T>) =>
    persist(() => {
      const client = anyUp();
      return client ? send(client) : Promise.reject(new Error('no replica is up'));
    });

  it('rotates exactly once per version, loses no acknowledged write, and leaves one AWSCURRENT per secret', async () => {
    const started = Date.now();
    const { arn: functionArn, signingKey } = await cluster.createUrlFunction('chaos', await fn.listen());
    fn.signingKey = signingKey;

    // 500 rotating secrets and 50 for PutSecretValue; their schedules are set once the chaos runs.
    const rotating = Array.from({ length: ROTATING }, (_, i) => `chaos/rotating/${i}`);
    const initialVersion = new Map<string, string>();
    const arnOf = new Map<string, string>();
    await pooled(rotating, 24, async (name) => {
      const token = randomUUID();
      const created = await viaAny((client) => client.send(new CreateSecretCommand({ Name: name, SecretString: `initial ${name}`, ClientRequestToken: token })));
      initialVersion.set(created.ARN!, created.VersionId!);
      arnOf.set(name, created.ARN!);
    });
    const putSecrets: PutSecret[] = [];
    await pooled(Array.from({ length: PUT_SECRETS }, (_, i) => `chaos/put/${i}`), 24, async (name) => {
      const token = randomUUID();
      await viaAny((client) => client.send(new CreateSecretCommand({ Name: name, SecretString: 'v0', ClientRequestToken: token })));
      putSecrets.push({ name, puts: [{ versionId: token, value: 'v0', acknowledged: true }], busy: false });
    });
    const setupMs = Date.now() - started;

    let stopping = false;
    const acknowledgedRotations: { arn: string; versionId: string }[] = [];
    const scheduled: string[] = [];

    // RotateSecret with a rate(1 minute) schedule on each rotating secret, while the chaos
    // runs: it rotates each at once, then a minute after each rotation. Retried with its
    // token until answered; on a retry, ResourceExists (that rotation already finished) or
    // "a rotation is running" means an earlier try was applied.
    const scheduling = pooled(rotating, 8, async (name) => {
      const token = randomUUID();
      for (let attempt = 1; ; attempt++) {
        const client = anyUp();
        if (!client) {
          await sleep(250);
          continue;
        }
        try {
          const out = await client.send(
            new RotateSecretCommand({ SecretId: name, ClientRequestToken: token, RotationLambdaARN: functionArn, RotationRules: { ScheduleExpression: 'rate(1 minute)' } }),
          );
          acknowledgedRotations.push({ arn: out.ARN!, versionId: out.VersionId! });
          break;
        } catch (error) {
          const answer = errorName(error);
          if (attempt > 1 && (answer === 'ResourceExistsException' || answer === 'InvalidRequestException')) {
            acknowledgedRotations.push({ arn: arnOf.get(name)!, versionId: token });
            break;
          }
          if (serverAnswered(error) || attempt >= 40) throw error;
          await sleep(200);
        }
      }
      scheduled.push(name);
    });

    // RotateSecret on random secrets through random replicas, a few a second.
    const rotateDriver = (async () => {
      while (!stopping) {
        await sleep(150 + randomInt(300));
        const client = anyUp();
        if (!client || scheduled.length === 0) continue;
        const name = scheduled[randomInt(scheduled.length)]!;
        try {
          const out = await client.send(new RotateSecretCommand({ SecretId: name }));
          acknowledgedRotations.push({ arn: out.ARN!, versionId: out.VersionId! });
          stats.rotateAcknowledged += 1;
        } catch (error) {
          // Refused while a rotation runs; unanswered when the replica died or is paused.
          if (serverAnswered(error) && errorName(error) === 'InvalidRequestException') stats.rotateRefused += 1;
          else if (serverAnswered(error)) throw error;
          else stats.rotateUnanswered += 1;
        }
      }
    })();

    // PutSecretValue on the other secrets: one at a time per secret, retried with the same
    // token and value until acknowledged (the SDK's own idempotent retry, done by hand).
    const putDriver = async () => {
      while (!stopping) {
        const idle = putSecrets.filter((secret) => !secret.busy && secret.puts.length < MAX_PUTS_PER_SECRET);
        if (idle.length === 0) {
          await sleep(50);
          continue;
        }
        const secret = idle[randomInt(idle.length)]!;
        secret.busy = true;
        const record: PutRecord = { versionId: randomUUID(), value: randomUUID(), acknowledged: false };
        secret.puts.push(record);
        for (let attempt = 0; attempt < 40 && !record.acknowledged && !record.refusedWith; attempt++) {
          const client = anyUp();
          if (attempt > 0) stats.putRetries += 1;
          if (!client) {
            await sleep(250);
            continue;
          }
          try {
            await client.send(new PutSecretValueCommand({ SecretId: secret.name, ClientRequestToken: record.versionId, SecretString: record.value }));
            record.acknowledged = true;
            stats.putsAcknowledged += 1;
          } catch (error) {
            if (serverAnswered(error)) record.refusedWith = errorName(error);
            else await sleep(100);
          }
        }
        secret.busy = false;
        await sleep(20);
      }
    };
    const putDrivers = Array.from({ length: PUT_LOOPS }, putDriver);

    // Chaos: SIGSTOP a replica for longer than the lease at planned moments (one replica
    // paused at a time); in between SIGKILL a random running replica every few seconds and
    // restart it on its data directory and port. At least one replica stays up.
    const pauseAt: number[] = [];
    for (let at = 5_000; at + PAUSE_MS + 3_000 <= CHAOS_MS; at += PAUSE_MS + 7_000) pauseAt.push(at);
    const chaosStart = Date.now();
    const resumed: Promise<void>[] = [];
    const elapsed = () => Date.now() - chaosStart;
    while (elapsed() < CHAOS_MS) {
      if (pauseAt.length > 0 && elapsed() >= pauseAt[0]! && cluster.up().length >= 2) {
        pauseAt.shift();
        const up = cluster.up();
        const victim = up[randomInt(up.length)]!.index;
        cluster.pause(victim);
        stats.pauses += 1;
        resumed.push(sleep(PAUSE_MS).then(() => cluster.resume(victim)));
        continue;
      }
      const untilNextPause = pauseAt.length > 0 ? Math.max(0, pauseAt[0]! - elapsed()) : Infinity;
      await sleep(Math.min(2_500 + randomInt(3_500), untilNextPause, Math.max(0, CHAOS_MS - elapsed())));
      if (elapsed() >= CHAOS_MS || (pauseAt.length > 0 && elapsed() >= pauseAt[0]!)) continue;
      const up = cluster.up();
      if (up.length < 2) continue;
      const victim = up[randomInt(up.length)]!.index;
      await cluster.kill(victim);
      stats.kills += 1;
      await sleep(300 + randomInt(1_700));
      await cluster.start(victim);
    }
    await Promise.all(resumed);
    stopping = true;
    await Promise.all([scheduling, rotateDriver, ...putDrivers]);
    const chaosMs = Date.now() - chaosStart;
    expect(stats.pauses).toBeGreaterThanOrEqual(1);
    expect(stats.kills).toBeGreaterThanOrEqual(3);

    // Drain: no new rotations (schedules off, straight in the database: CancelRotateSecret
    // would cancel the running ones), and the replicas finish what runs, including the
    // rotations whose leases died with a killed replica (they expire within 30 s).
    const drainStart = Date.now();
    await until(
      async () => {
        await db.pool.query('UPDATE rotation_configs SET enabled = false WHERE enabled');
        const { rows } = await db.pool.query<{ active: number; enabled: number }>(
          "SELECT (SELECT count(*) FROM rotations WHERE state IN ('running', 'retrying'))::int AS active, (SELECT count(*) FROM rotation_configs WHERE enabled)::int AS enabled",
        );
        return rows[0]!;
      },
      (counts) => counts.active === 0 && counts.enabled === 0,
      { timeoutMs: DRAIN_MS, intervalMs: 500, describe: (counts) => `rotations still active after the drain: ${JSON.stringify(counts)}` },
    );
    const drainMs = Date.now() - drainStart;

    // Every rotation ended, and ended well.
    const rotations = (
      await db.pool.query<{ secret_arn: string; version_id: string; state: string; epoch: number; last_error: string | null }>(
        'SELECT secret_arn, version_id, state, epoch, last_error FROM rotations ORDER BY seq',
      )
    ).rows;
    const notSucceeded = rotations.filter((rotation) => rotation.state !== 'succeeded');
    expect(notSucceeded, 'rotations that did not succeed').toEqual([]);
    const rotationsOf = new Map<string, string[]>();
    for (const rotation of rotations) rotationsOf.set(rotation.secret_arn, [...(rotationsOf.get(rotation.secret_arn) ?? []), rotation.version_id]);
    const rotated = new Set(rotations.map((rotation) => rotation.version_id));
    expect(acknowledgedRotations.filter((rotation) => !rotated.has(rotation.versionId)), 'acknowledged RotateSecret calls without a rotation').toEqual([]);

    // The function's view: which runs called it, and when.
    expect(fn.badSignatures).toBe(0);
    const callsOf = new Map<string, StepCall[]>();
    for (const call of fn.calls) callsOf.set(call.versionId, [...(callsOf.get(call.versionId) ?? []), call]);
    const lateRuns: string[] = [];
    let takenOver = 0;
    for (const [versionId, calls] of callsOf) {
      const runs = new Map<string, { first: number; last: number }>();
      for (const call of calls) {
        const run = runs.get(call.accessKeyId);
        if (run) run.last = call.seq;
        else runs.set(call.accessKeyId, { first: call.seq, last: call.seq });
      }
      if (runs.size > 1) takenOver += 1;
      // A run that lost its lease starts no step after the run that replaced it started.
      const ordered = [...runs.entries()].sort((a, b) => a[1].first - b[1].first);
      for (let i = 0; i + 1 < ordered.length; i++) {
        const [key, run] = ordered[i]!;
        const [nextKey, next] = ordered[i + 1]!;
        if (run.last > next.first) {
          const late = calls.filter((call) => call.accessKeyId === key && call.seq > next.first).map((call) => `${call.step}@${call.seq}`);
          lateRuns.push(`${versionId}: run ${key} called ${late.join(', ')} after run ${nextKey} began at ${next.first}`);
        }
      }
      for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
        if (rotated.has(versionId) && !calls.some((call) => call.step === step && call.status === 200)) lateRuns.push(`${versionId}: no ${step} succeeded`);
      }
    }
    expect(lateRuns, 'runs that went on after losing their lease').toEqual([]);
    // Two rotations of one secret never interleave at the function.
    const interleaved: string[] = [];
    for (const [arn, versionIds] of rotationsOf) {
      const spans = versionIds
        .map((versionId) => callsOf.get(versionId) ?? [])
        .filter((calls) => calls.length > 0)
        .map((calls) => ({ versionId: calls[0]!.versionId, first: calls[0]!.seq, last: calls[calls.length - 1]!.seq }));
      for (let i = 0; i + 1 < spans.length; i++) {
        if (spans[i]!.last > spans[i + 1]!.first) interleaved.push(`${arn}: ${spans[i]!.versionId} called at ${spans[i]!.last}, after ${spans[i + 1]!.versionId} began at ${spans[i + 1]!.first}`);
      }
    }
    expect(interleaved, 'rotations of one secret that overlapped').toEqual([]);

    // Labels: one AWSCURRENT per secret, no stray AWSPENDING; on rotating secrets AWSCURRENT
    // is the last rotation's version and AWSPREVIOUS the one before.
    const labelIssues: string[] = [];
    await pooled([...arnOf.values()], 16, async (arn) => {
      const versions = await viaAny((client) => listAllVersions(client, arn));
      for (const problem of labelProblems(versions)) labelIssues.push(`${arn}: ${problem}`);
      const history = [initialVersion.get(arn)!, ...(rotationsOf.get(arn) ?? [])];
      const current = versions.find((version) => version.stages.includes('AWSCURRENT'))?.id;
      const previous = versions.find((version) => version.stages.includes('AWSPREVIOUS'))?.id;
      if (current !== history.at(-1) || previous !== history.at(-2)) {
        labelIssues.push(`${arn}: AWSCURRENT ${current} and AWSPREVIOUS ${previous}, expected ${history.at(-1)} and ${history.at(-2)}`);
      }
    });
    await pooled(putSecrets, 16, async (secret) => {
      const versions = await viaAny((client) => listAllVersions(client, secret.name));
      for (const problem of labelProblems(versions)) labelIssues.push(`${secret.name}: ${problem}`);
      const last = secret.puts.at(-1)!;
      const current = versions.find((version) => version.stages.includes('AWSCURRENT'))?.id;
      if (last.acknowledged && current !== last.versionId) labelIssues.push(`${secret.name}: AWSCURRENT ${current}, last acknowledged put ${last.versionId}`);
    });
    expect(labelIssues, 'label problems').toEqual([]);

    // Exactly one effective createSecret per rotated version: the stored value is the value
    // of one PutSecretValue the function made, and no other one was acknowledged.
    const createsOf = new Map<string, typeof fn.creates>();
    for (const attempt of fn.creates) createsOf.set(attempt.versionId, [...(createsOf.get(attempt.versionId) ?? []), attempt]);
    const createIssues: string[] = [];
    let unacknowledgedEffective = 0;
    await pooled(rotations, 24, async (rotation) => {
      const stored = await viaAny((client) => client.send(new GetSecretValueCommand({ SecretId: rotation.secret_arn, VersionId: rotation.version_id })));
      const attempts = createsOf.get(rotation.version_id) ?? [];
      const effective = attempts.filter((attempt) => attempt.value === stored.SecretString);
      const acknowledgedOthers = attempts.filter((attempt) => attempt.outcome === 'stored' && attempt.value !== stored.SecretString);
      if (effective.length !== 1 || acknowledgedOthers.length > 0) {
        createIssues.push(`${rotation.version_id}: ${effective.length} effective createSecret, ${acknowledgedOthers.length} other acknowledged (${attempts.map((a) => a.outcome).join(',')})`);
      }
      if (effective[0] && effective[0].outcome !== 'stored') unacknowledgedEffective += 1;
    });
    expect(createIssues, 'versions without exactly one effective createSecret').toEqual([]);

    // No acknowledged PutSecretValue lost.
    const lostPuts: string[] = [];
    const putRecords = putSecrets.flatMap((secret) => secret.puts.map((record) => ({ secret, record })));
    expect(putRecords.filter(({ record }) => record.refusedWith).map(({ record }) => record.refusedWith)).toEqual([]);
    await pooled(
      putRecords.filter(({ record }) => record.acknowledged),
      24,
      async ({ secret, record }) => {
        try {
          const read = await viaAny((client) => client.send(new GetSecretValueCommand({ SecretId: secret.name, VersionId: record.versionId })));
          if (read.SecretString !== record.value) lostPuts.push(`${secret.name} ${record.versionId}: holds another value`);
        } catch (error) {
          lostPuts.push(`${secret.name} ${record.versionId}: ${errorName(error)}`);
        }
      },
    );
    expect(lostPuts, 'acknowledged PutSecretValue calls lost').toEqual([]);

    const succeededByRotation = rotations.length;
    console.log(
      [
        `chaos: ${(chaosMs / 1000).toFixed(0)} s of chaos over 3 replicas (creating the secrets ${(setupMs / 1000).toFixed(1)} s, drain ${(drainMs / 1000).toFixed(1)} s, ${((Date.now() - started) / 1000).toFixed(0)} s in all)`,
        `  ${stats.kills} SIGKILLs, ${stats.pauses} SIGSTOPs of ${PAUSE_MS / 1000} s`,
        `  ${succeededByRotation} rotations succeeded over ${rotationsOf.size} secrets; ${takenOver} taken over by another run; ` +
          `max epoch ${Math.max(...rotations.map((rotation) => rotation.epoch))}; ${fn.calls.length} function calls; ` +
          `${unacknowledgedEffective} effective createSecret whose answer was lost`,
        `  RotateSecret: ${stats.rotateAcknowledged} acknowledged, ${stats.rotateRefused} refused (rotation running), ${stats.rotateUnanswered} unanswered`,
        `  PutSecretValue: ${stats.putsAcknowledged} acknowledged (${stats.putRetries} retries of unanswered calls)`,
      ].join('\n'),
    );
  }, CHAOS_MS + DRAIN_MS + 240_000);
});
