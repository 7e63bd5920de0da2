import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, type TestRotor } from '../support/rotor-server.js';
import { sendRaw } from '../support/signed-http.js';
import { api, secretPath, until } from './helpers.js';

let rotor: TestRotor;
let randomArn: string;
let failingArn: string;
let failing: Server;

const describeSecret = (id: string) => rotor.client.send(new DescribeSecretCommand({ SecretId: id }));

async function createSecret(value = 'initial-value') {
  const name = `api/${randomUUID()}`;
  const created = await rotor.client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  return { name, firstVersion: created.VersionId!, arn: created.ARN! };
}

async function rotateAndWait(name: string, functionArn = randomArn) {
  const rotated = await rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: functionArn }));
  await until(() => describeSecret(name), (d) => d.VersionIdsToStages?.[rotated.VersionId!]?.includes('AWSCURRENT') === true);
  await until(() => api(rotor, 'GET', secretPath(name, 'rotation')), (r) => r.body.Current === null);
  return rotated.VersionId!;
}

beforeAll(async () => {
  rotor = await startTestRotor();
  randomArn = (await rotor.rotor.functions.create({ name: 'api-random', builtin: 'random', config: { passwordLength: 24 } })).FunctionArn;
  // A function endpoint that always fails with 503: its rotations stay retrying.
  failing = createServer((request, response) => {
    request.resume();
    response.writeHead(503).end('down for maintenance');
  });
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  const port = (failing.address() as AddressInfo).port;
  failingArn = (await rotor.rotor.functions.create({ name: 'api-failing', url: `http://127.0.0.1:${port}/rotate` })).FunctionArn;
});
afterAll(async () => {
  await rotor.close();
  await new Promise<void>((resolve) => failing.close(() => resolve()));
});

describe('authentication', () => {
  it('answers an unsigned request with 401 problem+json and no route information', async () => {
    const response = await sendRaw(rotor.url, false, { method: 'GET', path: '/v1/secrets/x/rotation', headers: {} });
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body.toString())).toEqual({
      type: 'urn:rotor:problem:missing-authentication-token',
      title: 'Missing authentication',
      status: 401,
      detail: 'Missing Authentication Token',
      code: 'MISSING_AUTHENTICATION_TOKEN',
    });
    const unknownRoute = await sendRaw(rotor.url, false, { method: 'GET', path: '/v1/nothing-here', headers: {} });
    expect(unknownRoute.status).toBe(401);
  });

  it('refuses a request signed for the secretsmanager service with 403', async () => {
    const { name } = await createSecret();
    const response = await api(rotor, 'GET', secretPath(name, 'rotation'), { service: 'secretsmanager' });
    expect(response.status).toBe(403);
    expect(response.contentType).toBe('application/problem+json');
    expect(response.body).toMatchObject({ code: 'INVALID_SIGNATURE', status: 403, detail: "Credential should be scoped to correct service: 'rotor'. " });
  });

  it('refuses a wrong secret key with 403 and an unknown key with 401', async () => {
    const { name } = await createSecret();
    const wrongSecret = await api(rotor, 'GET', secretPath(name, 'rotation'), {
      credentials: { accessKeyId: rotor.credentials.accessKeyId, secretAccessKey: 'not-the-secret-key-at-all' },
    });
    expect(wrongSecret.status).toBe(403);
    expect(wrongSecret.body.code).toBe('INVALID_SIGNATURE');
    const unknownKey = await api(rotor, 'GET', secretPath(name, 'rotation'), {
      credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'whatever-it-may-be' },
    });
    expect(unknownKey.status).toBe(401);
    expect(unknownKey.body.code).toBe('UNRECOGNIZED_CLIENT');
  });

  it('answers a signed request for an unknown route with 404', async () => {
    const response = await api(rotor, 'GET', '/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'UNKNOWN_OPERATION', title: 'No such route' });
  });
});

describe('GET /v1/secrets/{id}/rotation', () => {
  it('reports a secret without rotation, by name and by ARN', async () => {
    const { name, arn } = await createSecret();
    for (const id of [name, arn]) {
      const response = await api(rotor, 'GET', secretPath(id, 'rotation'));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        SecretId: arn,
        Name: name,
        RotationEnabled: false,
        FunctionArn: null,
        Rules: null,
        TimeZone: null,
        Spread: false,
        ResetOnManualChange: true,
        LastRotatedDate: null,
        NextRotationDate: null,
        Attention: null,
        Current: null,
        LastRun: null,
      });
    }
  });

  it('answers 404 for a secret that does not exist', async () => {
    const response = await api(rotor, 'GET', secretPath('api/does-not-exist', 'rotation'));
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'RESOURCE_NOT_FOUND', detail: "Secrets Manager can't find the specified secret." });
  });

  it('shows a retrying rotation: state, step, attempt, last error and next attempt', async () => {
    const { name } = await createSecret();
    const rotated = await rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: failingArn }));
    const status = await until(
      () => api<{ Current: Record<string, unknown> | null }>(rotor, 'GET', secretPath(name, 'rotation')),
      (r) => r.body.Current?.State === 'retrying',
    );
    expect(status.body.Current).toMatchObject({
      VersionId: rotated.VersionId,
      State: 'retrying',
      Step: 'createSecret',
      Attempt: 2,
      Trigger: 'api',
      LastError: expect.stringContaining('HTTP 503'),
    });
    expect(Date.parse(status.body.Current!.NextAttemptDate as string)).toBeGreaterThan(Date.parse(status.body.Current!.StartedDate as string));

    const refused = await api(rotor, 'POST', secretPath(name, 'rollback'));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'INVALID_REQUEST', detail: expect.stringContaining('in progress') });
  });
});

