import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIni, resolveConnection } from '../src/cli/client.js';
import { cliEntry, readCredentials, spawnRotor, tempDir, type RotorProcess } from './support/rotor-server.js';
import { stopChild } from './support/signed-http.js';

/**
 * The `rotor` CLI end to end: the built server runs as a child process and every command
 * is the built CLI in its own process, so exit codes, stdout and stderr are the real ones.
 */

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly bytes: Buffer;
}

let server: RotorProcess;
let dataDir: string;
let scratch: string;

/** The environment of a user who has the server's data directory and nothing else set. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('ROTOR_')) env[key] = value;
  }
  return { ...env, ROTOR_DATA_DIR: dataDir, ROTOR_ENDPOINT: server.url, ...extra };
}

function rotor(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string | Buffer } = {}): Promise<Run> {
  const child = spawn(process.execPath, [cliEntry, ...args], { env: options.env ?? cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const bytes = Buffer.concat(out);
      resolve({ code, stdout: bytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), bytes });
    });
  });
}

async function ok(args: readonly string[], options?: { env?: NodeJS.ProcessEnv; input?: string | Buffer }): Promise<Run> {
  const run = await rotor(args, options);
  expect(run.stderr).toBe('');
  expect(run.code, `rotor ${args.join(' ')}`).toBe(0);
  return run;
}

async function json<T = Record<string, unknown>>(args: readonly string[]): Promise<T> {
  return JSON.parse((await ok([...args, '-o', 'json'])).stdout) as T;
}

const unique = (prefix: string) => `cli/${prefix}-${randomBytes(4).toString('hex')}`;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  dataDir = tempDir('rotor-cli-');
  scratch = tempDir('rotor-cli-files-');
  server = await spawnRotor(dataDir);
});

afterAll(async () => {
  if (server) await stopChild(server.child);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('rotor secret', () => {
  it('creates a secret and reads it back raw with --value-only, as JSON, and as a table', async () => {
    const name = unique('create');
    const created = await json<{ Name: string; VersionId: string; ARN: string }>(['secret', 'create', name, '--value', 'hunter2', '--description', 'db password']);
    expect(created.Name).toBe(name);
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:/);

    expect((await ok(['secret', 'get', name, '--value-only'])).stdout).toBe('hunter2');

    const got = await json(['secret', 'get', created.ARN]);
    expect(got).toMatchObject({ Name: name, SecretString: 'hunter2', VersionId: created.VersionId, VersionStages: ['AWSCURRENT'] });
    expect(got).not.toHaveProperty('$metadata');
    expect(got.CreatedDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const table = (await ok(['secret', 'get', name])).stdout;
    expect(table).toMatch(new RegExp(`^Name\\s+${name}$`, 'm'));
    expect(table).toMatch(new RegExp(`^VersionId\\s+${created.VersionId}$`, 'm'));
    expect(table).toMatch(/^Stages\s+AWSCURRENT$/m);
    expect(table).toMatch(/^Value\s+hunter2$/m);
  });

  it('makes a put value AWSCURRENT and versions shows the previous one as AWSPREVIOUS', async () => {
    const name = unique('put');
    const first = await json<{ VersionId: string }>(['secret', 'create', name, '--value', 'one']);
    const second = await json<{ VersionId: string }>(['secret', 'put', name, '--value', 'two']);
    expect((await ok(['secret', 'get', name, '--value-only'])).stdout).toBe('two');
    expect((await ok(['secret', 'get', name, '--value-only', '--stage', 'AWSPREVIOUS'])).stdout).toBe('one');
    expect((await ok(['secret', 'get', name, '--value-only', '--version-id', first.VersionId])).stdout).toBe('one');

    const table = (await ok(['secret', 'versions', name])).stdout;
    expect(table).toMatch(new RegExp(`^${second.VersionId}\\s+AWSCURRENT\\s`, 'm'));
    expect(table).toMatch(new RegExp(`^${first.VersionId}\\s+AWSPREVIOUS\\s`, 'm'));
    const listed = await json<{ Versions: { VersionId: string; VersionStages: string[] }[] }>(['secret', 'versions', name]);
    expect(listed.Versions).toHaveLength(2);
  });

  it('moves AWSCURRENT back to an older version with stage --move-to', async () => {
    const name = unique('stage');
    const first = await json<{ VersionId: string }>(['secret', 'create', name, '--value', 'old']);
    const second = await json<{ VersionId: string }>(['secret', 'put', name, '--value', 'new']);
    await ok(['secret', 'stage', name, 'AWSCURRENT', '--move-to', first.VersionId, '--remove-from', second.VersionId]);
    expect((await ok(['secret', 'get', name, '--value-only'])).stdout).toBe('old');
    const described = await json<{ VersionIdsToStages: Record<string, string[]> }>(['secret', 'describe', name]);
    expect(described.VersionIdsToStages[first.VersionId]).toEqual(['AWSCURRENT']);
    expect(described.VersionIdsToStages[second.VersionId]).toEqual(['AWSPREVIOUS']);
  });

  it('stores a put with custom --stage labels without moving AWSCURRENT', async () => {
    const name = unique('pending');
    await ok(['secret', 'create', name, '--value', 'live']);
    const pending = await json<{ VersionStages: string[] }>(['secret', 'put', name, '--value', 'next', '--stage', 'AWSPENDING']);
    expect(pending.VersionStages).toEqual(['AWSPENDING']);
    expect((await ok(['secret', 'get', name, '--value-only'])).stdout).toBe('live');
    expect((await ok(['secret', 'get', name, '--value-only', '--stage', 'AWSPENDING'])).stdout).toBe('next');
  });

  it('lists only the secrets that match --filter, and at most --max of them', async () => {
    const prefix = unique('list');
    for (const suffix of ['a', 'b', 'c']) await ok(['secret', 'create', `${prefix}/${suffix}`, '--value', 'x', '--tag', `group=${prefix}`]);
    await ok(['secret', 'create', unique('other'), '--value', 'x']);

    const filtered = await json<{ SecretList: { Name: string }[] }>(['secret', 'list', '--filter', `name=${prefix}`, '--sort-by', 'name', '--sort-order', 'desc']);
    expect(filtered.SecretList.map((entry) => entry.Name)).toEqual([`${prefix}/c`, `${prefix}/b`, `${prefix}/a`]);

    const byTag = (await ok(['secret', 'list', '--filter', `tag-value=${prefix}`])).stdout;
    expect(byTag.split('\n').filter((line) => line.startsWith(prefix))).toHaveLength(3);

    const capped = await json<{ SecretList: unknown[]; NextToken?: string }>(['secret', 'list', '--filter', `name=${prefix}`, '--max', '2']);
    expect(capped.SecretList).toHaveLength(2);
    expect(capped.NextToken).toEqual(expect.any(String));
  });

  it('adds tags with tag and removes them with untag, as describe shows', async () => {
    const name = unique('tags');
    await ok(['secret', 'create', name, '--value', 'x', '--tag', 'team=core']);
    expect((await ok(['secret', 'tag', name, 'env=prod', 'owner=ops'])).stdout).toBe(`Tagged ${name}: env=prod,owner=ops\n`);
    const tagged = await json<{ Tags: { Key: string; Value: string }[] }>(['secret', 'describe', name]);
    expect(tagged.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'team', Value: 'core' },
        { Key: 'env', Value: 'prod' },
        { Key: 'owner', Value: 'ops' },
      ]),
    );
    await ok(['secret', 'untag', name, 'team', 'owner']);
    const untagged = await json<{ Tags: { Key: string; Value: string }[] }>(['secret', 'describe', name]);
    expect(untagged.Tags).toEqual([{ Key: 'env', Value: 'prod' }]);
  });

  it('schedules deletion, restores the secret, and removes it for good with --force', async () => {
    const name = unique('delete');
    await ok(['secret', 'create', name, '--value', 'x']);
    const deleted = await json<{ DeletionDate: string }>(['secret', 'delete', name, '--recovery-days', '7']);
    const days = (Date.parse(deleted.DeletionDate) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);
    const listed = await json<{ SecretList: { Name: string; DeletedDate?: string }[] }>(['secret', 'list', '--filter', `name=${name}`, '--include-deleted']);
    expect(listed.SecretList.map((entry) => entry.Name)).toEqual([name]);
    expect(listed.SecretList[0]?.DeletedDate).toEqual(expect.any(String));

    await ok(['secret', 'restore', name]);
    expect((await ok(['secret', 'get', name, '--value-only'])).stdout).toBe('x');

    await ok(['secret', 'delete', name, '--force']);
    const gone = await rotor(['secret', 'describe', name]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^rotor: ResourceNotFoundException: /);
  });

  it('round-trips a binary secret byte for byte through --binary-file and --value-only', async () => {
    const name = unique('binary');
    const bytes = Buffer.concat([randomBytes(64), Buffer.from([0, 10, 13, 255])]);
    const file = join(scratch, 'secret.bin');
    writeFileSync(file, bytes);
    await ok(['secret', 'create', name, '--binary-file', file]);
    expect((await ok(['secret', 'get', name, '--value-only'])).bytes.equals(bytes)).toBe(true);
    const got = await json<{ SecretBinary: string; SecretString?: string }>(['secret', 'get', name]);
    expect(Buffer.from(got.SecretBinary, 'base64').equals(bytes)).toBe(true);
    expect(got.SecretString).toBeUndefined();
  });

  it('takes values from --value-file and --value-stdin exactly as given', async () => {
    const name = unique('sources');
    const file = join(scratch, 'value.json');
    writeFileSync(file, '{"user":"app","password":"s3cret"}\n');
    await ok(['secret', 'create', name, '--value-file', file]);
    expect((await ok(['secret', 'get', name, '--value-only'])).stdout).toBe(readFileSync(file, 'utf8'));
    await ok(['secret', 'put', name, '--value-stdin'], { input: 'from stdin' });
    expect((await ok(['secret', 'get', name, '--value-only'])).stdout).toBe('from stdin');
  });
});

describe('rotor password', () => {
  it('prints a server-generated password of the requested length and character classes', async () => {
    const password = (await ok(['password', '--length', '24', '--exclude-punctuation'])).stdout;
    expect(password).toMatch(/^[A-Za-z0-9]{24}\n$/);
    const digits = await json<{ RandomPassword: string }>(['password', '--length', '40', '--exclude-uppercase', '--exclude-lowercase', '--exclude-punctuation']);
    expect(digits.RandomPassword).toMatch(/^\d{40}$/);
  });
});

describe('rotor failures', () => {
  it('exits 1 with the AWS error name and message when the secret does not exist', async () => {
    const run = await rotor(['secret', 'get', unique('missing')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe("rotor: ResourceNotFoundException: Secrets Manager can't find the specified secret.\n");
  });

  it('does not echo the secret value when the server rejects a request', async () => {
    const name = unique('exists');
    await ok(['secret', 'create', name, '--value', 'first']);
    const run = await rotor(['secret', 'create', name, '--value', 'correct-horse-battery']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^rotor: ResourceExistsException: /);
    expect(run.stderr).not.toContain('correct-horse-battery');
  });

  it('exits 2 on usage errors: no value for put, two value sources, --force with --recovery-days, a bad number', async () => {
    const name = unique('usage');
    await ok(['secret', 'create', name, '--value', 'x']);
    const noValue = await rotor(['secret', 'put', name]);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toBe('rotor: give the value with --value, --value-file, --binary-file or --value-stdin\n');
    const twoSources = await rotor(['secret', 'put', name, '--value', 'a', '--value-stdin']);
    expect(twoSources.code).toBe(2);
    expect(twoSources.stderr).toBe('rotor: give one of --value, --value-stdin, not several\n');
    expect((await rotor(['secret', 'delete', name, '--force', '--recovery-days', '7'])).code).toBe(2);
    expect((await rotor(['password', '--length', 'lots'])).code).toBe(2);
    expect((await rotor(['secret', 'stage', name, 'AWSCURRENT'])).code).toBe(2);
    expect((await ok(['secret', 'get', name, '--value-only'])).stdout).toBe('x');
  });

  it('says clearly that no server answers when the endpoint refuses connections', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const run = await rotor(['secret', 'list', '--endpoint', endpoint]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `rotor: no Rotor server answers at ${endpoint} (connection refused); start one with \`rotor serve\` or pass --endpoint / set ROTOR_ENDPOINT\n`,
    );
  });

  it('exits 2 and names the file it looked in when there are no credentials', async () => {
    const empty = tempDir('rotor-cli-empty-');
    try {
      const run = await rotor(['secret', 'list'], { env: cleanEnv({ ROTOR_DATA_DIR: empty }) });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${join(empty, 'credentials')} does not exist`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('rotor keys with the client commands', () => {
  it('issues, lists and revokes a key; the revoked key then fails with UnrecognizedClientException', async () => {
    const issued = await json<{ AccessKeyId: string; SecretAccessKey: string }>(['keys', 'create', 'ci-runner', '--data-dir', dataDir]);
    const asCi = cleanEnv({ AWS_ACCESS_KEY_ID: issued.AccessKeyId, AWS_SECRET_ACCESS_KEY: issued.SecretAccessKey });
    expect(issued.AccessKeyId).not.toBe(readCredentials(dataDir).accessKeyId);
    await ok(['secret', 'list', '--max', '1'], { env: asCi });

    const keys = await json<{ AccessKeyId: string; Name: string; Status: string }[]>(['keys', 'list', '--data-dir', dataDir]);
    expect(keys).toContainEqual(expect.objectContaining({ AccessKeyId: issued.AccessKeyId, Name: 'ci-runner' }));

    expect((await ok(['keys', 'revoke', issued.AccessKeyId, '--data-dir', dataDir])).stdout).toBe(`Revoked ${issued.AccessKeyId}\n`);
    const refused = await rotor(['secret', 'list'], { env: asCi });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^rotor: UnrecognizedClientException: /);
    // The profile written at first start still works.
    await ok(['secret', 'list', '--max', '1']);
  });
});

describe('client connection settings', () => {
  it('parses AWS-style INI sections and ignores comments', () => {
    const sections = parseIni('# comment\n[rotor]\naws_access_key_id = AKIA1\n; note\naws_secret_access_key=abc=def\n\n[profile rotor]\nregion = eu-west-1\n');
    expect(sections.get('rotor')?.get('aws_access_key_id')).toBe('AKIA1');
    expect(sections.get('rotor')?.get('aws_secret_access_key')).toBe('abc=def');
    expect(sections.get('profile rotor')?.get('region')).toBe('eu-west-1');
  });

  it('builds the endpoint from ROTOR_HOST and ROTOR_PORT and takes the region from the config file', () => {
    const connection = resolveConnection({ dataDir }, { ROTOR_HOST: '10.0.0.5', ROTOR_PORT: '9000' });
    expect(connection.endpoint).toBe('http://10.0.0.5:9000');
    expect(connection.region).toBe('us-east-1');
    expect(connection.credentials.accessKeyId).toBe(readCredentials(dataDir).accessKeyId);
    expect(resolveConnection({ dataDir, endpoint: 'http://h:1/' }, { ROTOR_REGION: 'eu-central-1' })).toMatchObject({
      endpoint: 'http://h:1',
      region: 'eu-central-1',
    });
  });

  it('prefers AWS_ACCESS_KEY_ID from the environment unless --profile is given', () => {
    const env = { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret' };
    expect(resolveConnection({ dataDir }, env).credentials.accessKeyId).toBe('AKIAENV');
    expect(resolveConnection({ dataDir, profile: 'rotor' }, env).credentials.accessKeyId).toBe(readCredentials(dataDir).accessKeyId);
  });
});
