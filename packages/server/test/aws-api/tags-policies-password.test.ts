import {
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  type GetRandomPasswordCommandInput,
  GetResourcePolicyCommand,
  PutResourcePolicyCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ValidateResourcePolicyCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, type TestRotor } from '../support/rotor-server.js';
import { expectAwsError, invalidNameMessage, notFoundMessage, uniqueName } from './helpers.js';

let rotor: TestRotor;
let client: SecretsManagerClient;

beforeAll(async () => {
  rotor = await startTestRotor();
  client = rotor.client;
});

afterAll(async () => {
  await rotor.close();
});

async function create(prefix: string) {
  const Name = uniqueName(prefix);
  const created = await client.send(new CreateSecretCommand({ Name, SecretString: 'v' }));
  return { Name, ARN: created.ARN! };
}

async function tagsOf(SecretId: string) {
  return (await client.send(new DescribeSecretCommand({ SecretId }))).Tags;
}

describe('TagResource and UntagResource', () => {
  it('answers with an empty body and appends tags', async () => {
    const { Name } = await create('tag');
    const tagged = await client.send(new TagResourceCommand({ SecretId: Name, Tags: [{ Key: 'a', Value: '1' }] }));
    const { $metadata: _metadata, ...body } = tagged;
    expect(body).toEqual({});
    await client.send(new TagResourceCommand({ SecretId: Name, Tags: [{ Key: 'b', Value: '2' }] }));
    expect(await tagsOf(Name)).toEqual([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '2' },
    ]);
  });

  it('overwrites the value of an existing key in place', async () => {
    const { Name } = await create('tag-overwrite');
    await client.send(new TagResourceCommand({ SecretId: Name, Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] }));
    await client.send(new TagResourceCommand({ SecretId: Name, Tags: [{ Key: 'a', Value: 'changed' }] }));
    expect(await tagsOf(Name)).toEqual([
      { Key: 'a', Value: 'changed' },
      { Key: 'b', Value: '2' },
    ]);
  });

  it('removes the named keys, ignores unknown ones and answers with an empty body', async () => {
    const { Name } = await create('untag');
    await client.send(new TagResourceCommand({ SecretId: Name, Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] }));
    const untagged = await client.send(new UntagResourceCommand({ SecretId: Name, TagKeys: ['a', 'not-there'] }));
    const { $metadata: _metadata, ...body } = untagged;
    expect(body).toEqual({});
    expect(await tagsOf(Name)).toEqual([{ Key: 'b', Value: '2' }]);
    await client.send(new UntagResourceCommand({ SecretId: Name, TagKeys: ['b'] }));
    expect(await tagsOf(Name)).toEqual([]);
  });

  it('answers ResourceNotFoundException for an unknown secret', async () => {
    const SecretId = uniqueName('tag-missing');
    await expectAwsError(client.send(new TagResourceCommand({ SecretId, Tags: [{ Key: 'a', Value: '1' }] })), 'ResourceNotFoundException', notFoundMessage);
    await expectAwsError(client.send(new UntagResourceCommand({ SecretId, TagKeys: ['a'] })), 'ResourceNotFoundException', notFoundMessage);
  });

  it('refuses tag keys with the reserved aws: prefix', async () => {
    const { Name } = await create('tag-aws');
    // Rotor's wording; AWS's exact text is unverified.
    await expectAwsError(
      client.send(new TagResourceCommand({ SecretId: Name, Tags: [{ Key: 'aws:owner', Value: 'x' }] })),
      'InvalidParameterException',
      'Invalid tag key: the aws: prefix is reserved for AWS use.',
    );
  });

  it('refuses more than 50 tags on a secret', async () => {
    const { Name } = await create('tag-limit');
    const tags = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ Key: `k${from + i}`, Value: 'v' }));
    await client.send(new TagResourceCommand({ SecretId: Name, Tags: tags(0, 50) }));
    // Rotor's wording; AWS's exact text is unverified.
    await expectAwsError(
      client.send(new TagResourceCommand({ SecretId: Name, Tags: tags(50, 1) })),
      'LimitExceededException',
      'A secret can have at most 50 tags.',
    );
    expect(await tagsOf(Name)).toHaveLength(50);
  });
});

const privatePolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
});
const publicPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
});

