import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, type TestRotor } from '../support/rotor-server.js';

/**
 * The AWS CLI and boto3 installed on the machine (python, botocore's own SigV4 and
 * JSON protocol code) against Rotor, configured only through the files Rotor wrote into
 * its data directory. CI installs both; when they are missing these tests fail.
 */

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of the CLI: Rotor's profile files, and nothing the caller's AWS_* could override. */
function cliEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_')) env[key] = value;
  return {
    ...env,
    AWS_SHARED_CREDENTIALS_FILE: join(dataDir, 'credentials'),
    AWS_CONFIG_FILE: join(dataDir, 'config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`${command} could not run (${String(error.code ?? error.message)}): ${stderr}`));
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** Why the tool cannot run, or undefined when it can. Checked inside each test so that each fails, none skips. */
function missingTool(command: string, args: string[], hint: string): string | undefined {
  const probe = spawnSync(command, args, { encoding: 'utf8' });
  if (!probe.error && probe.status === 0) return undefined;
  return `${hint} (running \`${command} ${args.join(' ')}\` failed: ${probe.error?.message ?? probe.stderr}). Install it; this test does not skip.`;
}

const missingAws = missingTool('aws', ['--version'], 'The AWS CLI (`aws`) is not on PATH');
const missingBoto3 = missingTool('python3', ['-c', 'import boto3'], 'python3 with boto3 is not installed');

/** A test that needs a tool: it fails, with the reason, when the tool is missing. */
function itWith(missing: string | undefined, name: string, body: () => Promise<void>): void {
  // Each `aws` run starts a python interpreter: about a second, several on a busy CI machine.
  it(name, { timeout: 120_000 }, async () => {
    if (missing !== undefined) throw new Error(missing);
    await body();
  });
}

describe('the AWS CLI against Rotor', () => {
  let rotor: TestRotor;
  let aws: (...args: string[]) => Promise<Run>;
  let awsJson: (...args: string[]) => Promise<Record<string, unknown>>;

  beforeAll(async () => {
    rotor = await startTestRotor();
    const env = cliEnv(rotor.dataDir);
    aws = (...args) => run('aws', ['--profile', 'rotor', '--endpoint-url', rotor.url, '--output', 'json', 'secretsmanager', ...args], env);
    awsJson = async (...args) => {
      const result = await aws(...args);
      expect(result.code, `aws ${args.join(' ')}: ${result.stderr}`).toBe(0);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
  });

  afterAll(async () => {
    await rotor?.close();
  });

  itWith(missingAws, 'creates, reads, updates and lists a string secret', async () => {
    const created = await awsJson('create-secret', '--name', 'cli/db-password', '--secret-string', 'hunter2', '--description', 'from the CLI');
    expect(created.Name).toBe('cli/db-password');
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:cli\/db-password-[A-Za-z0-9]{6}$/);
    const firstVersion = created.VersionId as string;

    const read = await awsJson('get-secret-value', '--secret-id', 'cli/db-password');
    expect(read).toMatchObject({ Name: 'cli/db-password', SecretString: 'hunter2', VersionId: firstVersion, VersionStages: ['AWSCURRENT'] });

    const put = await awsJson('put-secret-value', '--secret-id', 'cli/db-password', '--secret-string', '{"user":"app","password":"correct horse"}');
    expect(put.VersionStages).toEqual(['AWSCURRENT']);
    expect(put.VersionId).not.toBe(firstVersion);

    const current = await awsJson('get-secret-value', '--secret-id', created.ARN as string);
    expect(JSON.parse(current.SecretString as string)).toEqual({ user: 'app', password: 'correct horse' });
    const previous = await awsJson('get-secret-value', '--secret-id', 'cli/db-password', '--version-stage', 'AWSPREVIOUS');
    expect(previous).toMatchObject({ SecretString: 'hunter2', VersionId: firstVersion, VersionStages: ['AWSPREVIOUS'] });

    const versions = await awsJson('list-secret-version-ids', '--secret-id', 'cli/db-password', '--include-deprecated');
    const stagesById = Object.fromEntries((versions.Versions as { VersionId: string; VersionStages: string[] }[]).map((v) => [v.VersionId, v.VersionStages]));
    expect(stagesById).toEqual({ [firstVersion]: ['AWSPREVIOUS'], [put.VersionId as string]: ['AWSCURRENT'] });

    const described = await awsJson('describe-secret', '--secret-id', 'cli/db-password');
    expect(described).toMatchObject({ Name: 'cli/db-password', Description: 'from the CLI' });
    expect(Object.keys(described.VersionIdsToStages as object)).toHaveLength(2);

    await awsJson('create-secret', '--name', 'other/thing', '--secret-string', 'x');
    const listed = await awsJson('list-secrets', '--filters', 'Key=name,Values=cli/');
    expect((listed.SecretList as { Name: string }[]).map((secret) => secret.Name)).toEqual(['cli/db-password']);
    const all = await awsJson('list-secrets');
    expect((all.SecretList as { Name: string }[]).map((secret) => secret.Name).sort()).toEqual(['cli/db-password', 'other/thing']);
  });

  itWith(missingAws, 'round-trips a binary secret given as fileb://', async () => {
    const bytes = randomBytes(300);
    const file = join(rotor.dataDir, 'binary-input.bin');
    writeFileSync(file, bytes);
    await awsJson('create-secret', '--name', 'cli/binary', '--secret-binary', `fileb://${file}`);
    const read = await awsJson('get-secret-value', '--secret-id', 'cli/binary');
    expect(read.SecretString).toBeUndefined();
    expect(Buffer.from(read.SecretBinary as string, 'base64').equals(bytes)).toBe(true);
  });

  itWith(missingAws, 'deletes without recovery, after which the secret is gone', async () => {
    await awsJson('create-secret', '--name', 'cli/doomed', '--secret-string', 'bye');
    const deleted = await awsJson('delete-secret', '--secret-id', 'cli/doomed', '--force-delete-without-recovery');
    expect(deleted.Name).toBe('cli/doomed');
    expect(typeof deleted.DeletionDate).toBe('number');
    const after = await aws('get-secret-value', '--secret-id', 'cli/doomed');
    expect([254, 255]).toContain(after.code);
    expect(after.stderr).toContain('ResourceNotFoundException');
  });

  itWith(missingAws, 'exits 254/255 with ResourceNotFoundException for a secret that does not exist', async () => {
    const result = await aws('get-secret-value', '--secret-id', 'cli/never-created');
    expect([254, 255]).toContain(result.code);
    expect(result.stderr).toContain('ResourceNotFoundException');
    expect(result.stderr).toMatch(/GetSecretValue/);
    expect(result.stdout).toBe('');
  });

  itWith(missingAws, 'exits non-zero with a signature error when the profile holds a wrong secret key', async () => {
    const credentials = join(rotor.dataDir, 'wrong-credentials');
    writeFileSync(credentials, `[rotor]\naws_access_key_id = ${rotor.credentials.accessKeyId}\naws_secret_access_key = wrong${rotor.credentials.secretAccessKey}\n`, { mode: 0o600 });
    const env = { ...cliEnv(rotor.dataDir), AWS_SHARED_CREDENTIALS_FILE: credentials };
    const result = await run('aws', ['--profile', 'rotor', '--endpoint-url', rotor.url, 'secretsmanager', 'list-secrets'], env);
    expect([254, 255]).toContain(result.code);
    expect(result.stderr).toContain('InvalidSignatureException');
  });
});

const boto3Script = String.raw`
import json, sys
import boto3
from botocore.exceptions import ClientError

session = boto3.session.Session(profile_name="rotor")
client = session.client("secretsmanager", endpoint_url=sys.argv[1])
out = {}
created = client.create_secret(Name="boto/api-key", SecretString="first", Tags=[{"Key": "team", "Value": "payments"}])
out["created"] = {"Name": created["Name"], "VersionId": created["VersionId"]}
put = client.put_secret_value(SecretId="boto/api-key", SecretBinary=b"\x00\x01binary\xff")
out["put"] = {"VersionId": put["VersionId"], "VersionStages": put["VersionStages"]}
got = client.get_secret_value(SecretId="boto/api-key")
out["current"] = {"VersionId": got["VersionId"], "SecretBinary": got["SecretBinary"].hex(), "HasString": "SecretString" in got}
prev = client.get_secret_value(SecretId=created["ARN"], VersionStage="AWSPREVIOUS")
out["previous"] = prev["SecretString"]
paginator = client.get_paginator("list_secrets")
out["names"] = sorted(s["Name"] for page in paginator.paginate(Filters=[{"Key": "tag-value", "Values": ["payments"]}]) for s in page["SecretList"])
described = client.describe_secret(SecretId="boto/api-key")
out["tags"] = described["Tags"]
out["stages"] = sorted(st for stages in described["VersionIdsToStages"].values() for st in stages)
try:
    client.get_secret_value(SecretId="boto/missing")
    out["missing"] = "no error"
except ClientError as error:
    out["missing"] = error.response["Error"]["Code"]
    out["missingStatus"] = error.response["ResponseMetadata"]["HTTPStatusCode"]
client.delete_secret(SecretId="boto/api-key", ForceDeleteWithoutRecovery=True)
try:
    client.describe_secret(SecretId="boto/api-key")
    out["afterDelete"] = "still there"
except ClientError as error:
    out["afterDelete"] = error.response["Error"]["Code"]
print(json.dumps(out))
`;

describe('boto3 against Rotor', () => {
  let rotor: TestRotor;

  beforeAll(async () => {
    rotor = await startTestRotor();
  });

  afterAll(async () => {
    await rotor?.close();
  });

  itWith(missingBoto3, 'creates, puts binary, reads both versions, lists by tag and deletes', async () => {
    const result = await run('python3', ['-c', boto3Script, rotor.url], cliEnv(rotor.dataDir));
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(out.created).toMatchObject({ Name: 'boto/api-key' });
    expect(out.put).toMatchObject({ VersionStages: ['AWSCURRENT'] });
    expect(out.current).toEqual({ VersionId: (out.put as { VersionId: string }).VersionId, SecretBinary: '000162696e617279ff', HasString: false });
    expect(out.previous).toBe('first');
    expect(out.names).toEqual(['boto/api-key']);
    expect(out.tags).toEqual([{ Key: 'team', Value: 'payments' }]);
    expect(out.stages).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
    expect(out.missing).toBe('ResourceNotFoundException');
    expect(out.missingStatus).toBe(400);
    expect(out.afterDelete).toBe('ResourceNotFoundException');
  });
});
