import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredRotation } from '../../../ports/rotation-store.js';
import type { StoredSecret } from '../../../ports/secret-store.js';
import { dropSchema, newSchemaName, openPostgresReplica, openTestPostgresStore, testDatabaseUrl, type TestPostgresStore } from '../../../../test/support/postgres.js';
import { createPostgresStore, type PostgresStore } from './index.js';
import { migrate, quoteIdentifier, readMigrations } from './migrate.js';

/**
 * What only PostgreSQL has to prove: several replicas on one database. Each test that
 * needs a pristine database takes its own schema; the rest share this file's schema.
 */
const arnOf = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;

function secret(name: string, overrides: Partial<StoredSecret> = {}): StoredSecret {
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
    ...overrides,
  };
}

function rotation(name: string, nextAttemptAt: number): StoredRotation {
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
    nextAttemptAt,
    lastError: undefined,
    leaseOwner: undefined,
    leaseExpiresAt: undefined,
    epoch: 0,
    rotationToken: 'token',
    createdAt: 1,
    updatedAt: 1,
    finishedAt: undefined,
    dueAt: undefined,
  };
}

/** Resolves once `count` parties have arrived. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  return () => {
    arrived += 1;
    if (arrived === count) release();
    return all;
  };
}

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('postgres store', () => {
  let primary: TestPostgresStore;
  let store: PostgresStore;
  let replica: PostgresStore;
  let closeReplica: () => Promise<void>;

  beforeAll(async () => {
    primary = await openTestPostgresStore();
    store = primary.store;
    ({ store: replica, cleanup: closeReplica } = await openPostgresReplica(primary.schema));
  });
  afterAll(async () => {
    await closeReplica();
    await primary.cleanup();
  });

  it('applies each migration once when five replicas start on a fresh schema at once', async () => {
    const schema = newSchemaName();
    try {
      const stores = await Promise.all(Array.from({ length: 5 }, () => createPostgresStore({ connectionString: testDatabaseUrl, schema })));
      await Promise.all(stores.map((s) => s.close()));
      const ids = await withClient(async (client) => (await client.query(`SELECT id FROM ${quoteIdentifier(schema)}.migrations ORDER BY id`)).rows);
      expect(ids.map((row: { id: number }) => row.id)).toEqual(readMigrations().map((m) => m.id));
    } finally {
      await dropSchema(schema);
    }
  });

  it('lets exactly one of several concurrent migrators run each migration', async () => {
    const schema = newSchemaName();
    const pools = Array.from(
      { length: 5 },
      () => new pg.Pool({ connectionString: testDatabaseUrl, max: 1, onConnect: async (c) => void (await c.query(`SET search_path TO ${quoteIdentifier(schema)}`)) }),
    );
    try {
      const applied = await Promise.all(pools.map((pool) => migrate(pool, { schema })));
      expect(applied.flat().sort()).toEqual(readMigrations().map((m) => m.id));
      expect(await migrate(pools[0]!, { schema })).toEqual([]);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await dropSchema(schema);
    }
  });

  it('keeps installations in different schemas apart, quoting odd schema names', async () => {
    const odd = await openTestPostgresStore(`Rotor "Odd" ${newSchemaName()}`);
    try {
      await odd.store.transaction((tx) => tx.insertSecret(secret('only-in-odd')));
      expect(await odd.store.findSecretByName('only-in-odd')).toBeDefined();
      expect(await store.findSecretByName('only-in-odd')).toBeUndefined();
    } finally {
      await odd.cleanup();
    }
  });

  it('returns millisecond times as numbers and JSON columns as stored', async () => {
    const now = Date.now();
    await store.transaction((tx) =>
      tx.insertSecret(secret('types', { createdAt: now, lastChangedAt: now + 1, purgeAt: 2 ** 52, tags: [{ Key: 'k', Value: 'v' }] })),
    );
    const stored = await replica.findSecretByName('types');
    expect(stored).toMatchObject({ createdAt: now, lastChangedAt: now + 1, purgeAt: 2 ** 52, tags: [{ Key: 'k', Value: 'v' }] });
    expect(typeof stored?.createdAt).toBe('number');
    expect(Buffer.isBuffer(stored?.wrappedKey)).toBe(true);
  });

  it('refuses a NUL character in a description or a tag as INVALID_PARAMETER, and stores one in a rotation message as U+FFFD', async () => {
    await expect(store.transaction((tx) => tx.insertSecret(secret('nul-description', { description: 'a\u0000b' })))).rejects.toMatchObject({
      name: 'AppError',
      code: 'INVALID_PARAMETER',
    });
    await expect(store.transaction((tx) => tx.insertSecret(secret('nul-tag', { tags: [{ Key: 'k', Value: 'a\u0000b' }] })))).rejects.toMatchObject({
      code: 'INVALID_PARAMETER',
    });
    expect(await store.findSecretByName('nul-description')).toBeUndefined();
    const id = await store.transaction((tx) =>
      tx.appendRotationEvent({
        at: 1,
        kind: 'failed',
        secretArn: arnOf('nul-event'),
        secretName: 'nul-event',
        rotationId: undefined,
        versionId: undefined,
        step: undefined,
        attempt: undefined,
        message: 'provider said a\u0000b',
      }),
    );
    const [event] = (await store.listRotationEvents(id - 1, 1)).filter((e) => e.id === id);
    expect(event?.message).toBe('provider said a\uFFFDb');
  });

  it('serialises transactions of two replicas on one secret: no label move is lost', async () => {
    const s = secret('labels-race');
    await store.transaction((tx) => tx.insertSecret(s));
    const writers = [store, replica];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        writers[i % 2]!.transaction(async (tx) => {
          const locked = await tx.findSecretByArn(s.arn);
          if (!locked) throw new Error('secret vanished');
          const labels = await tx.getLabels(s.arn);
          await new Promise((resolve) => setTimeout(resolve, 2)); // widen the window a lost update needs
          const versionId = `v${i}`;
          await tx.insertVersion(s.arn, { versionId, createdAt: i, lastAccessedAt: undefined, kind: 'string', sealedValue: Buffer.from(versionId) });
          const previous = labels.get('AWSCURRENT');
          if (previous !== undefined) await tx.setLabel(s.arn, 'AWSPREVIOUS', previous);
          await tx.setLabel(s.arn, 'AWSCURRENT', versionId);
        }),
      ),
    );
    const order = (await store.listVersions(s.arn)).map((v) => v.versionId);
    expect(order).toHaveLength(20);
    // Each transaction saw the one before it: AWSCURRENT is the last version inserted and
    // AWSPREVIOUS the one before, never a version two steps back.
    expect(Object.fromEntries(await store.getLabels(s.arn))).toEqual({ AWSCURRENT: order[19], AWSPREVIOUS: order[18] });
  });

  it('reruns a transaction that lost an insert race, so it sees the winner', async () => {
    const bothLooked = barrier(2);
    let attempts = 0;
    const createOnce = (writer: PostgresStore) =>
      writer.transaction(async (tx) => {
        attempts += 1;
        const existing = await tx.findSecretByName('race');
        if (existing) return { arn: existing.arn, created: false };
        if (attempts <= 2) await bothLooked(); // first tries only: both look before either inserts
        const arn = `${arnOf('race')}-${Math.random()}`;
        await tx.insertSecret({ ...secret('race'), arn });
        return { arn, created: true };
      });
    const results = await Promise.all([createOnce(store), createOnce(replica)]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results[0]!.arn).toBe(results[1]!.arn);
    expect(attempts).toBe(3);
  });

  it('gives up on a unique violation that persists, after a bounded number of tries', async () => {
    await store.transaction((tx) => tx.insertSecret(secret('taken')));
    let attempts = 0;
    const error = await store
      .transaction(async (tx) => {
        attempts += 1;
        await tx.insertSecret({ ...secret('taken'), arn: 'other' });
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '23505' });
    expect(attempts).toBe(5);
  });

  it('refuses to report success for a transaction whose failed statement was swallowed', async () => {
    await expect(
      store.transaction(async (tx) => {
        await tx.insertSecret(secret('swallowed'));
        await tx.setLabel(arnOf('swallowed'), 'AWSCURRENT', 'ghost').catch(() => undefined);
      }),
    ).rejects.toThrow(/rolled back/);
    expect(await store.findSecretByName('swallowed')).toBeUndefined();
  });

  it('never hands one rotation to two replicas claiming at once', async () => {
    const isolated = await openTestPostgresStore();
    const other = await openPostgresReplica(isolated.schema);
    try {
      await isolated.store.transaction(async (tx) => {
        for (let i = 0; i < 60; i++) {
          await tx.insertSecret(secret(`claim-${i}`));
          await tx.insertRotation(rotation(`claim-${i}`, i));
        }
      });
      const claimed: string[] = [];
      const drain = async (worker: PostgresStore, owner: string) => {
        for (;;) {
          const batch = await worker.claimRunnableRotations(owner, 1_000, 100_000, 4);
          if (batch.length === 0) return;
          expect(batch.every((r) => r.leaseOwner === owner && r.epoch === 1)).toBe(true);
          claimed.push(...batch.map((r) => r.id));
        }
      };
      await Promise.all([drain(isolated.store, 'a'), drain(other.store, 'b'), drain(isolated.store, 'c'), drain(other.store, 'd')]);
      expect(claimed).toHaveLength(60);
      expect(new Set(claimed).size).toBe(60);
    } finally {
      await other.cleanup();
      await isolated.cleanup();
    }
  });

  it('returns claimed rotations in due order', async () => {
    const isolated = await openTestPostgresStore();
    try {
      await isolated.store.transaction(async (tx) => {
        for (const [name, due] of [['late', 30], ['early', 10], ['middle', 20]] as const) {
          await tx.insertSecret(secret(name));
          await tx.insertRotation(rotation(name, due));
        }
      });
      const claimed = await isolated.store.claimRunnableRotations('w', 100, 1_000, 10);
      expect(claimed.map((r) => r.id)).toEqual(['rot-early', 'rot-middle', 'rot-late']);
    } finally {
      await isolated.cleanup();
    }
  });

  it('makes rotation events visible in id order: a later event waits for an earlier open transaction', async () => {
    await store.transaction((tx) => tx.insertSecret(secret('events')));
    const event = { at: 1, kind: 'started', secretArn: arnOf('events'), secretName: 'events', rotationId: undefined, versionId: undefined, step: undefined, attempt: undefined, message: undefined } as const;
    const order: string[] = [];
    let firstAppended!: () => void;
    const appended = new Promise<void>((resolve) => (firstAppended = resolve));
    const first = store.transaction(async (tx) => {
      const id = await tx.appendRotationEvent(event);
      firstAppended();
      await new Promise((resolve) => setTimeout(resolve, 100));
      order.push('first commits');
      return id;
    });
    await appended;
    const second = replica.transaction(async (tx) => {
      const id = await tx.appendRotationEvent(event);
      order.push('second appended');
      return id;
    });
    const [firstId, secondId] = await Promise.all([first, second]);
    expect(order).toEqual(['first commits', 'second appended']);
    expect(secondId).toBeGreaterThan(firstId);
  });

  it('holds an epoch check until commit: a claim skips the rotation meanwhile', async () => {
    const isolated = await openTestPostgresStore();
    const other = await openPostgresReplica(isolated.schema);
    try {
      await isolated.store.transaction(async (tx) => {
        await tx.insertSecret(secret('fenced'));
        await tx.insertRotation(rotation('fenced', 0));
      });
      const [held] = await isolated.store.claimRunnableRotations('a', 10, 20, 1);
      let checked!: () => void;
      const fenceChecked = new Promise<void>((resolve) => (checked = resolve));
      const writer = isolated.store.transaction(async (tx) => {
        const ok = await tx.updateRotation('rot-fenced', held!.epoch, {});
        checked();
        await new Promise((resolve) => setTimeout(resolve, 50));
        return ok;
      });
      await fenceChecked;
      expect(await other.store.claimRunnableRotations('b', 30, 40, 1)).toEqual([]);
      expect(await writer).toBe(true);
      expect(await other.store.claimRunnableRotations('b', 30, 40, 1)).toHaveLength(1);
    } finally {
      await other.cleanup();
      await isolated.cleanup();
    }
  });

  it('stores one meta value when replicas create it at once', async () => {
    const values = await Promise.all(
      Array.from({ length: 6 }, (_, i) => [store, replica][i % 2]!.getOrCreateMeta('account-id', () => Buffer.from(`candidate-${i}`))),
    );
    expect(new Set(values.map((v) => v.toString())).size).toBe(1);
  });

  it('records access once per day per version, across replicas', async () => {
    await store.transaction(async (tx) => {
      await tx.insertSecret(secret('read'));
      await tx.insertVersion(arnOf('read'), { versionId: 'v1', createdAt: 1, lastAccessedAt: undefined, kind: 'string', sealedValue: Buffer.from('x') });
    });
    const day = 86_400_000 * 20_000;
    await Promise.all([store.recordAccess(arnOf('read'), 'v1', day), replica.recordAccess(arnOf('read'), 'v1', day)]);
    expect((await store.findSecretByName('read'))?.lastAccessedAt).toBe(day);
    expect((await store.getVersion(arnOf('read'), 'v1'))?.lastAccessedAt).toBe(day);
  });
});
