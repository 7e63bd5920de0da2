import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { randomInt } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Agent, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { garbageBody, operations, Rng, shapedBody, wildValue, type FuzzPool, type Operation } from '../support/fuzz-requests.js';
import { readCredentials, sdkClient, spawnRotor, tempDir, type Credentials, type RotorProcess } from '../support/rotor-server.js';
import { sendRaw, signHeaders, stopChild, type RawResponse } from '../support/signed-http.js';

/**
 * Fuzzing the AWS JSON edge of a spawned `rotor serve`: at least 10,000 random and
 * malformed requests over keep-alive connections. None may get a 5xx, every 4xx must be
 * the AWS error envelope, and the process must still be serving afterwards.
 *
 * Replay a run with ROTOR_FUZZ_SEED=<seed> (printed at the start).
 */

const REQUESTS = 10_000;
const CONCURRENCY = 16;
const MiB = 1024 * 1024;
const seed = process.env.ROTOR_FUZZ_SEED ? Number(process.env.ROTOR_FUZZ_SEED) : randomInt(2 ** 31);

type Signing =
  | 'good'
  | 'none'
  | 'wrong-secret'
  | 'unknown-key'
  | 'wrong-region'
  | 'wrong-service'
  | 'stale'
  | 'tampered'
  | 'garbage-auth'
  | 'bad-date'
  | 'presigned-garbage'
  | 'unsigned-token';

type Category = 'shaped' | 'garbage' | 'auth' | 'target' | 'route' | 'oversized';

interface FuzzCase {
  readonly index: number;
  readonly category: Category;
  readonly operation: Operation | undefined;
  readonly method: string;
  readonly path: string;
  /** Headers that are signed when the request is signed. */
  readonly headers: Record<string, string>;
  /** Headers added after signing. */
  readonly extraHeaders: Record<string, string | string[]>;
  readonly body: Buffer;
  readonly chunked: boolean;
  readonly signing: Signing;
}

const authTypes = new Set([
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'InvalidSignatureException',
  'UnrecognizedClientException',
]);

const badTargets = [
  '',
  'secretsmanager.',
  'secretsmanager.Foo',
  'SecretsManager.GetSecretValue',
  'secretsmanager.getSecretValue',
  'secretsmanager.RotateSecrets',
  'secretsmanager.Rotate Secret',
  'secretsmanager.__proto__',
  'secretsmanager.constructor',
  'secretsmanager.toString',
  'secretsmanager.hasOwnProperty',
  'kms.Encrypt',
  'secretsmanager',
  '.GetSecretValue',
  'secretsmanager.GetSecretValue.Extra',
  `secretsmanager.${'A'.repeat(5000)}`,
];

function latin1Garbage(rng: Rng, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    const code = rng.chance(0.7) ? rng.range(0x20, 0x7e) : rng.range(0x80, 0xff);
    out += String.fromCharCode(code);
  }
  return out;
}

function contentType(rng: Rng): Record<string, string> {
  const value = rng.pick([
    'application/x-amz-json-1.1',
    'application/x-amz-json-1.1',
    'application/x-amz-json-1.1',
    'application/x-amz-json-1.1',
    'application/json',
    'text/plain',
    undefined,
    'application/x-amz-json-1.1; charset=latin1',
    'multipart/form-data; boundary=x',
    'x'.repeat(2_000),
  ]);
  return value === undefined ? {} : { 'content-type': value };
}

/** Headers few clients send; `authNoise` adds the ones that make a signature invalid. */
function extraHeaders(rng: Rng, authNoise: boolean): Record<string, string | string[]> {
  if (!rng.chance(0.15)) return {};
  switch (rng.int(authNoise ? 8 : 6)) {
    case 0:
      return { 'user-agent': latin1Garbage(rng, rng.range(1, 500)) };
    case 1:
      return { 'content-encoding': rng.pick(['gzip', 'br', 'identity', 'bogus']), 'accept-encoding': 'gzip, br' };
    case 2:
      return { expect: '100-continue' };
    case 3:
      return { 'x-forwarded-for': '127.0.0.1, ::1', 'x-amzn-requestid': latin1Garbage(rng, 10) };
    case 4:
      return Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`x-fuzz-${i}`, latin1Garbage(rng, 20)]));
    case 5:
      return { cookie: 'a'.repeat(4_000) };
    case 6:
      return { 'x-amz-content-sha256': rng.pick(['UNSIGNED-PAYLOAD', 'ab', '0'.repeat(64)]) };
    default:
      return { 'x-amz-security-token': latin1Garbage(rng, 40) };
  }
}

