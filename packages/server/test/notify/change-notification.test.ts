import { CreateSecretCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresChangeNotifier } from '../../src/adapters/change-notifier/index.js';
import { loadConfig } from '../../src/config/config.js';
import { startRotor, type RunningRotor } from '../../src/main.js';
import type { ChangeKind } from '../../src/ports/change-notifier.js';
import { openEventStream, type EventStreamReader, type StreamedEvent } from '../api/helpers.js';
import { testDatabaseUrl } from '../support/postgres.js';
import { silentLogger, type Credentials } from '../support/rotor-server.js';

/**
 * Change notification across replicas: two servers on one fresh PostgreSQL database; a
 * client subscribed to replica B's event stream sees a rotation run through replica A. The
 * stream's fallback poll is 2 s, so events arriving within 500 ms of their commit can only
 * have come through LISTEN/NOTIFY.
 */
const withinMs = 500;

function databaseUrl(name: string): string {
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onMaintenanceDatabase(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function readCredentials(dataDir: string): Credentials {
  const text = readFileSync(join(dataDir, 'credentials'), 'utf8');
  const field = (key: string) => new RegExp(`${key} = (\\S+)`).exec(text)?.[1] ?? '';
  return { accessKeyId: field('aws_access_key_id'), secretAccessKey: field('aws_secret_access_key') };
}

async function startReplica(dataDir: string, database: string | undefined): Promise<RunningRotor> {
  const config = loadConfig({ flags: { port: 0, dataDir, logLevel: 'silent', ...(database === undefined ? {} : { database }) }, env: {} });
  return startRotor(config, { logger: silentLogger });
}

/** Reads events until `last` arrives; records when each arrived (ms since epoch). */
async function readUntil(stream: EventStreamReader, last: string): Promise<{ event: StreamedEvent; receivedAt: number }[]> {
  const received: { event: StreamedEvent; receivedAt: number }[] = [];
  for (;;) {
    const event = await stream.next(10_000);
    received.push({ event, receivedAt: Date.now() });
    if (event.data.Kind === last || event.data.Kind === 'failed') return received;
  }
}

/** Opens the stream and waits until the server has registered the subscription. */
async function subscribe(url: string, credentials: Credentials): Promise<EventStreamReader> {
  const stream = await openEventStream({ url, credentials }, '/v1/events');
  expect(stream.response.statusCode).toBe(200);
  // The route writes its preamble before it subscribes; give it a moment to finish.
  await new Promise((resolve) => setTimeout(resolve, 150));
  return stream;
}

async function rotateThrough(url: string, credentials: Credentials, functionArn: string, name: string): Promise<void> {
  const client = new SecretsManagerClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 });
  try {
    await client.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ password: 'initial' }) }));
    await client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: functionArn }));
  } finally {
    client.destroy();
  }
}

function expectPromptRotation(received: { event: StreamedEvent; receivedAt: number }[], name: string): void {
  const kinds = received.map((entry) => entry.event.data.Kind);
  expect(kinds[0]).toBe('started');
  expect(kinds.at(-1)).toBe('succeeded');
  for (const { event, receivedAt } of received) {
    expect(event.data.Name).toBe(name);
    // `Date` is the event's `at`, taken inside the transaction that appended it, just before
    // its commit: the delay from there to the subscriber's socket.
    const delay = receivedAt - Date.parse(String(event.data.Date));
    expect(delay, `${String(event.data.Kind)} arrived ${delay} ms after it was written`).toBeLessThan(withinMs);
  }
}

