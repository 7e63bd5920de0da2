import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { promisify } from 'node:util';
import pg from 'pg';
import { cliEntry, readCredentials, tempDir, type Credentials, type RotorProcess } from './rotor-server.js';

/**
 * Several `rotor serve` processes on one PostgreSQL database, each with its own data
 * directory and port but the same root key, that a test can SIGKILL, restart on the same
 * port, SIGSTOP and SIGCONT. The database is created fresh for the test file and dropped
 * WITH (FORCE) afterwards, so replicas killed mid-transaction cannot keep it alive.
 */

const run = promisify(execFile);

/** The server holding the scratch databases (its `postgres` database is only used to create and drop them). */
const adminUrl = process.env.ROTOR_TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  readonly name: string;
  readonly url: string;
  /** A small pool on the scratch database, for the test's own observations. */
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

async function onAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await onAdmin(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 3 });
  pool.on('error', () => undefined);
  return {
    name,
    url: url.toString(),
    pool,
    async drop() {
      await pool.end().catch(() => undefined);
      await onAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

export type ReplicaState = 'up' | 'paused' | 'down';

export interface Replica {
  readonly index: number;
  readonly dataDir: string;
  /** Fixed after the first start: restarts listen on the same port, so URLs stay valid. */
  readonly port: number;
  readonly url: string;
  readonly state: ReplicaState;
  /** The running process (the latest start's). */
  readonly process: RotorProcess;
  /** Everything the replica's processes wrote to stderr (JSON log lines at warn and above), all starts together. */
  readonly log: () => string;
}

class ManagedReplica implements Replica {
  state: ReplicaState = 'down';
  port = 0;
  url = '';
  #process: RotorProcess | undefined;
  #earlierLogs = '';

  constructor(
    readonly index: number,
    readonly dataDir: string,
  ) {}

  get process(): RotorProcess {
    if (!this.#process) throw new Error(`replica ${this.index} never started`);
    return this.#process;
  }

  attach(process: RotorProcess): void {
    if (this.#process) this.#earlierLogs += this.#process.stderr();
    this.#process = process;
    this.url = process.url;
    this.port = Number(new URL(process.url).port);
    this.state = 'up';
  }

  log = (): string => this.#earlierLogs + (this.#process?.stderr() ?? '');
}

export interface ReplicaClusterOptions {
  readonly databaseUrl: string;
  readonly count: number;
  /** Extra environment for every replica. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * `rotor serve` on the shared database. Its own spawn rather than the harness's: that one
 * gives each data directory a database of its own under ROTOR_TEST_BACKEND=postgres.
 */
function spawnReplica(dataDir: string, port: number, databaseUrl: string, env: NodeJS.ProcessEnv): Promise<RotorProcess> {
  const args = [cliEntry, 'serve', '--port', String(port), '--data-dir', dataDir, '--database', databaseUrl, '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rotor did not start in 30 s: ${err}`));
    }, 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /Rotor listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: match[1], stdout: () => out, stderr: () => err });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rotor exited with ${code}: ${err}`));
    });
  });
}

/** Exits of a child as a promise (resolves at once if it already exited). */
function exited(process: RotorProcess): Promise<void> {
  const child = process.child;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export class ReplicaCluster {
  readonly rootKey = randomBytes(32).toString('base64');
  readonly #replicas: ManagedReplica[];
  readonly #options: ReplicaClusterOptions;

  constructor(options: ReplicaClusterOptions) {
    this.#options = options;
    this.#replicas = Array.from({ length: options.count }, (_, i) => new ManagedReplica(i, tempDir(`rotor-replica-${i}-`)));
  }

  get replicas(): readonly Replica[] {
    return this.#replicas;
  }

  get env(): NodeJS.ProcessEnv {
    return { ...this.#options.env, ROTOR_ROOT_KEY: this.rootKey, ROTOR_DATABASE_URL: this.#options.databaseUrl };
  }

  /** The admin key the first replica wrote; it lives in the database, so every replica accepts it. */
  credentials(): Credentials {
    return readCredentials(this.#replicas[0]!.dataDir);
  }

  /** Starts the first replica alone (it migrates and creates the admin key), then the others together. */
  async startAll(): Promise<void> {
    await this.start(0);
    await Promise.all(this.#replicas.slice(1).map((replica) => this.start(replica.index)));
  }

  async start(index: number): Promise<Replica> {
    const replica = this.#replicas[index]!;
    if (replica.state !== 'down') throw new Error(`replica ${index} is ${replica.state}`);
    replica.attach(await spawnReplica(replica.dataDir, replica.port, this.#options.databaseUrl, this.env));
    return replica;
  }

  /** SIGKILL, and wait for the process to be gone. */
  async kill(index: number): Promise<void> {
    const replica = this.#replicas[index]!;
    if (replica.state === 'down') return;
    replica.process.child.kill('SIGKILL');
    await exited(replica.process);
    replica.state = 'down';
  }

  pause(index: number): void {
    const replica = this.#replicas[index]!;
    if (replica.state !== 'up') throw new Error(`replica ${index} is ${replica.state}`);
    replica.process.child.kill('SIGSTOP');
    replica.state = 'paused';
  }

  resume(index: number): void {
    const replica = this.#replicas[index]!;
    if (replica.state !== 'paused') throw new Error(`replica ${index} is ${replica.state}`);
    replica.process.child.kill('SIGCONT');
    replica.state = 'up';
  }

  up(): Replica[] {
    return this.#replicas.filter((replica) => replica.state === 'up');
  }

  /** SIGCONT what is paused, SIGKILL everything, remove the data directories. */
  async destroy(): Promise<void> {
    for (const replica of this.#replicas) {
      if (replica.state === 'paused') this.resume(replica.index);
    }
    await Promise.all(this.#replicas.map((replica) => this.kill(replica.index)));
    for (const replica of this.#replicas) rmSync(replica.dataDir, { recursive: true, force: true });
  }

  /** `rotor functions create NAME --url URL` against the shared database; returns the ARN and HMAC key. */
  async createUrlFunction(name: string, url: string): Promise<{ arn: string; signingKey: string }> {
    const { stdout } = await run(
      process.execPath,
      [cliEntry, 'functions', 'create', name, '--url', url, '--data-dir', this.#replicas[0]!.dataDir, '--database', this.#options.databaseUrl, '-o', 'json'],
      { timeout: 30_000, env: { ...process.env, ...this.env } },
    );
    const created = JSON.parse(stdout) as { FunctionArn?: string; SigningKey?: string };
    if (!created.FunctionArn || !created.SigningKey) throw new Error(`rotor functions create printed no ARN or key: ${stdout}`);
    return { arn: created.FunctionArn, signingKey: created.SigningKey };
  }
}

/**
 * An SDK client that gives up after `requestTimeoutMs` (a paused replica never answers)
 * and tries once. Clients made with one `agent` share its sockets; destroying such a
 * client destroys the agent too, so callers that share one destroy the agent instead.
 */
export function replicaClient(url: string, credentials: Credentials & { sessionToken?: string }, options: { agent?: Agent; requestTimeoutMs?: number } = {}): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: url,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 5_000,
      // Without it smithy only warns when the timeout passes and goes on waiting.
      throwOnRequestTimeout: true,
      connectionTimeout: 2_000,
      ...(options.agent ? { httpAgent: options.agent } : {}),
    },
  });
}

/** The AWS error name of a rejected SDK call (`TimeoutError`, `ECONNREFUSED`… for transport failures). */
export function errorName(error: unknown): string {
  if (error && typeof error === 'object') {
    const { name, code } = error as { name?: unknown; code?: unknown };
    if (typeof code === 'string' && (name === 'Error' || name === undefined)) return code;
    if (typeof name === 'string') return name;
  }
  return String(error);
}

/** Whether the server answered (a 4xx/5xx with an AWS error) rather than the transport failing or timing out. */
export function serverAnswered(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
