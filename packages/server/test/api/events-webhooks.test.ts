import { CreateSecretCommand, DescribeSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startRotor, type RunningRotor } from '../../src/main.js';
import { readCredentials, sdkClient, silentLogger, tempDir, testStoreFlags, type Credentials } from '../support/rotor-server.js';
import { api, openEventStream, secretPath, until, type ApiTarget } from './helpers.js';

/**
 * The event stream (SSE) and webhooks, against a Rotor started with a config file that
 * names two webhook receivers: one that accepts everything, one that fails its first
 * delivery of each event and only wants `succeeded` and `rolled-back`.
 */

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const webhookSecret = 'whsec-test-0123456789abcdef';
const pickySecret = 'another-secret-0123456789';

function verifySignature(secret: string, header: string | undefined, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

async function receiver(handle: (received: Received) => number): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      const status = handle(entry);
      if (status < 300) received.push(entry);
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

let dataDir: string;
let rotor: RunningRotor;
let target: ApiTarget & { credentials: Credentials };
let randomArn: string;
let allHook: Awaited<ReturnType<typeof receiver>>;
let pickyHook: Awaited<ReturnType<typeof receiver>>;
const pickyAttempts = new Map<string, number>();

beforeAll(async () => {
  allHook = await receiver(() => 204);
  pickyHook = await receiver((entry) => {
    const id = String(entry.headers['x-rotor-event-id']);
    const attempts = (pickyAttempts.get(id) ?? 0) + 1;
    pickyAttempts.set(id, attempts);
    return attempts === 1 ? 500 : 200;
  });
  dataDir = tempDir('rotor-events-');
  const configFile = join(dataDir, 'webhooks.json');
  writeFileSync(
    configFile,
    JSON.stringify({ webhooks: [{ url: allHook.url, secret: webhookSecret }, { url: pickyHook.url, events: ['succeeded', 'rolled-back'] }] }),
  );
  const config = loadConfig({ configFile, flags: { port: 0, dataDir, logLevel: 'silent', ...(await testStoreFlags(dataDir)) }, env: { ROTOR_WEBHOOK_SECRET_2: pickySecret } });
  rotor = await startRotor(config, { logger: silentLogger });
  target = { url: rotor.url, credentials: readCredentials(dataDir) };
  randomArn = (await rotor.functions.create({ name: 'events-random', builtin: 'random', config: {} })).FunctionArn;
});

afterAll(async () => {
  await rotor.close();
  await Promise.all([allHook, pickyHook].map((hook) => new Promise<void>((resolve) => hook.server.close(() => resolve()))));
  rmSync(dataDir, { recursive: true, force: true });
});

async function createAndRotate(): Promise<{ name: string; arn: string; versionId: string }> {
  const client = sdkClient(rotor.url, target.credentials);
  try {
    const name = `events/${randomUUID()}`;
    const created = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'a-secret-value-never-streamed' }));
    const rotated = await client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn }));
    await until(
      () => client.send(new DescribeSecretCommand({ SecretId: name })),
      (d) => d.VersionIdsToStages?.[rotated.VersionId!]?.join() === 'AWSCURRENT',
    );
    return { name, arn: created.ARN!, versionId: rotated.VersionId! };
  } finally {
    client.destroy();
  }
}

const rotationKinds = ['started', 'step-succeeded', 'step-succeeded', 'step-succeeded', 'step-succeeded', 'succeeded'];

describe('GET /v1/events (Server-Sent Events)', () => {
  it('streams a rotation live, in order, then resumes after Last-Event-ID with only newer events', async () => {
    const stream = await openEventStream(target, '/v1/events');
    expect(stream.response.statusCode).toBe(200);
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const { name, arn, versionId } = await createAndRotate();
    const events = [];
    for (let i = 0; i < rotationKinds.length; i++) events.push(await stream.next());
    stream.close();
    expect(events.map((event) => event.event)).toEqual(rotationKinds);
    expect(events.map((event) => event.data.Step)).toEqual(['createSecret', 'createSecret', 'setSecret', 'testSecret', 'finishSecret', 'finishSecret']);
    for (let i = 1; i < events.length; i++) expect(events[i]!.id).toBeGreaterThan(events[i - 1]!.id);
    expect(events[5]!.data).toMatchObject({ EventId: events[5]!.id, Kind: 'succeeded', SecretId: arn, Name: name, VersionId: versionId, Attempt: 1 });
    expect(stream.raw()).not.toContain('a-secret-value-never-streamed');

    // Reconnect after the second event: the rest of the rotation comes from the durable log.
    const resumed = await openEventStream(target, `/v1/events?secretId=${encodeURIComponent(name)}`, { 'last-event-id': String(events[1]!.id) });
    const replay = [await resumed.next(), await resumed.next(), await resumed.next(), await resumed.next()];
    expect(replay.map((event) => event.id)).toEqual(events.slice(2).map((event) => event.id));
    // …and then it is live: a rollback arrives next, and nothing of other secrets in between.
    await createAndRotate();
    expect((await api(target, 'POST', secretPath(name, 'rollback'))).status).toBe(200);
    const live = await resumed.next();
    resumed.close();
    expect(live.event).toBe('rolled-back');
    expect(live.data.Name).toBe(name);
  });

  it('filters by secret and refuses an unknown secret or a bad Last-Event-ID', async () => {
    const missing = await api(target, 'GET', `/v1/events?secretId=${encodeURIComponent('events/none')}`);
    expect(missing.status).toBe(404);
    const bad = await api(target, 'GET', '/v1/events', { headers: { 'last-event-id': 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION');
  });

  it('needs a signature like every API route', async () => {
    const unsigned = await fetch(`${rotor.url}/v1/events`);
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('webhooks', () => {
  it('POSTs every event, signed with HMAC-SHA256 over "<t>.<body>", in log order', async () => {
    const { name } = await createAndRotate();
    const mine = await until(
      async () => allHook.received.filter((entry) => (JSON.parse(entry.body) as { Name: string }).Name === name),
      (entries) => entries.length >= rotationKinds.length,
    );
    expect(mine.map((entry) => JSON.parse(entry.body).Kind)).toEqual(rotationKinds);
    for (const entry of mine) {
      expect(verifySignature(webhookSecret, entry.headers['x-rotor-signature'] as string, entry.body)).toBe(true);
      expect(verifySignature('some-other-secret-value', entry.headers['x-rotor-signature'] as string, entry.body)).toBe(false);
      expect(entry.headers['content-type']).toBe('application/json');
      expect(entry.headers['x-rotor-event']).toBe(JSON.parse(entry.body).Kind);
      expect(entry.body).not.toContain('a-secret-value-never-streamed');
    }
    const ids = allHook.received.map((entry) => Number(entry.headers['x-rotor-event-id']));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('retries a failed delivery and sends only the kinds a webhook asks for, secret from ROTOR_WEBHOOK_SECRET_<n>', async () => {
    const { name } = await createAndRotate();
    expect((await api(target, 'POST', secretPath(name, 'rollback'))).status).toBe(200);
    const mine = await until(
      async () => pickyHook.received.filter((entry) => (JSON.parse(entry.body) as { Name: string }).Name === name),
      (entries) => entries.length >= 2,
    );
    expect(mine.map((entry) => JSON.parse(entry.body).Kind)).toEqual(['succeeded', 'rolled-back']);
    for (const entry of mine) {
      expect(pickyAttempts.get(String(entry.headers['x-rotor-event-id']))).toBe(2);
      expect(verifySignature(pickySecret, entry.headers['x-rotor-signature'] as string, entry.body)).toBe(true);
    }
  });
});
