/**
 * Server-side AWS Signature Version 4 verification for the AWS JSON edge.
 *
 * It rebuilds the canonical request the way the JS SDK (`@smithy/signature-v4`) and
 * botocore build it for a non-S3 service, and compares signatures in constant time.
 * Both the `Authorization` header form and the presigned query-string form are accepted.
 *
 * The checks run in the order AWS JSON services run them (recorded by the dynalite
 * and kinesalite emulators, which were written against the live services), so the
 * first error a client sees is the one AWS would show:
 *   missing auth -> malformed header -> date format -> clock skew -> `host` signed ->
 *   algorithm -> credential shape -> credential scope -> access key -> signature ->
 *   security token.
 *
 * Messages are AWS's words where they could be established; the few that are
 * Rotor's own are marked in {@link SigV4Messages}. No message ever carries a secret
 * key, a derived key or the signature Rotor computed.
 *
 * Payload hash: Secrets Manager is not S3, so the canonical request always hashes the
 * body. The JS SDK also sends (and signs) `x-amz-content-sha256`; when that header is
 * present it must equal the body's hash. `UNSIGNED-PAYLOAD` is refused: it would let
 * anyone who sees one signed request replay its headers with a different body.
 *
 * Known limit: node folds repeated headers into one value joined by ", " (and drops
 * repeats of some headers), while SigV4 joins repeats with ",". SDKs never repeat a
 * signed header, so this only matters for hand-made requests.
 */
