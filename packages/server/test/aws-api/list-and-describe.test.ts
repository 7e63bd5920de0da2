import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  paginateListSecrets,
  PutSecretValueCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  type Filter,
  type ListSecretsCommandInput,
  type SecretListEntry,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, type TestRotor } from '../support/rotor-server.js';
import { dayMs, expectAwsError, ManualClock, notFoundMessage, signWithClock, uniqueName } from './helpers.js';

/** DescribeSecret field rules (reference §2) and ListSecrets (reference §3), on a hand-driven clock. */

const clock = new ManualClock(Date.UTC(2032, 5, 1, 9, 41, 7));
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

const rotationFields = ['RotationEnabled', 'RotationLambdaARN', 'RotationRules', 'LastRotatedDate', 'NextRotationDate'];

function startOfDay(ms: number): number {
  return ms - (ms % dayMs);
}

async function names(input: ListSecretsCommandInput): Promise<string[]> {
  const output = await client.send(new ListSecretsCommand(input));
  return (output.SecretList ?? []).map((entry) => entry.Name!);
}

describe('DescribeSecret', () => {
  it('shows only the fields that have a value on a fresh secret without a value', async () => {
    const Name = uniqueName('desc-bare');
    const created = await client.send(new CreateSecretCommand({ Name, Description: '' }));
    const { $metadata: _metadata, ...described } = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    expect(Object.keys(described).sort()).toEqual(['ARN', 'CreatedDate', 'LastChangedDate', 'Name']);
    expect(described.ARN).toBe(created.ARN);
    expect(Math.abs(described.CreatedDate!.getTime() - clock.now())).toBeLessThan(5_000);
  });

  it('shows Description, VersionIdsToStages and no rotation or KMS fields on a secret with a value', async () => {
    const Name = uniqueName('desc-full');
    const created = await client.send(new CreateSecretCommand({ Name, Description: 'a secret', SecretString: 'v' }));
    const described = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    expect(described.Description).toBe('a secret');
    expect(described.VersionIdsToStages).toEqual({ [created.VersionId!]: ['AWSCURRENT'] });
    for (const field of [...rotationFields, 'KmsKeyId', 'Tags', 'LastAccessedDate', 'DeletedDate']) {
      expect(described, field).not.toHaveProperty(field);
    }
  });

  it('shows Tags only once tagged, and [] after the last tag is removed', async () => {
    const Name = uniqueName('desc-tags');
    await client.send(new CreateSecretCommand({ Name, SecretString: 'v' }));
    expect(await client.send(new DescribeSecretCommand({ SecretId: Name }))).not.toHaveProperty('Tags');
    await client.send(new UntagResourceCommand({ SecretId: Name, TagKeys: ['never-there'] }));
    expect(await client.send(new DescribeSecretCommand({ SecretId: Name }))).not.toHaveProperty('Tags');
    await client.send(new TagResourceCommand({ SecretId: Name, Tags: [{ Key: 'team', Value: 'core' }] }));
    expect((await client.send(new DescribeSecretCommand({ SecretId: Name }))).Tags).toEqual([{ Key: 'team', Value: 'core' }]);
    await client.send(new UntagResourceCommand({ SecretId: Name, TagKeys: ['team'] }));
    expect((await client.send(new DescribeSecretCommand({ SecretId: Name }))).Tags).toEqual([]);
  });

  it('shows Tags given at creation', async () => {
    const Name = uniqueName('desc-create-tags');
    await client.send(new CreateSecretCommand({ Name, Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '' }] }));
    expect((await client.send(new DescribeSecretCommand({ SecretId: Name }))).Tags).toEqual([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '' },
    ]);
  });

  it('shows LastAccessedDate only after the first GetSecretValue, truncated to the day', async () => {
    const Name = uniqueName('desc-access');
    await client.send(new CreateSecretCommand({ Name, SecretString: 'v' }));
    expect(await client.send(new DescribeSecretCommand({ SecretId: Name }))).not.toHaveProperty('LastAccessedDate');
    await client.send(new GetSecretValueCommand({ SecretId: Name }));
    const first = (await client.send(new DescribeSecretCommand({ SecretId: Name }))).LastAccessedDate!;
    expect(first.getTime()).toBe(startOfDay(clock.now()));
    expect(first.getUTCHours()).toBe(0);
    await client.send(new GetSecretValueCommand({ SecretId: Name }));
    expect((await client.send(new DescribeSecretCommand({ SecretId: Name }))).LastAccessedDate!.getTime()).toBe(first.getTime());
    clock.advance(dayMs);
    await client.send(new GetSecretValueCommand({ SecretId: Name }));
    expect((await client.send(new DescribeSecretCommand({ SecretId: Name }))).LastAccessedDate!.getTime()).toBe(first.getTime() + dayMs);
  });

  it('shows DeletedDate while the secret is scheduled for deletion', async () => {
    const Name = uniqueName('desc-deleted');
    await client.send(new CreateSecretCommand({ Name, SecretString: 'v' }));
    const deleted = await client.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7 }));
    const described = await client.send(new DescribeSecretCommand({ SecretId: Name }));
    expect(described.DeletedDate).toBeInstanceOf(Date);
    expect(deleted.DeletionDate!.getTime() - described.DeletedDate!.getTime()).toBe(7 * dayMs);
  });

  it('answers ResourceNotFoundException for an unknown secret', async () => {
    await expectAwsError(
      client.send(new DescribeSecretCommand({ SecretId: uniqueName('desc-missing') })),
      'ResourceNotFoundException',
      notFoundMessage,
    );
  });
});

