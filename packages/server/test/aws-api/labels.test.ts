import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, type TestRotor } from '../support/rotor-server.js';
import { expectAwsError, notFoundMessage, token, uniqueName } from './helpers.js';

/** Staging-label rules, reference §4 (numbers in the test names follow it). */

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
  const created = await client.send(new CreateSecretCommand({ Name, SecretString: 'v1' }));
  return { Name, v1: created.VersionId! };
}

async function put(SecretId: string, VersionStages?: string[]) {
  const output = await client.send(new PutSecretValueCommand({ SecretId, SecretString: token(), VersionStages }));
  return { versionId: output.VersionId!, stages: output.VersionStages };
}

async function stagesMap(SecretId: string): Promise<Record<string, string[]>> {
  return (await client.send(new DescribeSecretCommand({ SecretId }))).VersionIdsToStages ?? {};
}

async function listedVersions(SecretId: string, IncludeDeprecated = false) {
  return (await client.send(new ListSecretVersionIdsCommand({ SecretId, IncludeDeprecated }))).Versions ?? [];
}

describe('rule 1: a label sits on one version at a time', () => {
  it('takes labels named in PutSecretValue off the version that had them', async () => {
    const { Name, v1 } = await create('rule1');
    const v2 = await put(Name, ['AWSPENDING', 'PUT1']);
    // The current version keeps AWSCURRENT; AWSPENDING and PUT1 live on v2.
    expect(await stagesMap(Name)).toEqual({ [v1]: ['AWSCURRENT'], [v2.versionId]: ['AWSPENDING', 'PUT1'] });
    // Move AWSPENDING and PUT1 onto v1 too, so v1 = [AWSCURRENT, AWSPENDING, PUT1] (custom_stages_1).
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'AWSPENDING', MoveToVersionId: v1, RemoveFromVersionId: v2.versionId }));
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'PUT1', MoveToVersionId: v1, RemoveFromVersionId: v2.versionId }));
    expect((await stagesMap(Name))[v1]).toEqual(['AWSCURRENT', 'AWSPENDING', 'PUT1']);
    const v3 = await put(Name, ['AWSPENDING', 'PUT2']);
    expect(v3.stages).toEqual(['AWSPENDING', 'PUT2']);
    expect(await stagesMap(Name)).toEqual({ [v1]: ['AWSCURRENT', 'PUT1'], [v3.versionId]: ['AWSPENDING', 'PUT2'] });
  });
});

describe('rule 2: AWSPREVIOUS follows AWSCURRENT', () => {
  it('moves AWSPREVIOUS when AWSCURRENT moves and keeps the other labels', async () => {
    const { Name, v1 } = await create('rule2');
    const v2 = await put(Name, ['AWSCURRENT', 'PUT0']);
    expect(await stagesMap(Name)).toEqual({ [v1]: ['AWSPREVIOUS'], [v2.versionId]: ['AWSCURRENT', 'PUT0'] });
    const v3 = await put(Name);
    // v2 keeps PUT0 and gets AWSPREVIOUS; v1 loses AWSPREVIOUS and becomes deprecated.
    expect(await stagesMap(Name)).toEqual({ [v2.versionId]: ['AWSPREVIOUS', 'PUT0'], [v3.versionId]: ['AWSCURRENT'] });
    const v4 = await put(Name);
    expect(await stagesMap(Name)).toEqual({
      [v2.versionId]: ['PUT0'],
      [v3.versionId]: ['AWSPREVIOUS'],
      [v4.versionId]: ['AWSCURRENT'],
    });
  });

  it('moves AWSPREVIOUS when UpdateSecret stores a value', async () => {
    const { Name, v1 } = await create('rule2-update');
    const updated = await client.send(new UpdateSecretCommand({ SecretId: Name, SecretString: 'v2' }));
    expect(await stagesMap(Name)).toEqual({ [v1]: ['AWSPREVIOUS'], [updated.VersionId!]: ['AWSCURRENT'] });
  });

  it('moves AWSPREVIOUS when UpdateSecretVersionStage moves AWSCURRENT', async () => {
    const { Name, v1 } = await create('rule2-stage');
    const v2 = await put(Name, ['AWSPENDING']);
    const output = await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'AWSCURRENT', MoveToVersionId: v2.versionId, RemoveFromVersionId: v1 }),
    );
    const { $metadata: _metadata, ...body } = output;
    expect(Object.keys(body).sort()).toEqual(['ARN', 'Name']);
    expect(await stagesMap(Name)).toEqual({ [v1]: ['AWSPREVIOUS'], [v2.versionId]: ['AWSCURRENT', 'AWSPENDING'] });
    // GetSecretValue without a stage follows the moved label (moto gets this wrong, §9 b).
    expect((await client.send(new GetSecretValueCommand({ SecretId: Name }))).VersionId).toBe(v2.versionId);
  });
});