import { createHash, createHmac, hash as oneShotHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';

export interface RequestToVerify {
  /** The HTTP method, e.g. 'POST'. */
  method: string;
  /** The raw request target as received, including any query string, e.g. '/' or '/?a=b'. */
  url: string;
  /** Header names lower-cased, as node gives them. */
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface AccessKeySecret {
  secretAccessKey: string;
  /** When set, requests must carry exactly this `X-Amz-Security-Token`. */
  sessionToken?: string | undefined;
}

export interface SigV4VerifierDeps {
  /** The region clients must sign for, e.g. 'us-east-1'. */
  region: string;
  /** The signing name clients must sign for: 'secretsmanager'. */
  service: string;
  clock: Clock;
  /**
   * Returns the secret for an ACTIVE key, or undefined for unknown, revoked or expired
   * keys. Called on every request: revocation takes effect on the next request.
   */
  lookupKey(accessKeyId: string): Promise<AccessKeySecret | undefined> | AccessKeySecret | undefined;
  /**
   * How far the request time may be from the server clock, either way.
   * @default 300_000 (5 minutes, as AWS)
   */
  maxSkewMs?: number;
}

export interface VerifiedCaller {
  accessKeyId: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const TERMINATOR = 'aws4_request';
const DEFAULT_MAX_SKEW_MS = 5 * 60 * 1000;
/** AWS caps presigned URLs at 7 days. */
const MAX_PRESIGN_EXPIRES_SECONDS = 604_800;
/**
 * Derived signing keys are valid for one (key, day, region, service); caching them
 * saves four of the five HMACs per request. 1,000 entries bound the memory at about
 * 1,000 x (id + secret + 32 bytes) even if a client cycles through many keys.
 */
const SIGNING_KEY_CACHE_SIZE = 1_000;

/** The error messages, word for word. Those marked "Rotor" are not AWS texts. */
export const SigV4Messages = {
  missingToken: 'Missing Authentication Token',
  bothAuthForms: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
  missingEqualSign: (pair: string, authorization: string) =>
    `'${pair}' not a valid key=value pair (missing equal-sign) in Authorization header: '${authorization}'.`,
  headerRequires: (parameter: string) => `Authorization header requires '${parameter}' parameter. `,
  headerRequiresDate: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
  queryRequires: (parameter: string) => `AWS query-string parameters must include '${parameter}'. `,
  queryRequiresEnd: 'Re-examine the query-string parameters.',
  badDate: (value: string) =>
    `Date must be in ISO-8601 'basic format'. Got '${value}'. See http://en.wikipedia.org/wiki/ISO_8601`,
  expired: (requestTime: string, limit: string, now: string, window: string) =>
    `Signature expired: ${requestTime} is now earlier than ${limit} (${now} - ${window}.)`,
  notYetCurrent: (requestTime: string, limit: string, now: string, window: string) =>
    `Signature not yet current: ${requestTime} is still later than ${limit} (${now} + ${window}.)`,
  hostNotSigned: "'Host' must be a 'SignedHeader' in the AWS Authorization.",
  /** Rotor: AWS's text for this case is not known. */
  tokenNotSigned: "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.",
  unsupportedAlgorithm: (algorithm: string) =>
    `Unsupported AWS 'algorithm': '${algorithm}' (only AWS4-HMAC-SHA256 for now). `,
  credentialShape: (credential: string) =>
    `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
  /** Scope errors are concatenated, each ending in ". " as AWS sends them. */
  wrongRegion: 'Credential should be scoped to a valid region. ',
  wrongService: (service: string) => `Credential should be scoped to correct service: '${service}'. `,
  wrongTerminator: (terminator: string) =>
    `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `,
  wrongScopeDate: (scopeDate: string, requestDate: string, requestTime: string) =>
    `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${requestDate}', from '${requestTime}'. `,
  /** Rotor: AWS's text for this case is not known. */
  badExpires: `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGN_EXPIRES_SECONDS}.`,
  /** Rotor: S3's wording; the JSON services' wording is not known. */
  payloadHashMismatch: "The provided 'x-amz-content-sha256' header does not match what was computed.",
  unrecognizedClient: 'The security token included in the request is invalid.',
  signatureMismatch:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
} as const;

/** The parts of a signature, whichever form (header or query string) carried it. */
interface SignatureParts {
  algorithm: string;
  credential: string;
  signedHeaders: string;
  signature: string;
  /** Request time as given, ISO-8601 basic format once validated. */
  requestTime: string;
  /** Presigned only: X-Amz-Expires in seconds. */
  expiresSeconds: number | undefined;
  /** Whether the signature came in the query string rather than the Authorization header. */
  presigned: boolean;
  securityToken: string | undefined;
}

type QueryPair = [key: string, value: string];

interface CachedSigningKey {
  secretAccessKey: string;
  key: Buffer;
}

export function createSigV4Verifier(deps: SigV4VerifierDeps): (request: RequestToVerify) => Promise<VerifiedCaller> {
  const { region, service, clock } = deps;
  const maxSkewMs = deps.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const signingKeys = new Map<string, CachedSigningKey>();

  function signingKey(accessKeyId: string, secretAccessKey: string, scopeDate: string): Buffer {
    // Region and service are fixed per verifier, so (key id, date) names the entry;
    // the secret is compared so that a re-issued secret never reuses a stale key.
    const cacheKey = `${accessKeyId}/${scopeDate}`;
    const cached = signingKeys.get(cacheKey);
    if (cached !== undefined && cached.secretAccessKey === secretAccessKey) return cached.key;
    const kDate = hmac(`AWS4${secretAccessKey}`, scopeDate);
    const kRegion = hmac(kDate, region);
    const kService = hmac(kRegion, service);
    const key = hmac(kService, TERMINATOR);
    if (cached === undefined && signingKeys.size >= SIGNING_KEY_CACHE_SIZE) {
      const oldest = signingKeys.keys().next();
      if (oldest.done !== true) signingKeys.delete(oldest.value);
    }
    signingKeys.set(cacheKey, { secretAccessKey, key });
    return key;
  }

  return async function verifySigV4(request: RequestToVerify): Promise<VerifiedCaller> {
    const { headers } = request;
    const queryStart = request.url.indexOf('?');
    const rawPath = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
    const rawQuery = queryStart === -1 ? '' : request.url.slice(queryStart + 1);
    const queryPairs = rawQuery === '' ? undefined : splitQuery(rawQuery);

    const parts = readSignatureParts(headers, queryPairs);
    const requestMs = parseRequestTime(parts.requestTime);

    checkTime(parts, requestMs, clock.now(), maxSkewMs);

    // One pass over SignedHeaders builds the canonical header block and notes which
    // of the headers that must be signed are.
    const signed = canonicalHeaders(headers, parts.signedHeaders);
    if (!signed.host) throw new AppError('INVALID_SIGNATURE', SigV4Messages.hostNotSigned);

    if (parts.algorithm !== ALGORITHM) {
      throw new AppError('INCOMPLETE_SIGNATURE', SigV4Messages.unsupportedAlgorithm(parts.algorithm));
    }

    const scope = splitCredential(parts.credential);
    const requestDate = parts.requestTime.slice(0, 8);
    let scopeErrors = '';
    if (scope.region !== region) scopeErrors += SigV4Messages.wrongRegion;
    if (scope.service !== service) scopeErrors += SigV4Messages.wrongService(service);
    if (scope.terminator !== TERMINATOR) scopeErrors += SigV4Messages.wrongTerminator(scope.terminator);
    if (scope.date !== requestDate) {
      scopeErrors += SigV4Messages.wrongScopeDate(scope.date, requestDate, parts.requestTime);
    }
    if (scopeErrors !== '') throw new AppError('INVALID_SIGNATURE', scopeErrors);

    const secret = await deps.lookupKey(scope.accessKeyId);
    if (secret === undefined) throw new AppError('UNRECOGNIZED_CLIENT', SigV4Messages.unrecognizedClient);

    // A token sent in a header but left out of the signature could be swapped by
    // anyone on the path; the presigned form signs it as part of the query string.
    if (!parts.presigned && parts.securityToken !== undefined && !signed.securityToken) {
      throw new AppError('INVALID_SIGNATURE', SigV4Messages.tokenNotSigned);
    }

    const payloadHash = sha256Hex(request.body);
    const declaredHash = headers['x-amz-content-sha256'];
    if (declaredHash !== undefined && (typeof declaredHash !== 'string' || declaredHash.toLowerCase() !== payloadHash)) {
      throw new AppError('INVALID_SIGNATURE', SigV4Messages.payloadHashMismatch);
    }

    const canonicalRequest =
      `${request.method.toUpperCase()}\n` +
      `${canonicalPath(rawPath)}\n` +
      `${queryPairs === undefined ? '' : canonicalQuery(queryPairs, parts.presigned)}\n` +
      `${signed.block}\n` +
      `${parts.signedHeaders}\n` +
      payloadHash;
    const stringToSign =
      `${ALGORITHM}\n${parts.requestTime}\n${scope.date}/${region}/${service}/${TERMINATOR}\n` +
      sha256Hex(canonicalRequest);
    const expected = createHmac('sha256', signingKey(scope.accessKeyId, secret.secretAccessKey, scope.date))
      .update(stringToSign)
      .digest('hex');
    if (!equalSignatures(expected, parts.signature)) {
      throw new AppError('INVALID_SIGNATURE', SigV4Messages.signatureMismatch);
    }

    if (!equalTokens(secret.sessionToken, parts.securityToken)) {
      throw new AppError('UNRECOGNIZED_CLIENT', SigV4Messages.unrecognizedClient);
    }
    return { accessKeyId: scope.accessKeyId };
  };
}

// ---------------------------------------------------------------------------
// Reading the signature from the header or the query string

function readSignatureParts(headers: IncomingHttpHeaders, queryPairs: QueryPair[] | undefined): SignatureParts {
  const authorization = headers.authorization;
  const presigned = queryPairs !== undefined && queryPairs.some(([key]) => key === 'X-Amz-Algorithm');
  if (authorization !== undefined && presigned) {
    throw new AppError('INVALID_SIGNATURE', SigV4Messages.bothAuthForms);
  }
  if (presigned) return readQueryParts(queryPairs);
  if (authorization === undefined) throw new AppError('MISSING_AUTHENTICATION_TOKEN', SigV4Messages.missingToken);
  return readHeaderParts(authorization, headers);
}

function readHeaderParts(authorization: string, headers: IncomingHttpHeaders): SignatureParts {
  let algorithm = '';
  let credential = '';
  let signedHeaders = '';
  let signature = '';
  const sdkShape = splitSdkAuthorization(authorization);
  if (sdkShape !== undefined) [algorithm, credential, signedHeaders, signature] = sdkShape;
  // AWS splits the header on spaces and commas: "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
  const tokens = sdkShape === undefined ? tokenize(authorization.trim()) : [];
  if (sdkShape === undefined) algorithm = tokens[0] ?? '';
  for (let i = 1; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const eq = token.indexOf('=');
    if (eq === -1) throw new AppError('INCOMPLETE_SIGNATURE', SigV4Messages.missingEqualSign(token, authorization));
    const key = token.slice(0, eq);
    const value = token.slice(eq + 1);
    if (key === 'Credential') credential = value;
    else if (key === 'SignedHeaders') signedHeaders = value;
    else if (key === 'Signature') signature = value;
  }
  const amzDate = singleHeader(headers['x-amz-date']);
  const httpDate = amzDate === undefined ? singleHeader(headers.date) : undefined;

  let missing = '';
  if (credential === '') missing += SigV4Messages.headerRequires('Credential');
  if (signature === '') missing += SigV4Messages.headerRequires('Signature');
  if (signedHeaders === '') missing += SigV4Messages.headerRequires('SignedHeaders');
  if (amzDate === undefined && httpDate === undefined) missing += SigV4Messages.headerRequiresDate;
  if (missing !== '') throw new AppError('INCOMPLETE_SIGNATURE', `${missing}Authorization=${authorization}`);

  return {
    algorithm,
    credential,
    signedHeaders,
    signature,
    requestTime: amzDate ?? httpDateToBasic(httpDate as string),
    expiresSeconds: undefined,
    presigned: false,
    securityToken: singleHeader(headers['x-amz-security-token']),
  };
}

function readQueryParts(pairs: QueryPair[]): SignatureParts {
  let algorithm: string | undefined;
  let credential: string | undefined;
  let signature: string | undefined;
  let signedHeaders: string | undefined;
  let requestTime: string | undefined;
  let expires: string | undefined;
  let securityToken: string | undefined;
  for (const [key, value] of pairs) {
    if (key === 'X-Amz-Signature') signature = decodeComponent(value);
    else if (key === 'X-Amz-Algorithm') algorithm = decodeComponent(value);
    else if (key === 'X-Amz-Credential') credential = decodeComponent(value);
    else if (key === 'X-Amz-SignedHeaders') signedHeaders = decodeComponent(value);
    else if (key === 'X-Amz-Date') requestTime = decodeComponent(value);
    else if (key === 'X-Amz-Expires') expires = decodeComponent(value);
    else if (key === 'X-Amz-Security-Token') securityToken = decodeComponent(value);
  }
  let missing = '';
  if (!algorithm) missing += SigV4Messages.queryRequires('X-Amz-Algorithm');
  if (!credential) missing += SigV4Messages.queryRequires('X-Amz-Credential');
  if (!signature) missing += SigV4Messages.queryRequires('X-Amz-Signature');
  if (!signedHeaders) missing += SigV4Messages.queryRequires('X-Amz-SignedHeaders');
  if (!requestTime) missing += SigV4Messages.queryRequires('X-Amz-Date');
  if (missing !== '') throw new AppError('INCOMPLETE_SIGNATURE', missing + SigV4Messages.queryRequiresEnd);

  let expiresSeconds: number | undefined;
  if (expires !== undefined) {
    expiresSeconds = Number(expires);
    if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGN_EXPIRES_SECONDS) {
      throw new AppError('INCOMPLETE_SIGNATURE', SigV4Messages.badExpires);
    }
  }
  return {
    algorithm: algorithm as string,
    credential: credential as string,
    signedHeaders: signedHeaders as string,
    signature: signature as string,
    requestTime: requestTime as string,
    expiresSeconds,
    presigned: true,
    securityToken,
  };
}

/**
 * The header exactly as every SDK writes it, "<alg> Credential=<c>, SignedHeaders=<h>, Signature=<s>",
 * read with indexOf; anything else (other order, extra spaces, extra pairs) goes through
 * {@link tokenize}, which gives the same parts for this shape and AWS's errors for bad ones.
 */
function splitSdkAuthorization(auth: string): [string, string, string, string] | undefined {
  const space = auth.indexOf(' Credential=');
  if (space === -1) return undefined;
  const credentialStart = space + 12;
  const headersAt = auth.indexOf(', SignedHeaders=', credentialStart);
  if (headersAt === -1) return undefined;
  const signatureAt = auth.indexOf(', Signature=', headersAt + 16);
  if (signatureAt === -1) return undefined;
  const algorithm = auth.slice(0, space);
  const credential = auth.slice(credentialStart, headersAt);
  const signedHeaders = auth.slice(headersAt + 16, signatureAt);
  const signature = auth.slice(signatureAt + 12);
  if (
    !plainToken(algorithm) ||
    !plainToken(credential) ||
    !plainToken(signedHeaders) ||
    !plainToken(signature)
  ) {
    return undefined;
  }
  return [algorithm, credential, signedHeaders, signature];
}

/** Non-empty, and free of the separators (space, tab, comma) and of '='. */
function plainToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 32 || c === 44 || c === 9 || c === 61) return false;
  }
  return true;
}