function awsHeaders(rng: Rng, target: string | undefined): Record<string, string> {
  return { ...contentType(rng), ...(target === undefined ? {} : { 'x-amz-target': target }) };
}

function makeCase(rng: Rng, index: number, pool: FuzzPool): FuzzCase {
  const operation = rng.pick(operations);
  const target = `secretsmanager.${operation}`;
  const roll = rng.next();
  const base = { index, operation, method: 'POST', path: '/', chunked: rng.chance(0.05), extraHeaders: extraHeaders(rng, roll < 0.72 || roll >= 0.94) };
  if (roll < 0.55) {
    return { ...base, category: 'shaped', headers: awsHeaders(rng, target), body: Buffer.from(JSON.stringify(shapedBody(rng, operation, pool))), signing: 'good' };
  }
  if (roll < 0.72) {
    return { ...base, category: 'garbage', headers: awsHeaders(rng, target), body: garbageBody(rng, operation, pool), signing: 'good' };
  }
  if (roll < 0.86) {
    const signing = rng.pick<Signing>([
      'none',
      'wrong-secret',
      'unknown-key',
      'wrong-region',
      'wrong-service',
      'stale',
      'tampered',
      'garbage-auth',
      'bad-date',
      'presigned-garbage',
      'unsigned-token',
    ]);
    const path = signing === 'presigned-garbage' ? presignedGarbagePath(rng) : '/';
    return { ...base, path, category: 'auth', headers: awsHeaders(rng, target), body: Buffer.from(JSON.stringify(shapedBody(rng, operation, pool))), signing };
  }
  if (roll < 0.94) {
    const bad = rng.pick(badTargets);
    return {
      ...base,
      operation: undefined,
      category: 'target',
      headers: awsHeaders(rng, rng.chance(0.1) ? undefined : bad),
      body: Buffer.from(JSON.stringify(rng.chance(0.5) ? shapedBody(rng, operation, pool) : wildValue(rng))),
      signing: 'good',
    };
  }
  const method = rng.pick(['GET', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'POST', 'PURGE']);
  const path = rng.pick([
    '/',
    '/health',
    '/health?verbose=1',
    '//',
    '/x',
    '/%zz',
    '/%00',
    '/?X-Amz-Target=secretsmanager.ListSecrets',
    `/?${latin1Garbage(rng, 30).replace(/[^\x21-\x7e]/g, '_')}`,
    `/${'a'.repeat(4_000)}`,
    '/../../etc/passwd',
    '/api/v1/secrets',
  ]);
  const body = method === 'GET' || method === 'HEAD' || rng.chance(0.5) ? Buffer.alloc(0) : Buffer.from(JSON.stringify(wildValue(rng)));
  return { ...base, operation: undefined, method, path, category: 'route', headers: awsHeaders(rng, rng.chance(0.5) ? target : undefined), body, signing: rng.chance(0.5) ? 'good' : 'none' };
}

function presignedGarbagePath(rng: Rng): string {
  const params = [
    'X-Amz-Algorithm=' + rng.pick(['AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1', '']),
    'X-Amz-Credential=' + encodeURIComponent(rng.pick(['AKIDEXAMPLE/20240101/us-east-1/secretsmanager/aws4_request', 'a/b', '////', ''])),
    'X-Amz-Date=' + rng.pick(['20240101T000000Z', 'yesterday', '']),
    'X-Amz-Expires=' + rng.pick(['0', '-1', '604801', '1e9', 'x', '300']),
    'X-Amz-SignedHeaders=' + rng.pick(['host', '', 'x-amz-target']),
    'X-Amz-Signature=' + rng.pick(['0'.repeat(64), 'zz', '']),
  ];
  return `/?${params.filter(() => rng.chance(0.85)).join('&')}`;
}

function oversizedCases(rng: Rng, start: number): FuzzCase[] {
  const sizes = [MiB + 1, MiB + 1000, 2 * MiB, 3 * MiB + 7];
  return Array.from({ length: 24 }, (_, i) => ({
    index: start + i,
    category: 'oversized' as const,
    operation: 'PutSecretValue' as const,
    method: 'POST',
    path: '/',
    headers: awsHeaders(rng, 'secretsmanager.PutSecretValue'),
    extraHeaders: {},
    body: Buffer.from(JSON.stringify({ SecretId: 'fuzz/s-0', SecretString: 'z'.repeat(sizes[i % sizes.length]!) })),
    chunked: i % 3 === 0,
    signing: (i % 2 === 0 ? 'good' : 'none') as Signing,
  }));
}

