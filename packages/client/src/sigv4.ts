import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 for Rotor's own API (signing name `rotor`), with node:crypto only.
 *
 * It builds the canonical request the way `@smithy/signature-v4` does for a non-S3 service,
 * which is what the server rebuilds (`packages/server/src/http/aws-json/sigv4.ts`): the path
 * URI-encoded once more (an encoded `%2F` in a secret name is signed as `%252F`), the query
 * sorted by key, the body always hashed, every header we send signed, `host` included.
 */

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials only; sent (and signed) as `X-Amz-Security-Token`. */
  readonly sessionToken?: string | undefined;
}

export interface RequestToSign {
  readonly method: string;
  /** The URL the request goes to; its `host` and path are signed exactly as they are sent. */
  readonly url: URL;
  /** Lower-case header names; each is signed. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface SignerOptions {
  readonly credentials: Credentials;
  readonly region: string;
  /** @default 'rotor' */
  readonly service?: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

/**
 * Returns a function that gives the headers to send for a request: the caller's headers plus
 * `host`, `x-amz-date`, `x-amz-security-token` (temporary credentials) and `authorization`.
 *
 * @example
 * const sign = createSigner({ credentials, region: 'us-east-1' });
 * const headers = sign({ method: 'GET', url: new URL('http://127.0.0.1:8080/v1/events'), headers: {}, body: '' }, new Date());
 */
export function createSigner(options: SignerOptions): (request: RequestToSign, date: Date) => Record<string, string> {
  const { credentials, region } = options;
  const service = options.service ?? 'rotor';
  /** The derived key is valid for one (day, region, service): four HMACs saved per request. */
  let cachedKey: { day: string; key: Buffer } | undefined;

  function signingKey(day: string): Buffer {
    if (cachedKey?.day === day) return cachedKey.key;
    const kDate = hmac(`AWS4${credentials.secretAccessKey}`, day);
    const key = hmac(hmac(hmac(kDate, region), service), 'aws4_request');
    cachedKey = { day, key };
    return key;
  }

  return function sign(request: RequestToSign, date: Date): Record<string, string> {
    const amzDate = toAmzDate(date);
    const day = amzDate.slice(0, 8);
    const headers: Record<string, string> = { ...request.headers, host: request.url.host, 'x-amz-date': amzDate };
    if (credentials.sessionToken !== undefined) headers['x-amz-security-token'] = credentials.sessionToken;

    const names = Object.keys(headers)
      .map((name) => name.toLowerCase())
      .sort();
    const lowerCased: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) lowerCased[name.toLowerCase()] = value;
    const canonicalHeaders = names.map((name) => `${name}:${trimAll(lowerCased[name] ?? '')}\n`).join('');
    const signedHeaders = names.join(';');

    const canonicalRequest = [
      request.method,
      canonicalPath(request.url.pathname),
      canonicalQuery(request.url.search),
      canonicalHeaders,
      signedHeaders,
      sha256Hex(request.body),
    ].join('\n');
    const scope = `${day}/${region}/${service}/aws4_request`;
    const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
    const signature = createHmac('sha256', signingKey(day)).update(stringToSign).digest('hex');

    headers.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  };
}

/**
 * One path segment as the client puts it on the wire: RFC 3986 unreserved characters stay,
 * everything else (including `/`, `!`, `'`, `(`, `)`, `*`) is percent-encoded, so what fetch
 * sends is byte for byte what was signed.
 */
export function encodePathSegment(value: string): string {
  return uriEncode(value, false);
}

/** 2024-01-01T00:00:00.000Z -> 20240101T000000Z */
function toAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The path as sent, encoded once more (SigV4 for every service but S3 double-encodes). */
function canonicalPath(path: string): string {
  if (path === '' || path === '/') return '/';
  return uriEncode(path, true);
}

function canonicalQuery(search: string): string {
  if (search === '' || search === '?') return '';
  const pairs: [string, string][] = [];
  for (const piece of search.slice(1).split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const key = decode(eq === -1 ? piece : piece.slice(0, eq));
    const value = decode(eq === -1 ? '' : piece.slice(eq + 1));
    pairs.push([uriEncode(key, false), uriEncode(value, false)]);
  }
  pairs.sort(([ka, va], [kb, vb]) => (ka === kb ? compare(va, vb) : compare(ka, kb)));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function trimAll(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

const HEX = '0123456789ABCDEF';

function uriEncode(value: string, keepSlash: boolean): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const unreserved =
      (byte >= 65 && byte <= 90) ||
      (byte >= 97 && byte <= 122) ||
      (byte >= 48 && byte <= 57) ||
      byte === 45 ||
      byte === 95 ||
      byte === 46 ||
      byte === 126 ||
      (keepSlash && byte === 47);
    out += unreserved ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}