describe('rule 3: moving AWSCURRENT does not touch AWSPENDING', () => {
  it('leaves AWSCURRENT and AWSPENDING together on the pending version', async () => {
    const { Name, v1 } = await create('rule3');
    const pending = await put(Name, ['AWSPENDING']);
    await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'AWSCURRENT', MoveToVersionId: pending.versionId, RemoveFromVersionId: v1 }),
    );
    const pendingValue = await client.send(new GetSecretValueCommand({ SecretId: Name, VersionStage: 'AWSPENDING' }));
    expect(pendingValue.VersionStages).toEqual(['AWSCURRENT', 'AWSPENDING']);
    const v3 = await put(Name);
    expect(await stagesMap(Name)).toEqual({
      [pending.versionId]: ['AWSPENDING', 'AWSPREVIOUS'],
      [v3.versionId]: ['AWSCURRENT'],
    });
  });
});

describe('rule 4: a version without labels is deprecated', () => {
  it('hides a version that lost all its labels unless IncludeDeprecated, and then without VersionStages', async () => {
    const { Name } = await create('rule4');
    const v2 = await put(Name, ['one', 'two', 'three']);
    const v3 = await put(Name, ['one', 'two', 'three', 'four']);
    const visible = await listedVersions(Name);
    expect(visible.map((v) => v.VersionId)).not.toContain(v2.versionId);
    expect(visible.find((v) => v.VersionId === v3.versionId)?.VersionStages).toEqual(['four', 'one', 'three', 'two']);
    expect(Object.keys(await stagesMap(Name))).not.toContain(v2.versionId);
    const all = await listedVersions(Name, true);
    const deprecated = all.find((v) => v.VersionId === v2.versionId);
    expect(deprecated).toBeDefined();
    expect(deprecated && 'VersionStages' in deprecated).toBe(false);
    expect(all).toHaveLength(3);
    // A deprecated version can still be read by its id.
    expect((await client.send(new GetSecretValueCommand({ SecretId: Name, VersionId: v2.versionId }))).VersionStages).toEqual([]);
  });

  it('keeps a label that the new version did not take', async () => {
    const { Name } = await create('rule4-keep');
    const v2 = await put(Name, ['one', 'two', 'three']);
    const v3 = await put(Name, ['one', 'two', 'four']);
    const map = await stagesMap(Name);
    expect(map[v2.versionId]).toEqual(['three']);
    expect(map[v3.versionId]).toEqual(['four', 'one', 'two']);
  });

  it('omits deprecated versions from ListSecrets SecretVersionsToStages', async () => {
    const { Name, v1 } = await create('rule4-list');
    await put(Name);
    const v3 = await put(Name);
    const listed = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [Name] }] }));
    const entry = listed.SecretList?.[0];
    expect(entry?.SecretVersionsToStages).toBeDefined();
    expect(Object.keys(entry!.SecretVersionsToStages!)).not.toContain(v1);
    expect(entry!.SecretVersionsToStages![v3.versionId]).toEqual(['AWSCURRENT']);
  });
});