/** Splits on spaces, tabs and commas, dropping empty pieces. */
function tokenize(value: string): string[] {
  const tokens: string[] = [];
  let start = -1;
  for (let i = 0; i <= value.length; i++) {
    const c = i === value.length ? 32 : value.charCodeAt(i);
    const separator = c === 32 || c === 44 || c === 9;
    if (separator) {
      if (start !== -1) tokens.push(value.slice(start, i));
      start = -1;
    } else if (start === -1) {
      start = i;
    }
  }
  return tokens;
}

function splitCredential(credential: string): {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
} {
  // AWS ignores trailing slashes here.
  let end = credential.length;
  while (end > 0 && credential.charCodeAt(end - 1) === 47) end--;
  const s1 = credential.indexOf('/');
  const s2 = s1 === -1 ? -1 : credential.indexOf('/', s1 + 1);
  const s3 = s2 === -1 ? -1 : credential.indexOf('/', s2 + 1);
  const s4 = s3 === -1 ? -1 : credential.indexOf('/', s3 + 1);
  const s5 = s4 === -1 ? -1 : credential.indexOf('/', s4 + 1);
  if (s4 === -1 || s4 >= end || (s5 !== -1 && s5 < end)) {
    throw new AppError('INCOMPLETE_SIGNATURE', SigV4Messages.credentialShape(credential));
  }
  return {
    accessKeyId: credential.slice(0, s1),
    date: credential.slice(s1 + 1, s2),
    region: credential.slice(s2 + 1, s3),
    service: credential.slice(s3 + 1, s4),
    terminator: credential.slice(s4 + 1, end),
  };
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(',');
}

