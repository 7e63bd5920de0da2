// Pre-signed awsJson1.1 requests, so the load generator spends no CPU on signing while the
// server still verifies a real SigV4 signature on every request.
import { createHash, createHmac, randomUUID } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { Sha256 } from '@aws-crypto/sha256-js'
import { HttpRequest } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'

/**
 * @typedef {object} SignedRequest  the shape autocannon's `requests` array takes
 * @property {'POST'} method
 * @property {string} path
 * @property {Record<string, string>} headers
 * @property {string} body
 */

/**
 * Sign `count` requests for one awsJson1.1 operation. Each carries its own
 * `amz-sdk-invocation-id` (as the AWS SDK sends), so every signature in the pool is distinct and
 * a server cannot serve the run from a cache of verified signatures. SigV4 signatures are
 * accepted for 5 minutes after `x-amz-date`, so sign a fresh pool right before each run.
 *
 * @param {{ url: string, region: string, credentials: { accessKeyId: string, secretAccessKey: string },
 *           service?: string, target: string, payload: unknown, count?: number }} options
 * @returns {Promise<SignedRequest[]>}
 */
export async function signRequestPool({ url, region, credentials, service = 'secretsmanager', target, payload, count = 500 }) {
  const { hostname, port, host } = new URL(url)
  const body = JSON.stringify(payload)
  const signer = new SignatureV4({ credentials, region, service, sha256: Sha256 })
  const signingDate = new Date()
  const pool = []
  for (let i = 0; i < count; i++) {
    const unsigned = new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname,
      port: Number(port),
      path: '/',
      headers: {
        host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': target,
        // Same spelling autocannon uses when it sets the length, so the header is not sent twice.
        'Content-Length': String(Buffer.byteLength(body)),
        'amz-sdk-invocation-id': randomUUID(),
        'amz-sdk-request': 'attempt=1; max=3',
      },
      body,
    })
    const signed = await signer.sign(unsigned, { signingDate })
    pool.push({ method: 'POST', path: '/', headers: { ...signed.headers }, body })
  }
  return pool
}

/**
 * Send one pre-signed request outside the load generator (sanity checks, capturing a response).
 * @param {string} url
 * @param {SignedRequest} signed
 * @returns {Promise<{ status: number, headers: import('node:http').IncomingHttpHeaders, body: Buffer }>}
 */
export function sendSigned(url, signed) {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    // Ask for keep-alive like the load generator does, so the answer's `connection` header tells
    // whether the server keeps connections open; the socket is dropped after the one response.
    const headers = { ...signed.headers, connection: 'keep-alive' }
    const req = httpRequest({ hostname, port, method: signed.method, path: signed.path, headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks = []
      res.on('data', (chunk) => chunks.push(chunk))
      res.on('end', () => {
        res.socket?.destroy()
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) })
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 10 s`)))
    req.on('error', reject)
    req.end(signed.body)
  })
}

/**
 * SHA-256 for the SigV4 signer through node:crypto (the `Checksum` shape @smithy expects).
 * About 10x faster than the pure-JS @aws-crypto/sha256-js, which matters when a benchmark
 * signs tens of thousands of distinct requests.
 */
export class NodeSha256 {
  constructor(secret) {
    this.secret = secret
    this.reset()
  }

  update(data) {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength))
  }

  async digest() {
    return new Uint8Array(this.hash.digest())
  }

  reset() {
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', typeof this.secret === 'string' ? this.secret : Buffer.from(this.secret))
  }
}

/**
 * A signer for requests that must each be distinct (PutSecretValue, RotateSecret and
 * CreateSecret carry a ClientRequestToken, so a replayed pool would measure idempotent
 * retries, not writes). Signs one awsJson1.1 request per call, exactly as the pool above does.
 *
 * @param {{ url: string, region: string, credentials: { accessKeyId: string, secretAccessKey: string }, service?: string }} options
 * @returns {(target: string, payload: unknown, signingDate?: Date) => Promise<SignedRequest>}
 */
export function createRequestSigner({ url, region, credentials, service = 'secretsmanager' }) {
  const { hostname, port, host } = new URL(url)
  const signer = new SignatureV4({ credentials, region, service, sha256: NodeSha256 })
  return async (target, payload, signingDate = new Date()) => {
    const body = JSON.stringify(payload)
    const unsigned = new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname,
      port: Number(port),
      path: '/',
      headers: {
        host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': target,
        'Content-Length': String(Buffer.byteLength(body)),
        'amz-sdk-invocation-id': randomUUID(),
        'amz-sdk-request': 'attempt=1; max=3',
      },
      body,
    })
    const signed = await signer.sign(unsigned, { signingDate })
    return { method: 'POST', path: '/', headers: { ...signed.headers }, body }
  }
}