describe('POST /v1/secrets/{id}/rollback', () => {
  it('moves AWSCURRENT back to the previous version after a rotation, and records it', async () => {
    const { name, firstVersion } = await createSecret('the-old-value');
    const rotatedVersion = await rotateAndWait(name);
    expect((await rotor.client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).not.toBe('the-old-value');

    const response = await api(rotor, 'POST', secretPath(name, 'rollback'));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ Name: name, VersionId: firstVersion, PreviousVersionId: rotatedVersion, Compensated: false });

    expect((await rotor.client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('the-old-value');
    expect((await describeSecret(name)).VersionIdsToStages).toEqual({ [firstVersion]: ['AWSCURRENT'], [rotatedVersion]: ['AWSPREVIOUS'] });

    const history = await api<{ Rotations: { RotationId: string; Events: { Kind: string; VersionId: string }[] }[] }>(
      rotor,
      'GET',
      secretPath(name, 'rotations'),
    );
    const kinds = history.body.Rotations[0]!.Events.map((event) => event.Kind);
    expect(kinds).toEqual(['started', 'step-succeeded', 'step-succeeded', 'step-succeeded', 'step-succeeded', 'succeeded', 'rolled-back']);
    expect(history.body.Rotations[0]!.Events.at(-1)!.VersionId).toBe(firstVersion);
  });

  it('a second rollback undoes the first', async () => {
    const { name, firstVersion } = await createSecret();
    const rotatedVersion = await rotateAndWait(name);
    expect((await api(rotor, 'POST', secretPath(name, 'rollback'))).status).toBe(200);
    const again = await api(rotor, 'POST', secretPath(name, 'rollback'));
    expect(again.body).toMatchObject({ VersionId: rotatedVersion, PreviousVersionId: firstVersion });
    expect((await describeSecret(name)).VersionIdsToStages).toEqual({ [firstVersion]: ['AWSPREVIOUS'], [rotatedVersion]: ['AWSCURRENT'] });
  });

  it('rolls back a manual change too', async () => {
    const { name } = await createSecret('first');
    await rotor.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'second' }));
    expect((await api(rotor, 'POST', secretPath(name, 'rollback'))).status).toBe(200);
    expect((await rotor.client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('first');
    const history = await api<{ Rotations: unknown[]; Events: { Kind: string }[] }>(rotor, 'GET', secretPath(name, 'rotations'));
    expect(history.body.Rotations).toEqual([]);
    expect(history.body.Events.map((event) => event.Kind)).toEqual(['rolled-back']);
  });

  it('is refused when there is no AWSPREVIOUS', async () => {
    const { name, firstVersion } = await createSecret();
    const response = await api(rotor, 'POST', secretPath(name, 'rollback'));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'INVALID_REQUEST', detail: `Secret ${name} has no AWSPREVIOUS version to roll back to.` });
    expect((await describeSecret(name)).VersionIdsToStages).toEqual({ [firstVersion]: ['AWSCURRENT'] });
  });
});