// ---------------------------------------------------------------------------
// Time

/** Milliseconds since the epoch of a YYYYMMDDTHHMMSSZ string, or INCOMPLETE_SIGNATURE. */
function parseRequestTime(value: string): number {
  if (value.length === 16 && value.charCodeAt(8) === 84 /* T */ && value.charCodeAt(15) === 90 /* Z */) {
    const year = digits(value, 0, 4);
    const month = digits(value, 4, 6);
    const day = digits(value, 6, 8);
    const hour = digits(value, 9, 11);
    const minute = digits(value, 11, 13);
    const second = digits(value, 13, 15);
    if (
      year >= 0 &&
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= 31 &&
      hour >= 0 &&
      hour <= 23 &&
      minute >= 0 &&
      minute <= 59 &&
      second >= 0 &&
      second <= 60
    ) {
      return Date.UTC(year, month - 1, day, hour, minute, second);
    }
  }
  throw new AppError('INCOMPLETE_SIGNATURE', SigV4Messages.badDate(value));
}

/** The non-negative integer in value[start, end), or -1 if any character is not a digit. */
function digits(value: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function httpDateToBasic(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new AppError('INCOMPLETE_SIGNATURE', SigV4Messages.badDate(value));
  return toBasic(ms);
}

/** 2024-01-01T00:00:00.000Z -> 20240101T000000Z */
function toBasic(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

function checkTime(parts: SignatureParts, requestMs: number, nowMs: number, maxSkewMs: number): void {
  const skewWindow = `${maxSkewMs / 60_000} min`;
  if (requestMs > nowMs + maxSkewMs) {
    throw new AppError(
      'INVALID_SIGNATURE',
      SigV4Messages.notYetCurrent(parts.requestTime, toBasic(nowMs + maxSkewMs), toBasic(nowMs), skewWindow),
    );
  }
  // A presigned URL lives for X-Amz-Expires after its date; a signed header for the skew window.
  const lifetimeMs = parts.expiresSeconds === undefined ? maxSkewMs : parts.expiresSeconds * 1000;
  if (requestMs < nowMs - lifetimeMs) {
    const window = parts.expiresSeconds === undefined ? skewWindow : `${parts.expiresSeconds} sec`;
    throw new AppError(
      'INVALID_SIGNATURE',
      SigV4Messages.expired(parts.requestTime, toBasic(nowMs - lifetimeMs), toBasic(nowMs), window),
    );
  }
}

// ---------------------------------------------------------------------------
// Canonical request

/**
 * The path as the SDKs sign it for every service but S3: dot segments and empty
 * segments removed, then each byte outside the unreserved set percent-encoded, which
 * encodes an already-encoded path a second time ('%' -> '%25').
 */
function canonicalPath(rawPath: string): string {
  let path = rawPath;
  // An absolute-form target ("http://host/path") from a proxy: keep the path only.
  if (path.charCodeAt(0) !== 47) {
    const schemeEnd = path.indexOf('://');
    if (schemeEnd !== -1) {
      const pathStart = path.indexOf('/', schemeEnd + 3);
      path = pathStart === -1 ? '/' : path.slice(pathStart);
    }
  }
  if (path === '/' || path === '') return '/';
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized =
    (path.charCodeAt(0) === 47 ? '/' : '') +
    segments.join('/') +
    (segments.length > 0 && path.charCodeAt(path.length - 1) === 47 ? '/' : '');
  return uriEncode(normalized, true);
}

function splitQuery(rawQuery: string): QueryPair[] {
  const pairs: QueryPair[] = [];
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    pairs.push(eq === -1 ? [piece, ''] : [piece.slice(0, eq), piece.slice(eq + 1)]);
  }
  return pairs;
}

/** Each key and value decoded, re-encoded the canonical way, sorted by key then value. */
function canonicalQuery(pairs: QueryPair[], presigned: boolean): string {
  const encoded: string[] = [];
  for (const [key, value] of pairs) {
    // The signature cannot sign itself: a presigned URL's X-Amz-Signature stays out.
    if (presigned && key === 'X-Amz-Signature') continue;
    encoded.push(`${uriEncode(decodeComponent(key), false)}=${uriEncode(decodeComponent(value), false)}`);
  }
  // By key first (comparing whole "key=value" strings would put "a-b=1" before "a=1"),
  // then by the whole pair, which orders repeated keys by value.
  encoded.sort((a, b) => {
    const ka = a.slice(0, a.indexOf('='));
    const kb = b.slice(0, b.indexOf('='));
    if (ka !== kb) return ka < kb ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return encoded.join('&');
}

interface CanonicalHeaders {
  /** "name:value\n" for each signed header, in the order SignedHeaders lists them. */
  block: string;
  host: boolean;
  securityToken: boolean;
}

function canonicalHeaders(headers: IncomingHttpHeaders, signedHeaders: string): CanonicalHeaders {
  let block = '';
  let host = false;
  let securityToken = false;
  let start = 0;
  while (start <= signedHeaders.length) {
    let end = signedHeaders.indexOf(';', start);
    if (end === -1) end = signedHeaders.length;
    const name = signedHeaders.slice(start, end);
    const lower = name.toLowerCase();
    if (lower === 'host') host = true;
    else if (lower === 'x-amz-security-token') securityToken = true;
    const value = headers[lower];
    let text: string;
    if (value === undefined) text = '';
    else if (typeof value === 'string') text = trimAll(value);
    else text = value.map(trimAll).join(',');
    block += `${name}:${text}\n`;
    start = end + 1;
  }
  return { block, host, securityToken };
}

/** Trims and collapses runs of whitespace to one space, as botocore and smithy do. */
function trimAll(value: string): string {
  const trimmed = value.trim();
  if (trimmed.indexOf('  ') === -1 && trimmed.indexOf('\t') === -1 && trimmed.indexOf('\n') === -1) return trimmed;
  return trimmed.replace(/\s+/g, ' ');
}

function decodeComponent(value: string): string {
  if (value.indexOf('%') === -1) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    // Not valid percent-encoding: sign it as literal text, as the SDKs would.
    return value;
  }
}

const HEX = '0123456789ABCDEF';

/** RFC 3986 encoding of the UTF-8 bytes: only A-Z a-z 0-9 - _ . ~ (and '/' if asked) stay as is. */
function uriEncode(value: string, keepSlash: boolean): string {
  let plain = true;
  for (let i = 0; i < value.length; i++) {
    if (!isUnreserved(value.charCodeAt(i), keepSlash)) {
      plain = false;
      break;
    }
  }
  if (plain) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (isUnreserved(byte, keepSlash)) out += String.fromCharCode(byte);
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

function isUnreserved(c: number, keepSlash: boolean): boolean {
  return (
    (c >= 65 && c <= 90) || // A-Z
    (c >= 97 && c <= 122) || // a-z
    (c >= 48 && c <= 57) || // 0-9
    c === 45 || // -
    c === 95 || // _
    c === 46 || // .
    c === 126 || // ~
    (keepSlash && c === 47)
  );
}

// ---------------------------------------------------------------------------
// Crypto

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

// crypto.hash (node >= 20.12) skips the Hash object and is about twice as fast on small inputs.
const sha256Hex: (data: string | Buffer) => string =
  typeof oneShotHash === 'function'
    ? (data) => oneShotHash('sha256', data, 'hex')
    : (data) => createHash('sha256').update(data).digest('hex');

function equalSignatures(expectedHex: string, provided: string): boolean {
  // The length of a valid signature (64) is public; only the content must not leak.
  if (provided.length !== expectedHex.length) return false;
  const a = Buffer.from(expectedHex, 'latin1');
  const b = Buffer.from(provided, 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Hashing first makes the comparison constant-time whatever the two lengths are. */
function equalTokens(expected: string | undefined, provided: string | undefined): boolean {
  if (expected === undefined || provided === undefined) return expected === provided;
  return timingSafeEqual(createHash('sha256').update(expected).digest(), createHash('sha256').update(provided).digest());
}