describe('rule 5: UpdateSecretVersionStage parameters', () => {
  it('attaches a label that no version has with MoveToVersionId alone', async () => {
    const { Name, v1 } = await create('rule5-attach');
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'CUSTOM', MoveToVersionId: v1 }));
    expect((await stagesMap(Name))[v1]).toEqual(['AWSCURRENT', 'CUSTOM']);
  });

  it('removes a custom label with RemoveFromVersionId alone', async () => {
    const { Name, v1 } = await create('rule5-remove');
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'PENDING', MoveToVersionId: v1 }));
    expect((await stagesMap(Name))[v1]).toEqual(['AWSCURRENT', 'PENDING']);
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'PENDING', RemoveFromVersionId: v1 }));
    expect((await stagesMap(Name))[v1]).toEqual(['AWSCURRENT']);
  });

  it('moves a label with both ids', async () => {
    const { Name, v1 } = await create('rule5-move');
    const v2 = await put(Name, ['LABEL']);
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'LABEL', MoveToVersionId: v1, RemoveFromVersionId: v2.versionId }));
    const map = await stagesMap(Name);
    expect(map[v1]).toEqual(['AWSCURRENT', 'LABEL']);
    expect(map[v2.versionId]).toBeUndefined();
  });

  it('refuses to move AWSCURRENT without RemoveFromVersionId, naming the holder', async () => {
    const { Name, v1 } = await create('rule5-current');
    const v2 = await put(Name, ['AWSPENDING']);
    await expectAwsError(
      client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'AWSCURRENT', MoveToVersionId: v2.versionId })),
      'InvalidParameterException',
      `The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version ${v1}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
    expect((await stagesMap(Name))[v1]).toEqual(['AWSCURRENT']);
  });

  it('refuses to move a custom label held elsewhere without RemoveFromVersionId', async () => {
    const { Name, v1 } = await create('rule5-custom');
    const v2 = await put(Name, ['MINE']);
    await expectAwsError(
      client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'MINE', MoveToVersionId: v1 })),
      'InvalidParameterException',
      `The parameter RemoveFromVersionId can't be empty. Staging label MINE is currently attached to version ${v2.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
  });

  it('refuses a RemoveFromVersionId that does not hold the label', async () => {
    const { Name, v1 } = await create('rule5-mismatch');
    const v2 = await put(Name, ['AWSPENDING']);
    // moto's wording (reference §4.5); AWS's exact text is unverified.
    await expectAwsError(
      client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'AWSCURRENT', MoveToVersionId: v2.versionId, RemoveFromVersionId: v2.versionId })),
      'InvalidParameterException',
      `Version stage AWSCURRENT not found in version ${v2.versionId}`,
    );
    expect((await stagesMap(Name))[v1]).toEqual(['AWSCURRENT']);
  });

  it('refuses unknown version ids', async () => {
    const { Name } = await create('rule5-unknown');
    const unknown = token();
    // moto's wording; unverified against AWS.
    await expectAwsError(
      client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'X', MoveToVersionId: unknown })),
      'InvalidParameterException',
      `Not a valid version: ${unknown}`,
    );
  });

  it('refuses to remove AWSCURRENT without moving it', async () => {
    const { Name, v1 } = await create('rule5-remove-current');
    // Rotor's wording; AWS's text for this case is unknown (reference §10).
    await expectAwsError(
      client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'AWSCURRENT', RemoveFromVersionId: v1 })),
      'InvalidParameterException',
      "You can't remove the staging label AWSCURRENT from a version without moving it to another version. Specify MoveToVersionId.",
    );
  });

  it('refuses a call with neither version id', async () => {
    const { Name } = await create('rule5-neither');
    // Rotor's wording; unverified against AWS.
    await expectAwsError(
      client.send(new UpdateSecretVersionStageCommand({ SecretId: Name, VersionStage: 'X' })),
      'InvalidParameterException',
      'You must specify MoveToVersionId, RemoveFromVersionId, or both.',
    );
  });

  it('answers ResourceNotFoundException for an unknown secret', async () => {
    await expectAwsError(
      client.send(new UpdateSecretVersionStageCommand({ SecretId: uniqueName('rule5-missing'), VersionStage: 'X', MoveToVersionId: token() })),
      'ResourceNotFoundException',
      notFoundMessage,
    );
  });
});

describe('rule 6: custom stages leave AWSCURRENT alone', () => {
  it('keeps AWSCURRENT where it was for custom-only stages', async () => {
    const { Name, v1 } = await create('rule6');
    const v2 = await put(Name, ['SAMPLESTAGE1', 'SAMPLESTAGE0']);
    expect(v2.stages).toEqual(['SAMPLESTAGE0', 'SAMPLESTAGE1']);
    const v3 = await put(Name, ['PENDING']);
    const v4 = await put(Name, ['AWSPENDING']);
    expect(await stagesMap(Name)).toEqual({
      [v1]: ['AWSCURRENT'],
      [v2.versionId]: ['SAMPLESTAGE0', 'SAMPLESTAGE1'],
      [v3.versionId]: ['PENDING'],
      [v4.versionId]: ['AWSPENDING'],
    });
    expect((await client.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString).toBe('v1');
  });
});

describe('rule 7: AWSCURRENT with a custom label', () => {
  it('makes the old current AWSPREVIOUS and the new one AWSCURRENT plus the custom label', async () => {
    const { Name, v1 } = await create('rule7');
    const v2 = await put(Name, ['AWSCURRENT', 'PUT0']);
    expect(v2.stages).toEqual(['AWSCURRENT', 'PUT0']);
    expect(await stagesMap(Name)).toEqual({ [v1]: ['AWSPREVIOUS'], [v2.versionId]: ['AWSCURRENT', 'PUT0'] });
  });
});