describe('ListSecrets entries', () => {
  it('uses SecretVersionsToStages, not VersionIdsToStages', async () => {
    const Name = uniqueName('list-entry');
    const created = await client.send(new CreateSecretCommand({ Name, SecretString: 'v', Description: 'entry test' }));
    const [entry] = (await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [Name] }] }))).SecretList!;
    expect(entry!.SecretVersionsToStages).toEqual({ [created.VersionId!]: ['AWSCURRENT'] });
    expect(entry).not.toHaveProperty('VersionIdsToStages');
    expect(entry!.ARN).toBe(created.ARN);
    expect(entry!.Description).toBe('entry test');
    for (const field of rotationFields) expect(entry, field).not.toHaveProperty(field);
  });

  it('lists a new secret immediately', async () => {
    const Name = uniqueName('list-now');
    await client.send(new CreateSecretCommand({ Name }));
    const all: SecretListEntry[] = [];
    for await (const page of paginateListSecrets({ client, pageSize: 100 }, {})) all.push(...(page.SecretList ?? []));
    expect(all.filter((entry) => entry.Name === Name)).toHaveLength(1);
  });
});

describe('ListSecrets filters', () => {
  // Four secrets as in LocalStack's AWS-validated test_list_secrets_filtering.
  const run = uniqueName('f').slice(2);
  const one = `testing1/one-${run}`;
  const two = `/testing2/two-${run}`;
  const three = `testing3/three-${run}`;
  const four = `/testing4/four-${run}`;
  const mine = [one, two, three, four];
  const onlyMine = (list: string[]) => list.filter((name) => mine.includes(name)).sort();

  beforeAll(async () => {
    await client.send(new CreateSecretCommand({ Name: one, SecretString: 's', Description: 'a secret', Tags: [{ Key: `owner-${run}`, Value: `alice-${run}` }] }));
    await client.send(new CreateSecretCommand({ Name: two, SecretString: 's', Description: 'an secret', Tags: [{ Key: `owner-${run}`, Value: `bob-${run}` }] }));
    await client.send(new CreateSecretCommand({ Name: three, SecretString: 's', Description: 'asecret', Tags: [{ Key: `team-${run}`, Value: `alice-${run}` }] }));
    await client.send(new CreateSecretCommand({ Name: four, SecretString: 's', Description: 'thesecret' }));
  });

  async function filtered(Filters: Filter[]): Promise<string[]> {
    const all: string[] = [];
    for await (const page of paginateListSecrets({ client, pageSize: 100 }, { Filters })) {
      all.push(...(page.SecretList ?? []).map((entry) => entry.Name!));
    }
    return onlyMine(all);
  }

  it('matches name as a case-sensitive prefix of the whole name', async () => {
    expect(await filtered([{ Key: 'name', Values: ['/'] }])).toEqual([two, four].sort());
    expect(await filtered([{ Key: 'name', Values: ['!/'] }])).toEqual([one, three].sort());
    expect(await filtered([{ Key: 'name', Values: ['testing1 one'] }])).toEqual([]);
    expect(await filtered([{ Key: 'name', Values: ['Testing1'] }])).toEqual([]);
    expect(await filtered([{ Key: 'name', Values: [one] }])).toEqual([one]);
  });

  it('matches description word by word, case-insensitively', async () => {
    const scoped = (value: string): Filter[] => [{ Key: 'name', Values: ['testing', '/testing'] }, { Key: 'description', Values: [value] }];
    expect(await filtered(scoped('a'))).toEqual([one, two, three].sort());
    expect(await filtered(scoped('A'))).toEqual([one, two, three].sort());
    expect(await filtered(scoped('a secret'))).toEqual([one, two].sort());
    expect(await filtered(scoped('!a'))).toEqual([four]);
    expect(await filtered(scoped('!c'))).toEqual(mine.slice().sort());
  });

  it('matches tag keys and tag values by prefix', async () => {
    expect(await filtered([{ Key: 'tag-key', Values: [`owner-${run}`] }])).toEqual([one, two].sort());
    expect(await filtered([{ Key: 'tag-value', Values: [`alice-${run}`] }])).toEqual([one, three].sort());
    expect(await filtered([{ Key: 'tag-value', Values: [`bob`] }])).toEqual([two]);
    expect(await filtered([{ Key: 'tag-key', Values: [`!owner-${run}`] }])).toEqual([three, four].sort());
  });

  it('matches all against name words, description and tags', async () => {
    expect(await filtered([{ Key: 'all', Values: [`bob-${run}`] }])).toEqual([two]);
    expect(await filtered([{ Key: 'all', Values: ['thesecret'] }])).toEqual([four]);
    expect(await filtered([{ Key: 'all', Values: [`four-${run}`] }])).toEqual([four]);
  });

  it('ORs the values of one filter and ANDs separate filters', async () => {
    expect(await filtered([{ Key: 'name', Values: ['testing1', 'testing3'] }])).toEqual([one, three].sort());
    expect(await filtered([{ Key: 'tag-value', Values: [`alice-${run}`] }, { Key: 'tag-key', Values: [`owner-${run}`] }])).toEqual([one]);
    expect(await filtered([{ Key: 'name', Values: ['/'] }, { Key: 'name', Values: ['/testing4'] }])).toEqual([four]);
  });

  it('refuses an unknown filter key with ValidationException', async () => {
    // Rotor's enum text includes the current keys; moto's stale text is the only wording source.
    await expectAwsError(
      client.send(new ListSecretsCommand({ Filters: [{ Key: 'invalid' as Filter['Key'], Values: ['x'] }] })),
      'ValidationException',
      "1 validation error detected: Value 'invalid' at 'filters.1.member.key' failed to satisfy constraint: Member must satisfy enum value set: [all, name, tag-key, description, tag-value, primary-region, owning-service]",
    );
  });

  it('refuses a filter without Key or without Values with InvalidParameterException', async () => {
    // moto's wording; unverified against AWS.
    await expectAwsError(client.send(new ListSecretsCommand({ Filters: [{ Values: ['x'] }] })), 'InvalidParameterException', 'Invalid filter key');
    await expectAwsError(
      client.send(new ListSecretsCommand({ Filters: [{ Key: 'description' }] })),
      'InvalidParameterException',
      'Invalid filter values for key: description',
    );
  });
});

