import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, type TestRotor } from '../support/rotor-server.js';
import { expectAwsError, invalidNameMessage, notFoundMessage, token, tokenInUseMessage, uniqueName } from './helpers.js';

let rotor: TestRotor;
let client: SecretsManagerClient;

beforeAll(async () => {
  rotor = await startTestRotor();
  client = rotor.client;
});

afterAll(async () => {
  await rotor.close();
});

async function createWithValue(prefix: string, value = 'v1') {
  const Name = uniqueName(prefix);
  const created = await client.send(new CreateSecretCommand({ Name, SecretString: value }));
  return { Name, ARN: created.ARN!, VersionId: created.VersionId! };
}

describe('CreateSecret', () => {
  it('returns the ARN with a 6-character suffix, the name and the token as VersionId', async () => {
    const Name = uniqueName('create');
    const requestToken = token();
    const created = await client.send(new CreateSecretCommand({ Name, SecretString: 's3cret', ClientRequestToken: requestToken }));
    expect(created.Name).toBe(Name);
    expect(created.VersionId).toBe(requestToken);
    expect(created.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:us-east-1:\\d{12}:secret:${Name}-[A-Za-z0-9]{6}$`));
  });

  it('gives the first version AWSCURRENT', async () => {
    const { Name, VersionId } = await createWithValue('first');
    const value = await client.send(new GetSecretValueCommand({ SecretId: Name }));
    expect(value.VersionId).toBe(VersionId);
    expect(value.VersionStages).toEqual(['AWSCURRENT']);
    expect(value.SecretString).toBe('v1');
  });

  it('returns exactly ARN and Name when created without a value', async () => {
    const Name = uniqueName('empty');
    const created = await client.send(new CreateSecretCommand({ Name }));
    const { $metadata: _metadata, ...body } = created;
    expect(Object.keys(body).sort()).toEqual(['ARN', 'Name']);
    await expectAwsError(
      client.send(new GetSecretValueCommand({ SecretId: Name })),
      'ResourceNotFoundException',
      "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    );
  });

  it('answers a retry with the same token and value exactly as the first call', async () => {
    const Name = uniqueName('idem');
    const requestToken = token();
    const first = await client.send(new CreateSecretCommand({ Name, SecretString: 'same', ClientRequestToken: requestToken }));
    const second = await client.send(new CreateSecretCommand({ Name, SecretString: 'same', ClientRequestToken: requestToken }));
    expect({ ARN: second.ARN, Name: second.Name, VersionId: second.VersionId }).toEqual({
      ARN: first.ARN,
      Name: first.Name,
      VersionId: requestToken,
    });
    const versions = await client.send(new ListSecretVersionIdsCommand({ SecretId: Name, IncludeDeprecated: true }));
    expect(versions.Versions).toHaveLength(1);
  });

  it('refuses the same token with a different value with ResourceExistsException', async () => {
    const Name = uniqueName('idem-diff');
    const requestToken = token();
    const first = await client.send(new CreateSecretCommand({ Name, SecretString: 'one', ClientRequestToken: requestToken }));
    await expectAwsError(
      client.send(new CreateSecretCommand({ Name, SecretString: 'two', ClientRequestToken: requestToken })),
      'ResourceExistsException',
      tokenInUseMessage(requestToken, first.ARN!),
    );
  });

  it('refuses an existing name with a new token', async () => {
    const { Name } = await createWithValue('exists');
    await expectAwsError(
      client.send(new CreateSecretCommand({ Name, SecretString: 'v2' })),
      'ResourceExistsException',
      `The operation failed because the secret ${Name} already exists.`,
    );
  });

  it('refuses a name with invalid characters with ValidationException', async () => {
    for (const Name of ['Inv Name', ' Inv*Name? ', 'Inv#Name', 'Inv!Name']) {
      await expectAwsError(client.send(new CreateSecretCommand({ Name, SecretString: 'x' })), 'ValidationException', invalidNameMessage);
    }
  });

  it('accepts every allowed name character', async () => {
    const Name = uniqueName('Valid/_+=.@-Name');
    const created = await client.send(new CreateSecretCommand({ Name, SecretString: 'x' }));
    expect(created.Name).toBe(Name);
  });

  it('accepts a 65536-character SecretString and refuses 65537 with ValidationException', async () => {
    const Name = uniqueName('big');
    const max = 'a'.repeat(65536);
    await client.send(new CreateSecretCommand({ Name, SecretString: max }));
    expect((await client.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString).toBe(max);
    const error = await expectAwsError(
      client.send(new CreateSecretCommand({ Name: uniqueName('too-big'), SecretString: 'a'.repeat(65537) })),
      'ValidationException',
      // Rotor's Coral-style wording; the value itself is never echoed (unverified against AWS).
      "1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536",
    );
    expect(error.message).not.toContain('aaaa');
    await expectAwsError(
      client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'b'.repeat(65537) })),
      'ValidationException',
      /Member must have length less than or equal to 65536/,
    );
  });

  it('round-trips SecretBinary byte for byte', async () => {
    const Name = uniqueName('binary');
    const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255, 10, 13, 0]);
    await client.send(new CreateSecretCommand({ Name, SecretBinary: bytes }));
    const value = await client.send(new GetSecretValueCommand({ SecretId: Name }));
    expect(value.SecretString).toBeUndefined();
    expect(Buffer.from(value.SecretBinary!).equals(Buffer.from(bytes))).toBe(true);
    const large = new Uint8Array(65536).map((_, i) => (i * 31) % 256);
    await client.send(new PutSecretValueCommand({ SecretId: Name, SecretBinary: large }));
    const second = await client.send(new GetSecretValueCommand({ SecretId: Name }));
    expect(Buffer.from(second.SecretBinary!).equals(Buffer.from(large))).toBe(true);
  });

  it('refuses a SecretBinary above 65536 bytes with ValidationException', async () => {
    await expectAwsError(
      client.send(new CreateSecretCommand({ Name: uniqueName('bin-big'), SecretBinary: new Uint8Array(65537) })),
      'ValidationException',
      /Member must have length less than or equal to 65536/,
    );
  });

  it('refuses SecretString and SecretBinary together', async () => {
    // Rotor's wording: AWS's exact message for this case is unknown (reference §10).
    await expectAwsError(
      client.send(new CreateSecretCommand({ Name: uniqueName('both'), SecretString: 'x', SecretBinary: new Uint8Array([1]) })),
      'InvalidParameterException',
      "You can't specify both SecretString and SecretBinary. Specify only one.",
    );
  });
});

describe('secret lookup', () => {
  it('finds a secret by name, full ARN and partial ARN', async () => {
    const { Name, ARN } = await createWithValue('lookup', 'by-any-id');
    for (const SecretId of [Name, ARN, ARN.slice(0, -7)]) {
      const value = await client.send(new GetSecretValueCommand({ SecretId }));
      expect(value.ARN).toBe(ARN);
      expect(value.Name).toBe(Name);
      expect(value.SecretString).toBe('by-any-id');
    }
  });

  it('does not find a name ending in -xxxxxx by partial ARN', async () => {
    const Name = `Invalid/_+=.@-Name-${uniqueName('x').slice(2, 8)}`;
    const created = await client.send(new CreateSecretCommand({ Name, SecretString: 'x' }));
    expect((await client.send(new GetSecretValueCommand({ SecretId: created.ARN }))).Name).toBe(Name);
    await expectAwsError(
      client.send(new GetSecretValueCommand({ SecretId: created.ARN!.slice(0, -7) })),
      'ResourceNotFoundException',
      notFoundMessage,
    );
  });

  it('does not find a full ARN whose suffix belongs to no secret', async () => {
    const { ARN } = await createWithValue('wrong-suffix');
    const other = `${ARN.slice(0, -6)}${ARN.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`;
    await expectAwsError(client.send(new GetSecretValueCommand({ SecretId: other })), 'ResourceNotFoundException', notFoundMessage);
  });

  it('answers ValidationException for an invalid name on every SecretId operation', async () => {
    const SecretId = 'Inv *?!]Name\\-';
    const calls: Array<() => Promise<unknown>> = [
      () => client.send(new DeleteSecretCommand({ SecretId, ForceDeleteWithoutRecovery: true })),
      () => client.send(new DescribeSecretCommand({ SecretId })),
      () => client.send(new GetSecretValueCommand({ SecretId })),
      () => client.send(new ListSecretVersionIdsCommand({ SecretId, IncludeDeprecated: true })),
      () => client.send(new PutSecretValueCommand({ SecretId, SecretString: 'x' })),
      () => client.send(new TagResourceCommand({ SecretId, Tags: [{ Key: 'k', Value: 'v' }] })),
      () => client.send(new UntagResourceCommand({ SecretId, TagKeys: ['k'] })),
      () => client.send(new UpdateSecretCommand({ SecretId, Description: 'd' })),
      () => client.send(new UpdateSecretVersionStageCommand({ SecretId, VersionStage: 'X', MoveToVersionId: token() })),
    ];
    for (const call of calls) await expectAwsError(call(), 'ValidationException', invalidNameMessage);
  });
});

describe('GetSecretValue', () => {
  it('answers ResourceNotFoundException for an unknown secret', async () => {
    await expectAwsError(
      client.send(new GetSecretValueCommand({ SecretId: uniqueName('missing') })),
      'ResourceNotFoundException',
      notFoundMessage,
    );
  });

  it('answers ResourceNotFoundException for a stage no version holds', async () => {
    const { Name } = await createWithValue('no-previous');
    await expectAwsError(
      client.send(new GetSecretValueCommand({ SecretId: Name, VersionStage: 'AWSPREVIOUS' })),
      'ResourceNotFoundException',
      "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS",
    );
    await expectAwsError(
      client.send(new GetSecretValueCommand({ SecretId: Name, VersionStage: 'AWSPENDING' })),
      'ResourceNotFoundException',
      "Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
    );
  });

  it('answers ResourceNotFoundException for an unknown VersionId', async () => {
    const { Name } = await createWithValue('no-version');
    const unknown = token();
    await expectAwsError(
      client.send(new GetSecretValueCommand({ SecretId: Name, VersionId: unknown })),
      'ResourceNotFoundException',
      `Secrets Manager can't find the specified secret value for VersionId: ${unknown}`,
    );
  });

  it('refuses a VersionStage that the VersionId does not hold', async () => {
    const { Name, VersionId } = await createWithValue('mismatch');
    await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'v2' }));
    await expectAwsError(
      client.send(new GetSecretValueCommand({ SecretId: Name, VersionId, VersionStage: 'AWSCURRENT' })),
      'InvalidRequestException',
      'You provided a VersionStage that is not associated to the provided VersionId.',
    );
  });

  it('reads an older version by VersionId and by stage, with that version’s CreatedDate', async () => {
    const { Name, VersionId } = await createWithValue('older');
    const v1 = await client.send(new GetSecretValueCommand({ SecretId: Name }));
    await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'v2' }));
    const byId = await client.send(new GetSecretValueCommand({ SecretId: Name, VersionId }));
    expect(byId.SecretString).toBe('v1');
    expect(byId.VersionStages).toEqual(['AWSPREVIOUS']);
    expect(byId.CreatedDate?.getTime()).toBe(v1.CreatedDate?.getTime());
    const byStage = await client.send(new GetSecretValueCommand({ SecretId: Name, VersionStage: 'AWSPREVIOUS' }));
    expect(byStage.VersionId).toBe(VersionId);
    const both = await client.send(new GetSecretValueCommand({ SecretId: Name, VersionId, VersionStage: 'AWSPREVIOUS' }));
    expect(both.SecretString).toBe('v1');
  });
});

