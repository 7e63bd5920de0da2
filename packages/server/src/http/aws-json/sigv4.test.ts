import { execFileSync } from 'node:child_process';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { AppError, type ErrorCode } from '../../domain/errors.js';
import {
  createSigV4Verifier,
  SigV4Messages,
  type AccessKeySecret,
  type RequestToVerify,
  type SigV4VerifierDeps,
} from './sigv4.js';

const REGION = 'us-east-1';
const SERVICE = 'secretsmanager';
const HOST = 'localhost:4566';
const AKID = 'AKIDROTORTEST0000001';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const TOKEN = 'FwoGZXIvYXdzEBYaDrotor//session+token==';
/** 2024-01-01T00:10:00Z */
const NOW = Date.UTC(2024, 0, 1, 0, 10, 0);
const BODY = JSON.stringify({ SecretId: 'prod/db/password', VersionStage: 'AWSCURRENT' });

interface SignOptions {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
  service?: string;
  signingDate?: number;
  body?: string;
  path?: string;
  query?: Record<string, string | string[]>;
  extraHeaders?: Record<string, string>;
}

/** Signs the way @aws-sdk/client-secrets-manager does: smithy SignatureV4, path escaping on, checksum header on. */
async function signWithSmithy(options: SignOptions = {}): Promise<RequestToVerify> {
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: options.accessKeyId ?? AKID,
      secretAccessKey: options.secretAccessKey ?? SECRET,
      ...(options.sessionToken === undefined ? {} : { sessionToken: options.sessionToken }),
    },
    region: options.region ?? REGION,
    service: options.service ?? SERVICE,
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: true,
  });
  const body = options.body ?? BODY;
  const request = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: 'localhost',
    port: 4566,
    path: options.path ?? '/',
    query: options.query ?? {},
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.GetSecretValue',
      host: HOST,
      ...options.extraHeaders,
    },
    body,
  });
  const signed = await signer.sign(request, { signingDate: new Date(options.signingDate ?? NOW) });
  return toVerifiable(signed.method, signed.path, signed.query, signed.headers, body);
}

async function presignWithSmithy(options: SignOptions & { expiresIn?: number } = {}): Promise<RequestToVerify> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
    region: REGION,
    service: SERVICE,
    sha256: Sha256,
    uriEscapePath: true,
  });
  const body = options.body ?? BODY;
  const request = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: 'localhost',
    port: 4566,
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.1', host: HOST },
    body,
  });
  const presigned = await signer.presign(request, {
    signingDate: new Date(options.signingDate ?? NOW),
    expiresIn: options.expiresIn ?? 900,
  });
  return toVerifiable(presigned.method, presigned.path, presigned.query, presigned.headers, body);
}

function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** What node's http server would hand the handler for the request smithy's node handler sends. */
function toVerifiable(
  method: string,
  path: string,
  query: Record<string, string | string[] | null> | undefined,
  headers: Record<string, string>,
  body: string,
): RequestToVerify {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push(`${escapeUri(key)}=${escapeUri(v)}`);
  }
  const nodeHeaders: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) nodeHeaders[name.toLowerCase()] = value;
  return {
    method,
    url: pairs.length === 0 ? path : `${path}?${pairs.join('&')}`,
    headers: nodeHeaders,
    body: Buffer.from(body, 'utf8'),
  };
}

const BOTOCORE_SIGN = `
import json, sys, datetime
from unittest import mock
import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
a = json.loads(sys.argv[1])
fixed = datetime.datetime.fromtimestamp(a['epoch'], datetime.timezone.utc).replace(tzinfo=None)
creds = Credentials(a['akid'], a['secret'], a.get('token'))
req = AWSRequest(method='POST', url=a['url'], data=a['body'].encode('utf-8'), headers=a['headers'])
signer = (SigV4QueryAuth(creds, 'secretsmanager', a['region'], expires=a['expires'])
          if a['presign'] else SigV4Auth(creds, 'secretsmanager', a['region']))
with mock.patch.object(botocore.auth, 'get_current_datetime', return_value=fixed):
    signer.add_auth(req)
print(json.dumps({'url': req.url, 'headers': dict(req.headers.items())}))
`;

