import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  type Filter,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, type TestRotor } from '../support/rotor-server.js';
import { expectAwsError, markedForDeletionMessage, notFoundMessage, uniqueName } from './helpers.js';

/** BatchGetSecretValue (reference §3): per-secret failures land in Errors. */

let rotor: TestRotor;
let client: SecretsManagerClient;

beforeAll(async () => {
  rotor = await startTestRotor();
  client = rotor.client;
});

afterAll(async () => {
  await rotor.close();
});

describe('BatchGetSecretValue with SecretIdList', () => {
  it('returns the current values and puts an unknown and a deleted secret in Errors', async () => {
    const a = uniqueName('batch-a');
    const b = uniqueName('batch-b');
    const gone = uniqueName('batch-gone');
    const missing = uniqueName('batch-missing');
    const createdA = await client.send(new CreateSecretCommand({ Name: a, SecretString: 'value-a' }));
    const createdB = await client.send(new CreateSecretCommand({ Name: b, SecretBinary: new Uint8Array([1, 2, 3]) }));
    const putB = await client.send(new PutSecretValueCommand({ SecretId: b, SecretBinary: new Uint8Array([4, 5, 6]) }));
    await client.send(new CreateSecretCommand({ Name: gone, SecretString: 'x' }));
    await client.send(new DeleteSecretCommand({ SecretId: gone }));

    const output = await client.send(new BatchGetSecretValueCommand({ SecretIdList: [a, createdB.ARN!, missing, gone] }));
    expect(output.$metadata.httpStatusCode).toBe(200);
    expect(output.NextToken).toBeUndefined();
    expect(output.SecretValues).toHaveLength(2);
    const [first, second] = output.SecretValues!;
    expect(first).toMatchObject({ ARN: createdA.ARN, Name: a, VersionId: createdA.VersionId, SecretString: 'value-a', VersionStages: ['AWSCURRENT'] });
    expect(first!.CreatedDate).toBeInstanceOf(Date);
    expect(second).toMatchObject({ ARN: createdB.ARN, Name: b, VersionId: putB.VersionId, VersionStages: ['AWSCURRENT'] });
    expect(Buffer.from(second!.SecretBinary!)).toEqual(Buffer.from([4, 5, 6]));
    expect(output.Errors).toEqual([
      { SecretId: missing, ErrorCode: 'ResourceNotFoundException', Message: notFoundMessage },
      { SecretId: gone, ErrorCode: 'InvalidRequestException', Message: markedForDeletionMessage },
    ]);
  });

  it('reports a secret without a value in Errors', async () => {
    const Name = uniqueName('batch-empty');
    await client.send(new CreateSecretCommand({ Name }));
    const output = await client.send(new BatchGetSecretValueCommand({ SecretIdList: [Name] }));
    expect(output.SecretValues).toEqual([]);
    expect(output.Errors).toEqual([
      {
        SecretId: Name,
        ErrorCode: 'ResourceNotFoundException',
        Message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      },
    ]);
  });

  it('records the access like GetSecretValue does', async () => {
    const Name = uniqueName('batch-access');
    await client.send(new CreateSecretCommand({ Name, SecretString: 'v' }));
    expect(await client.send(new DescribeSecretCommand({ SecretId: Name }))).not.toHaveProperty('LastAccessedDate');
    await client.send(new BatchGetSecretValueCommand({ SecretIdList: [Name] }));
    expect((await client.send(new DescribeSecretCommand({ SecretId: Name }))).LastAccessedDate).toBeInstanceOf(Date);
  });

  it('refuses more than 20 ids with ValidationException', async () => {
    const SecretIdList = Array.from({ length: 21 }, (_, i) => `batch-many-${i}`);
    await expectAwsError(
      client.send(new BatchGetSecretValueCommand({ SecretIdList })),
      'ValidationException',
      /at 'secretIdList' failed to satisfy constraint: Member must have length less than or equal to 20$/,
    );
  });
});

describe('BatchGetSecretValue with Filters', () => {
  it('pages through the matching secrets with MaxResults and NextToken', async () => {
    const prefix = uniqueName('batch-page');
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      const Name = `${prefix}-${i}`;
      await client.send(new CreateSecretCommand({ Name, SecretString: `value-${i}` }));
      names.push(Name);
    }
    const Filters: Filter[] = [{ Key: 'name', Values: [prefix] }];
    const pages: string[][] = [];
    let NextToken: string | undefined;
    do {
      const page = await client.send(new BatchGetSecretValueCommand({ Filters, MaxResults: 2, NextToken }));
      expect(page.Errors).toEqual([]);
      pages.push(page.SecretValues!.map((entry) => `${entry.Name}=${entry.SecretString}`));
      NextToken = page.NextToken;
    } while (NextToken);
    expect(pages).toEqual([
      [`${names[0]}=value-0`, `${names[1]}=value-1`],
      [`${names[2]}=value-2`, `${names[3]}=value-3`],
      [`${names[4]}=value-4`],
    ]);
  });

  it('leaves secrets scheduled for deletion out of filtered results', async () => {
    const prefix = uniqueName('batch-filter-del');
    await client.send(new CreateSecretCommand({ Name: `${prefix}-live`, SecretString: 'live' }));
    await client.send(new CreateSecretCommand({ Name: `${prefix}-dead`, SecretString: 'dead' }));
    await client.send(new DeleteSecretCommand({ SecretId: `${prefix}-dead` }));
    const output = await client.send(new BatchGetSecretValueCommand({ Filters: [{ Key: 'name', Values: [prefix] }] }));
    expect(output.SecretValues!.map((entry) => entry.Name)).toEqual([`${prefix}-live`]);
  });

  it('refuses a NextToken it did not issue', async () => {
    // Rotor's wording; unverified against AWS.
    await expectAwsError(
      client.send(new BatchGetSecretValueCommand({ Filters: [{ Key: 'name', Values: ['x'] }], NextToken: 'bogus' })),
      'InvalidNextTokenException',
      'The NextToken value is invalid.',
    );
  });
});

describe('BatchGetSecretValue parameter errors', () => {
  // moto's wording for both; not verified against AWS.
  it('refuses SecretIdList and Filters together', async () => {
    await expectAwsError(
      client.send(new BatchGetSecretValueCommand({ SecretIdList: ['a'], Filters: [{ Key: 'name', Values: ['a'] }] })),
      'InvalidParameterException',
      "Either 'SecretIdList' or 'Filters' must be provided, but not both.",
    );
  });

  it('refuses MaxResults without Filters', async () => {
    await expectAwsError(
      client.send(new BatchGetSecretValueCommand({ SecretIdList: ['a'], MaxResults: 5 })),
      'InvalidParameterException',
      "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.",
    );
  });

  it('refuses a request with neither SecretIdList nor Filters', async () => {
    // Rotor's wording; AWS's text is unknown.
    await expectAwsError(
      client.send(new BatchGetSecretValueCommand({})),
      'InvalidParameterException',
      "Either 'SecretIdList' or 'Filters' must be provided.",
    );
  });
});
