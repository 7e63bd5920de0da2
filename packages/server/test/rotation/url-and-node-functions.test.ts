import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { createHmac, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, tempDir, type TestRotor } from '../support/rotor-server.js';
import { until } from '../support/rotation-probes.js';

/**
 * The two other function kinds: an HTTP endpoint that Rotor signs its calls to, and a
 * Node handler run as a process. Both do the AWS template's four steps with the
 * credentials Rotor hands them.
 */
let rotor: TestRotor;

beforeAll(async () => {
  rotor = await startTestRotor();
});
afterAll(async () => rotor.close());

async function templateStep(client: SecretsManagerClient, event: { Step: string; SecretId: string; ClientRequestToken: string }) {
  const { Step: step, SecretId: arn, ClientRequestToken: token } = event;
  const described = await client.send(new DescribeSecretCommand({ SecretId: arn }));
  const stages = described.VersionIdsToStages ?? {};
  if (!stages[token]) throw new Error(`version ${token} has no stage`);
  if (step === 'createSecret') {
    try {
      await client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: 'AWSPENDING' }));
    } catch {
      const { RandomPassword } = await client.send(new GetRandomPasswordCommand({ PasswordLength: 20, ExcludePunctuation: true }));
      await client.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: RandomPassword, VersionStages: ['AWSPENDING'] }));
    }
  } else if (step === 'finishSecret') {
    const current = Object.entries(stages).find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
    if (current === token) return;
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: current }));
  }
}

describe('an HTTP function', () => {
  let server: Server;
  let signingKey = '';
  const received: { step: string; signatureValid: boolean; accessKeyId: string }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        void (async () => {
          const header = String(request.headers['x-rotor-signature'] ?? '');
          const [, timestamp, mac] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(header) ?? [];
          const expected = createHmac('sha256', Buffer.from(signingKey, 'base64')).update(`${timestamp}.${body}`).digest('hex');
          const event = JSON.parse(body) as { Step: string; SecretId: string; ClientRequestToken: string; RotationToken: string };
          const accessKeyId = String(request.headers['x-rotor-access-key-id']);
          received.push({ step: event.Step, signatureValid: mac === expected, accessKeyId });
          if (mac !== expected) {
            response.writeHead(401).end('bad signature');
            return;
          }
          const client = new SecretsManagerClient({
            endpoint: String(request.headers['x-rotor-endpoint']),
            region: 'us-east-1',
            credentials: {
              accessKeyId,
              secretAccessKey: String(request.headers['x-rotor-secret-access-key']),
              sessionToken: String(request.headers['x-rotor-session-token']),
            },
            maxAttempts: 1,
          });
          try {
            await templateStep(client, event);
            response.writeHead(200).end('ok');
          } catch (error) {
            response.writeHead(500).end((error as Error).message);
          } finally {
            client.destroy();
          }
        })();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('receives the AWS event signed with its key and rotates through Rotor with the short-lived keys', async () => {
    const port = (server.address() as AddressInfo).port;
    const created = await rotor.rotor.functions.create({ name: 'http-rotator', url: `http://127.0.0.1:${port}/rotate` });
    signingKey = created.SigningKey!;
    const name = `url/${randomUUID()}`;
    const first = await rotor.client.send(new CreateSecretCommand({ Name: name, SecretString: 'before' }));
    const rotated = await rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: created.FunctionArn }));
    const described = await until(
      () => rotor.client.send(new DescribeSecretCommand({ SecretId: name })),
      (d) => d.VersionIdsToStages?.[rotated.VersionId!]?.join() === 'AWSCURRENT',
    );
    expect(described.VersionIdsToStages).toEqual({ [first.VersionId!]: ['AWSPREVIOUS'], [rotated.VersionId!]: ['AWSCURRENT'] });
    expect(received.map((call) => call.step)).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    expect(received.every((call) => call.signatureValid)).toBe(true);
    expect(received[0]!.accessKeyId).toMatch(/^ASIA/);
    const value = await rotor.client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(value.SecretString).toMatch(/^[A-Za-z0-9]{20}$/);
  });
});

describe('a Node handler', () => {
  it('runs as a process with the AWS environment and rotates the secret', async () => {
    const dir = tempDir('rotor-node-handler-');
    const file = join(dir, 'rotate.mjs');
    // A JS-SDK handler in the shape of an AWS rotation Lambda, reading only the environment.
    writeFileSync(
      file,
      `import { SecretsManagerClient, DescribeSecretCommand, GetRandomPasswordCommand, PutSecretValueCommand, UpdateSecretVersionStageCommand, GetSecretValueCommand } from '${pathToFileURL(createRequire(import.meta.url).resolve('@aws-sdk/client-secrets-manager')).href}';
const client = new SecretsManagerClient({ endpoint: process.env.SECRETS_MANAGER_ENDPOINT, region: process.env.AWS_REGION });
export async function handler(event) {
  const { Step: step, SecretId: arn, ClientRequestToken: token } = event;
  const stages = (await client.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages;
  if (!stages[token]?.includes('AWSPENDING') && !stages[token]?.includes('AWSCURRENT')) throw new Error('not pending');
  if (step === 'createSecret') {
    try { await client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: 'AWSPENDING' })); }
    catch { const { RandomPassword } = await client.send(new GetRandomPasswordCommand({ PasswordLength: 28 }));
      await client.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: RandomPassword, VersionStages: ['AWSPENDING'] })); }
  }
  if (step === 'finishSecret') {
    const current = Object.keys(stages).find((id) => stages[id].includes('AWSCURRENT'));
    if (current !== token) await client.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: current }));
  }
}
`,
    );
    const fn = await rotor.rotor.functions.create({ name: 'node-rotator', handler: `${file}:handler` });
    expect(fn.Runtime).toBe('node');
    const name = `node/${randomUUID()}`;
    await rotor.client.send(new CreateSecretCommand({ Name: name, SecretString: 'before' }));
    const rotated = await rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: fn.FunctionArn }));
    await until(
      () => rotor.client.send(new DescribeSecretCommand({ SecretId: name })),
      (d) => d.VersionIdsToStages?.[rotated.VersionId!]?.join() === 'AWSCURRENT',
      { timeoutMs: 30_000 },
    );
    const value = await rotor.client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(value.SecretString).toHaveLength(28);
  });
});
