import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  paginateListSecretVersionIds,
  type SecretsManagerClient,
  type SecretVersionsListEntry,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, type TestRotor } from '../support/rotor-server.js';
import { dayMs, expectAwsError, hourMs, ManualClock, notFoundMessage, signWithClock, uniqueName } from './helpers.js';

/** ListSecretVersionIds and the version-retention rule (reference §2), on a hand-driven clock. */

const clock = new ManualClock(Date.UTC(2031, 0, 10, 15, 30, 0));
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

async function allVersions(SecretId: string, IncludeDeprecated: boolean): Promise<SecretVersionsListEntry[]> {
  const versions: SecretVersionsListEntry[] = [];
  for await (const page of paginateListSecretVersionIds({ client, pageSize: 100 }, { SecretId, IncludeDeprecated })) {
    versions.push(...(page.Versions ?? []));
  }
  return versions;
}

describe('ListSecretVersionIds', () => {
  it('lists labelled versions with ARN, Name, CreatedDate and the default KmsKeyIds', async () => {
    const Name = uniqueName('lsv');
    const created = await client.send(new CreateSecretCommand({ Name, SecretString: 'v1' }));
    const listed = await client.send(new ListSecretVersionIdsCommand({ SecretId: Name }));
    expect(listed.ARN).toBe(created.ARN);
    expect(listed.Name).toBe(Name);
    expect(listed.NextToken).toBeUndefined();
    expect(listed.Versions).toHaveLength(1);
    const [entry] = listed.Versions!;
    expect(entry!.VersionId).toBe(created.VersionId);
    expect(entry!.VersionStages).toEqual(['AWSCURRENT']);
    expect(entry!.KmsKeyIds).toEqual(['DefaultEncryptionKey']);
    expect(Math.abs(entry!.CreatedDate!.getTime() - clock.now())).toBeLessThan(5_000);
    expect(entry!.LastAccessedDate).toBeUndefined();
  });

  it('adds a day-truncated LastAccessedDate to the version that was read', async () => {
    const Name = uniqueName('lsv-access');
    const created = await client.send(new CreateSecretCommand({ Name, SecretString: 'v1' }));
    await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'v2' }));
    await client.send(new GetSecretValueCommand({ SecretId: Name, VersionId: created.VersionId }));
    const versions = (await client.send(new ListSecretVersionIdsCommand({ SecretId: Name }))).Versions!;
    const read = versions.find((v) => v.VersionId === created.VersionId)!;
    const unread = versions.find((v) => v.VersionId !== created.VersionId)!;
    const midnight = clock.now() - (clock.now() % dayMs);
    expect(read.LastAccessedDate?.getTime()).toBe(midnight);
    expect(unread.LastAccessedDate).toBeUndefined();
  });

  it('pages with MaxResults and NextToken until the versions run out', async () => {
    const Name = uniqueName('lsv-pages');
    await client.send(new CreateSecretCommand({ Name, SecretString: 'v0' }));
    const ids = new Set<string>();
    for (let i = 1; i <= 6; i++) {
      const put = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: `v${i}`, VersionStages: [`S${i}`] }));
      ids.add(put.VersionId!);
    }
    const pageSizes: number[] = [];
    const seen: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await client.send(new ListSecretVersionIdsCommand({ SecretId: Name, MaxResults: 3, NextToken }));
      pageSizes.push(page.Versions!.length);
      seen.push(...page.Versions!.map((v) => v.VersionId!));
      NextToken = page.NextToken;
    } while (NextToken);
    expect(pageSizes).toEqual([3, 3, 1]);
    expect(new Set(seen).size).toBe(7);
    for (const id of ids) expect(seen).toContain(id);
  });

  it('refuses a NextToken that is not one it issued', async () => {
    const Name = uniqueName('lsv-token');
    await client.send(new CreateSecretCommand({ Name, SecretString: 'v0' }));
    // Rotor's wording; AWS's InvalidNextTokenException text is unverified.
    await expectAwsError(
      client.send(new ListSecretVersionIdsCommand({ SecretId: Name, NextToken: 'not-a-token' })),
      'InvalidNextTokenException',
      'The NextToken value is invalid.',
    );
  });

  it('answers ResourceNotFoundException for an unknown secret', async () => {
    await expectAwsError(
      client.send(new ListSecretVersionIdsCommand({ SecretId: uniqueName('lsv-missing') })),
      'ResourceNotFoundException',
      notFoundMessage,
    );
  });
});

describe('version retention', () => {
  it('prunes deprecated versions beyond 100 only once they are older than 24 hours', async () => {
    const Name = uniqueName('retention');
    const created = await client.send(new CreateSecretCommand({ Name, SecretString: 'v0' }));
    // A custom label keeps the oldest version however old it gets.
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'KEEP', MoveToVersionId: created.VersionId }));
    const putIds: string[] = [];
    for (let i = 1; i < 130; i++) {
      const put = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: `v${i}` }));
      putIds.push(put.VersionId!);
    }
    // 130 versions, all younger than 24 hours: nothing is pruned.
    expect(await allVersions(Name, true)).toHaveLength(130);
    expect(await allVersions(Name, false)).toHaveLength(3);

    clock.advance(25 * hourMs);
    const last = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'v130' }));
    const remaining = await allVersions(Name, true);
    expect(remaining).toHaveLength(100);
    const remainingIds = new Set(remaining.map((v) => v.VersionId));
    // Labelled versions stay: KEEP on the oldest, AWSPREVIOUS and AWSCURRENT on the newest two.
    expect(remainingIds.has(created.VersionId!)).toBe(true);
    expect(remainingIds.has(putIds.at(-1)!)).toBe(true);
    expect(remainingIds.has(last.VersionId!)).toBe(true);
    // The oldest deprecated versions went first: the 31 oldest unlabelled ones are gone.
    for (const id of putIds.slice(0, 31)) expect(remainingIds.has(id)).toBe(false);
    for (const id of putIds.slice(31)) expect(remainingIds.has(id)).toBe(true);
    expect((await allVersions(Name, false)).map((v) => v.VersionStages)).toEqual([['AWSCURRENT'], ['AWSPREVIOUS'], ['KEEP']]);
    expect((await client.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString).toBe('v130');
  });

  it('keeps deprecated versions that are 23 hours old even beyond 100', async () => {
    const Name = uniqueName('retention-23h');
    const created = await client.send(new CreateSecretCommand({ Name, SecretString: 'v0' }));
    const ids = [created.VersionId!];
    for (let i = 1; i <= 100; i++) {
      ids.push((await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: `v${i}` }))).VersionId!);
    }
    clock.advance(23 * hourMs);
    await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'v101' }));
    expect(await allVersions(Name, true)).toHaveLength(102);

    clock.advance(2 * hourMs);
    await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString: 'v102' }));
    const remaining = new Set((await allVersions(Name, true)).map((v) => v.VersionId));
    expect(remaining.size).toBe(100);
    // Only the three oldest deprecated versions (now 25 hours old) were removed.
    for (const id of ids.slice(0, 3)) expect(remaining.has(id)).toBe(false);
    for (const id of ids.slice(3)) expect(remaining.has(id)).toBe(true);
  });
});
