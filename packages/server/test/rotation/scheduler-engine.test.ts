import { CreateSecretCommand, DescribeSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WakeSignal } from '../../src/engine/wake-signal.js';
import type { Clock } from '../../src/ports/clock.js';
import type { StoredRotation } from '../../src/ports/rotation-store.js';
import { until } from '../support/rotation-probes.js';
import { startTestRotor, tempDir, type TestRotor } from '../support/rotor-server.js';

/**
 * The scheduler and worker against an injected clock that only moves when the test moves
 * it. Both loops sleep on real timers (at most 1 s) and read the clock when they wake, so
 * "not before" is checked by letting 1.5 s of real time pass with the clock just short of
 * a due time, and "at" by moving the clock onto it. The clock starts three minutes behind
 * real time and the test moves it at most a few minutes, inside SigV4's 5-minute skew.
 */

class ManualClock implements Clock {
  #now: number;
  constructor(start: number) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  set(at: number): void {
    this.#now = at;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** Longer than the scheduler's and worker's longest sleep (1 s): a loop that would act has acted. */
const LONGEST_SLEEP_MARGIN_MS = 1_500;

const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000 - 3 * 60_000);
let rotor: TestRotor;
let randomArn: string;
let failingArn: string;

const rotationsOf = (arn: string) => rotor.rotor.dataDir.store.listRotations(arn, 50);
const describeSecret = (arn: string) => rotor.client.send(new DescribeSecretCommand({ SecretId: arn }));

async function createSecret(): Promise<string> {
  return (await rotor.client.send(new CreateSecretCommand({ Name: `engine/${randomUUID()}`, SecretString: 'initial' }))).ARN!;
}

function waitForRotations(arn: string, accept: (rows: StoredRotation[]) => boolean): Promise<StoredRotation[]> {
  return until(() => rotationsOf(arn), accept, {
    timeoutMs: 10_000,
    intervalMs: 50,
    describe: (rows) => JSON.stringify(rows.map((r) => ({ trigger: r.trigger, state: r.state, step: r.step, attempt: r.attempt }))),
  });
}

beforeAll(async () => {
  rotor = await startTestRotor({ clock });
  randomArn = (await rotor.rotor.functions.create({ name: 'engine-random', builtin: 'random', config: { passwordLength: 32 } })).FunctionArn;
  const dir = tempDir('rotor-engine-');
  const handler = join(dir, 'unavailable.mjs');
  writeFileSync(handler, "export async function handler() { throw new Error('the backend is unavailable'); }\n");
  failingArn = (await rotor.rotor.functions.create({ name: 'engine-unavailable', handler: `${handler}:handler` })).FunctionArn;
});
afterAll(async () => rotor?.close());

describe('the scheduler on an injected clock', () => {
  it('starts a scheduled rotation exactly at NextRotationDate and not a millisecond before', async () => {
    const arn = await createSecret();
    const t0 = clock.now();
    await rotor.client.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: randomArn, RotationRules: { ScheduleExpression: 'rate(1 minute)' } }));
    await waitForRotations(arn, (rows) => rows[0]?.state === 'succeeded');
    const first = await describeSecret(arn);
    expect(first.LastRotatedDate!.getTime()).toBe(t0);
    expect(first.NextRotationDate!.getTime()).toBe(t0 + 60_000);

    clock.set(t0 + 59_999);
    await sleep(LONGEST_SLEEP_MARGIN_MS);
    expect((await rotationsOf(arn)).filter((r) => r.trigger === 'schedule')).toEqual([]);

    clock.set(t0 + 60_000);
    const rows = await waitForRotations(arn, (r) => r[0]?.trigger === 'schedule' && r[0].state === 'succeeded');
    expect(rows[0]).toMatchObject({ dueAt: t0 + 60_000, createdAt: t0 + 60_000, finishedAt: t0 + 60_000, attempt: 1 });
    const second = await describeSecret(arn);
    expect(second.LastRotatedDate!.getTime()).toBe(t0 + 60_000);
    expect(second.NextRotationDate!.getTime()).toBe(t0 + 120_000);
  });

  it('runs a slot missed while the server was behind once, late, reports it overdue, and counts the next slot from it', async () => {
    const arn = await createSecret();
    const t0 = clock.now();
    await rotor.client.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: randomArn, RotationRules: { ScheduleExpression: 'rate(1 minute)' } }));
    await waitForRotations(arn, (rows) => rows[0]?.state === 'succeeded');
    const eventsBefore = await rotor.rotor.dataDir.store.latestRotationEventId();

    // Three and a half slots go by at once: one rotation, not three.
    clock.set(t0 + 210_000);
    await waitForRotations(arn, (rows) => rows[0]?.trigger === 'schedule' && rows[0].state === 'succeeded');
    await sleep(LONGEST_SLEEP_MARGIN_MS);
    const scheduled = (await rotationsOf(arn)).filter((r) => r.trigger === 'schedule');
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]).toMatchObject({ dueAt: t0 + 60_000, createdAt: t0 + 210_000 });
    expect((await describeSecret(arn)).NextRotationDate!.getTime()).toBe(t0 + 270_000);

    const overdue = (await rotor.rotor.dataDir.store.listRotationEvents(eventsBefore, 1_000)).filter((e) => e.secretArn === arn && e.kind === 'overdue');
    expect(overdue.map((e) => e.message)).toEqual(['started 150 s after its scheduled time']);
  });

  it('retries a failing step after 1, 2, 4 and 8 s of clock time, then fails leaving AWSPENDING; the next slot reattempts it', async () => {
    const arn = await createSecret();
    const rotated = await rotor.client.send(
      new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: failingArn, RotationRules: { ScheduleExpression: 'rate(1 minute)' } }),
    );
    let rows = await waitForRotations(arn, (r) => r[0]?.attempt === 2);
    for (const delay of [1_000, 2_000, 4_000, 8_000]) {
      const failedAt = clock.now();
      expect(rows[0]).toMatchObject({ state: 'retrying', step: 'createSecret', nextAttemptAt: failedAt + delay });
      expect(rows[0]!.lastError).toContain('the backend is unavailable');
      const attempt = rows[0]!.attempt;

      clock.set(failedAt + delay - 1);
      await sleep(LONGEST_SLEEP_MARGIN_MS);
      expect((await rotationsOf(arn))[0]).toMatchObject({ attempt, state: 'retrying' });

      clock.set(failedAt + delay);
      rows = await waitForRotations(arn, (r) => r[0]!.attempt > attempt || r[0]!.state === 'failed');
    }
    // The fifth attempt was the last: the rotation failed, AWSPENDING stays, the schedule moved on a minute.
    expect(rows[0]).toMatchObject({ state: 'failed', attempt: 5, finishedAt: clock.now() });
    const described = await describeSecret(arn);
    expect(described.VersionIdsToStages?.[rotated.VersionId!]).toEqual(['AWSPENDING']);
    expect(described.NextRotationDate!.getTime()).toBe(clock.now() + 60_000);

    clock.advance(60_000);
    rows = await waitForRotations(arn, (r) => r[0]!.state === 'retrying' && r[0]!.attempt === 2);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ versionId: rotated.VersionId, trigger: 'api', nextAttemptAt: clock.now() + 1_000 });
  });
});

describe('WakeSignal', () => {
  it('keeps a wake that comes while its owner is awake after a timed-out sleep', async () => {
    const signal = new WakeSignal();
    await signal.sleep(5);
    signal.wake();
    const started = Date.now();
    await signal.sleep(2_000);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('ends a sleep at once on wake, and a later sleep still waits', async () => {
    const signal = new WakeSignal();
    const started = Date.now();
    const sleeping = signal.sleep(2_000);
    signal.wake();
    await sleeping;
    expect(Date.now() - started).toBeLessThan(500);
    const again = Date.now();
    await signal.sleep(100);
    expect(Date.now() - again).toBeGreaterThanOrEqual(90);
  });
});