describe('schedule preview and settings', () => {
  it('previews a rate schedule from the stored configuration', async () => {
    const { name } = await createSecret();
    await rotor.client.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn, RotateImmediately: false, RotationRules: { ScheduleExpression: 'rate(6 hours)' } }),
    );
    const described = await until(() => describeSecret(name), (d) => d.NextRotationDate !== undefined);
    const preview = await api<{ Dates: string[]; RotationEnabled: boolean }>(rotor, 'GET', `${secretPath(name, 'schedule/preview')}?n=4`);
    expect(preview.status).toBe(200);
    const dates = preview.body.Dates.map(Date.parse);
    expect(dates).toHaveLength(4);
    expect(dates[0]).toBe(described.NextRotationDate!.getTime());
    for (let i = 1; i < dates.length; i++) expect(dates[i]! - dates[i - 1]!).toBe(6 * 3_600_000);
  });

  it('previews a cron schedule, in UTC and then in the time zone set with PUT schedule', async () => {
    const { name } = await createSecret();
    await rotor.client.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn, RotateImmediately: false, RotationRules: { ScheduleExpression: 'cron(0 12 * * ? *)' } }),
    );
    await until(() => describeSecret(name), (d) => d.NextRotationDate !== undefined);
    const utc = await api<{ Dates: string[] }>(rotor, 'GET', `${secretPath(name, 'schedule/preview')}?n=3`);
    expect(utc.body.Dates).toHaveLength(3);
    for (const date of utc.body.Dates) expect(date).toMatch(/T12:00:00\.000Z$/);
    expect(Date.parse(utc.body.Dates[1]!) - Date.parse(utc.body.Dates[0]!)).toBe(86_400_000);

    const set = await api<{ TimeZone: string; NextRotationDate: string }>(rotor, 'PUT', secretPath(name, 'schedule'), { body: { TimeZone: 'Asia/Tokyo' } });
    expect(set.status).toBe(200);
    expect(set.body.TimeZone).toBe('Asia/Tokyo');
    // 12:00 in Tokyo (UTC+9, no DST) is 03:00 UTC; NextRotationDate moved with it.
    expect(set.body.NextRotationDate).toMatch(/T03:00:00\.000Z$/);
    expect((await describeSecret(name)).NextRotationDate!.toISOString()).toBe(set.body.NextRotationDate);
    const tokyo = await api<{ Dates: string[]; TimeZone: string }>(rotor, 'GET', `${secretPath(name, 'schedule/preview')}?n=2`);
    expect(tokyo.body.TimeZone).toBe('Asia/Tokyo');
    for (const date of tokyo.body.Dates) expect(date).toMatch(/T03:00:00\.000Z$/);
  });

  it('refuses a preview for a secret without a schedule, and bad counts', async () => {
    const { name } = await createSecret();
    const none = await api(rotor, 'GET', secretPath(name, 'schedule/preview'));
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ code: 'INVALID_REQUEST', detail: expect.stringContaining('has no rotation schedule') });
    await rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn, RotateImmediately: false, RotationRules: { AutomaticallyAfterDays: 2 } }));
    for (const n of ['0', '101', 'ten']) {
      const bad = await api(rotor, 'GET', `${secretPath(name, 'schedule/preview')}?n=${n}`);
      expect(bad.status, n).toBe(400);
      expect(bad.body.code).toBe('VALIDATION');
    }
  });

  it('validates PUT schedule bodies and needs an existing rotation configuration', async () => {
    const { name } = await createSecret();
    const noConfig = await api(rotor, 'PUT', secretPath(name, 'schedule'), { body: { Spread: true } });
    expect(noConfig.status).toBe(400);
    expect(noConfig.body.detail).toContain('no rotation configuration');
    await rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: randomArn, RotateImmediately: false, RotationRules: { AutomaticallyAfterDays: 2 } }));
    expect((await api(rotor, 'PUT', secretPath(name, 'schedule'), { body: {} })).body.code).toBe('VALIDATION');
    expect((await api(rotor, 'PUT', secretPath(name, 'schedule'), { body: { Spread: 'yes' } })).body.code).toBe('VALIDATION');
    expect((await api(rotor, 'PUT', secretPath(name, 'schedule'), { body: { Extra: 1 } })).body.code).toBe('VALIDATION');
    expect((await api(rotor, 'PUT', secretPath(name, 'schedule'), { body: { TimeZone: 'Mars/Olympus' } })).body.code).toBe('INVALID_PARAMETER');
    const ok = await api(rotor, 'PUT', secretPath(name, 'schedule'), { body: { Spread: true, ResetOnManualChange: false } });
    expect(ok.body).toMatchObject({ Spread: true, ResetOnManualChange: false, RotationEnabled: true });
  });
});

describe('GET /v1/secrets/{id}/rotations', () => {
  it('lists runs newest first with their events, limited by ?limit', async () => {
    const { name } = await createSecret();
    const first = await rotateAndWait(name);
    const second = await rotateAndWait(name);
    const all = await api<{ Rotations: { VersionId: string; State: string; Events: { Kind: string; Step: string | null }[] }[] }>(
      rotor,
      'GET',
      secretPath(name, 'rotations'),
    );
    expect(all.body.Rotations.map((run) => run.VersionId)).toEqual([second, first]);
    expect(all.body.Rotations[0]!.State).toBe('succeeded');
    expect(all.body.Rotations[0]!.Events.map((event) => `${event.Kind}:${event.Step}`)).toEqual([
      'started:createSecret',
      'step-succeeded:createSecret',
      'step-succeeded:setSecret',
      'step-succeeded:testSecret',
      'step-succeeded:finishSecret',
      'succeeded:finishSecret',
    ]);
    const one = await api<{ Rotations: { VersionId: string }[] }>(rotor, 'GET', `${secretPath(name, 'rotations')}?limit=1`);
    expect(one.body.Rotations.map((run) => run.VersionId)).toEqual([second]);
    expect((await api(rotor, 'GET', `${secretPath(name, 'rotations')}?limit=0`)).status).toBe(400);
  });
});
