import {
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, type TestRotor } from '../support/rotor-server.js';
import { dayMs, expectAwsError, ManualClock, markedForDeletionMessage, notFoundMessage, signWithClock, token, uniqueName } from './helpers.js';

/** DeleteSecret and RestoreSecret (reference §3), with the recovery window driven by the clock. */

const clock = new ManualClock(Date.UTC(2033, 2, 3, 4, 5, 6));
let rotor: TestRotor;
let client: SecretsManagerClient;

beforeAll(async () => {
  rotor = await startTestRotor({ clock });
  client = rotor.client;
  signWithClock(client, clock);
});

afterAll(async () => {
  await rotor.close();
});

const windowMessage = 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).';
const bothMessage = "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.";
const policy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
});

async function create(prefix: string) {
  const Name = uniqueName(prefix);
  const created = await client.send(new CreateSecretCommand({ Name, SecretString: 'v1' }));
  return { Name, ARN: created.ARN!, VersionId: created.VersionId! };
}

describe('DeleteSecret', () => {
  it('schedules deletion 30 days out by default', async () => {
    const { Name, ARN } = await create('del-default');
    const before = clock.now();
    const deleted = await client.send(new DeleteSecretCommand({ SecretId: Name }));
    expect(deleted.ARN).toBe(ARN);
    expect(deleted.Name).toBe(Name);
    const delay = deleted.DeletionDate!.getTime() - before;
    expect(delay).toBeGreaterThanOrEqual(30 * dayMs);
    expect(delay).toBeLessThan(30 * dayMs + 5_000);
    const described = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    expect(deleted.DeletionDate!.getTime() - described.DeletedDate!.getTime()).toBe(30 * dayMs);
  });

  it('accepts recovery windows of 7 and 30 days', async () => {
    for (const RecoveryWindowInDays of [7, 30]) {
      const { Name } = await create(`del-window-${RecoveryWindowInDays}`);
      const deleted = await client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays }));
      const described = await client.send(new DescribeSecretCommand({ SecretId: Name }));
      expect(deleted.DeletionDate!.getTime() - described.DeletedDate!.getTime()).toBe(RecoveryWindowInDays * dayMs);
    }
  });

  it('refuses windows outside 7–30 days, before looking the secret up', async () => {
    // moto's wording (without its "An error occurred" prefix); AWS's text is unverified.
    const { Name } = await create('del-bounds');
    for (const RecoveryWindowInDays of [6, 31, 0]) {
      await expectAwsError(client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays })), 'InvalidParameterException', windowMessage);
    }
    await expectAwsError(
      client.send(new DeleteSecretCommand({ SecretId: uniqueName('del-bounds-missing'), RecoveryWindowInDays: 3 })),
      'InvalidParameterException',
      windowMessage,
    );
    expect(await client.send(new DescribeSecretCommand({ SecretId: Name }))).not.toHaveProperty('DeletedDate');
  });

  it('refuses ForceDeleteWithoutRecovery together with RecoveryWindowInDays', async () => {
    // moto's wording; AWS's text is unverified.
    const { Name } = await create('del-both');
    await expectAwsError(
      client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 10, ForceDeleteWithoutRecovery: true })),
      'InvalidParameterException',
      bothMessage,
    );
    await expectAwsError(
      client.send(new DeleteSecretCommand({ SecretId: uniqueName('del-both-missing'), RecoveryWindowInDays: 10, ForceDeleteWithoutRecovery: true })),
      'InvalidParameterException',
      bothMessage,
    );
  });

  it('force-deletes at once, freeing the name', async () => {
    const { Name, ARN } = await create('del-force');
    const deleted = await client.send(new DeleteSecretCommand({ SecretId: Name, ForceDeleteWithoutRecovery: true }));
    expect(deleted.ARN).toBe(ARN);
    expect(deleted.Name).toBe(Name);
    expect(deleted.DeletionDate).toBeInstanceOf(Date);
    await expectAwsError(client.send(new DescribeSecretCommand({ SecretId: Name })), 'ResourceNotFoundException', notFoundMessage);
    const recreated = await client.send(new CreateSecretCommand({ Name, SecretString: 'again' }));
    expect(recreated.ARN).not.toBe(ARN);
  });

  it('answers 200 when force-deleting a secret that does not exist', async () => {
    const Name = uniqueName('del-force-missing');
    const deleted = await client.send(new DeleteSecretCommand({ SecretId: Name, ForceDeleteWithoutRecovery: true }));
    expect(deleted.$metadata.httpStatusCode).toBe(200);
    expect(deleted.Name).toBe(Name);
    expect(deleted.ARN).toMatch(new RegExp(`:secret:${Name}-[A-Za-z0-9]{6}$`));
    expect(deleted.DeletionDate).toBeInstanceOf(Date);
  });

  it('answers 200 when force-deleting a secret already scheduled for deletion', async () => {
    const { Name } = await create('del-force-scheduled');
    await client.send(new DeleteSecretCommand({ SecretId: Name }));
    const forced = await client.send(new DeleteSecretCommand({ SecretId: Name, ForceDeleteWithoutRecovery: true }));
    expect(forced.$metadata.httpStatusCode).toBe(200);
    await expectAwsError(client.send(new DescribeSecretCommand({ SecretId: Name })), 'ResourceNotFoundException', notFoundMessage);
  });

  it('refuses to schedule a secret that is already scheduled', async () => {
    const { Name } = await create('del-twice');
    await client.send(new DeleteSecretCommand({ SecretId: Name }));
    // moto's wording; AWS's text is unverified.
    await expectAwsError(
      client.send(new DeleteSecretCommand({ SecretId: Name })),
      'InvalidRequestException',
      "You tried to perform the operation on a secret that's currently marked deleted.",
    );
  });

  it('answers ResourceNotFoundException for an unknown secret without force', async () => {
    await expectAwsError(client.send(new DeleteSecretCommand({ SecretId: uniqueName('del-missing') })), 'ResourceNotFoundException', notFoundMessage);
  });
});