/** Signs with botocore (boto3's signer) in a python3 child process. */
function signWithBotocore(
  options: {
    url?: string;
    body?: string;
    sessionToken?: string;
    presign?: boolean;
    expires?: number;
    headers?: Record<string, string>;
  } = {},
): RequestToVerify {
  const url = options.url ?? `http://${HOST}/`;
  const body = options.body ?? BODY;
  const output = execFileSync(
    'python3',
    [
      '-c',
      BOTOCORE_SIGN,
      JSON.stringify({
        url,
        body,
        akid: AKID,
        secret: SECRET,
        token: options.sessionToken ?? null,
        region: REGION,
        epoch: NOW / 1000,
        presign: options.presign ?? false,
        expires: options.expires ?? 900,
        headers: options.presign
          ? {}
          : {
              'Content-Type': 'application/x-amz-json-1.1',
              'X-Amz-Target': 'secretsmanager.GetSecretValue',
              ...options.headers,
            },
      }),
    ],
    { encoding: 'utf8' },
  );
  const signed = JSON.parse(output) as { url: string; headers: Record<string, string> };
  const parsed = new URL(signed.url);
  // botocore leaves Host to the HTTP client, which sends host:port.
  const headers: IncomingHttpHeaders = { host: parsed.host };
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  return {
    method: 'POST',
    url: signed.url.slice(signed.url.indexOf('/', 'http://'.length)),
    headers,
    body: Buffer.from(body, 'utf8'),
  };
}

function verifier(overrides: Partial<SigV4VerifierDeps> & { now?: () => number } = {}) {
  const keys = new Map<string, AccessKeySecret>([[AKID, { secretAccessKey: SECRET }]]);
  return createSigV4Verifier({
    region: REGION,
    service: SERVICE,
    clock: { now: overrides.now ?? (() => NOW) },
    lookupKey: (id) => keys.get(id),
    ...overrides,
  });
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (AppError.is(error)) return error;
    throw error;
  }
  throw new Error('expected the verifier to reject');
}

async function expectRejection(promise: Promise<unknown>, code: ErrorCode, message: string): Promise<void> {
  const error = await rejection(promise);
  expect({ code: error.code, message: error.message }).toEqual({ code, message });
}

function withHeaders(request: RequestToVerify, headers: IncomingHttpHeaders): RequestToVerify {
  return { ...request, headers: { ...request.headers, ...headers } };
}

function withoutHeader(request: RequestToVerify, name: string): RequestToVerify {
  const headers = { ...request.headers };
  delete headers[name];
  return { ...request, headers };
}

function withAuthorization(request: RequestToVerify, authorization: string): RequestToVerify {
  return withHeaders(request, { authorization });
}

