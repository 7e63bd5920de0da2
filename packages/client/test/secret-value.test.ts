import { CreateSecretCommand, DescribeSecretCommand, PutSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, type TestRotor } from '../../server/test/support/rotor-server.js';
import { RotorClient, RotorError, type RotorClientOptions, type SecretChange } from '../src/index.js';
import { recordingFetch, TcpProxy, until } from './support.js';

/**
 * getSecretValue against a real Rotor: what it returns, how long it caches, how rotation
 * events drop entries, single flight, and the event stream's lifecycle.
 */

let rotor: TestRotor;
let randomArn: string;
const clients: RotorClient[] = [];

beforeAll(async () => {
  rotor = await startTestRotor();
  randomArn = (await rotor.rotor.functions.create({ name: 'client-random', builtin: 'random', config: { passwordLength: 24 } })).FunctionArn;
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(async () => {
  await rotor.close();
});

function newClient(options: Partial<RotorClientOptions> = {}) {
  const recorder = recordingFetch();
  const client = new RotorClient({ endpoint: rotor.url, credentials: rotor.credentials, fetch: recorder.fetch, ...options });
  clients.push(client);
  return { client, recorder };
}

async function createSecret(value: string | Uint8Array = 'first') {
  const name = `client/${randomUUID()}`;
  const created = await rotor.client.send(
    new CreateSecretCommand({ Name: name, ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: value }) }),
  );
  return { name, arn: created.ARN!, versionId: created.VersionId! };
}

async function rotateAndWait(name: string): Promise<string> {
  const rotated = await rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn }));
  await until(
    () => rotor.client.send(new DescribeSecretCommand({ SecretId: name })),
    (described) => described.VersionIdsToStages?.[rotated.VersionId!]?.includes('AWSCURRENT') === true,
  );
  return rotated.VersionId!;
}

/**
 * Rotates a secret until `client` reports the change through its listener: proves the event
 * stream is connected and registered server-side (which the client cannot observe directly).
 */
async function waitForLiveStream(client: RotorClient): Promise<void> {
  const warm = await createSecret();
  const seen: SecretChange[] = [];
  const stop = client.onSecretChange((change) => seen.push(change));
  for (let attempt = 0; attempt < 10 && !seen.some((change) => change.secretName === warm.name); attempt++) {
    await rotateAndWait(warm.name);
    await until(() => seen, (changes) => changes.some((change) => change.secretName === warm.name), 3_000).catch(() => undefined);
  }
  stop();
  expect(seen.some((change) => change.secretName === warm.name && change.kind === 'succeeded')).toBe(true);
}