describe('ListSecrets sorting', () => {
  const run = uniqueName('sort').slice(5);
  const [a, b, c] = [`sort-${run}-a`, `sort-${run}-b`, `sort-${run}-c`];
  const scope = { Filters: [{ Key: 'name' as const, Values: [`sort-${run}-`] }] };

  beforeAll(async () => {
    // Created c, a, b; changed b, c, a; accessed a, c, b on successive days.
    for (const Name of [c, a, b]) {
      await client.send(new CreateSecretCommand({ Name, SecretString: 'v' }));
      clock.advance(1_000);
    }
    for (const SecretId of [b, c, a]) {
      await client.send(new UpdateSecretCommand({ SecretId, Description: 'changed' }));
      clock.advance(1_000);
    }
    for (const SecretId of [a, c, b]) {
      await client.send(new GetSecretValueCommand({ SecretId }));
      clock.advance(dayMs);
    }
  });

  it('lists by creation date ascending by default', async () => {
    expect(await names(scope)).toEqual([c, a, b]);
  });

  it('sorts by created-date in both orders', async () => {
    expect(await names({ ...scope, SortBy: 'created-date', SortOrder: 'asc' })).toEqual([c, a, b]);
    expect(await names({ ...scope, SortBy: 'created-date', SortOrder: 'desc' })).toEqual([b, a, c]);
  });

  it('sorts by name in both orders', async () => {
    expect(await names({ ...scope, SortBy: 'name', SortOrder: 'asc' })).toEqual([a, b, c]);
    expect(await names({ ...scope, SortBy: 'name', SortOrder: 'desc' })).toEqual([c, b, a]);
  });

  it('sorts by last-changed-date in both orders', async () => {
    expect(await names({ ...scope, SortBy: 'last-changed-date', SortOrder: 'asc' })).toEqual([b, c, a]);
    expect(await names({ ...scope, SortBy: 'last-changed-date', SortOrder: 'desc' })).toEqual([a, c, b]);
  });

  it('sorts by last-accessed-date in both orders', async () => {
    expect(await names({ ...scope, SortBy: 'last-accessed-date', SortOrder: 'asc' })).toEqual([a, c, b]);
    expect(await names({ ...scope, SortBy: 'last-accessed-date', SortOrder: 'desc' })).toEqual([b, c, a]);
  });
});

