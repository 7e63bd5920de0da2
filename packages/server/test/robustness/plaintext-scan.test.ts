import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCredentials, sdkClient, tempDir, testBackend, testDatabaseUrlOf, type Credentials, type RotorProcess } from '../support/rotor-server.js';
import { serveExpectingExit, spawnServe } from '../support/serve-process.js';
import { sendRaw, signHeaders, stopChild } from '../support/signed-http.js';

/**
 * Secret values at rest and in logs: after a series of writes, reads and failing calls,
 * no value appears in any file of the data directory (the SQLite database, its WAL and
 * shared-memory files included) nor in the server's log, whether as UTF-8, base64 or hex.
 * root.key and credentials are skipped: they hold the keys, by design. On PostgreSQL
 * (`ROTOR_TEST_BACKEND=postgres`) the database is scanned as the `pg_dump` of it (bytea
 * columns come out as hex, which the needles cover).
 */

interface Needle {
  readonly label: string;
  readonly bytes: Buffer;
}

/** Every form a value could take on disk: its UTF-8 (or raw) bytes, base64 and hex. */
function needlesOf(label: string, value: string | Buffer): Needle[] {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const forms: Needle[] = [
    { label: `${label} (${typeof value === 'string' ? 'utf-8' : 'raw bytes'})`, bytes },
    { label: `${label} (base64)`, bytes: Buffer.from(bytes.toString('base64')) },
    { label: `${label} (hex)`, bytes: Buffer.from(bytes.toString('hex')) },
    { label: `${label} (HEX)`, bytes: Buffer.from(bytes.toString('hex').toUpperCase()) },
  ];
  // base64 without padding shows up inside longer base64 runs.
  const unpadded = bytes.toString('base64').replace(/=+$/, '');
  if (unpadded.length !== bytes.toString('base64').length) forms.push({ label: `${label} (base64, unpadded)`, bytes: Buffer.from(unpadded) });
  return forms;
}

function filesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...filesUnder(path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

const keyFiles = new Set(['root.key', 'credentials']);

/** Names every (file, needle) pair where the needle's bytes occur in the file. */
function scan(files: readonly string[], needles: readonly Needle[], base: string): string[] {
  const found: string[] = [];
  for (const file of files) {
    const content = readFileSync(file);
    for (const needle of needles) if (content.includes(needle.bytes)) found.push(`${needle.label} in ${relative(base, file)}`);
  }
  return found;
}

/** The data directory's files and, on PostgreSQL, a plain-text dump of its database (named `pg_dump`). */
function scanDataDir(dataDir: string, needles: readonly Needle[]): { files: string[]; found: string[] } {
  const files = filesUnder(dataDir).filter((file) => !keyFiles.has(relative(dataDir, file)));
  const result = { files: files.map((file) => relative(dataDir, file)), found: scan(files, needles, dataDir) };
  const database = testDatabaseUrlOf(dataDir);
  if (database === undefined) return result;
  const dump = execFileSync('pg_dump', ['--no-owner', '--dbname', database], { maxBuffer: 256 * 1024 * 1024 });
  const inDump = needles.filter((needle) => dump.includes(needle.bytes)).map((needle) => `${needle.label} in pg_dump`);
  return { files: [...result.files, 'pg_dump'], found: [...result.found, ...inDump] };
}

const mark = () => randomBytes(16).toString('hex');

describe('no secret value in plaintext at rest or in the logs', () => {
  const dataDir = tempDir('rotor-scan-');
  const scratchDir = tempDir('rotor-scan-scratch-');
  const needles: Needle[] = [];
  /** Stored in clear on purpose (descriptions are not secret): proves the scan reads the database. */
  const descriptionMarker = `description-${mark()}`;
  let rotor: RotorProcess;
  let client: SecretsManagerClient;
  let credentials: Credentials;
  let wrongKeyRefusal: Awaited<ReturnType<typeof serveExpectingExit>>;
  let runningScan: { files: string[]; found: string[] };
  let stoppedScan: { files: string[]; found: string[] };
  let runningControl: string[];
  let stoppedControl: string[];
  let log = '';
  const value = (label: string, secret: string | Buffer) => {
    needles.push(...needlesOf(label, secret));
    return secret;
  };

  // Later tests read what this one leaves behind; if it fails they fail too (none is skipped).
  it('writes, reads and refuses values of every kind, then scans while running and after shutdown', { timeout: 60_000 }, async () => {
    rotor = await spawnServe(dataDir, { logLevel: 'trace' });
    credentials = readCredentials(dataDir);
    client = sdkClient(rotor.url, credentials);

    const plain = value('string value', `plain-${mark()}`);
    const password = mark();
    const json = value('JSON value', JSON.stringify({ username: 'admin', password: value('password inside JSON', `pw-${password}`), port: 5432 })) as string;
    const binary = value('binary value', randomBytes(48)) as Buffer;
    const plainArn = (await client.send(new CreateSecretCommand({ Name: 'scan/plain', SecretString: plain as string, Description: descriptionMarker }))).ARN!;
    await client.send(new CreateSecretCommand({ Name: 'scan/json', SecretString: json, Tags: [{ Key: 'team', Value: 'db' }] }));
    await client.send(new CreateSecretCommand({ Name: 'scan/binary', SecretBinary: binary }));

    // More versions, a custom stage, an update, reads of each kind.
    const second = value('second version', `second-${mark()}`) as string;
    const secondToken = randomUUID();
    await client.send(new PutSecretValueCommand({ SecretId: 'scan/plain', SecretString: second, ClientRequestToken: secondToken }));
    await client.send(new PutSecretValueCommand({ SecretId: 'scan/binary', SecretBinary: value('second binary', randomBytes(33)) as Buffer }));
    await client.send(new PutSecretValueCommand({ SecretId: 'scan/json', SecretString: value('staged value', `staged-${mark()}`) as string, VersionStages: ['CUSTOM'] }));
    await client.send(new UpdateSecretCommand({ SecretId: 'scan/json', SecretString: value('updated value', `updated-${mark()}`) as string }));
    await client.send(new UpdateSecretCommand({ SecretId: 'scan/plain', Description: `${descriptionMarker}-2` }));
    const versions = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'scan/plain', IncludeDeprecated: true }));
    const previous = versions.Versions!.find((version) => version.VersionStages?.includes('AWSPREVIOUS'))!.VersionId!;
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: 'scan/plain', VersionStage: 'AWSCURRENT', MoveToVersionId: previous, RemoveFromVersionId: secondToken }));
    expect((await client.send(new GetSecretValueCommand({ SecretId: plainArn }))).SecretString).toBe(plain);
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'scan/plain', VersionId: secondToken }))).SecretString).toBe(second);
    expect(Buffer.from((await client.send(new GetSecretValueCommand({ SecretId: 'scan/binary', VersionStage: 'AWSPREVIOUS' }))).SecretBinary!).equals(binary)).toBe(true);
    expect((await client.send(new BatchGetSecretValueCommand({ SecretIdList: ['scan/plain', 'scan/json', 'scan/binary'] }))).SecretValues).toHaveLength(3);
    await client.send(new DescribeSecretCommand({ SecretId: 'scan/json' }));
    value('random password', (await client.send(new GetRandomPasswordCommand({ PasswordLength: 40 }))).RandomPassword!);

    // Failing calls that carry values: each must be refused without the value landing anywhere.
    const refusals: [string, Promise<unknown>][] = [
      ['same token, other value', client.send(new PutSecretValueCommand({ SecretId: 'scan/plain', ClientRequestToken: secondToken, SecretString: value('refused: token reuse', `reuse-${mark()}`) as string }))],
      ['existing name', client.send(new CreateSecretCommand({ Name: 'scan/plain', SecretString: value('refused: exists', `exists-${mark()}`) as string }))],
      ['missing secret', client.send(new PutSecretValueCommand({ SecretId: 'scan/missing', SecretString: value('refused: missing', `missing-${mark()}`) as string }))],
      ['bad name', client.send(new CreateSecretCommand({ Name: 'scan/bad name?*', SecretString: value('refused: bad name', `badname-${mark()}`) as string }))],
      ['both values', client.send(new PutSecretValueCommand({ SecretId: 'scan/plain', SecretString: value('refused: both', `both-${mark()}`) as string, SecretBinary: randomBytes(8) }))],
      ['too long', client.send(new PutSecretValueCommand({ SecretId: 'scan/plain', SecretString: `${value('refused: too long', `long-${mark()}`) as string}${'x'.repeat(70_000)}` }))],
    ];
    // Settled together: awaiting them one by one would leave the later rejections unhandled meanwhile.
    const outcomes = await Promise.allSettled(refusals.map(([, call]) => call));
    for (const [index, [what]] of refusals.entries()) expect(outcomes[index]?.status, what).toBe('rejected');

    // A value in a member of the wrong type, and in a body that is not JSON: refused before any use case.
    for (const raw of [
      `{"SecretId":"scan/plain","ClientRequestToken":${JSON.stringify(randomUUID())},"SecretString":["${value('refused: wrong type', `wrongtype-${mark()}`) as string}"]}`,
      `{"SecretId":"scan/plain","SecretString":"${value('refused: broken JSON', `broken-${mark()}`) as string}"`,
    ]) {
      const body = Buffer.from(raw);
      const headers = await signHeaders({
        url: rotor.url,
        credentials,
        body,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.PutSecretValue' },
      });
      const response = await sendRaw(rotor.url, false, { method: 'POST', path: '/', headers, body });
      expect(response.status).toBe(400);
      expect(response.body.toString('utf8')).not.toMatch(/wrongtype-|broken-/);
    }

    // The admin's secret access key is sealed under the root key as well.
    needles.push(...needlesOf('secret access key', credentials.secretAccessKey));

    const control = needlesOf('description', descriptionMarker).slice(0, 1);
    runningScan = scanDataDir(dataDir, needles);
    runningControl = scanDataDir(dataDir, control).found;
    await stopChild(rotor.child);
    log = rotor.stdout() + rotor.stderr();
    stoppedScan = scanDataDir(dataDir, needles);
    stoppedControl = scanDataDir(dataDir, control).found;
    wrongKeyRefusal = await serveExpectingExit(dataDir, { env: { ROTOR_ROOT_KEY: randomBytes(32).toString('base64') } });
  });

  afterAll(async () => {
    client?.destroy();
    if (rotor) await stopChild(rotor.child);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratchDir, { recursive: true, force: true });
  });

  it('finds a planted value in every encoding (the scan cannot pass vacuously)', () => {
    const planted = `planted-${mark()}`;
    const plantedBytes = randomBytes(40);
    const plantedNeedles = [...needlesOf('planted string', planted), ...needlesOf('planted bytes', plantedBytes)];
    const scratch = join(scratchDir, 'scratch.bin');
    writeFileSync(
      scratch,
      Buffer.concat([
        randomBytes(100),
        Buffer.from(planted),
        randomBytes(7),
        Buffer.from(Buffer.from(planted).toString('base64')),
        Buffer.from(` ${Buffer.from(planted).toString('hex')} ${Buffer.from(planted).toString('hex').toUpperCase()} `),
        plantedBytes,
        Buffer.from(`"${plantedBytes.toString('base64')}" ${plantedBytes.toString('hex')} ${plantedBytes.toString('hex').toUpperCase()}`),
      ]),
    );
    const found = scan([scratch], plantedNeedles, scratchDir);
    expect(found.sort()).toEqual(plantedNeedles.map((needle) => `${needle.label} in scratch.bin`).sort());
    expect(scan([scratch], needles, scratchDir)).toEqual([]);
  });

  // Each backend pass defines only its own scan, so neither pass reports a skipped test.
  if (testBackend === 'sqlite') it('scans the SQLite files, and finds the plaintext description there', () => {
    expect(runningScan.files).toEqual(expect.arrayContaining(['rotor.db', 'rotor.db-wal', 'rotor.db-shm']));
    expect(runningScan.files).not.toContain('root.key');
    expect(runningScan.files).not.toContain('credentials');
    // While the server runs the newest pages sit in the WAL; after shutdown they are in rotor.db.
    expect(runningControl).toContain('description (utf-8) in rotor.db-wal');
    expect(stoppedControl).toContain('description (utf-8) in rotor.db');
  });

  if (testBackend === 'postgres') it('scans a pg_dump of the PostgreSQL database, and finds the plaintext description there', () => {
    expect(runningScan.files).toContain('pg_dump');
    expect(runningScan.files).not.toContain('root.key');
    expect(runningScan.files).not.toContain('credentials');
    expect(runningControl).toContain('description (utf-8) in pg_dump');
    expect(stoppedControl).toContain('description (utf-8) in pg_dump');
  });

  it(`finds no secret value in the data directory while the server runs (WAL included)`, () => {
    expect(needles.length).toBeGreaterThan(60);
    expect(runningScan.found).toEqual([]);
  });

  it('finds no secret value in the data directory after a clean shutdown', () => {
    expect(stoppedScan.files).toContain(testBackend === 'sqlite' ? 'rotor.db' : 'pg_dump');
    expect(stoppedScan.found).toEqual([]);
  });

  it('never writes a secret value to the log, even at trace level and for refused calls', () => {
    // The log really was verbose: refused requests are logged at debug level (20).
    expect(log).toMatch(/"level":20/);
    const logBuffer = Buffer.from(log);
    expect(needles.filter((needle) => logBuffer.includes(needle.bytes)).map((needle) => needle.label)).toEqual([]);
  });

  it('keeps root.key and credentials at mode 0600', () => {
    expect((statSync(join(dataDir, 'root.key')).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(dataDir, 'credentials')).mode & 0o777).toString(8)).toBe('600');
  });

  it('refuses to start with a different ROTOR_ROOT_KEY, saying the root key does not match', () => {
    expect(wrongKeyRefusal.code).not.toBe(0);
    expect(wrongKeyRefusal.code).not.toBeNull();
    expect(wrongKeyRefusal.stdout + wrongKeyRefusal.stderr).toMatch(/root key/i);
  });

  it('still opens with the original root key after the refused start, values intact', async () => {
    rotor = await spawnServe(dataDir);
    const again = sdkClient(rotor.url, credentials);
    try {
      const output = await again.send(new GetSecretValueCommand({ SecretId: 'scan/json', VersionStage: 'CUSTOM' }));
      expect(output.SecretString).toMatch(/^staged-/);
    } finally {
      again.destroy();
      await stopChild(rotor.child);
    }
  });
});