describe('resource policies', () => {
  it('omits ResourcePolicy when no policy is set', async () => {
    const { Name, ARN } = await create('policy-none');
    const { $metadata: _metadata, ...body } = await client.send(new GetResourcePolicyCommand({ SecretId: Name }));
    expect(body).toEqual({ ARN, Name });
  });

  it('stores, returns and deletes a policy', async () => {
    const { Name, ARN } = await create('policy');
    const put = await client.send(new PutResourcePolicyCommand({ SecretId: Name, ResourcePolicy: privatePolicy }));
    const { $metadata: _m1, ...putBody } = put;
    expect(putBody).toEqual({ ARN, Name });
    const got = await client.send(new GetResourcePolicyCommand({ SecretId: ARN }));
    expect(got.ResourcePolicy).toBe(privatePolicy);
    expect(got.Name).toBe(Name);
    const deleted = await client.send(new DeleteResourcePolicyCommand({ SecretId: Name }));
    const { $metadata: _m2, ...deleteBody } = deleted;
    expect(deleteBody).toEqual({ ARN, Name });
    expect(await client.send(new GetResourcePolicyCommand({ SecretId: Name }))).not.toHaveProperty('ResourcePolicy');
  });

  it('refuses a policy that is not JSON with MalformedPolicyDocumentException', async () => {
    const { Name } = await create('policy-malformed');
    // Rotor's wording; AWS's exact text is unverified.
    await expectAwsError(
      client.send(new PutResourcePolicyCommand({ SecretId: Name, ResourcePolicy: '{"Version": "2012-10-17", "Statement": [' })),
      'MalformedPolicyDocumentException',
      'This resource policy contains an unsupported syntax: The policy document is not valid JSON.',
    );
    await expectAwsError(
      client.send(new PutResourcePolicyCommand({ SecretId: Name, ResourcePolicy: JSON.stringify({ Version: '2012-10-17' }) })),
      'MalformedPolicyDocumentException',
    );
    expect(await client.send(new GetResourcePolicyCommand({ SecretId: Name }))).not.toHaveProperty('ResourcePolicy');
  });

  it('refuses a policy for Principal "*" when BlockPublicPolicy is set', async () => {
    const { Name } = await create('policy-public');
    await expectAwsError(
      client.send(new PutResourcePolicyCommand({ SecretId: Name, ResourcePolicy: publicPolicy, BlockPublicPolicy: true })),
      'PublicPolicyException',
      'The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.',
    );
    expect(await client.send(new GetResourcePolicyCommand({ SecretId: Name }))).not.toHaveProperty('ResourcePolicy');
    // Without BlockPublicPolicy the same document is stored.
    await client.send(new PutResourcePolicyCommand({ SecretId: Name, ResourcePolicy: publicPolicy }));
    expect((await client.send(new GetResourcePolicyCommand({ SecretId: Name }))).ResourcePolicy).toBe(publicPolicy);
  });

  it('answers ResourceNotFoundException for put, get and delete on an unknown secret', async () => {
    const SecretId = uniqueName('policy-missing');
    await expectAwsError(client.send(new PutResourcePolicyCommand({ SecretId, ResourcePolicy: privatePolicy })), 'ResourceNotFoundException', notFoundMessage);
    await expectAwsError(client.send(new GetResourcePolicyCommand({ SecretId })), 'ResourceNotFoundException', notFoundMessage);
    await expectAwsError(client.send(new DeleteResourcePolicyCommand({ SecretId })), 'ResourceNotFoundException', notFoundMessage);
  });

  it('validates a good policy with or without a SecretId', async () => {
    const { Name } = await create('policy-validate');
    for (const input of [{ ResourcePolicy: privatePolicy }, { SecretId: Name, ResourcePolicy: privatePolicy }]) {
      const output = await client.send(new ValidateResourcePolicyCommand(input));
      expect(output.PolicyValidationPassed).toBe(true);
      expect(output.ValidationErrors).toEqual([]);
    }
  });

  it('reports a malformed policy in ValidationErrors instead of failing', async () => {
    const output = await client.send(new ValidateResourcePolicyCommand({ ResourcePolicy: 'not json' }));
    expect(output.PolicyValidationPassed).toBe(false);
    expect(output.ValidationErrors).toEqual([{ CheckName: 'SYNTAX_CHECK', ErrorMessage: 'The policy document is not valid JSON.' }]);
  });

  it('reports a public policy as failing validation', async () => {
    const output = await client.send(new ValidateResourcePolicyCommand({ ResourcePolicy: publicPolicy }));
    expect(output.PolicyValidationPassed).toBe(false);
    expect(output.ValidationErrors?.map((error) => error.CheckName)).toEqual(['PUBLIC_ACCESS_CHECK']);
  });

  it('refuses an unknown or invalid SecretId in ValidateResourcePolicy', async () => {
    await expectAwsError(
      client.send(new ValidateResourcePolicyCommand({ SecretId: uniqueName('validate-missing'), ResourcePolicy: privatePolicy })),
      'ResourceNotFoundException',
      notFoundMessage,
    );
    await expectAwsError(
      client.send(new ValidateResourcePolicyCommand({ SecretId: 'Inv Name', ResourcePolicy: privatePolicy })),
      'ValidationException',
      invalidNameMessage,
    );
  });
});

