import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredRotation, StoredRotationConfig } from '../../ports/rotation-store.js';
import type { SecretStore, StoredSecret } from '../../ports/secret-store.js';
import { openTestPostgresStore } from '../../../test/support/postgres.js';
import { createSqliteStore } from './sqlite/index.js';

/**
 * Rotation state contract: leases, fencing epochs and the due-time queries the engine
 * relies on, run against every dialect like the secret store contract.
 */
const dialects: { name: string; open(): Promise<{ store: SecretStore; cleanup(): Promise<void> }> }[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'rotor-rotation-store-'));
      const store = createSqliteStore({ path: join(dir, 'rotor.db') });
      return {
        store: store as SecretStore,
        async cleanup() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    open: openTestPostgresStore,
  },
];

const arnOf = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;

function secret(name: string): StoredSecret {
  return {
    arn: arnOf(name),
    name,
    description: undefined,
    kmsKeyId: undefined,
    type: undefined,
    createdAt: 1,
    lastChangedAt: 1,
    lastAccessedAt: undefined,
    deletedAt: undefined,
    purgeAt: undefined,
    tags: undefined,
    resourcePolicy: undefined,
    wrappedKey: Buffer.from('k'),
  };
}

function rotation(name: string, overrides: Partial<StoredRotation> = {}): StoredRotation {
  return {
    id: `rot-${name}`,
    secretArn: arnOf(name),
    versionId: `ver-${name}`,
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
    mode: 'full',
    trigger: 'api',
    state: 'running',
    step: 'createSecret',
    attempt: 1,
    nextAttemptAt: 100,
    lastError: undefined,
    leaseOwner: undefined,
    leaseExpiresAt: undefined,
    epoch: 0,
    rotationToken: 'token',
    createdAt: 100,
    updatedAt: 100,
    finishedAt: undefined,
    dueAt: undefined,
    ...overrides,
  };
}

function config(nextRotationAt: number | undefined, enabled = true): StoredRotationConfig {
  return {
    enabled,
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
    rules: { ScheduleExpression: 'rate(1 minute)' },
    timeZone: undefined,
    spread: false,
    resetOnManualChange: true,
    lastRotatedAt: undefined,
    nextRotationAt,
    anchorAt: 0,
  };
}

