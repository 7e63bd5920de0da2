import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.js';
import { startRotor, type RunningRotor } from '../../src/main.js';
import type { Clock } from '../../src/ports/clock.js';
import type { Logger } from '../../src/ports/logger.js';
import { createTestDatabase, dropTestDatabase } from './postgres.js';

/**
 * Test harness: a real Rotor on a random port over a fresh data directory, on SQLite or,
 * with `ROTOR_TEST_BACKEND=postgres`, on a fresh PostgreSQL database per data directory.
 */
export type TestBackend = 'sqlite' | 'postgres';
export const testBackend: TestBackend = process.env.ROTOR_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

/** The PostgreSQL database of each data directory this process prepared, by resolved path. */
const databases = new Map<string, { name: string; url: string }>();

/**
 * The store flags for a Rotor on `dataDir`: none on SQLite. On PostgreSQL, the database of
 * that data directory, created on first use: a server restarted on the same directory finds
 * its data again. The URL is also written to `<dataDir>/rotor.json`, which every Rotor
 * process reads, so `rotor keys` and `rotor functions` run beside the server reach the same
 * store. The root key stays the data directory's root.key, shared by all its processes.
 * Databases are dropped by `dropTestDatabases` (after each file, see vitest.config.ts).
 */
export async function testStoreFlags(dataDir: string): Promise<{ database?: string }> {
  if (testBackend === 'sqlite') return {};
  const path = resolve(dataDir);
  let database = databases.get(path);
  if (database === undefined) {
    database = await createTestDatabase();
    databases.set(path, database);
  }
  const configFile = join(path, 'rotor.json');
  const config = existsSync(configFile) ? (JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>) : {};
  if (config.database !== database.url) {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    writeFileSync(configFile, JSON.stringify({ ...config, database: database.url }, null, 2));
  }
  return { database: database.url };
}

/** The PostgreSQL database URL `testStoreFlags` gave `dataDir`, if any. */
export function testDatabaseUrlOf(dataDir: string): string | undefined {
  return databases.get(resolve(dataDir))?.url;
}

/** Drops the database of one data directory (its servers must be stopped or are cut off). */
export async function dropTestDatabaseOf(dataDir: string): Promise<void> {
  const database = databases.get(resolve(dataDir));
  if (database === undefined) return;
  databases.delete(resolve(dataDir));
  await dropTestDatabase(database.name);
}

/** Drops every database this process created; WITH (FORCE) cuts off servers still running. */
export async function dropTestDatabases(): Promise<void> {
  const names = [...databases.values()].map((database) => database.name);
  databases.clear();
  await Promise.all(names.map((name) => dropTestDatabase(name)));
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Reads the `[rotor]` profile Rotor wrote into `<data-dir>/credentials`. */
export function readCredentials(dataDir: string): Credentials {
  const text = readFileSync(join(dataDir, 'credentials'), 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}\\s*=\\s*(\\S+)`, 'm').exec(text);
    if (!match?.[1]) throw new Error(`${name} missing from credentials file`);
    return match[1];
  };
  return { accessKeyId: field('aws_access_key_id'), secretAccessKey: field('aws_secret_access_key') };
}

export function sdkClient(url: string, credentials: Credentials, region = 'us-east-1'): SecretsManagerClient {
  return new SecretsManagerClient({ endpoint: url, region, credentials, maxAttempts: 1 });
}

export function tempDir(prefix = 'rotor-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestRotor {
  readonly url: string;
  readonly dataDir: string;
  readonly credentials: Credentials;
  readonly client: SecretsManagerClient;
  readonly rotor: RunningRotor;
  close(): Promise<void>;
}

/**
 * Starts Rotor in this process (fast; for API tests). Pass a clock to control time. Without
 * `dataDir`, `close()` removes the data directory and drops its database.
 */
export async function startTestRotor(options: { clock?: Clock; dataDir?: string } = {}): Promise<TestRotor> {
  const dataDir = options.dataDir ?? tempDir();
  const config = loadConfig({ flags: { port: 0, dataDir, logLevel: 'silent', ...(await testStoreFlags(dataDir)) }, env: {} });
  const rotor = await startRotor(config, { logger: silentLogger, clock: options.clock });
  const credentials = readCredentials(dataDir);
  const client = sdkClient(rotor.url, credentials);
  return {
    url: rotor.url,
    dataDir,
    credentials,
    client,
    rotor,
    async close() {
      client.destroy();
      await rotor.close();
      // A data directory the caller passed in is the caller's, and so is its database.
      if (!options.dataDir) {
        await dropTestDatabaseOf(dataDir);
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

export const cliEntry = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface RotorProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/**
 * Starts the built `rotor serve` as a child process (for crash and CLI tests); resolves
 * once the banner names the URL. Requires `npm run build` (the test script builds first).
 * On PostgreSQL, restarts on the same data directory reuse its database (`testStoreFlags`).
 */
export async function spawnRotor(dataDir: string, extraEnv: NodeJS.ProcessEnv = {}, port = 0): Promise<RotorProcess> {
  const { database } = await testStoreFlags(dataDir);
  const args = [cliEntry, 'serve', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'];
  const child = spawn(process.execPath, database === undefined ? args : [...args, '--database', database], {
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return awaitBanner(child);
}

/**
 * Resolves once a spawned `rotor serve` prints "Rotor listening on <url>"; rejects if it
 * exits first or is silent for 20 s. Keeps its output for the test to inspect.
 */
export function awaitBanner(child: ChildProcessByStdio<null, Readable, Readable>): Promise<RotorProcess> {
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rotor did not start in 20 s: ${err}`)), 20_000);
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