describe('getSecretValue', () => {
  it('returns the current value with its version, stages and dates', async () => {
    const secret = await createSecret('hello');
    const { client } = newClient({ subscribeToEvents: false });
    const value = await client.getSecretValue(secret.name);
    expect(value).toMatchObject({ arn: secret.arn, name: secret.name, versionId: secret.versionId, secretString: 'hello', secretBinary: undefined });
    expect(value.versionStages).toContain('AWSCURRENT');
    expect(value.createdDate).toBeInstanceOf(Date);
    expect(value.nextRotationDate).toBeNull();
    // By ARN as well as by name.
    expect((await client.getSecretValue(secret.arn)).secretString).toBe('hello');
  });

  it('returns binary values as bytes, a fresh copy each time', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const secret = await createSecret(bytes);
    const { client } = newClient({ subscribeToEvents: false });
    const first = await client.getSecretValue(secret.name);
    expect(first.secretString).toBeUndefined();
    expect([...first.secretBinary!]).toEqual([...bytes]);
    first.secretBinary![0] = 99;
    expect([...(await client.getSecretValue(secret.name)).secretBinary!]).toEqual([...bytes]);
  });

  it('reads a named stage or version', async () => {
    const secret = await createSecret('one');
    const put = await rotor.client.send(new PutSecretValueCommand({ SecretId: secret.name, SecretString: 'two' }));
    const { client } = newClient({ subscribeToEvents: false });
    expect((await client.getSecretValue(secret.name)).secretString).toBe('two');
    expect((await client.getSecretValue(secret.name, { versionStage: 'AWSPREVIOUS' })).secretString).toBe('one');
    expect((await client.getSecretValue(secret.name, { versionId: secret.versionId })).secretString).toBe('one');
    expect((await client.getSecretValue(secret.name, { versionId: put.VersionId! })).versionId).toBe(put.VersionId);
  });

  it('serves repeated reads from its cache until maxAgeMs has passed', async () => {
    const secret = await createSecret('cached');
    let offset = 0;
    const { client, recorder } = newClient({ subscribeToEvents: false, maxAgeMs: 60_000, clock: { now: () => Date.now() + offset } });
    expect((await client.getSecretValue(secret.name)).secretString).toBe('cached');
    // A change that emits no rotation event: only the TTL can reveal it.
    await rotor.client.send(new PutSecretValueCommand({ SecretId: secret.name, SecretString: 'changed' }));
    expect((await client.getSecretValue(secret.name)).secretString).toBe('cached');
    expect(recorder.count('/value')).toBe(1);
    // The client signs with its own clock; 61 s ahead is well within the server's 5-minute skew.
    offset = 61_000;
    expect((await client.getSecretValue(secret.name)).secretString).toBe('changed');
    expect(recorder.count('/value')).toBe(2);
  });

  it('never caches a stage past its NextRotationDate, however long maxAgeMs is', async () => {
    const secret = await createSecret('scheduled');
    const plain = await createSecret('unscheduled');
    await rotor.client.send(
      new RotateSecretCommand({ SecretId: secret.name, RotationLambdaARN: randomArn, RotateImmediately: false, RotationRules: { AutomaticallyAfterDays: 1 } }),
    );
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    const { client, recorder } = newClient({ subscribeToEvents: false, maxAgeMs: 7 * 24 * 3_600_000, clock });
    const first = await client.getSecretValue(secret.name);
    expect(first.nextRotationDate).toBeInstanceOf(Date);
    await client.getSecretValue(plain.name);
    await client.getSecretValue(secret.name);
    await client.getSecretValue(plain.name);
    expect(recorder.count('/value')).toBe(2);
    // A minute before the rotation date the cached value still serves.
    offset = first.nextRotationDate!.getTime() - Date.now() - 60_000;
    expect((await client.getSecretValue(secret.name)).secretString).toBe('scheduled');
    expect(recorder.count('/value')).toBe(2);
    // Jump the client to just past the rotation date. Its requests are signed for that time,
    // so they reach this server (whose clock did not move) only as refusals: that is enough
    // to see which reads went to the server and which were answered from the cache.
    offset = first.nextRotationDate!.getTime() - Date.now() + 1_000;
    await expect(client.getSecretValue(secret.name)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    expect((await client.getSecretValue(plain.name)).secretString).toBe('unscheduled');
    expect(recorder.count('/value')).toBe(3);
  });

  it('makes one request for any number of concurrent misses of one secret', async () => {
    const secret = await createSecret('shared');
    const other = await createSecret('other');
    const { client, recorder } = newClient({ subscribeToEvents: false });
    const values = await Promise.all([
      ...Array.from({ length: 25 }, () => client.getSecretValue(secret.name)),
      ...Array.from({ length: 5 }, () => client.getSecretValue(other.name)),
    ]);
    expect(values.slice(0, 25).every((value) => value.secretString === 'shared')).toBe(true);
    expect(values.slice(25).every((value) => value.secretString === 'other')).toBe(true);
    expect(recorder.count('/value')).toBe(2);
  });

  it('shares a failure with every concurrent caller, and does not remember it', async () => {
    const { client, recorder } = newClient({ subscribeToEvents: false });
    const name = `client/missing-${randomUUID()}`;
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => client.getSecretValue(name)));
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as RotorError;
      expect(reason).toBeInstanceOf(RotorError);
      expect(reason).toMatchObject({ code: 'RESOURCE_NOT_FOUND', status: 404 });
    }
    expect(recorder.count('/value')).toBe(1);
    await rotor.client.send(new CreateSecretCommand({ Name: name, SecretString: 'now it exists' }));
    expect((await client.getSecretValue(name)).secretString).toBe('now it exists');
  });
});

