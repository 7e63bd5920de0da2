import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SecretStore, StoredSecret } from '../../ports/secret-store.js';
import { openPostgresReplica, openTestPostgresStore } from '../../../test/support/postgres.js';
import { createSqliteStore } from './sqlite/index.js';

/**
 * The store contract, run against every dialect (Kysely's DIALECTS loop). SQLite runs
 * on a temp file, not in memory: in-memory databases hide locking and WAL behaviour.
 * PostgreSQL runs each test in a fresh schema, dropped afterwards (test/support/postgres.ts).
 */
interface Dialect {
  readonly name: string;
  open(): Promise<{ store: SecretStore; cleanup(): Promise<void> }>;
  /** A second, independent connection to the same database (another process, in effect). */
  reopen(store: SecretStore): Promise<{ store: SecretStore; cleanup(): Promise<void> }>;
}

const paths = new WeakMap<SecretStore, string>();
const schemas = new WeakMap<SecretStore, string>();

const dialects: Dialect[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'rotor-store-'));
      const store = createSqliteStore({ path: join(dir, 'rotor.db') });
      paths.set(store, join(dir, 'rotor.db'));
      return {
        store,
        async cleanup() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    async reopen(store) {
      const second = createSqliteStore({ path: paths.get(store)! });
      return { store: second, cleanup: () => second.close() };
    },
  },
  {
    name: 'postgres',
    async open() {
      const opened = await openTestPostgresStore();
      schemas.set(opened.store, opened.schema);
      return opened;
    },
    async reopen(store) {
      return openPostgresReplica(schemas.get(store)!);
    },
  },
];