describe('change notification across PostgreSQL replicas', () => {
  const database = `rotor_notify_${randomBytes(6).toString('hex')}`;
  const url = databaseUrl(database);
  const dirs = [mkdtempSync(join(tmpdir(), 'rotor-notify-a-')), mkdtempSync(join(tmpdir(), 'rotor-notify-b-'))];
  let replicaA: RunningRotor;
  let replicaB: RunningRotor;
  let credentials: Credentials;
  let functionArn: string;

  beforeAll(async () => {
    await onMaintenanceDatabase(`CREATE DATABASE "${database}"`);
    replicaA = await startReplica(dirs[0]!, url);
    // Every replica runs under the same root key: B gets A's (as ROTOR_ROOT_KEY would give it).
    copyFileSync(join(dirs[0]!, 'root.key'), join(dirs[1]!, 'root.key'));
    replicaB = await startReplica(dirs[1]!, url);
    credentials = readCredentials(dirs[0]!);
    functionArn = (await replicaA.functions.create({ name: 'notify-random', builtin: 'random', config: {} })).FunctionArn;
  });

  afterAll(async () => {
    await replicaA?.close();
    await replicaB?.close();
    await onMaintenanceDatabase(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('streams a rotation run through replica A to a subscriber of replica B within 500 ms of each commit', async () => {
    const stream = await subscribe(replicaB.url, credentials);
    try {
      await rotateThrough(replicaA.url, credentials, functionArn, 'notify/rotated-on-a');
      const received = await readUntil(stream, 'succeeded');
      expectPromptRotation(received, 'notify/rotated-on-a');
    } finally {
      stream.close();
    }
  });

  it('wakes a subscriber of replica B for an event row committed by a third process', async () => {
    const stream = await subscribe(replicaB.url, credentials);
    const writer = new pg.Client({ connectionString: url });
    await writer.connect();
    try {
      const at = Date.now();
      await writer.query(
        "INSERT INTO rotation_events (at, kind, secret_arn, secret_name) VALUES ($1, 'started', 'arn:aws:secretsmanager:us-east-1:000000000000:secret:x-AbCdEf', 'notify/third-process')",
        [at],
      );
      const committedAt = Date.now();
      const event = await stream.next(5_000);
      expect(event.data.Name).toBe('notify/third-process');
      expect(Date.now() - committedAt).toBeLessThan(withinMs);
    } finally {
      stream.close();
      await writer.end();
    }
  });

  it('hears notifications again after its connection was cut, and says everything may have changed', async () => {
    const heard: ChangeKind[] = [];
    const notifier = await createPostgresChangeNotifier({ connectionString: url, logger: silentLogger, reconnectDelayMs: 50 });
    notifier.subscribe((kind) => heard.push(kind));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query("NOTIFY rotor_events, 'public'");
      await expect.poll(() => heard.length).toBe(1);
      // Some other schema's installation: ignored.
      await admin.query("NOTIFY rotor_events, 'another_schema'");
      const cut = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rotor-listen' AND datname = current_database()",
      );
      expect(cut.rowCount).toBeGreaterThan(0);
      // After reconnecting it reports both kinds once (notifications sent meanwhile were lost).
      await expect.poll(() => heard.slice(1).sort(), { timeout: 5_000 }).toEqual(expect.arrayContaining(['rotation-events', 'rotation-schedules']));
      const before = heard.length;
      await admin.query("NOTIFY rotor_schedules, 'public'");
      await expect.poll(() => heard.slice(before)).toEqual(['rotation-schedules']);
    } finally {
      await admin.end();
      await notifier.close();
    }
  });
});

describe('change notification on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rotor-notify-sqlite-'));
  let rotor: RunningRotor;

  beforeAll(async () => {
    rotor = await startReplica(dir, undefined);
  });
  afterAll(async () => {
    await rotor?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams the engine’s own events within 500 ms of each commit, not at the 2 s fallback poll', async () => {
    const credentials = readCredentials(dir);
    const { FunctionArn } = await rotor.functions.create({ name: 'notify-random', builtin: 'random', config: {} });
    const stream = await subscribe(rotor.url, credentials);
    try {
      const name = `notify/sqlite-${randomUUID().slice(0, 8)}`;
      await rotateThrough(rotor.url, credentials, FunctionArn, name);
      expectPromptRotation(await readUntil(stream, 'succeeded'), name);
    } finally {
      stream.close();
    }
  });
});