async function requestHeaders(fuzz: FuzzCase, url: string, credentials: Credentials): Promise<OutgoingHttpHeaders> {
  const wrongKey: Credentials = { accessKeyId: credentials.accessKeyId, secretAccessKey: `${credentials.secretAccessKey}x` };
  const sign = (overrides: Partial<Parameters<typeof signHeaders>[0]> = {}) =>
    signHeaders({ url, credentials, body: fuzz.body, headers: fuzz.headers, method: fuzz.method, path: fuzz.path, ...overrides });
  let headers: Record<string, string | string[]>;
  switch (fuzz.signing) {
    case 'good':
      // Oversized bodies are refused before the signature is looked at; skip hashing megabytes.
      headers = fuzz.category === 'oversized' ? { ...fuzz.headers } : await sign();
      break;
    case 'none':
    case 'presigned-garbage':
      headers = { ...fuzz.headers };
      break;
    case 'wrong-secret':
      headers = await sign({ credentials: wrongKey });
      break;
    case 'unknown-key':
      headers = await sign({ credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: credentials.secretAccessKey } });
      break;
    case 'wrong-region':
      headers = await sign({ region: 'eu-central-1' });
      break;
    case 'wrong-service':
      headers = await sign({ service: 'kms' });
      break;
    case 'stale':
      headers = await sign({ signingDate: new Date(Date.now() - 20 * 60_000) });
      break;
    case 'tampered':
      headers = await sign({ body: Buffer.concat([fuzz.body, Buffer.from(' ')]) });
      break;
    case 'bad-date': {
      headers = await sign();
      headers['x-amz-date'] = fuzz.index % 2 === 0 ? '2024-01-01T00:00:00Z' : 'not a date';
      break;
    }
    case 'unsigned-token': {
      headers = await sign();
      headers['x-amz-security-token'] = 'FwoGZXIvYXdzE';
      break;
    }
    case 'garbage-auth': {
      headers = { ...fuzz.headers };
      const garbage = [
        'AWS4-HMAC-SHA256',
        'AWS4-HMAC-SHA256 ',
        'AWS4-HMAC-SHA256 Credential=',
        'AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f/g, SignedHeaders=host, Signature=00',
        `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/us-east-1/secretsmanager/aws4_request, SignedHeaders=, Signature=`,
        `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host;;;x-amz-date, Signature=${'f'.repeat(64)}`,
        'Bearer abc',
        'Basic YWxhZGRpbjpvcGVuc2VzYW1l',
        'AWS4-HMAC-SHA256 Credential==,,,==, SignedHeaders===, Signature==',
        `AWS4-HMAC-SHA256 ${'Credential=x, '.repeat(500)}`,
        '\u00ff\u00fe',
      ];
      headers.authorization = garbage[fuzz.index % garbage.length]!;
      if (fuzz.index % 3 === 0) headers['x-amz-date'] = '20240101T000000Z';
      break;
    }
  }
  return { ...headers, ...fuzz.extraHeaders };
}

interface Tally {
  statuses: Map<number, number>;
  types: Map<string, number>;
  successes: Map<string, number>;
  problems: string[];
}

function describeCase(fuzz: FuzzCase): string {
  return `#${fuzz.index} ${fuzz.category} ${fuzz.signing}${fuzz.chunked ? ' chunked' : ''} [${Object.keys(fuzz.extraHeaders).slice(0, 3).join(',')}] ${fuzz.method} ${fuzz.path.slice(0, 80)} ${fuzz.operation ?? fuzz.headers['x-amz-target']?.slice(0, 60) ?? '(no target)'} body=${JSON.stringify(fuzz.body.subarray(0, 200).toString('latin1'))}`;
}

