import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelopeCipher } from '../../src/adapters/crypto/envelope-cipher.js';
import { defaultRetryPolicy } from '../../src/domain/retry-policy.js';
import { redact } from '../../src/domain/redacted.js';
import type { Clock } from '../../src/ports/clock.js';
import { beginRotation } from '../../src/services/begin-rotation.js';
import { createCreateSecret } from '../../src/services/create-secret.js';
import { createRotationProgress } from '../../src/services/record-rotation-progress.js';
import { openPostgresReplica, openTestPostgresStore, type TestPostgresStore } from '../support/postgres.js';

/**
 * The last step of a rotation reported by a worker that lost its lease, on two PostgreSQL
 * replicas: the report is fenced, and it must change nothing, labels included. A fenced
 * answer still commits its transaction, so anything written before the fence check stays.
 * The sharpest case is a testSecret-only rotation (RotateImmediately=false), whose finish
 * needs no AWSCURRENT move: a stale worker that cleared AWSPENDING there would leave the
 * run that replaced it testing a version with no label.
 */
const installation = { region: 'us-east-1', accountId: '123456789012' };
const leaseMs = 30_000;

describe('a stale worker finishing a rotation another replica claimed', () => {
  let primary: TestPostgresStore;
  let replica: Awaited<ReturnType<typeof openPostgresReplica>>;
  let now = Date.now();
  const clock: Clock = { now: () => now };
  const cipher = createEnvelopeCipher(randomBytes(32));

  beforeAll(async () => {
    primary = await openTestPostgresStore();
    replica = await openPostgresReplica(primary.schema);
  });
  afterAll(async () => {
    await replica.cleanup();
    await primary.cleanup();
  });

  it('is fenced and leaves AWSPENDING to the run that holds the lease', async () => {
    const deps = { store: primary.store, cipher, clock, installation };
    const created = await createCreateSecret(deps)({ Name: `fenced/${randomUUID()}`, ClientRequestToken: randomUUID(), Value: { kind: 'string', value: redact('v1') } }, { actor: 'AKIATEST' });
    const versionId = randomUUID();
    await primary.store.transaction(async (tx) => {
      const secret = (await tx.findSecretByArn(created.ARN))!;
      await beginRotation(tx, cipher, { secret, functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test', versionId, mode: 'test', trigger: 'api', now });
    });

    // Replica A claims; its lease runs out (it slept); replica B claims the rotation.
    const [byA] = await primary.store.claimRunnableRotations('replica-a', now, now + leaseMs, 1);
    now += leaseMs + 1;
    const [byB] = await replica.store.claimRunnableRotations('replica-b', now, now + leaseMs, 1);
    expect([byA?.epoch, byB?.epoch]).toEqual([1, 2]);

    // A wakes and reports that testSecret, the only step, succeeded.
    const progressOfA = createRotationProgress({ store: primary.store, clock, retryPolicy: defaultRetryPolicy });
    expect((await progressOfA.stepSucceeded(byA!, 'testSecret')).outcome).toBe('fenced');
    expect(Object.fromEntries(await primary.store.getLabels(created.ARN))).toEqual({ AWSCURRENT: created.VersionId, AWSPENDING: versionId });
    expect((await primary.store.listRotations(created.ARN, 1))[0]).toMatchObject({ epoch: 2, leaseOwner: 'replica-b', state: 'running' });

    // B's report is the one that counts.
    const progressOfB = createRotationProgress({ store: replica.store, clock, retryPolicy: defaultRetryPolicy });
    expect((await progressOfB.stepSucceeded(byB!, 'testSecret')).outcome).toBe('succeeded');
    expect(Object.fromEntries(await primary.store.getLabels(created.ARN))).toEqual({ AWSCURRENT: created.VersionId });
  });
});