describe('a secret scheduled for deletion', () => {
  it('refuses value, metadata, label, tag and policy changes as marked for deletion', async () => {
    const { Name, VersionId } = await create('sched-ops');
    await client.send(new DeleteSecretCommand({ SecretId: Name }));
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['GetSecretValue', () => client.send(new GetSecretValueCommand({ SecretId: Name }))],
      ['PutSecretValue', () => client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'x' }))],
      ['UpdateSecret', () => client.send(new UpdateSecretCommand({ SecretId: Name, Description: 'x' }))],
      ['UpdateSecret value', () => client.send(new UpdateSecretCommand({ SecretId: Name, SecretString: 'x' }))],
      ['UpdateSecretVersionStage', () => client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'X', MoveToVersionId: VersionId }))],
      ['TagResource', () => client.send(new TagResourceCommand({ SecretId: Name, Tags: [{ Key: 'k', Value: 'v' }] }))],
      ['UntagResource', () => client.send(new UntagResourceCommand({ SecretId: Name, TagKeys: ['k'] }))],
      ['PutResourcePolicy', () => client.send(new PutResourcePolicyCommand({ SecretId: Name, ResourcePolicy: policy }))],
      ['DeleteResourcePolicy', () => client.send(new DeleteResourcePolicyCommand({ SecretId: Name }))],
    ];
    for (const [operation, call] of calls) {
      const error = await expectAwsError(call(), 'InvalidRequestException');
      expect(error.message, operation).toBe(markedForDeletionMessage);
    }
  });

  it('can still be described, listed by version and have its policy read', async () => {
    const { Name, ARN } = await create('sched-read');
    await client.send(new DeleteSecretCommand({ SecretId: Name }));
    expect((await client.send(new DescribeSecretCommand({ SecretId: Name }))).ARN).toBe(ARN);
    expect((await client.send(new ListSecretVersionIdsCommand({ SecretId: Name }))).Versions).toHaveLength(1);
    expect((await client.send(new GetResourcePolicyCommand({ SecretId: Name }))).ARN).toBe(ARN);
  });

  it('blocks CreateSecret with the same name', async () => {
    const { Name } = await create('sched-create');
    await client.send(new DeleteSecretCommand({ SecretId: Name }));
    await expectAwsError(
      client.send(new CreateSecretCommand({ Name, SecretString: 'again' })),
      'InvalidRequestException',
      "You can't create this secret because a secret with this name is already scheduled for deletion.",
    );
  });
});

describe('RestoreSecret', () => {
  it('cancels the deletion and removes DeletedDate', async () => {
    const { Name, ARN } = await create('restore');
    await client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7 }));
    const restored = await client.send(new RestoreSecretCommand({ SecretId: Name }));
    const { $metadata: _metadata, ...body } = restored;
    expect(body).toEqual({ ARN, Name });
    expect(await client.send(new DescribeSecretCommand({ SecretId: Name }))).not.toHaveProperty('DeletedDate');
    expect((await client.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString).toBe('v1');
    clock.advance(8 * dayMs);
    expect((await client.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString).toBe('v1');
  });

  it('answers 200 for a secret that is not scheduled', async () => {
    const { Name, ARN } = await create('restore-live');
    expect((await client.send(new RestoreSecretCommand({ SecretId: Name }))).ARN).toBe(ARN);
  });

  it('answers ResourceNotFoundException for an unknown secret', async () => {
    await expectAwsError(client.send(new RestoreSecretCommand({ SecretId: uniqueName('restore-missing') })), 'ResourceNotFoundException', notFoundMessage);
  });
});

describe('the end of the recovery window', () => {
  it('removes the secret and frees its name for a new secret with a new ARN suffix', async () => {
    const { Name, ARN } = await create('window');
    await client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7 }));
    clock.advance(7 * dayMs - 60_000);
    // One minute before the end it is still there, and restorable.
    expect((await client.send(new DescribeSecretCommand({ SecretId: Name }))).DeletedDate).toBeInstanceOf(Date);
    clock.advance(2 * 60_000);
    for (const SecretId of [Name, ARN]) {
      await expectAwsError(client.send(new DescribeSecretCommand({ SecretId })), 'ResourceNotFoundException', notFoundMessage);
    }
    await expectAwsError(client.send(new RestoreSecretCommand({ SecretId: Name })), 'ResourceNotFoundException', notFoundMessage);
    const listed = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [Name] }], IncludePlannedDeletion: true }));
    expect(listed.SecretList).toEqual([]);
    const recreated = await client.send(new CreateSecretCommand({ Name, SecretString: 'reborn', ClientRequestToken: token() }));
    expect(recreated.ARN).not.toBe(ARN);
    expect(recreated.ARN!.slice(0, -6)).toBe(ARN.slice(0, -6));
    expect((await client.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString).toBe('reborn');
    await expectAwsError(client.send(new GetSecretValueCommand({ SecretId: ARN })), 'ResourceNotFoundException', notFoundMessage);
  });
});
