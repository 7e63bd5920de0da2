import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelopeCipher } from '../../src/adapters/crypto/envelope-cipher.js';
import type { PostgresStore } from '../../src/adapters/store/postgres/index.js';
import { redact } from '../../src/domain/redacted.js';
import type { SecretValue } from '../../src/domain/secret-value.js';
import { systemClock } from '../../src/ports/clock.js';
import type { SecretStore, SecretStoreTransaction } from '../../src/ports/secret-store.js';
import type { SecretServiceDeps } from '../../src/services/context.js';
import { createCreateSecret } from '../../src/services/create-secret.js';
import { createPutSecretValue } from '../../src/services/put-secret-value.js';
import { openPostgresReplica, openTestPostgresStore, type TestPostgresStore } from '../support/postgres.js';

/**
 * The use cases on two PostgreSQL replicas sharing one schema: what the store's row locks
 * and its rerun of a transaction that lost an insert race buy at the service level.
 */
const installation = { region: 'us-east-1', accountId: '123456789012' };
const context = { actor: 'AKIATEST' };
const text = (value: string): SecretValue => ({ kind: 'string', value: redact(value) });

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

/**
 * A store whose transactions, on their first try only, wait after looking a secret up by
 * name until `meet` releases them: both replicas look before either inserts.
 */
function lookBeforeInsert(store: SecretStore, meet: () => Promise<void>): SecretStore & { attempts: number } {
  const wrapped = {
    ...store,
    attempts: 0,
    transaction<T>(work: (tx: SecretStoreTransaction) => Promise<T>) {
      return store.transaction((tx) => {
        wrapped.attempts += 1;
        const firstTry = wrapped.attempts === 1;
        return work({
          ...tx,
          async findSecretByName(name) {
            const found = await tx.findSecretByName(name);
            if (firstTry) await meet();
            return found;
          },
        });
      });
    },
  };
  return wrapped;
}

describe('services on two postgres replicas', () => {
  const cipher = createEnvelopeCipher(randomBytes(32));
  let primary: TestPostgresStore;
  let replica: PostgresStore;
  let closeReplica: () => Promise<void>;
  const deps = (store: SecretStore): SecretServiceDeps => ({ store, cipher, clock: systemClock, installation });

  beforeAll(async () => {
    primary = await openTestPostgresStore();
    ({ store: replica, cleanup: closeReplica } = await openPostgresReplica(primary.schema));
  });
  afterAll(async () => {
    await closeReplica();
    await primary.cleanup();
  });

  it('keeps AWSCURRENT and AWSPREVIOUS consistent under 20 concurrent PutSecretValue calls', async () => {
    const create = createCreateSecret(deps(primary.store));
    await create({ Name: 'busy', ClientRequestToken: randomUUID(), Value: text('v0') }, context);
    const puts = [createPutSecretValue(deps(primary.store)), createPutSecretValue(deps(replica))];
    const tokens = Array.from({ length: 20 }, () => randomUUID());
    const outputs = await Promise.all(
      tokens.map((token, i) => puts[i % 2]!({ SecretId: 'busy', ClientRequestToken: token, Value: text(`v${i + 1}`) }, context)),
    );
    expect(outputs.every((output) => output.VersionStages.includes('AWSCURRENT'))).toBe(true);
    const secret = await replica.findSecretByName('busy');
    const versions = (await replica.listVersions(secret!.arn)).map((v) => v.versionId);
    expect(versions).toHaveLength(21);
    // The versions' insertion order is the order the transactions ran in; each moved
    // AWSCURRENT from the one before, so the last two hold the two labels.
    expect(Object.fromEntries(await replica.getLabels(secret!.arn))).toEqual({ AWSCURRENT: versions[20], AWSPREVIOUS: versions[19] });
  });

  it('answers concurrent CreateSecret calls with one token on two replicas as one call', async () => {
    const meet = barrier(2);
    const stores = [lookBeforeInsert(primary.store, meet), lookBeforeInsert(replica, meet)];
    const token = randomUUID();
    const outputs = await Promise.all(
      stores.map((store) => createCreateSecret(deps(store))({ Name: 'once', ClientRequestToken: token, Value: text('same') }, context)),
    );
    expect(outputs[0]).toEqual(outputs[1]);
    expect(outputs[0]?.VersionId).toBe(token);
    // Both looked and found nothing; one insert lost and its transaction ran again.
    expect(stores[0]!.attempts + stores[1]!.attempts).toBe(3);
    expect(await primary.store.listVersions(outputs[0]!.ARN)).toHaveLength(1);
  });

  it('refuses the loser of a CreateSecret race with another token as ResourceExists', async () => {
    const meet = barrier(2);
    const stores = [lookBeforeInsert(primary.store, meet), lookBeforeInsert(replica, meet)];
    const outcomes = await Promise.allSettled(
      stores.map((store, i) =>
        createCreateSecret(deps(store))({ Name: 'contested', ClientRequestToken: randomUUID(), Value: text(`value-${i}`) }, context),
      ),
    );
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = outcomes.find((o) => o.status === 'rejected');
    expect(rejected?.reason).toMatchObject({ code: 'RESOURCE_EXISTS' });
  });

  it('stores one version for concurrent PutSecretValue calls with one token on two replicas', async () => {
    await createCreateSecret(deps(primary.store))({ Name: 'retried', ClientRequestToken: randomUUID(), Value: text('first') }, context);
    const token = randomUUID();
    const outputs = await Promise.all(
      [primary.store, replica, primary.store, replica].map((store) =>
        createPutSecretValue(deps(store))({ SecretId: 'retried', ClientRequestToken: token, Value: text('second') }, context),
      ),
    );
    expect(new Set(outputs.map((o) => JSON.stringify(o))).size).toBe(1);
    const secret = await primary.store.findSecretByName('retried');
    expect(await primary.store.listVersions(secret!.arn)).toHaveLength(2);
  });
});
