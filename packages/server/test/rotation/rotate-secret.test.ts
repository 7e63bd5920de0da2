import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, type TestRotor } from '../support/rotor-server.js';

let rotor: TestRotor;
let randomArn: string;
let failingArn: string;

async function until<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const describeSecret = (id: string) => rotor.client.send(new DescribeSecretCommand({ SecretId: id }));

async function createSecret(value = 'initial-value') {
  const name = `rotate/${randomUUID()}`;
  const created = await rotor.client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  return { name, firstVersion: created.VersionId! };
}

beforeAll(async () => {
  rotor = await startTestRotor();
  randomArn = (await rotor.rotor.functions.create({ name: 'random-password', builtin: 'random', config: { passwordLength: 24 } })).FunctionArn;
  failingArn = (await rotor.rotor.functions.create({ name: 'json-field', builtin: 'random', config: { field: 'password' } })).FunctionArn;
});
afterAll(async () => rotor.close());

describe('RotateSecret with the built-in random function', () => {
  it('rotates: the new version is AWSCURRENT with a new value, the old one AWSPREVIOUS', async () => {
    const { name, firstVersion } = await createSecret();
    const rotated = await rotor.client.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn, RotationRules: { ScheduleExpression: 'rate(1 day)' } }),
    );
    expect(rotated.VersionId).toBeDefined();
    const described = await until(
      () => describeSecret(name),
      (d) => d.VersionIdsToStages?.[rotated.VersionId!]?.join() === 'AWSCURRENT',
    );
    expect(described.VersionIdsToStages).toEqual({ [firstVersion]: ['AWSPREVIOUS'], [rotated.VersionId!]: ['AWSCURRENT'] });
    expect(described.RotationEnabled).toBe(true);
    expect(described.RotationLambdaARN).toBe(randomArn);
    expect(described.RotationRules).toEqual({ ScheduleExpression: 'rate(1 day)', AutomaticallyAfterDays: 1 });
    expect(described.LastRotatedDate).toBeInstanceOf(Date);
    expect(described.NextRotationDate!.getTime() - described.LastRotatedDate!.getTime()).toBe(86_400_000);
    const value = await rotor.client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(value.SecretString).toHaveLength(24);
    expect(value.SecretString).not.toBe('initial-value');
  });

  it('rotates again with the stored configuration when called with the SecretId alone', async () => {
    const { name } = await createSecret();
    const first = await rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn }));
    await until(() => describeSecret(name), (d) => d.VersionIdsToStages?.[first.VersionId!]?.join() === 'AWSCURRENT');
    const second = await rotor.client.send(new RotateSecretCommand({ SecretId: name }));
    const described = await until(() => describeSecret(name), (d) => d.VersionIdsToStages?.[second.VersionId!]?.join() === 'AWSCURRENT');
    expect(described.VersionIdsToStages).toEqual({ [first.VersionId!]: ['AWSPREVIOUS'], [second.VersionId!]: ['AWSCURRENT'] });
  });

  it('rotates one field of a JSON secret and keeps the others', async () => {
    const { name } = await createSecret(JSON.stringify({ username: 'app', password: 'old' }));
    const rotated = await rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: failingArn }));
    await until(() => describeSecret(name), (d) => d.VersionIdsToStages?.[rotated.VersionId!]?.join() === 'AWSCURRENT');
    const value = JSON.parse((await rotor.client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString!) as Record<string, string>;
    expect(value.username).toBe('app');
    expect(value.password).toHaveLength(32);
  });

  it('with RotateImmediately=false runs only testSecret and leaves AWSCURRENT alone', async () => {
    const { name, firstVersion } = await createSecret();
    const tested = await rotor.client.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn, RotateImmediately: false, RotationRules: { AutomaticallyAfterDays: 7 } }),
    );
    await until(
      () => describeSecret(name),
      (d) => d.VersionIdsToStages?.[tested.VersionId!] === undefined && d.NextRotationDate !== undefined,
    );
    const described = await describeSecret(name);
    expect(described.VersionIdsToStages).toEqual({ [firstVersion]: ['AWSCURRENT'] });
    expect(described.LastRotatedDate).toBeUndefined();
    expect((await rotor.client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('initial-value');
  });
});