describe('ListSecrets pagination and planned deletion', () => {
  it('pages with MaxResults and NextToken until exhausted', async () => {
    const prefix = uniqueName('page');
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const Name = `${prefix}-${i}`;
      await client.send(new CreateSecretCommand({ Name }));
      created.push(Name);
    }
    const Filters: Filter[] = [{ Key: 'name', Values: [prefix] }];
    const pages: string[][] = [];
    let NextToken: string | undefined;
    do {
      const page = await client.send(new ListSecretsCommand({ Filters, MaxResults: 2, NextToken, SortBy: 'name' }));
      pages.push((page.SecretList ?? []).map((entry) => entry.Name!));
      NextToken = page.NextToken;
    } while (NextToken);
    expect(pages).toEqual([created.slice(0, 2), created.slice(2, 4), created.slice(4)]);
  });

  it('refuses an invalid NextToken with InvalidNextTokenException', async () => {
    // Rotor's wording; unverified against AWS.
    await expectAwsError(
      client.send(new ListSecretsCommand({ NextToken: 'garbage' })),
      'InvalidNextTokenException',
      'The NextToken value is invalid.',
    );
  });

  it('refuses a NextToken replayed with other filters', async () => {
    const prefix = uniqueName('replay');
    for (let i = 0; i < 3; i++) await client.send(new CreateSecretCommand({ Name: `${prefix}-${i}` }));
    const first = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }], MaxResults: 1 }));
    expect(first.NextToken).toBeDefined();
    await expectAwsError(
      client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['other'] }], MaxResults: 1, NextToken: first.NextToken })),
      'InvalidNextTokenException',
    );
  });

  it('hides secrets scheduled for deletion unless IncludePlannedDeletion', async () => {
    const Name = uniqueName('planned');
    await client.send(new CreateSecretCommand({ Name, SecretString: 'v' }));
    await client.send(new DeleteSecretCommand({ SecretId: Name }));
    const Filters: Filter[] = [{ Key: 'name', Values: [Name] }];
    expect(await names({ Filters })).toEqual([]);
    expect(await names({ Filters, IncludePlannedDeletion: false })).toEqual([]);
    const listed = await client.send(new ListSecretsCommand({ Filters, IncludePlannedDeletion: true }));
    expect(listed.SecretList?.map((entry) => entry.Name)).toEqual([Name]);
    expect(listed.SecretList?.[0]?.DeletedDate).toBeInstanceOf(Date);
  });

  it('shows LastAccessedDate and Tags on list entries', async () => {
    const Name = uniqueName('list-fields');
    await client.send(new CreateSecretCommand({ Name, SecretString: 'v', Tags: [{ Key: 'k', Value: 'v' }] }));
    await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'v2' }));
    await client.send(new GetSecretValueCommand({ SecretId: Name }));
    const [entry] = (await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [Name] }] }))).SecretList!;
    expect(entry!.LastAccessedDate!.getTime()).toBe(startOfDay(clock.now()));
    expect(entry!.Tags).toEqual([{ Key: 'k', Value: 'v' }]);
    expect(Object.keys(entry!.SecretVersionsToStages!)).toHaveLength(2);
  });
});
