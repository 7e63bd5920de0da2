import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRotor, type TestRotor } from '../../server/test/support/rotor-server.js';
import { ClientErrorCode, RotorClient, RotorError } from '../src/index.js';
import { createSigner, encodePathSegment } from '../src/sigv4.js';

/** SigV4 (service `rotor`) as the real server verifies it, and its refusals as RotorError. */

let rotor: TestRotor;

beforeAll(async () => {
  rotor = await startTestRotor();
});
afterAll(async () => {
  await rotor.close();
});

async function signedFetch(
  method: string,
  path: string,
  body = '',
  options: { secretAccessKey?: string; region?: string; date?: Date; sendBody?: string } = {},
) {
  const sign = createSigner({
    credentials: { ...rotor.credentials, ...(options.secretAccessKey === undefined ? {} : { secretAccessKey: options.secretAccessKey }) },
    region: options.region ?? 'us-east-1',
  });
  const url = new URL(path, rotor.url);
  const headers = sign({ method, url, headers: body === '' ? {} : { 'content-type': 'application/json' }, body }, options.date ?? new Date());
  const sent = options.sendBody ?? body;
  const response = await fetch(url, { method, headers, ...(sent === '' ? {} : { body: sent }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function createSecret(name: string): Promise<void> {
  await rotor.client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
}

describe('request signing', () => {
  it('is accepted for a secret whose name needs percent-encoding in the path', async () => {
    const name = `sig/${randomUUID()}/a+b=c@d.e_f-g`;
    await createSecret(name);
    const response = await signedFetch('GET', `/v1/secrets/${encodePathSegment(name)}/rotation`);
    expect(response.status).toBe(200);
    expect(response.body.Name).toBe(name);
  });

  it('is accepted with a query string', async () => {
    const name = `sig/${randomUUID()}`;
    await createSecret(name);
    const response = await signedFetch('GET', `/v1/secrets/${encodePathSegment(name)}/rotations?limit=3`);
    expect(response.status).toBe(200);
  });

  it('covers the body of a request that has one', async () => {
    const name = `sig/${randomUUID()}`;
    await createSecret(name);
    const path = `/v1/secrets/${encodePathSegment(name)}/schedule`;
    const body = JSON.stringify({ Spread: true });
    // Past the signature check: the server reads the body and refuses what it asks for.
    const accepted = await signedFetch('PUT', path, body);
    expect(accepted.body.code).toBe('INVALID_REQUEST');
    expect(accepted.body.detail).toMatch(/no rotation configuration/);
    const tampered = await signedFetch('PUT', path, body, { sendBody: JSON.stringify({ Spread: false }) });
    expect(tampered).toMatchObject({ status: 403, body: { code: 'INVALID_SIGNATURE' } });
  });

  it('is refused when made with the wrong secret key, the wrong region or an old date', async () => {
    const path = `/v1/secrets/${encodePathSegment(`sig/${randomUUID()}`)}/rotation`;
    expect((await signedFetch('GET', path, '', { secretAccessKey: 'not-the-key' })).status).toBe(403);
    expect((await signedFetch('GET', path, '', { region: 'eu-west-3' })).status).toBeGreaterThanOrEqual(400);
    expect((await signedFetch('GET', path, '', { date: new Date(Date.now() - 20 * 60_000) })).status).toBe(403);
  });
});

describe('errors', () => {
  it('turns a refused signature into a RotorError with the server code, and never shows the secret key', async () => {
    const wrongKey = `wrong-${randomUUID()}`;
    const client = new RotorClient({
      endpoint: rotor.url,
      credentials: { accessKeyId: rotor.credentials.accessKeyId, secretAccessKey: wrongKey },
      subscribeToEvents: false,
    });
    const error: unknown = await client.getSecretValue('anything').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RotorError);
    expect(error).toMatchObject({ name: 'RotorError', code: 'INVALID_SIGNATURE', status: 403 });
    expect((error as RotorError).message).toMatch(/^Invalid signature: /);
    expect((error as RotorError).requestId).toMatch(/[0-9a-f-]{36}/);
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain(wrongKey);
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain(rotor.credentials.secretAccessKey);
    client.close();
  });

  it('turns an unknown access key into a 401 RotorError', async () => {
    const client = new RotorClient({ endpoint: rotor.url, credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' }, subscribeToEvents: false });
    await expect(client.getSecretValue('anything')).rejects.toMatchObject({ code: 'UNRECOGNIZED_CLIENT', status: 401 });
    client.close();
  });

  it('reports an unreachable server as a NetworkError', async () => {
    // A port nothing listens on: the one a server just gave back.
    const gone = await startTestRotor();
    const url = gone.url;
    await gone.close();
    const client = new RotorClient({ endpoint: url, credentials: rotor.credentials, subscribeToEvents: false });
    await expect(client.getSecretValue('anything')).rejects.toMatchObject({ name: 'RotorError', code: ClientErrorCode.network, status: 0 });
    client.close();
  });

  it('refuses calls after close and an empty secret id before any request', async () => {
    const client = new RotorClient({ endpoint: rotor.url, credentials: rotor.credentials, subscribeToEvents: false });
    await expect(client.getSecretValue('')).rejects.toMatchObject({ code: ClientErrorCode.invalidArgument });
    client.close();
    await expect(client.getSecretValue('x')).rejects.toMatchObject({ code: ClientErrorCode.closed });
    await expect(client.getValidToken('x')).rejects.toMatchObject({ code: ClientErrorCode.closed });
  });

  it('is recognised by brand, so a second copy of the package still matches instanceof', async () => {
    // The compiled package next to the source: two copies of the classes, as an app with two installs has.
    const copy = await import('../dist/errors.js');
    expect(copy.RotorError).not.toBe(RotorError);
    const foreign = new copy.ReauthorizationRequiredError('needs a new installation', { secretId: 's' });
    expect(foreign).toBeInstanceOf(RotorError);
    expect(foreign).toBeInstanceOf(copy.RotorError);
    const { ReauthorizationRequiredError, isReauthorizationRequiredError } = await import('../src/index.js');
    expect(foreign).toBeInstanceOf(ReauthorizationRequiredError);
    expect(isReauthorizationRequiredError(foreign)).toBe(true);
    expect(new RotorError('x', { code: 'X' })).not.toBeInstanceOf(ReauthorizationRequiredError);
    expect(new Error('plain')).not.toBeInstanceOf(RotorError);
  });
});

describe('configuration', () => {
  it('reads the endpoint, keys and region from the environment, and names what is missing', async () => {
    const env = { ROTOR_ENDPOINT: rotor.url, AWS_ACCESS_KEY_ID: rotor.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: 'wrong', AWS_REGION: 'us-east-1' };
    const client = RotorClient.fromEnvironment({ subscribeToEvents: false }, env);
    // Reaches the server and signs with the given key: a refused signature, not a network error.
    await expect(client.getSecretValue('x')).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    client.close();
    expect(() => RotorClient.fromEnvironment({}, { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'secret-value-123' })).toThrow(/ROTOR_ENDPOINT/);
    try {
      RotorClient.fromEnvironment({}, { ROTOR_ENDPOINT: rotor.url, AWS_SECRET_ACCESS_KEY: 'secret-value-123' });
      expect.unreachable();
    } catch (thrown) {
      expect((thrown as Error).message).toMatch(/AWS_ACCESS_KEY_ID/);
      expect((thrown as Error).message).not.toContain('secret-value-123');
    }
  });
});