function check(fuzz: FuzzCase, response: RawResponse, tally: Tally): void {
  const problem = (text: string) => tally.problems.push(`${text}: ${describeCase(fuzz)}`);
  tally.statuses.set(response.status, (tally.statuses.get(response.status) ?? 0) + 1);
  if (response.status >= 500 || response.status < 200) {
    problem(`status ${response.status} ${response.body.toString('utf8').slice(0, 300)}`);
    return;
  }
  if (fuzz.method === 'HEAD') return;
  let body: unknown;
  try {
    body = JSON.parse(response.body.toString('utf8'));
  } catch {
    problem(`status ${response.status} with a body that is not JSON: ${response.body.toString('latin1').slice(0, 200)}`);
    return;
  }
  if (response.status >= 400) {
    const envelope = body as { __type?: unknown; Message?: unknown };
    if (typeof envelope.__type !== 'string' || typeof envelope.Message !== 'string') {
      problem(`status ${response.status} without the {__type, Message} envelope: ${JSON.stringify(body).slice(0, 200)}`);
      return;
    }
    tally.types.set(envelope.__type, (tally.types.get(envelope.__type) ?? 0) + 1);
    if (fuzz.category === 'auth' && (response.status !== 400 || !authTypes.has(envelope.__type))) {
      problem(`a badly signed request got ${response.status} ${envelope.__type}`);
    }
    if (fuzz.category === 'target' && envelope.__type !== 'UnknownOperationException') {
      problem(`an unknown target got ${envelope.__type}`);
    }
    if (fuzz.category === 'oversized' && (response.status !== 413 || envelope.__type !== 'RequestEntityTooLargeException')) {
      problem(`an oversized body got ${response.status} ${envelope.__type}`);
    }
    return;
  }
  if (fuzz.category === 'auth' || fuzz.category === 'target' || fuzz.category === 'oversized') {
    problem(`a ${fuzz.category} request succeeded with ${response.status}`);
  }
  if (fuzz.category === 'shaped' || fuzz.category === 'garbage') {
    tally.successes.set(fuzz.operation!, (tally.successes.get(fuzz.operation!) ?? 0) + 1);
  }
}

/** Malformed HTTP that node's parser sees before Rotor does; each on its own connection. */
const malformedHttp = [
  'GARBAGE\r\n\r\n',
  'FUZZ / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}',
  'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
  'POST / HTTP/1.1\r\nHost: x\r\nX-Bad: \u0001\u0002\r\n\r\n',
  `POST / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
  `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  'POST / HTTP/1.1\nHost: x\nContent-Length: 2\n\n{}',
  'GET /\r\n\r\n',
  'POST / HTTP/9.9\r\nHost: x\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked, identity\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\n\r\n{}',
  'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{',
  'POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: secretsmanager.ListSecrets\r\nContent-Length: 2\r\n\r\n{}POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n[]',
  ' POST / HTTP/1.1\r\n\r\n',
  'POST\t/\tHTTP/1.1\r\n\r\n',
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003',
  'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n',
  `POST / HTTP/1.1\r\n${Array.from({ length: 3_000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`,
];

function sendMalformed(url: string, payload: string): Promise<string> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname);
    let received = '';
    socket.setTimeout(3_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('close', () => resolve(received));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    socket.end(Buffer.from(payload, 'latin1'));
  });
}

