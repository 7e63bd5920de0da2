import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, type TestRotor } from '../support/rotor-server.js';
import { notFoundMessage, token, uniqueName } from './helpers.js';

/** The wire protocol itself (reference §1): signed `fetch` requests, no SDK in between. */

let rotor: TestRotor;
let signer: SignatureV4;

beforeAll(async () => {
  rotor = await startTestRotor();
  signer = new SignatureV4({ credentials: rotor.credentials, region: 'us-east-1', service: 'secretsmanager', sha256: Sha256 });
});

afterAll(async () => {
  await rotor.close();
});

interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** POSTs a SigV4-signed request; `target` undefined leaves the X-Amz-Target header out. */
async function raw(target: string | undefined, body: unknown): Promise<RawResponse> {
  const url = new URL(rotor.url);
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { host: url.host, 'content-type': 'application/x-amz-json-1.1' };
  if (target !== undefined) headers['x-amz-target'] = target;
  const request = new HttpRequest({ method: 'POST', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: '/', headers, body: payload });
  const signed = await signer.sign(request);
  const response = await fetch(`${rotor.url}/`, { method: 'POST', headers: signed.headers, body: payload });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

const call = (operation: string, body: unknown) => raw(`secretsmanager.${operation}`, body);

function expectError(response: RawResponse, type: string, message?: string): void {
  expect(response.status).toBe(400);
  expect(Object.keys(response.body).sort()).toEqual(['Message', '__type']);
  expect(response.body.__type).toBe(type);
  if (message !== undefined) expect(response.body.Message).toBe(message);
}

const missingToken = 'You must provide a ClientRequestToken value. We recommend a UUID-type value.';

describe('ClientRequestToken on raw requests', () => {
  it('is required by CreateSecret', async () => {
    expectError(await call('CreateSecret', { Name: uniqueName('raw-create'), SecretString: 'x' }), 'InvalidRequestException', missingToken);
  });

  it('is checked by PutSecretValue before the secret is looked up', async () => {
    expectError(await call('PutSecretValue', { SecretId: uniqueName('raw-put-missing'), SecretString: 'x' }), 'InvalidRequestException', missingToken);
  });

  it('is checked by UpdateSecret with a value before the secret is looked up', async () => {
    expectError(await call('UpdateSecret', { SecretId: uniqueName('raw-update-missing'), SecretString: 'x' }), 'InvalidRequestException', missingToken);
  });

  it('is not needed by a description-only UpdateSecret', async () => {
    // Rotor's choice: no version is created, so there is nothing to make idempotent (AWS unverified).
    const Name = uniqueName('raw-update-desc');
    expect((await call('CreateSecret', { Name, ClientRequestToken: token() })).status).toBe(200);
    const updated = await call('UpdateSecret', { SecretId: Name, Description: 'd' });
    expect(updated.status).toBe(200);
    expect(updated.body.Name).toBe(Name);
  });

  it('becomes the VersionId when given', async () => {
    const Name = uniqueName('raw-token');
    const requestToken = token();
    const created = await call('CreateSecret', { Name, SecretString: 'x', ClientRequestToken: requestToken });
    expect(created.status).toBe(200);
    expect(created.body.VersionId).toBe(requestToken);
    expect(created.headers.get('content-type')).toBe('application/x-amz-json-1.1');
  });
});

describe('error envelope', () => {
  it('answers ResourceNotFoundException with 400, __type and a capital Message', async () => {
    const response = await call('DescribeSecret', { SecretId: uniqueName('raw-missing') });
    expectError(response, 'ResourceNotFoundException', notFoundMessage);
    expect(response.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown target with 400 UnknownOperationException', async () => {
    expectError(await call('MakeCoffee', {}), 'UnknownOperationException');
    expectError(await raw('kms.CreateKey', {}), 'UnknownOperationException');
    expectError(await raw(undefined, {}), 'UnknownOperationException');
  });

  it('answers replication operations with a clear 400 error, as Rotor does not replicate', async () => {
    // Rotor's own wording: AWS has no "not implemented" case to copy.
    const Name = uniqueName('raw-replicate');
    await call('CreateSecret', { Name, SecretString: 'x', ClientRequestToken: token() });
    expectError(
      await call('ReplicateSecretToRegions', { SecretId: Name, AddReplicaRegions: [{ Region: 'eu-west-1' }] }),
      'InvalidRequestException',
      'ReplicateSecretToRegions is not available in this version of Rotor.',
    );
  });

  it('asks a raw RotateSecret for its token before looking the secret up (InvalidParameterException)', async () => {
    expectError(
      await call('RotateSecret', { SecretId: uniqueName('raw-rotate-missing') }),
      'InvalidParameterException',
      'You must provide a ClientRequestToken value. We recommend a UUID-type value.',
    );
  });

  it('answers members of the wrong JSON type with SerializationException', async () => {
    // Rotor's wording; AWS's SerializationException text is unverified.
    expectError(await call('DescribeSecret', { SecretId: 123 }), 'SerializationException', "Expected string for 'SecretId' but found number.");
    expectError(await call('ListSecrets', { MaxResults: '5' }), 'SerializationException');
    expectError(await call('CreateSecret', { Name: ['x'], ClientRequestToken: token() }), 'SerializationException');
    expectError(await call('ListSecrets', { IncludePlannedDeletion: 'yes' }), 'SerializationException');
  });

  it('answers a body that is not JSON with SerializationException', async () => {
    expectError(await call('ListSecrets', '{"MaxResults": '), 'SerializationException', 'The request body is not valid JSON.');
  });

  it('answers a missing required member with ValidationException "Member must not be null"', async () => {
    expectError(
      await call('GetSecretValue', {}),
      'ValidationException',
      "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null",
    );
    expectError(
      await call('UpdateSecretVersionStage', { SecretId: 'x' }),
      'ValidationException',
      "1 validation error detected: Value null at 'versionStage' failed to satisfy constraint: Member must not be null",
    );
  });

  it('answers a constraint violation with ValidationException naming the member', async () => {
    expectError(
      await call('ListSecrets', { MaxResults: 101 }),
      'ValidationException',
      "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
    expectError(
      await call('ListSecrets', { SortOrder: 'sideways' }),
      'ValidationException',
      "1 validation error detected: Value 'sideways' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]",
    );
  });

  it('refuses an unsigned request', async () => {
    const response = await fetch(`${rotor.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.ListSecrets' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.__type).toBe('MissingAuthenticationTokenException');
  });
});

describe('wire encoding', () => {
  it('sends SecretBinary as base64 and dates as epoch seconds', async () => {
    const Name = uniqueName('raw-binary');
    const before = Date.now() / 1000;
    const created = await call('CreateSecret', { Name, SecretBinary: Buffer.from('footest').toString('base64'), ClientRequestToken: token() });
    expect(created.status).toBe(200);
    const value = await call('GetSecretValue', { SecretId: Name });
    expect(value.status).toBe(200);
    expect(value.body.SecretBinary).toBe('Zm9vdGVzdA==');
    expect(value.body).not.toHaveProperty('SecretString');
    expect(typeof value.body.CreatedDate).toBe('number');
    expect(value.body.CreatedDate as number).toBeGreaterThanOrEqual(Math.floor(before) - 1);
    expect(value.body.CreatedDate as number).toBeLessThan(before + 60);
    const described = await call('DescribeSecret', { SecretId: Name });
    expect(typeof described.body.LastChangedDate).toBe('number');
    expect((described.body.LastAccessedDate as number) % 86_400).toBe(0);
  });

  it('refuses SecretBinary that is not base64 with SerializationException', async () => {
    expectError(
      await call('CreateSecret', { Name: uniqueName('raw-bad-b64'), SecretBinary: 'not base64!', ClientRequestToken: token() }),
      'SerializationException',
      'SecretBinary must be base64-encoded.',
    );
  });

  it('answers TagResource with an empty JSON object', async () => {
    const Name = uniqueName('raw-tag');
    await call('CreateSecret', { Name, ClientRequestToken: token() });
    const tagged = await call('TagResource', { SecretId: Name, Tags: [{ Key: 'k', Value: 'v' }] });
    expect(tagged.status).toBe(200);
    expect(tagged.body).toEqual({});
  });
});