for (const dialect of dialects) {
  describe(`rotation store contract: ${dialect.name}`, () => {
    let store: SecretStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await dialect.open());
    });
    afterEach(async () => cleanup());

    async function seed(name: string, overrides: Partial<StoredRotation> = {}) {
      await store.transaction(async (tx) => {
        await tx.insertSecret(secret(name));
        await tx.insertRotation(rotation(name, overrides));
      });
    }

    it('claims a runnable rotation once, bumping its epoch', async () => {
      await seed('a');
      const [claimed] = await store.claimRunnableRotations('worker-1', 100, 1_000, 10);
      expect(claimed).toMatchObject({ id: 'rot-a', leaseOwner: 'worker-1', leaseExpiresAt: 1_000, epoch: 1 });
      // Leased, it is claimable again only when the lease runs out.
      expect(await store.earliestRunnableAt()).toBe(1_000);
      expect(await store.claimRunnableRotations('worker-2', 200, 1_200, 10)).toEqual([]);
    });

    it('does not claim a rotation whose attempt is not due yet', async () => {
      await seed('later', { nextAttemptAt: 500 });
      expect(await store.claimRunnableRotations('w', 499, 1_000, 10)).toEqual([]);
      expect(await store.claimRunnableRotations('w', 500, 1_000, 10)).toHaveLength(1);
    });

    it('hands an expired lease to another worker and fences the first one off', async () => {
      await seed('b');
      const [first] = await store.claimRunnableRotations('worker-1', 100, 1_000, 10);
      const [second] = await store.claimRunnableRotations('worker-2', 1_000, 2_000, 10);
      expect(second?.epoch).toBe(first!.epoch + 1);
      const staleWrite = await store.transaction((tx) => tx.updateRotation('rot-b', first!.epoch, { step: 'setSecret' }));
      expect(staleWrite).toBe(false);
      expect(await store.renewLease('rot-b', first!.epoch, 'worker-1', 3_000)).toBe(false);
      const currentWrite = await store.transaction((tx) => tx.updateRotation('rot-b', second!.epoch, { step: 'setSecret' }));
      expect(currentWrite).toBe(true);
      expect((await store.listRotations(arnOf('b'), 1))[0]?.step).toBe('setSecret');
    });

    it('never writes a rotation that has ended', async () => {
      await seed('ended');
      const [claimed] = await store.claimRunnableRotations('w', 100, 1_000, 10);
      await store.transaction((tx) => tx.updateRotation('rot-ended', claimed!.epoch, { state: 'cancelled' }));
      expect(await store.transaction((tx) => tx.updateRotation('rot-ended', claimed!.epoch, { state: 'succeeded' }))).toBe(false);
    });

    it('allows one active rotation per secret', async () => {
      await seed('one');
      await expect(store.transaction((tx) => tx.insertRotation(rotation('one', { id: 'rot-one-2' })))).rejects.toThrow();
      await store.transaction((tx) => tx.insertRotation(rotation('one', { id: 'rot-one-old', state: 'succeeded' })));
    });

    it('releases the leases of an owner so a restarted server resumes at once', async () => {
      await seed('crash');
      await store.claimRunnableRotations('node-1', 100, 10_000, 10);
      expect(await store.claimRunnableRotations('node-1', 200, 10_000, 10)).toEqual([]);
      expect(await store.releaseLeasesOf('node-1')).toBe(1);
      expect(await store.claimRunnableRotations('node-1', 200, 10_000, 10)).toHaveLength(1);
    });

    it('reopens only a failed rotation', async () => {
      await seed('failed', { state: 'failed', attempt: 5 });
      expect(await store.transaction((tx) => tx.reopenFailedRotation('rot-failed', 300))).toBe(true);
      expect(await store.transaction((tx) => tx.reopenFailedRotation('rot-failed', 300))).toBe(false);
      const [reopened] = await store.claimRunnableRotations('w', 300, 1_000, 10);
      expect(reopened).toMatchObject({ state: 'running', attempt: 1 });
    });

    it('finds due secrets in due order, skipping disabled ones and those already rotating', async () => {
      await store.transaction(async (tx) => {
        for (const name of ['due-late', 'due-early', 'not-due', 'disabled', 'rotating']) await tx.insertSecret(secret(name));
        await tx.setRotationConfig(arnOf('due-late'), config(50));
        await tx.setRotationConfig(arnOf('due-early'), config(10));
        await tx.setRotationConfig(arnOf('not-due'), config(500));
        await tx.setRotationConfig(arnOf('disabled'), config(5, false));
        await tx.setRotationConfig(arnOf('rotating'), config(1));
        await tx.insertRotation(rotation('rotating'));
      });
      expect((await store.findDueSecrets(100, 10)).map((due) => due.arn)).toEqual([arnOf('due-early'), arnOf('due-late')]);
      expect(await store.earliestDueAt()).toBe(10);
      expect(await store.earliestRunnableAt()).toBe(100);
    });

    it('keeps the event log in order and pages through it', async () => {
      await store.transaction(async (tx) => {
        await tx.insertSecret(secret('events'));
        for (const kind of ['started', 'step-succeeded', 'succeeded'] as const) {
          await tx.appendRotationEvent({
            at: 1,
            kind,
            secretArn: arnOf('events'),
            secretName: 'events',
            rotationId: 'r',
            versionId: 'v',
            step: 'createSecret',
            attempt: 1,
            message: undefined,
          });
        }
      });
      const all = await store.listRotationEvents(0, 10);
      expect(all.map((event) => event.kind)).toEqual(['started', 'step-succeeded', 'succeeded']);
      expect((await store.listRotationEvents(all[0]!.id, 1)).map((event) => event.kind)).toEqual(['step-succeeded']);
      expect(await store.latestRotationEventId()).toBe(all[2]!.id);
    });
  });
}
