import { SignatureV4 } from '@smithy/signature-v4';
import { Command, CommanderError } from 'commander';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { CliUsageError, describeFailure, ExitCode, resolveConnection, type Connection, type ConnectionFlags } from './client.js';
import type { OutputFormat } from './output.js';

/**
 * The CLI's client of Rotor's own API (`/v1`): requests SigV4-signed for service `rotor`
 * with the same credentials as the AWS-protocol commands, problem+json answers turned
 * into `rotor: <Code>: <detail>`.
 */

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** smithy's Checksum over node:crypto: SHA-256, or HMAC-SHA256 when given a key. */
class NodeSha256 {
  readonly #secret: SourceData | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = this.#create();
  }

  #create(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.#secret));
  }

  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return this.#hash.digest();
  }

  reset(): void {
    this.#hash = this.#create();
  }
}

/** RFC 3986 percent-encoding (encodeURIComponent leaves !'()* alone). */
export function encodeComponent(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function secretPath(secretId: string, suffix: string): string {
  return `/v1/secrets/${encodeComponent(secretId)}/${suffix}`;
}

/** A problem+json answer; its name is the code in PascalCase (RESOURCE_NOT_FOUND → ResourceNotFound). */
export class RotorApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, detail: string) {
    super(detail);
    this.status = status;
    this.code = code;
    this.name = code
      .toLowerCase()
      .split('_')
      .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
      .join('');
  }
}

export interface ApiRequest {
  readonly query?: Record<string, string | undefined>;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

export function createRotorApiClient(connection: Connection) {
  const endpoint = new URL(connection.endpoint);
  const signer = new SignatureV4({
    service: 'rotor',
    region: connection.region,
    credentials: connection.credentials,
    sha256: NodeSha256,
    applyChecksum: false,
  });

  /** Sends a signed request; the response is returned as is (for streams). Network failures keep their code. */
  async function send(method: string, path: string, request: ApiRequest = {}): Promise<Response> {
    const query: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) query[key] = value;
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: Record<string, string> = { host: endpoint.host, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...request.headers };
    const signed = await signer.sign({
      method,
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port === '' ? undefined : Number(endpoint.port),
      path,
      query,
      headers,
      body,
    });
    const { host: _host, ...sendHeaders } = signed.headers;
    const search = Object.entries(query)
      .map(([key, value]) => `${encodeComponent(key)}=${encodeComponent(value)}`)
      .join('&');
    try {
      return await fetch(`${endpoint.origin}${path}${search === '' ? '' : `?${search}`}`, { method, headers: sendHeaders, body, signal: request.signal });
    } catch (error) {
      // undici reports "fetch failed" with the socket error (ECONNREFUSED, …) as its cause.
      if (error instanceof TypeError && error.cause !== undefined) throw error.cause;
      throw error;
    }
  }

  async function failure(response: Response): Promise<RotorApiError> {
    const text = await response.text().catch(() => '');
    try {
      const problem = JSON.parse(text) as { code?: string; detail?: string; title?: string };
      return new RotorApiError(response.status, problem.code ?? 'HTTP_ERROR', problem.detail ?? problem.title ?? `HTTP ${response.status}`);
    } catch {
      return new RotorApiError(response.status, 'HTTP_ERROR', `HTTP ${response.status}`);
    }
  }

  return {
    send,
    failure,
    /** A JSON request; throws RotorApiError on a problem answer. */
    async json<T>(method: string, path: string, request?: ApiRequest): Promise<T> {
      const response = await send(method, path, request);
      if (!response.ok) throw await failure(response);
      return (await response.json()) as T;
    },
  };
}

export type RotorApiClient = ReturnType<typeof createRotorApiClient>;

export interface ApiContext {
  readonly api: RotorApiClient;
  readonly connection: Connection;
  readonly output: OutputFormat;
}

/** Runs one API command; failures print `rotor: <Name>: <message>` and exit 1 (usage mistakes 2). */
export async function runApiCommand(command: Command, work: (context: ApiContext) => Promise<void>): Promise<void> {
  const options = command.optsWithGlobals<ConnectionFlags & { output?: string }>();
  let endpoint: string | undefined;
  try {
    if (options.output !== undefined && options.output !== 'table' && options.output !== 'json') {
      throw new CliUsageError(`invalid --output ${JSON.stringify(options.output)}: use table or json`);
    }
    const connection = resolveConnection(options);
    endpoint = connection.endpoint;
    await work({ api: createRotorApiClient(connection), connection, output: options.output ?? 'table' });
  } catch (error) {
    if (error instanceof CommanderError) throw error;
    const { line, exitCode } = describeFailure(error, endpoint);
    process.stderr.write(`rotor: ${line}\n`);
    throw new CommanderError(exitCode, exitCode === ExitCode.usage ? 'rotor.usage' : 'rotor.failed', line);
  }
}