describe('PutSecretValue', () => {
  it('moves AWSCURRENT to the new version and AWSPREVIOUS to the old one', async () => {
    const { Name, VersionId: v1 } = await createWithValue('put');
    const put = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'v2' }));
    expect(put.VersionStages).toEqual(['AWSCURRENT']);
    expect(put.Name).toBe(Name);
    const described = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    expect(described.VersionIdsToStages).toEqual({ [v1]: ['AWSPREVIOUS'], [put.VersionId!]: ['AWSCURRENT'] });
    expect((await client.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString).toBe('v2');
  });

  it('answers a retry with the same token and value with the stored version', async () => {
    const { Name } = await createWithValue('put-idem');
    const requestToken = token();
    const first = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'v2', ClientRequestToken: requestToken }));
    const again = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'v2', ClientRequestToken: requestToken }));
    expect(again.VersionId).toBe(requestToken);
    expect(again.VersionStages).toEqual(['AWSCURRENT']);
    expect(again.ARN).toBe(first.ARN);
    const versions = await client.send(new ListSecretVersionIdsCommand({ SecretId: Name }));
    expect(versions.Versions).toHaveLength(2);
  });

  it('refuses the same token with a different value with ResourceExistsException', async () => {
    const { Name, ARN } = await createWithValue('put-idem-diff');
    const requestToken = token();
    await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'v2', ClientRequestToken: requestToken }));
    await expectAwsError(
      client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'other', ClientRequestToken: requestToken })),
      'ResourceExistsException',
      tokenInUseMessage(requestToken, ARN),
    );
  });

  it('refuses a request without a value', async () => {
    const { Name } = await createWithValue('put-novalue');
    // moto's and LocalStack's wording; not verified against AWS.
    await expectAwsError(
      client.send(new PutSecretValueCommand({ SecretId: Name })),
      'InvalidRequestException',
      'You must provide either SecretString or SecretBinary.',
    );
  });

  it('answers ResourceNotFoundException for an unknown secret', async () => {
    await expectAwsError(
      client.send(new PutSecretValueCommand({ SecretId: uniqueName('put-missing'), SecretString: 'x' })),
      'ResourceNotFoundException',
      notFoundMessage,
    );
  });

  it('gives AWSCURRENT to the first version even when only AWSPENDING is asked for', async () => {
    const Name = uniqueName('put-first-pending');
    await client.send(new CreateSecretCommand({ Name }));
    const put = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'v1', VersionStages: ['AWSPENDING'] }));
    expect(put.VersionStages).toEqual(['AWSCURRENT', 'AWSPENDING']);
  });

  it('gives AWSCURRENT to the first value put into an empty secret', async () => {
    const Name = uniqueName('put-first');
    await client.send(new CreateSecretCommand({ Name }));
    const put = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'v1' }));
    expect(put.VersionStages).toEqual(['AWSCURRENT']);
    expect((await client.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString).toBe('v1');
  });
});