describe('fuzzing the AWS JSON edge', () => {
  const dataDir = tempDir('rotor-fuzz-');
  let rotor: RotorProcess;
  let credentials: Credentials;

  afterAll(async () => {
    if (rotor) await stopChild(rotor.child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`answers ${REQUESTS} random and malformed requests without a 5xx and keeps serving`, { timeout: 120_000 }, async () => {
    // Setup lives here, not in a hook, so that a failed start fails the tests rather than skipping them.
    rotor = await spawnRotor(dataDir);
    credentials = readCredentials(dataDir);
    const client = sdkClient(rotor.url, credentials);
    const secretIds: string[] = [];
    for (let i = 0; i < 10; i++) {
      const created = await client.send(new CreateSecretCommand({ Name: `fuzz/s-${i}`, SecretString: `seed-value-${i}` }));
      secretIds.push(created.Name!, created.ARN!);
    }
    client.destroy();
    const pool: FuzzPool = { secretIds };
    console.log(`fuzz seed ${seed} (replay with ROTOR_FUZZ_SEED=${seed})`);
    const rng = new Rng(seed);
    const cases = Array.from({ length: REQUESTS }, (_, i) => makeCase(rng, i, pool));
    // Oversized bodies go in among the others, at seeded places.
    for (const fuzz of oversizedCases(rng, REQUESTS)) cases.splice(rng.int(cases.length), 0, fuzz);

    const tally: Tally = { statuses: new Map(), types: new Map(), successes: new Map(), problems: [] };
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let next = 0;
    let socketErrors = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < cases.length) {
        const fuzz = cases[next++]!;
        const headers = await requestHeaders(fuzz, rotor.url, credentials);
        const body = fuzz.chunked ? [fuzz.body.subarray(0, fuzz.body.length >> 1), fuzz.body.subarray(fuzz.body.length >> 1)] : fuzz.body;
        try {
          check(fuzz, await sendRaw(rotor.url, agent, { method: fuzz.method, path: fuzz.path, headers, body }), tally);
        } catch (error) {
          socketErrors++;
          tally.problems.push(`${(error as Error).message}: ${describeCase(fuzz)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();

    const malformedAnswers = await Promise.all(malformedHttp.map((payload) => sendMalformed(rotor.url, payload)));
    for (const [i, answer] of malformedAnswers.entries()) {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
      if (status !== undefined && Number(status) >= 500) tally.problems.push(`malformed HTTP #${i} got ${status}`);
    }

    console.log(
      `fuzz: ${cases.length} requests in ${seconds.toFixed(1)} s (${Math.round(cases.length / seconds)}/s), ` +
        `${malformedHttp.length} malformed HTTP; statuses ${JSON.stringify(Object.fromEntries(tally.statuses))}; ` +
        `successes ${JSON.stringify(Object.fromEntries(tally.successes))}; types ${JSON.stringify(Object.fromEntries(tally.types))}`,
    );
    const ranked = [...tally.problems].sort((a, b) => Number(b.startsWith('status 5')) - Number(a.startsWith('status 5')));
    if (ranked.length > 0) console.log(ranked.slice(0, 60).join('\n'));
    expect(ranked.slice(0, 20), `seed ${seed}: ${tally.problems.length} problems, ${socketErrors} socket errors`).toEqual([]);
    expect(rotor.child.exitCode, 'the server process is still running').toBeNull();
    expect(rotor.child.signalCode).toBeNull();
    expect(rotor.stderr(), 'no unexpected failure was logged').not.toMatch(/request failed|unhandled/);

    // The run reached the use cases, not just the validators.
    const successes = [...tally.successes.values()].reduce((sum, n) => sum + n, 0);
    expect(successes).toBeGreaterThan(REQUESTS * 0.05);
    expect(tally.successes.size).toBeGreaterThanOrEqual(10);
    for (const type of ['ValidationException', 'SerializationException', 'ResourceNotFoundException', 'InvalidSignatureException', 'RequestEntityTooLargeException']) {
      expect(tally.types.get(type) ?? 0, `${type} answers`).toBeGreaterThan(0);
    }
    expect(seconds).toBeLessThan(60);
  });

  it('answers a 400, not a 500, when a member holds an object whose toString is not a function', async () => {
    const bodies: Record<string, unknown>[] = [
      { SortOrder: { toString: 1 } },
      { SortBy: { toString: 'x', valueOf: [] } },
      { SortOrder: [{ toString: 1 }, { valueOf: null }] },
      { MaxResults: { valueOf: 1 } },
    ];
    for (const json of bodies) {
      const body = Buffer.from(JSON.stringify(json));
      const headers = await signHeaders({
        url: rotor.url,
        credentials,
        body,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.ListSecrets' },
      });
      const response = await sendRaw(rotor.url, false, { method: 'POST', path: '/', headers, body });
      expect(response.status, JSON.stringify(json)).toBe(400);
      expect(JSON.parse(response.body.toString('utf8')).__type).toMatch(/^(ValidationException|SerializationException)$/);
    }
  });

  it('answers 413 to every oversized upload, even one still being sent, and keeps the connection usable', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const uploads = Array.from({ length: 40 }, (_, i) => {
        const body = Buffer.alloc(6 * MiB + i, 0x61);
        return sendRaw(rotor.url, agent, {
          method: 'POST',
          path: '/',
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.PutSecretValue' },
          body: i % 4 === 0 ? [body.subarray(0, 3 * MiB), body.subarray(3 * MiB)] : body,
        });
      });
      const statuses = (await Promise.allSettled(uploads)).map((result) => (result.status === 'fulfilled' ? result.value.status : String(result.reason)));
      expect(statuses).toEqual(Array.from({ length: 40 }, () => 413));
      const health = await sendRaw(rotor.url, agent, { method: 'GET', path: '/health', headers: {} });
      expect(health.status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('still answers /health and a normal SDK round trip after the fuzzing', async () => {
    const health = await sendRaw(rotor.url, false, { method: 'GET', path: '/health', headers: {} });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body.toString('utf8'))).toMatchObject({ status: 'ok' });
    const client = sdkClient(rotor.url, credentials);
    try {
      await client.send(new CreateSecretCommand({ Name: 'fuzz/after', SecretString: 'still-here' }));
      const value = await client.send(new GetSecretValueCommand({ SecretId: 'fuzz/after' }));
      expect(value.SecretString).toBe('still-here');
      expect(value.VersionStages).toEqual(['AWSCURRENT']);
    } finally {
      client.destroy();
    }
    expect(rotor.child.exitCode).toBeNull();
  });
});
