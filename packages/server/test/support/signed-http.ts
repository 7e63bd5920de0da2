import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ChildProcess } from 'node:child_process';
import { request as httpRequest, type Agent, type OutgoingHttpHeaders } from 'node:http';
import type { Credentials } from './rotor-server.js';

/**
 * Raw HTTP against a Rotor server, signed the way the JS SDK signs (smithy SignatureV4),
 * for tests that need to send what no SDK would: mutated bodies, odd headers, bad targets.
 */

export interface SignInput {
  readonly url: string;
  readonly credentials: Credentials;
  readonly body: Buffer;
  readonly headers: Record<string, string>;
  readonly method?: string;
  readonly path?: string;
  readonly region?: string;
  readonly service?: string;
  readonly signingDate?: Date;
}

/** Returns the request headers with `authorization` and `x-amz-date` added. */
export async function signHeaders(input: SignInput): Promise<Record<string, string>> {
  const url = new URL(input.url);
  const signer = new SignatureV4({
    service: input.service ?? 'secretsmanager',
    region: input.region ?? 'us-east-1',
    credentials: input.credentials,
    sha256: Sha256,
    applyChecksum: false,
  });
  const [pathname, search] = (input.path ?? '/').split('?', 2) as [string, string | undefined];
  const query: Record<string, string> = {};
  if (search) for (const [key, value] of new URLSearchParams(search)) query[key] = value;
  const request = new HttpRequest({
    method: input.method ?? 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: pathname,
    query,
    headers: { host: url.host, ...input.headers },
    body: input.body,
  });
  const signed = await signer.sign(request, input.signingDate ? { signingDate: input.signingDate } : {});
  return signed.headers as Record<string, string>;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  /** A Buffer is sent with its length; an array of chunks is sent chunked. */
  readonly body?: Buffer | readonly Buffer[];
}

/** Sends one request and collects the whole response; rejects on socket errors. */
export function sendRaw(url: string, agent: Agent | false, raw: RawRequest, timeoutMs = 30_000): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    // node frames the body of a DELETE, OPTIONS or TRACE only when told how.
    const framing =
      raw.headers['content-length'] !== undefined || raw.headers['transfer-encoding'] !== undefined
        ? {}
        : Buffer.isBuffer(raw.body)
          ? { 'content-length': raw.body.length }
          : raw.body === undefined
            ? {}
            : { 'transfer-encoding': 'chunked' };
    const request = httpRequest(
      { host: target.hostname, port: Number(target.port), method: raw.method, path: raw.path, headers: { ...framing, ...raw.headers }, agent },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', reject);
      },
    );
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer in ${timeoutMs} ms: ${raw.method} ${raw.path}`)));
    request.on('error', reject);
    if (Array.isArray(raw.body)) {
      for (const chunk of raw.body) request.write(chunk);
      request.end();
    } else {
      request.end(raw.body as Buffer | undefined);
    }
  });
}

/** Resolves with the exit code (or signal) once the child has exited; at once if it already has. */
export function childExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** SIGTERM, then SIGKILL after `graceMs` if the child is still there. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  const exited = childExit(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