describe('RotateSecret idempotency', () => {
  it('answers a retried call (same ClientRequestToken) as the first and rotates once', async () => {
    const { name, firstVersion } = await createSecret();
    const token = randomUUID();
    const [first, second] = await Promise.all([
      rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn, ClientRequestToken: token })),
      rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn, ClientRequestToken: token })).catch((error: Error) => error),
    ]);
    expect(first.VersionId).toBe(token);
    // Either the retry arrived while the rotation ran (same answer) or after it finished (the token is a version now).
    if (second instanceof Error) expect(second.name).toBe('ResourceExistsException');
    else expect(second.VersionId).toBe(token);
    const described = await until(() => describeSecret(name), (d) => d.VersionIdsToStages?.[token]?.join() === 'AWSCURRENT');
    expect(described.VersionIdsToStages).toEqual({ [firstVersion]: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
    const runs = await rotor.rotor.dataDir.store.listRotations(described.ARN!, 10);
    expect(runs).toHaveLength(1);
  });
});

describe('RotateSecret errors (reference §5.1)', () => {
  it('refuses a secret without a function', async () => {
    const { name } = await createSecret();
    await expect(rotor.client.send(new RotateSecretCommand({ SecretId: name }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: 'No Lambda rotation function ARN is associated with this secret.',
    });
  });

  it('refuses a function that does not exist and saves no configuration', async () => {
    const { name } = await createSecret();
    await expect(
      rotor.client.send(
        new RotateSecretCommand({ SecretId: name, RotationLambdaARN: 'arn:aws:lambda:us-east-1:000000000000:function:nope', RotationRules: { AutomaticallyAfterDays: 1 } }),
      ),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message:
        'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.',
    });
    const described = await describeSecret(name);
    expect(described.RotationEnabled).toBeUndefined();
    expect(described.RotationRules).toBeUndefined();
    expect(described.RotationLambdaARN).toBeUndefined();
  });

  it('refuses while AWSPENDING sits on another version than AWSCURRENT, and after its removal rotates', async () => {
    const { name } = await createSecret();
    const pending = randomUUID();
    await rotor.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'half-done', ClientRequestToken: pending, VersionStages: ['AWSPENDING'] }));
    await expect(rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: "A previous rotation isn't complete. That rotation will be reattempted.",
    });
    await expect(
      rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn, RotationRules: { AutomaticallyAfterDays: 2 } })),
    ).rejects.toMatchObject({ name: 'InvalidRequestException' });
    await rotor.client.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSPENDING', RemoveFromVersionId: pending }));
    const rotated = await rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn }));
    await until(() => describeSecret(name), (d) => d.VersionIdsToStages?.[rotated.VersionId!]?.join() === 'AWSCURRENT');
  });

  it('validates RotationRules with AWS messages', async () => {
    const { name } = await createSecret();
    await expect(
      rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn, RotationRules: { AutomaticallyAfterDays: 1001 } })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'RotationRules.AutomaticallyAfterDays must be within 1-1000.' });
    await expect(
      rotor.client.send(
        new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn, RotationRules: { AutomaticallyAfterDays: 1, ScheduleExpression: 'rate(1 day)' } }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn, RotationRules: { ScheduleExpression: 'cron(0 10 * * * *)' } })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('refuses unknown secrets and secrets scheduled for deletion', async () => {
    await expect(rotor.client.send(new RotateSecretCommand({ SecretId: `rotate/${randomUUID()}`, RotationLambdaARN: randomArn }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('CancelRotateSecret', () => {
  it('turns rotation off, keeps the configuration visible and leaves AWSPENDING in place', async () => {
    const { name } = await createSecret();
    const rotated = await rotor.client.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn, RotationRules: { AutomaticallyAfterDays: 3 } }),
    );
    await until(() => describeSecret(name), (d) => d.VersionIdsToStages?.[rotated.VersionId!]?.join() === 'AWSCURRENT');
    const cancelled = await rotor.client.send(new CancelRotateSecretCommand({ SecretId: name }));
    expect(cancelled.VersionId).toBeUndefined();
    const described = await describeSecret(name);
    expect(described.RotationEnabled).toBe(false);
    expect(described.RotationRules).toEqual({ AutomaticallyAfterDays: 3 });
    expect(described.NextRotationDate).toBeUndefined();
  });

  it('refuses a secret that never had rotation configured', async () => {
    const { name } = await createSecret();
    await expect(rotor.client.send(new CancelRotateSecretCommand({ SecretId: name }))).rejects.toMatchObject({ name: 'InvalidRequestException' });
  });
});