describe('UpdateSecret', () => {
  it('returns only ARN and Name for a description-only update', async () => {
    const { Name, ARN } = await createWithValue('upd-desc');
    const updated = await client.send(new UpdateSecretCommand({ SecretId: Name, Description: 'new words' }));
    const { $metadata: _metadata, ...body } = updated;
    expect(body).toEqual({ ARN, Name });
    expect((await client.send(new DescribeSecretCommand({ SecretId: Name }))).Description).toBe('new words');
  });

  it('returns only ARN and Name for an update with no fields', async () => {
    const { Name, ARN } = await createWithValue('upd-none');
    const { $metadata: _metadata, ...body } = await client.send(new UpdateSecretCommand({ SecretId: Name }));
    expect(body).toEqual({ ARN, Name });
  });

  it('creates a new AWSCURRENT version for a value and moves AWSPREVIOUS', async () => {
    const { Name, VersionId: v1 } = await createWithValue('upd-value');
    const updated = await client.send(new UpdateSecretCommand({ SecretId: Name, SecretString: 'v2', Description: 'd' }));
    expect(updated.VersionId).toBeDefined();
    const described = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    expect(described.VersionIdsToStages).toEqual({ [v1]: ['AWSPREVIOUS'], [updated.VersionId!]: ['AWSCURRENT'] });
    expect(described.Description).toBe('d');
  });

  it('increases LastChangedDate strictly on every value update', async () => {
    const { Name } = await createWithValue('upd-changed');
    let previous = (await client.send(new DescribeSecretCommand({ SecretId: Name }))).LastChangedDate!.getTime();
    for (const value of ['a', 'a', 'b']) {
      await client.send(new UpdateSecretCommand({ SecretId: Name, SecretString: value }));
      const changed = (await client.send(new DescribeSecretCommand({ SecretId: Name }))).LastChangedDate!.getTime();
      expect(changed).toBeGreaterThan(previous);
      previous = changed;
    }
  });

  it('answers a retry with the same token and value with VersionId equal to the token', async () => {
    const { Name } = await createWithValue('upd-idem');
    const requestToken = token();
    await client.send(new UpdateSecretCommand({ SecretId: Name, SecretString: 'v2', ClientRequestToken: requestToken }));
    const again = await client.send(new UpdateSecretCommand({ SecretId: Name, SecretString: 'v2', ClientRequestToken: requestToken }));
    expect(again.VersionId).toBe(requestToken);
  });

  it('refuses the same token with a different value with ResourceExistsException', async () => {
    const { Name, ARN } = await createWithValue('upd-idem-diff');
    const requestToken = token();
    await client.send(new UpdateSecretCommand({ SecretId: Name, SecretString: 'v2', ClientRequestToken: requestToken }));
    await expectAwsError(
      client.send(new UpdateSecretCommand({ SecretId: Name, SecretString: 'v3', ClientRequestToken: requestToken })),
      'ResourceExistsException',
      tokenInUseMessage(requestToken, ARN),
    );
  });

  it('removes the description when set to the empty string', async () => {
    const Name = uniqueName('upd-empty-desc');
    await client.send(new CreateSecretCommand({ Name, Description: 'something' }));
    await client.send(new UpdateSecretCommand({ SecretId: Name, Description: '' }));
    const described = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    expect('Description' in described).toBe(false);
  });

  it('answers ResourceNotFoundException for an unknown secret', async () => {
    await expectAwsError(
      client.send(new UpdateSecretCommand({ SecretId: uniqueName('upd-missing'), SecretString: 'x' })),
      'ResourceNotFoundException',
      notFoundMessage,
    );
  });
});
