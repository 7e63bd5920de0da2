import { CreateSecretCommand, DescribeSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredRotation } from '../../src/ports/rotation-store.js';
import { percentile, until } from '../support/rotation-probes.js';
import { startTestRotor, type TestRotor } from '../support/rotor-server.js';

/**
 * Real time, no injected clock: 200 secrets on rate(1 minute) must each start their
 * scheduled rotation within 1 s after the NextRotationDate DescribeSecret showed, and
 * never before it. When a rotation started is the rotation row's created_at (written in
 * the transaction that starts it); the row also records the due time it was started for.
 */

const SECRETS = 200;
const LATENESS_BOUND_MS = 1_000;

let rotor: TestRotor;
let functionArn: string;

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

beforeAll(async () => {
  rotor = await startTestRotor();
  functionArn = (await rotor.rotor.functions.create({ name: 'realtime-random', builtin: 'random', config: { passwordLength: 32 } })).FunctionArn;
});
afterAll(async () => rotor?.close());

describe('scheduled rotation in real time', () => {
  it('200 secrets on rate(1 minute) start rotating within 1 s of their NextRotationDate', async () => {
    const arns: string[] = [];
    await inBatches(
      Array.from({ length: SECRETS }, (_, i) => i),
      25,
      async (i) => {
        const created = await rotor.client.send(new CreateSecretCommand({ Name: `realtime/${i}-${Date.now()}`, SecretString: `initial-${i}` }));
        arns.push(created.ARN!);
      },
    );
    // The first rotation runs at once; its success sets NextRotationDate one minute later.
    await inBatches(arns, 25, async (arn) => {
      await rotor.client.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: functionArn, RotationRules: { ScheduleExpression: 'rate(1 minute)' } }));
    });
    const nextRotation = new Map<string, number>();
    await inBatches(arns, 25, async (arn) => {
      const described = await until(
        () => rotor.client.send(new DescribeSecretCommand({ SecretId: arn })),
        (d) => d.LastRotatedDate !== undefined && d.NextRotationDate !== undefined,
        { timeoutMs: 30_000, intervalMs: 100, describe: (d) => JSON.stringify(d.VersionIdsToStages) },
      );
      expect(described.RotationRules?.ScheduleExpression).toBe('rate(1 minute)');
      expect(described.NextRotationDate!.getTime() - described.LastRotatedDate!.getTime()).toBe(60_000);
      nextRotation.set(arn, described.NextRotationDate!.getTime());
    });

    const lastDue = Math.max(...nextRotation.values());
    const firstDue = Math.min(...nextRotation.values());
    await sleep(Math.max(0, firstDue - Date.now() - 2_000));
    // Before the first date nothing has been started by the schedule.
    for (const arn of arns) {
      expect((await rotor.rotor.dataDir.store.listRotations(arn, 5)).filter((r) => r.trigger === 'schedule')).toEqual([]);
    }
    await sleep(Math.max(0, lastDue - Date.now() + 500));

    const scheduled = new Map<string, StoredRotation>();
    await until(
      async () => {
        for (const arn of arns) {
          if (scheduled.has(arn)) continue;
          const rows = await rotor.rotor.dataDir.store.listRotations(arn, 5);
          const first = rows.filter((row) => row.trigger === 'schedule').at(-1);
          if (first) scheduled.set(arn, first);
        }
        return scheduled.size;
      },
      (count) => count === SECRETS,
      { timeoutMs: 15_000, intervalMs: 250, describe: (count) => `${count} of ${SECRETS} scheduled rotations started` },
    );

    const lateness: number[] = [];
    const outOfBound: string[] = [];
    for (const arn of arns) {
      const rotation = scheduled.get(arn)!;
      const due = nextRotation.get(arn)!;
      expect(rotation.dueAt, `due time recorded for ${arn}`).toBe(due);
      const late = rotation.createdAt - due;
      lateness.push(late);
      if (late < 0 || late > LATENESS_BOUND_MS) outOfBound.push(`${arn}: ${late} ms`);
    }
    const p50 = percentile(lateness, 0.5);
    const p99 = percentile(lateness, 0.99);
    const max = Math.max(...lateness);
    console.log(
      `realtime-schedule: ${SECRETS} secrets, due over ${lastDue - firstDue} ms; start lateness p50 ${p50} ms, p99 ${p99} ms, max ${max} ms, min ${Math.min(...lateness)} ms`,
    );
    expect(outOfBound, 'scheduled starts outside [0, 1000] ms of NextRotationDate').toEqual([]);

    // The scheduled rotations run to the end and the schedule moves on by one minute.
    await until(
      async () => {
        const rows = await Promise.all(arns.map(async (arn) => (await rotor.rotor.dataDir.store.listRotations(arn, 5)).find((row) => row.id === scheduled.get(arn)!.id)));
        return rows.filter((row) => row?.state !== 'succeeded').length;
      },
      (unfinished) => unfinished === 0,
      { timeoutMs: 15_000, intervalMs: 250, describe: (unfinished) => `${unfinished} scheduled rotations not succeeded` },
    );
    const sample = await rotor.client.send(new DescribeSecretCommand({ SecretId: arns[0]! }));
    expect(sample.NextRotationDate!.getTime() - sample.LastRotatedDate!.getTime()).toBe(60_000);
    expect(sample.LastRotatedDate!.getTime()).toBeGreaterThanOrEqual(nextRotation.get(arns[0]!)!);
  }, 150_000);
});