function secret(name: string, createdAt = 1_000): StoredSecret {
  return {
    arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`,
    name,
    description: undefined,
    kmsKeyId: undefined,
    type: undefined,
    createdAt,
    lastChangedAt: createdAt,
    lastAccessedAt: undefined,
    deletedAt: undefined,
    purgeAt: undefined,
    tags: undefined,
    resourcePolicy: undefined,
    wrappedKey: Buffer.from('wrapped'),
  };
}

const sealed = (text: string) => Buffer.from(text);

for (const dialect of dialects) {
  describe(`secret store contract: ${dialect.name}`, () => {
    let store: SecretStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await dialect.open());
    });
    afterEach(async () => cleanup());

    it('finds a secret by ARN and by name once committed', async () => {
      const s = secret('app/db');
      await store.transaction((tx) => tx.insertSecret(s));
      expect((await store.findSecretByName('app/db'))?.arn).toBe(s.arn);
      expect((await store.findSecretByArn(s.arn))?.name).toBe('app/db');
    });

    it('rolls back every write of a transaction that throws', async () => {
      const s = secret('rollback');
      await expect(
        store.transaction(async (tx) => {
          await tx.insertSecret(s);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.findSecretByName('rollback')).toBeUndefined();
    });

    it('does not show uncommitted writes to readers outside the transaction', async () => {
      const s = secret('isolated');
      let seenInside: StoredSecret | undefined;
      let seenOutside: StoredSecret | undefined = s;
      await store.transaction(async (tx) => {
        await tx.insertSecret(s);
        seenInside = await tx.findSecretByName('isolated');
        seenOutside = await store.findSecretByName('isolated');
      });
      expect(seenInside?.arn).toBe(s.arn);
      expect(seenOutside).toBeUndefined();
    });

    it('keeps one version per label: setting a label moves it', async () => {
      const s = secret('labels');
      await store.transaction(async (tx) => {
        await tx.insertSecret(s);
        for (const versionId of ['v1', 'v2']) {
          await tx.insertVersion(s.arn, { versionId, createdAt: 1, lastAccessedAt: undefined, kind: 'string', sealedValue: sealed(versionId) });
        }
        await tx.setLabel(s.arn, 'AWSCURRENT', 'v1');
        await tx.setLabel(s.arn, 'AWSCURRENT', 'v2');
      });
      expect(Object.fromEntries(await store.getLabels(s.arn))).toEqual({ AWSCURRENT: 'v2' });
    });

    it('refuses a label on a version the secret does not have', async () => {
      const s = secret('dangling');
      await expect(
        store.transaction(async (tx) => {
          await tx.insertSecret(s);
          await tx.setLabel(s.arn, 'AWSCURRENT', 'ghost');
        }),
      ).rejects.toThrow();
    });

    it('lists versions oldest first, even within one millisecond', async () => {
      const s = secret('order');
      await store.transaction(async (tx) => {
        await tx.insertSecret(s);
        for (const versionId of ['c', 'a', 'b']) {
          await tx.insertVersion(s.arn, { versionId, createdAt: 5, lastAccessedAt: undefined, kind: 'string', sealedValue: sealed(versionId) });
        }
      });
      expect((await store.listVersions(s.arn)).map((v) => v.versionId)).toEqual(['c', 'a', 'b']);
      expect(await store.countVersions(s.arn)).toBe(3);
    });

    it('fills an empty version once and only once', async () => {
      const s = secret('pending');
      await store.transaction(async (tx) => {
        await tx.insertSecret(s);
        await tx.insertVersion(s.arn, { versionId: 'p', createdAt: 1, lastAccessedAt: undefined, kind: 'empty', sealedValue: undefined });
        await tx.fillVersion(s.arn, 'p', 'string', sealed('first'));
        await tx.fillVersion(s.arn, 'p', 'string', sealed('second'));
      });
      const version = await store.getVersion(s.arn, 'p');
      expect(version?.kind).toBe('string');
      expect(version?.sealedValue?.toString()).toBe('first');
    });

    it('purges a secret with its versions and labels, freeing its name', async () => {
      const s = secret('gone');
      await store.transaction(async (tx) => {
        await tx.insertSecret(s);
        await tx.insertVersion(s.arn, { versionId: 'v1', createdAt: 1, lastAccessedAt: undefined, kind: 'string', sealedValue: sealed('x') });
        await tx.setLabel(s.arn, 'AWSCURRENT', 'v1');
      });
      await store.transaction((tx) => tx.purgeSecret(s.arn));
      expect(await store.findSecretByName('gone')).toBeUndefined();
      expect(await store.getVersion(s.arn, 'v1')).toBeUndefined();
      expect((await store.getLabels(s.arn)).size).toBe(0);
      await store.transaction((tx) => tx.insertSecret({ ...secret('gone'), arn: `${s.arn}2` }));
    });

    it('refuses a second secret with the same name', async () => {
      await store.transaction((tx) => tx.insertSecret(secret('twin')));
      await expect(store.transaction((tx) => tx.insertSecret({ ...secret('twin'), arn: 'other' }))).rejects.toThrow();
    });

    it('patches only the fields given, keeping tags absent until set and [] once emptied', async () => {
      const s = secret('patch');
      await store.transaction((tx) => tx.insertSecret(s));
      await store.transaction((tx) => tx.updateSecret(s.arn, { description: 'hello' }));
      let stored = await store.findSecretByArn(s.arn);
      expect(stored?.description).toBe('hello');
      expect(stored?.tags).toBeUndefined();
      await store.transaction((tx) => tx.updateSecret(s.arn, { tags: [] }));
      stored = await store.findSecretByArn(s.arn);
      expect(stored?.tags).toEqual([]);
      expect(stored?.description).toBe('hello');
      await store.transaction((tx) => tx.updateSecret(s.arn, { description: undefined }));
      expect((await store.findSecretByArn(s.arn))?.description).toBeUndefined();
    });

    it('records access dates that only move forward', async () => {
      const s = secret('access');
      await store.transaction(async (tx) => {
        await tx.insertSecret(s);
        await tx.insertVersion(s.arn, { versionId: 'v1', createdAt: 1, lastAccessedAt: undefined, kind: 'string', sealedValue: sealed('x') });
      });
      await store.recordAccess(s.arn, 'v1', 86_400_000 * 2);
      await store.recordAccess(s.arn, 'v1', 86_400_000);
      expect((await store.findSecretByArn(s.arn))?.lastAccessedAt).toBe(86_400_000 * 2);
      expect((await store.getVersion(s.arn, 'v1'))?.lastAccessedAt).toBe(86_400_000 * 2);
    });

    it('lists secrets in each sort order and hides planned deletions unless asked', async () => {
      await store.transaction(async (tx) => {
        await tx.insertSecret(secret('b', 1));
        await tx.insertSecret(secret('a', 2));
        await tx.insertSecret({ ...secret('c', 3), deletedAt: 10, purgeAt: 20 });
      });
      const names = async (query: Parameters<SecretStore['listSecrets']>[0]) => (await store.listSecrets(query)).map((x) => x.name);
      expect(await names({ includePlannedDeletion: false, sortBy: 'created-date', sortOrder: 'asc' })).toEqual(['b', 'a']);
      expect(await names({ includePlannedDeletion: true, sortBy: 'name', sortOrder: 'desc' })).toEqual(['c', 'b', 'a']);
      expect(await store.findSecretsDueForPurge(20, 10)).toEqual([secret('c').arn]);
      expect(await store.findSecretsDueForPurge(19, 10)).toEqual([]);
    });

    it('serialises concurrent transactions without losing an increment', async () => {
      const s = secret('counter');
      await store.transaction((tx) => tx.insertSecret({ ...s, description: '0' }));
      await Promise.all(
        Array.from({ length: 50 }, () =>
          store.transaction(async (tx) => {
            const current = await tx.findSecretByArn(s.arn);
            await new Promise((resolve) => setImmediate(resolve));
            await tx.updateSecret(s.arn, { description: String(Number(current?.description) + 1) });
          }),
        ),
      );
      expect((await store.findSecretByArn(s.arn))?.description).toBe('50');
    });

    it('rolls back only the failing one of many concurrent transactions', async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) =>
          store.transaction(async (tx) => {
            await tx.insertSecret(secret(`batch-${i}`));
            if (i % 3 === 0) throw new Error(`unit ${i} fails`);
            return i;
          }),
        ),
      );
      for (const [i, outcome] of outcomes.entries()) {
        expect(outcome.status).toBe(i % 3 === 0 ? 'rejected' : 'fulfilled');
        const stored = await store.findSecretByName(`batch-${i}`);
        if (i % 3 === 0) expect(stored).toBeUndefined();
        else expect(stored?.name).toBe(`batch-${i}`);
      }
    });

    it('sees a change committed by another connection at the next read', async () => {
      const s = secret('shared');
      await store.transaction((tx) => tx.insertSecret({ ...s, description: 'before' }));
      expect((await store.findSecretByName('shared'))?.description).toBe('before');
      const { store: other, cleanup: cleanupOther } = await dialect.reopen(store);
      try {
        await other.transaction((tx) => tx.updateSecret(s.arn, { description: 'after' }));
      } finally {
        await cleanupOther();
      }
      // Another process's commit is noticed within a millisecond (read-cache.ts).
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect((await store.findSecretByName('shared'))?.description).toBe('after');
    });
  });
}