describe('rotation events', () => {
  it('opens no event stream before the first cached read, then exactly one', async () => {
    const secret = await createSecret();
    const { client, recorder } = newClient();
    expect(recorder.count('/v1/events')).toBe(0);
    await Promise.all([client.getSecretValue(secret.name), client.getSecretValue(secret.name)]);
    await client.getSecretValue(secret.name);
    await until(() => recorder.count('/v1/events'), (count) => count === 1);
    expect(recorder.count('/v1/events')).toBe(1);
  });

  it('drops a cached value when its secret rotates, where a client without the stream keeps the old one', async () => {
    const secret = await createSecret('before');
    const { client } = newClient({ maxAgeMs: 3_600_000 });
    const { client: unsubscribed } = newClient({ maxAgeMs: 3_600_000, subscribeToEvents: false });
    await waitForLiveStream(client);
    expect((await client.getSecretValue(secret.name)).versionId).toBe(secret.versionId);
    expect((await unsubscribed.getSecretValue(secret.name)).versionId).toBe(secret.versionId);

    const rotated = await rotateAndWait(secret.name);
    const seen = await until(() => client.getSecretValue(secret.name), (value) => value.versionId === rotated);
    expect(seen.secretString).not.toBe('before');
    expect((await unsubscribed.getSecretValue(secret.name)).versionId).toBe(secret.versionId);
  });

  it('tells onSecretChange listeners which secret rotated, by name and ARN, with the new version', async () => {
    const secret = await createSecret();
    const { client } = newClient();
    await waitForLiveStream(client);
    const changes: SecretChange[] = [];
    client.onSecretChange((change) => changes.push(change));
    const rotated = await rotateAndWait(secret.name);
    const [change] = await until(
      () => changes.filter((c) => c.secretName === secret.name),
      (mine) => mine.length > 0,
    );
    expect(change).toMatchObject({ kind: 'succeeded', secretArn: secret.arn, secretName: secret.name, versionId: rotated });
    expect(change!.eventId).toMatch(/^\d+$/);
  });

  it('resumes with Last-Event-ID after losing the connection: drops what rotated meanwhile, keeps the rest', async () => {
    const proxy = await TcpProxy.start(rotor.url);
    try {
      const recorder = recordingFetch();
      const client = new RotorClient({ endpoint: proxy.url, credentials: rotor.credentials, fetch: recorder.fetch, maxAgeMs: 3_600_000 });
      clients.push(client);
      await waitForLiveStream(client);
      const rotating = await createSecret('rotates while away');
      const steady = await createSecret('stays');
      await client.getSecretValue(rotating.name);
      await client.getSecretValue(steady.name);
      const readsBefore = recorder.requests.filter((r) => r.path.endsWith('/value')).length;
      const streamsBefore = recorder.count('/v1/events');

      proxy.cut({ refuse: true });
      const rotated = await rotateAndWait(rotating.name);
      proxy.accept();

      await until(() => recorder.count('/v1/events'), (count) => count > streamsBefore, 30_000);
      const resumed = recorder.requests.filter((r) => r.path === '/v1/events').at(-1)!;
      expect(resumed.headers['last-event-id']).toMatch(/^\d+$/);
      const value = await until(() => client.getSecretValue(rotating.name), (v) => v.versionId === rotated, 30_000);
      expect(value.versionId).toBe(rotated);
      // The other secret is still served from the cache: no resync dropped everything.
      expect((await client.getSecretValue(steady.name)).secretString).toBe('stays');
      const reads = recorder.requests.filter((r) => r.path.endsWith('/value'));
      const steadyId = steady.name.slice('client/'.length);
      expect(reads.slice(readsBefore).some((r) => r.path.includes(steadyId))).toBe(false);
    } finally {
      await proxy.close();
    }
  });

  it('ends the stream on close()', async () => {
    const secret = await createSecret();
    const signals: AbortSignal[] = [];
    const recorder = recordingFetch();
    const client = new RotorClient({
      endpoint: rotor.url,
      credentials: rotor.credentials,
      fetch: (input, init) => {
        if (new URL(input).pathname === '/v1/events' && init?.signal) signals.push(init.signal);
        return recorder.fetch(input, init);
      },
    });
    await client.getSecretValue(secret.name);
    await until(() => signals.length, (count) => count === 1);
    expect(signals[0]!.aborted).toBe(false);
    client.close();
    expect(signals[0]!.aborted).toBe(true);
    // And it does not come back.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(recorder.count('/v1/events')).toBe(1);
  });
});