describe('createSigV4Verifier', () => {
  describe('accepts what real SDKs sign', () => {
    it('accepts a request signed as @aws-sdk/client-secrets-manager signs it and names the caller', async () => {
      const request = await signWithSmithy();
      expect(request.headers['x-amz-content-sha256']).toBeDefined();
      await expect(verifier()(request)).resolves.toEqual({ accessKeyId: AKID });
    });

    it('accepts a request signed by botocore SigV4Auth', async () => {
      const request = signWithBotocore();
      expect(request.headers['x-amz-content-sha256']).toBeUndefined();
      await expect(verifier()(request)).resolves.toEqual({ accessKeyId: AKID });
    });

    it('accepts a non-root path and a query string signed by smithy and by botocore alike', async () => {
      const smithy = await signWithSmithy({
        path: '/a%20b/./c/../d',
        query: { b: 'x y', a: ['2', '1'], 'c~': "*'!" },
      });
      const boto = signWithBotocore({ url: `http://${HOST}/a%20b/./c/../d?b=x%20y&a=2&a=1&c~=%2A%27%21` });
      const verify = verifier();
      await expect(verify(smithy)).resolves.toEqual({ accessKeyId: AKID });
      await expect(verify(boto)).resolves.toEqual({ accessKeyId: AKID });
    });

    it('accepts the Authorization parts separated by bare commas, in any order, with a trailing slash', async () => {
      const request = await signWithSmithy();
      const authorization = request.headers.authorization as string;
      const credential = authorization.slice(authorization.indexOf('Credential='), authorization.indexOf(', '));
      const rest = authorization.slice(authorization.indexOf(', ') + 2).split(', ');
      const reordered = `AWS4-HMAC-SHA256 ${rest[1]},${credential}/,${rest[0]}`;
      expect(reordered).not.toContain(' Credential=');
      await expect(verifier()(withAuthorization(request, reordered))).resolves.toEqual({ accessKeyId: AKID });
    });

    it('collapses runs of whitespace in signed header values as smithy and botocore do', async () => {
      const smithy = await signWithSmithy({ extraHeaders: { 'x-rotor-note': 'a   b \t c' } });
      expect(smithy.headers['x-rotor-note']).toBe('a   b \t c');
      const boto = signWithBotocore({ headers: { 'X-Rotor-Note': 'a   b    c' } });
      expect(boto.headers['x-rotor-note']).toBe('a   b    c');
      const verify = verifier();
      await expect(verify(smithy)).resolves.toEqual({ accessKeyId: AKID });
      await expect(verify(boto)).resolves.toEqual({ accessKeyId: AKID });
    });

    it('accepts a session-token request from smithy and from botocore when the key carries that token', async () => {
      const verify = verifier({ lookupKey: () => ({ secretAccessKey: SECRET, sessionToken: TOKEN }) });
      await expect(verify(await signWithSmithy({ sessionToken: TOKEN }))).resolves.toEqual({ accessKeyId: AKID });
      await expect(verify(signWithBotocore({ sessionToken: TOKEN }))).resolves.toEqual({ accessKeyId: AKID });
    });

    it('accepts presigned query-string requests from smithy and from botocore', async () => {
      const verify = verifier();
      await expect(verify(await presignWithSmithy())).resolves.toEqual({ accessKeyId: AKID });
      await expect(verify(signWithBotocore({ presign: true, body: '' }))).resolves.toEqual({ accessKeyId: AKID });
    });

    it('accepts a signature dated by the Date header when X-Amz-Date is absent', async () => {
      const date = new Date(NOW).toUTCString();
      const canonicalRequest = [
        'POST',
        '/',
        '',
        `date:${date}`,
        `host:${HOST}`,
        '',
        'date;host',
        new Sha256Hex().of(BODY),
      ].join('\n');
      const stringToSign = [
        'AWS4-HMAC-SHA256',
        '20240101T001000Z',
        `20240101/${REGION}/${SERVICE}/aws4_request`,
        new Sha256Hex().of(canonicalRequest),
      ].join('\n');
      const signer = new SignatureV4({
        credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
        region: REGION,
        service: SERVICE,
        sha256: Sha256,
      });
      const signature = await signer.sign(stringToSign, { signingDate: new Date(NOW) });
      const request: RequestToVerify = {
        method: 'POST',
        url: '/',
        headers: {
          host: HOST,
          date,
          authorization: `AWS4-HMAC-SHA256 Credential=${AKID}/20240101/${REGION}/${SERVICE}/aws4_request, SignedHeaders=date;host, Signature=${signature}`,
        },
        body: Buffer.from(BODY),
      };
      await expect(verifier()(request)).resolves.toEqual({ accessKeyId: AKID });
    });

    it('keeps verifying after the secret of a cached key id changes, with the new secret only', async () => {
      let secret = SECRET;
      const verify = verifier({ lookupKey: () => ({ secretAccessKey: secret }) });
      const signedWithOld = await signWithSmithy();
      await expect(verify(signedWithOld)).resolves.toEqual({ accessKeyId: AKID });
      secret = 'a-brand-new-secret-access-key-0000000000';
      await expectRejection(verify(signedWithOld), 'INVALID_SIGNATURE', SigV4Messages.signatureMismatch);
      await expect(verify(await signWithSmithy({ secretAccessKey: secret }))).resolves.toEqual({ accessKeyId: AKID });
    });
  });

  describe('clock skew', () => {
    it('accepts a request signed 4 minutes in the past or in the future', async () => {
      const verify = verifier();
      await expect(verify(await signWithSmithy({ signingDate: NOW - 4 * 60_000 }))).resolves.toBeDefined();
      await expect(verify(await signWithSmithy({ signingDate: NOW + 4 * 60_000 }))).resolves.toBeDefined();
    });

    it('rejects a request signed 6 minutes ago as expired, in AWS words', async () => {
      await expectRejection(
        verifier()(await signWithSmithy({ signingDate: NOW - 6 * 60_000 })),
        'INVALID_SIGNATURE',
        'Signature expired: 20240101T000400Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)',
      );
    });

    it('rejects a request signed 6 minutes ahead as not yet current, in AWS words', async () => {
      await expectRejection(
        verifier()(await signWithSmithy({ signingDate: NOW + 6 * 60_000 })),
        'INVALID_SIGNATURE',
        'Signature not yet current: 20240101T001600Z is still later than 20240101T001500Z (20240101T001000Z + 5 min.)',
      );
    });

    it('honours a configured skew window', async () => {
      const request = await signWithSmithy({ signingDate: NOW - 2 * 60_000 });
      await expectRejection(
        verifier({ maxSkewMs: 60_000 })(request),
        'INVALID_SIGNATURE',
        'Signature expired: 20240101T000800Z is now earlier than 20240101T000900Z (20240101T001000Z - 1 min.)',
      );
    });

    it('accepts a presigned request until X-Amz-Expires has passed and rejects it after', async () => {
      const request = await presignWithSmithy({ signingDate: NOW - 10 * 60_000, expiresIn: 900 });
      await expect(verifier()(request)).resolves.toEqual({ accessKeyId: AKID });
      await expectRejection(
        verifier({ now: () => NOW + 6 * 60_000 })(request),
        'INVALID_SIGNATURE',
        'Signature expired: 20240101T000000Z is now earlier than 20240101T000100Z (20240101T001600Z - 900 sec.)',
      );
    });
  });

  describe('rejects what is not signed correctly', () => {
    it('rejects a request without any signature as missing a token', async () => {
      const request: RequestToVerify = {
        method: 'POST',
        url: '/',
        headers: { host: HOST, 'content-type': 'application/x-amz-json-1.1' },
        body: Buffer.from(BODY),
      };
      await expectRejection(verifier()(request), 'MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token');
    });

    it('rejects a body changed after signing by smithy, whose checksum header no longer matches', async () => {
      const request = { ...(await signWithSmithy()), body: Buffer.from(BODY.replace('prod', 'test')) };
      await expectRejection(verifier()(request), 'INVALID_SIGNATURE', SigV4Messages.payloadHashMismatch);
    });

    it('rejects a body changed after signing by botocore, which sends no checksum header', async () => {
      const request = { ...signWithBotocore(), body: Buffer.from(BODY.replace('prod', 'test')) };
      await expectRejection(verifier()(request), 'INVALID_SIGNATURE', SigV4Messages.signatureMismatch);
    });

    it('rejects a signed header changed after signing', async () => {
      const request = withHeaders(await signWithSmithy(), { 'x-amz-target': 'secretsmanager.DeleteSecret' });
      await expectRejection(verifier()(request), 'INVALID_SIGNATURE', SigV4Messages.signatureMismatch);
    });

    it('rejects a query string changed after signing', async () => {
      const signed = await signWithSmithy({ query: { a: '1' } });
      await expectRejection(
        verifier()({ ...signed, url: signed.url.replace('a=1', 'a=2') }),
        'INVALID_SIGNATURE',
        SigV4Messages.signatureMismatch,
      );
    });

    it('rejects a request signed with the wrong secret', async () => {
      const request = await signWithSmithy({ secretAccessKey: 'not-the-secret-access-key-000000000000000' });
      await expectRejection(verifier()(request), 'INVALID_SIGNATURE', SigV4Messages.signatureMismatch);
    });

    it('rejects a truncated or re-cased signature', async () => {
      const request = await signWithSmithy();
      const authorization = request.headers.authorization as string;
      const verify = verifier();
      await expectRejection(
        verify(withAuthorization(request, authorization.slice(0, -2))),
        'INVALID_SIGNATURE',
        SigV4Messages.signatureMismatch,
      );
      const signature = authorization.slice(authorization.indexOf('Signature=') + 10);
      await expectRejection(
        verify(withAuthorization(request, authorization.replace(signature, signature.toUpperCase()))),
        'INVALID_SIGNATURE',
        SigV4Messages.signatureMismatch,
      );
    });

    it('rejects an unknown access key as an unrecognized client', async () => {
      const request = await signWithSmithy({ accessKeyId: 'AKIDUNKNOWN000000000' });
      await expectRejection(
        verifier()(request),
        'UNRECOGNIZED_CLIENT',
        'The security token included in the request is invalid.',
      );
    });

    it('rejects a key revoked between two requests, because it looks the key up every time', async () => {
      let active = true;
      const verify = verifier({ lookupKey: () => (active ? { secretAccessKey: SECRET } : undefined) });
      const request = await signWithSmithy();
      await expect(verify(request)).resolves.toEqual({ accessKeyId: AKID });
      active = false;
      await expectRejection(verify(request), 'UNRECOGNIZED_CLIENT', SigV4Messages.unrecognizedClient);
    });

    it('awaits an asynchronous key lookup', async () => {
      const verify = verifier({ lookupKey: async () => ({ secretAccessKey: SECRET }) });
      await expect(verify(await signWithSmithy())).resolves.toEqual({ accessKeyId: AKID });
    });

    it('rejects a credential scoped to another region', async () => {
      await expectRejection(
        verifier()(await signWithSmithy({ region: 'eu-west-1' })),
        'INVALID_SIGNATURE',
        'Credential should be scoped to a valid region. ',
      );
    });

    it('rejects a credential scoped to another service', async () => {
      await expectRejection(
        verifier()(await signWithSmithy({ service: 'dynamodb' })),
        'INVALID_SIGNATURE',
        "Credential should be scoped to correct service: 'secretsmanager'. ",
      );
    });

    it('names every scope problem at once, as AWS does', async () => {
      const request = await signWithSmithy();
      const authorization = (request.headers.authorization as string).replace(
        `/20240101/${REGION}/${SERVICE}/aws4_request`,
        '/20231231/eu-west-1/kms/aws4_requests',
      );
      await expectRejection(
        verifier()(withAuthorization(request, authorization)),
        'INVALID_SIGNATURE',
        'Credential should be scoped to a valid region. ' +
          "Credential should be scoped to correct service: 'secretsmanager'. " +
          "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_requests'. " +
          "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20231231' != '20240101', from '20240101T001000Z'. ",
      );
    });

    it('rejects UNSIGNED-PAYLOAD, which would leave the body unauthenticated', async () => {
      const request = await signWithSmithy({ extraHeaders: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
      await expectRejection(verifier()(request), 'INVALID_SIGNATURE', SigV4Messages.payloadHashMismatch);
    });

    it('rejects a request carrying both a signed header and a presigned query', async () => {
      const presigned = await presignWithSmithy();
      const signed = await signWithSmithy();
      await expectRejection(
        verifier()(withAuthorization(presigned, signed.headers.authorization as string)),
        'INVALID_SIGNATURE',
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
      );
    });
  });

  describe('malformed Authorization headers', () => {
    it('lists every missing part and echoes the header, as AWS does', async () => {
      const request = withoutHeader(withAuthorization(await signWithSmithy(), 'AWS4-HMAC-SHA256'), 'x-amz-date');
      await expectRejection(
        verifier()(request),
        'INCOMPLETE_SIGNATURE',
        "Authorization header requires 'Credential' parameter. " +
          "Authorization header requires 'Signature' parameter. " +
          "Authorization header requires 'SignedHeaders' parameter. " +
          "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
          'Authorization=AWS4-HMAC-SHA256',
      );
    });

    it('rejects a signed request whose X-Amz-Date was dropped', async () => {
      const request = withoutHeader(await signWithSmithy(), 'x-amz-date');
      const error = await rejection(verifier()(request));
      expect(error.code).toBe('INCOMPLETE_SIGNATURE');
      expect(error.message).toBe(
        `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${request.headers.authorization}`,
      );
    });

    it('rejects a bearer token as a pair without an equal sign', async () => {
      const request = withAuthorization(await signWithSmithy(), 'Bearer abc.def');
      await expectRejection(
        verifier()(request),
        'INCOMPLETE_SIGNATURE',
        "'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc.def'.",
      );
    });

    it('rejects an X-Amz-Date that is not in ISO-8601 basic format', async () => {
      const request = withHeaders(await signWithSmithy(), { 'x-amz-date': '2024-01-01T00:10:00Z' });
      await expectRejection(
        verifier()(request),
        'INCOMPLETE_SIGNATURE',
        "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:10:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
      );
    });

    it('rejects a signature that does not sign the host header', async () => {
      const request = await signWithSmithy();
      const authorization = (request.headers.authorization as string).replace(';host;', ';');
      expect(authorization).not.toContain('host');
      await expectRejection(
        verifier()(withAuthorization(request, authorization)),
        'INVALID_SIGNATURE',
        "'Host' must be a 'SignedHeader' in the AWS Authorization.",
      );
    });

    it('rejects an algorithm other than AWS4-HMAC-SHA256', async () => {
      const request = await signWithSmithy();
      const authorization = (request.headers.authorization as string).replace(
        'AWS4-HMAC-SHA256',
        'AWS4-ECDSA-P256-SHA256',
      );
      await expectRejection(
        verifier()(withAuthorization(request, authorization)),
        'INCOMPLETE_SIGNATURE',
        "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). ",
      );
    });

    it('rejects a credential without five slash-separated parts', async () => {
      const request = await signWithSmithy();
      const authorization = (request.headers.authorization as string).replace(`/${SERVICE}/`, '/');
      await expectRejection(
        verifier()(withAuthorization(request, authorization)),
        'INCOMPLETE_SIGNATURE',
        `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${AKID}/20240101/${REGION}/aws4_request'`,
      );
    });

    it('lists the missing parts of an incomplete presigned query', async () => {
      const request: RequestToVerify = {
        method: 'POST',
        url: `/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${AKID}%2F20240101%2Fus-east-1%2Fsecretsmanager%2Faws4_request`,
        headers: { host: HOST },
        body: Buffer.alloc(0),
      };
      await expectRejection(
        verifier()(request),
        'INCOMPLETE_SIGNATURE',
        "AWS query-string parameters must include 'X-Amz-Signature'. " +
          "AWS query-string parameters must include 'X-Amz-SignedHeaders'. " +
          "AWS query-string parameters must include 'X-Amz-Date'. " +
          'Re-examine the query-string parameters.',
      );
    });
  });

  describe('session tokens', () => {
    const withToken = () => verifier({ lookupKey: () => ({ secretAccessKey: SECRET, sessionToken: TOKEN }) });

    it('rejects a request without the token its key requires', async () => {
      await expectRejection(withToken()(await signWithSmithy()), 'UNRECOGNIZED_CLIENT', SigV4Messages.unrecognizedClient);
    });

    it('rejects a request whose signed token differs from the key token', async () => {
      const request = await signWithSmithy({ sessionToken: `${TOKEN}x` });
      await expectRejection(withToken()(request), 'UNRECOGNIZED_CLIENT', SigV4Messages.unrecognizedClient);
    });

    it('rejects a token sent with a key that has none', async () => {
      const request = await signWithSmithy({ sessionToken: TOKEN });
      await expectRejection(verifier()(request), 'UNRECOGNIZED_CLIENT', SigV4Messages.unrecognizedClient);
    });

    it('rejects a security-token header that the signature does not cover', async () => {
      const request = withHeaders(await signWithSmithy(), { 'x-amz-security-token': TOKEN });
      await expectRejection(
        withToken()(request),
        'INVALID_SIGNATURE',
        "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.",
      );
    });
  });

  it('never puts the secret key or the computed signature in an error message', async () => {
    const request = await signWithSmithy({ secretAccessKey: 'not-the-secret-access-key-000000000000000' });
    const error = await rejection(verifier()(request));
    const signedWithRealSecret = await signWithSmithy();
    const realSignature = (signedWithRealSecret.headers.authorization as string).split('Signature=')[1] as string;
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(realSignature);
  });
});

/** Hex SHA-256 through the same library the SDK uses, so the test does not reuse the code under test. */
class Sha256Hex {
  of(data: string): string {
    const hash = new Sha256();
    hash.update(data);
    // digestSync exists on the JS implementation and keeps this helper synchronous.
    return Buffer.from(hash.digestSync()).toString('hex');
  }
}
