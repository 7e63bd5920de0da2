import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.js';
import { startRotor, type RunningRotor } from '../../src/main.js';
import type { Clock } from '../../src/ports/clock.js';
import type { Logger } from '../../src/ports/logger.js';

/** Test harness: a real Rotor on a random port over a fresh data directory. */
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

/** Starts Rotor in this process (fast; for API tests). Pass a clock to control time. */
export async function startTestRotor(options: { clock?: Clock; dataDir?: string } = {}): Promise<TestRotor> {
  const dataDir = options.dataDir ?? tempDir();
  const config = loadConfig({ flags: { port: 0, dataDir, logLevel: 'silent' }, env: {} });
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
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
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
 */
export function spawnRotor(dataDir: string, extraEnv: NodeJS.ProcessEnv = {}, port = 0): Promise<RotorProcess> {
  const child = spawn(process.execPath, [cliEntry, 'serve', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'], {
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