const punctuation = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

async function password(input: GetRandomPasswordCommandInput): Promise<string> {
  return (await client.send(new GetRandomPasswordCommand(input))).RandomPassword!;
}

describe('GetRandomPassword', () => {
  it('defaults to 32 characters with lower, upper, digit and punctuation and no space', async () => {
    for (let i = 0; i < 5; i++) {
      const generated = await password({});
      expect(generated).toHaveLength(32);
      expect(generated).toMatch(/[a-z]/);
      expect(generated).toMatch(/[A-Z]/);
      expect(generated).toMatch(/[0-9]/);
      expect([...generated].some((c) => punctuation.includes(c))).toBe(true);
      expect(generated).not.toContain(' ');
    }
  });

  it('gives exact lengths from 1 to 4096', async () => {
    for (const PasswordLength of [4, 20, 50, 4096]) expect(await password({ PasswordLength })).toHaveLength(PasswordLength);
    expect(await password({ PasswordLength: 1, RequireEachIncludedType: false })).toHaveLength(1);
  });

  it('leaves out ExcludeCharacters', async () => {
    const generated = await password({ PasswordLength: 120, ExcludeCharacters: 'xyzDje@?!.' });
    expect(generated).toHaveLength(120);
    for (const c of 'xyzDje@?!.') expect(generated).not.toContain(c);
  });

  it('respects each Exclude switch', async () => {
    expect(await password({ PasswordLength: 300, ExcludeLowercase: true })).not.toMatch(/[a-z]/);
    expect(await password({ PasswordLength: 300, ExcludeUppercase: true })).not.toMatch(/[A-Z]/);
    expect(await password({ PasswordLength: 300, ExcludeNumbers: true })).not.toMatch(/[0-9]/);
    expect(await password({ PasswordLength: 300, ExcludePunctuation: true })).toMatch(/^[A-Za-z0-9]+$/);
    expect(await password({ PasswordLength: 300, ExcludePunctuation: true, ExcludeNumbers: true, ExcludeUppercase: true })).toMatch(/^[a-z]+$/);
  });

  it('adds spaces to the pool only with IncludeSpace', async () => {
    expect(await password({ PasswordLength: 300 })).not.toContain(' ');
    expect(await password({ PasswordLength: 1000, IncludeSpace: true })).toContain(' ');
  });

  it('puts every included type in a 4-character password', async () => {
    for (let i = 0; i < 10; i++) {
      const generated = await password({ PasswordLength: 4, RequireEachIncludedType: true });
      expect(generated).toMatch(/[a-z]/);
      expect(generated).toMatch(/[A-Z]/);
      expect(generated).toMatch(/[0-9]/);
      expect([...generated].some((c) => punctuation.includes(c))).toBe(true);
    }
  });

  it('refuses a length shorter than the number of required types', async () => {
    await expectAwsError(
      client.send(new GetRandomPasswordCommand({ PasswordLength: 3 })),
      'InvalidParameterException',
      'Password length is too short based on the required types.',
    );
  });

  it('refuses lengths outside 1–4096 with ValidationException', async () => {
    // Coral-style wording (moto reports it as InvalidParameterValue, §9 m); AWS's exact text is unverified.
    await expectAwsError(
      client.send(new GetRandomPasswordCommand({ PasswordLength: 4097 })),
      'ValidationException',
      "1 validation error detected: Value '4097' at 'passwordLength' failed to satisfy constraint: Member must have value less than or equal to 4096",
    );
    await expectAwsError(
      client.send(new GetRandomPasswordCommand({ PasswordLength: 0 })),
      'ValidationException',
      "1 validation error detected: Value '0' at 'passwordLength' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
  });

  it('refuses a request that excludes every character', async () => {
    // Lower-confidence wording (a third-party CloudFormation measurement, §6).
    await expectAwsError(
      client.send(
        new GetRandomPasswordCommand({ ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true }),
      ),
      'InvalidParameterException',
      'All characters have been excluded from selection.',
    );
  });
});
