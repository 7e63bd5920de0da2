import { spawn } from 'node:child_process';
import { awaitBanner, cliEntry, testStoreFlags, type RotorProcess } from './rotor-server.js';

/**
 * `rotor serve` runs that `spawnRotor` does not cover: a chosen log level, and starts that
 * are expected to fail.
 */

export interface ServeOptions {
  readonly logLevel?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly port?: number;
}

/** On PostgreSQL (`ROTOR_TEST_BACKEND=postgres`) with the data directory's database, as `spawnRotor`. */
async function serveArgs(dataDir: string, options: ServeOptions): Promise<string[]> {
  const { database } = await testStoreFlags(dataDir);
  const args = [cliEntry, 'serve', '--port', String(options.port ?? 0), '--data-dir', dataDir, '--log-level', options.logLevel ?? 'warn'];
  return database === undefined ? args : [...args, '--database', database];
}

/** Like `spawnRotor`, with a chosen log level; resolves once the banner names the URL. */
export async function spawnServe(dataDir: string, options: ServeOptions = {}): Promise<RotorProcess> {
  const child = spawn(process.execPath, await serveArgs(dataDir, options), {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return awaitBanner(child);
}

export interface FailedStart {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Starts `rotor serve` and waits for it to exit on its own. Rejects if it prints the
 * listening banner instead (then it is killed): the start was supposed to fail.
 */
export async function serveExpectingExit(dataDir: string, options: ServeOptions = {}, timeoutMs = 20_000): Promise<FailedStart> {
  const child = spawn(process.execPath, await serveArgs(dataDir, options), {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rotor serve neither started nor exited in ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/Rotor listening on/.test(stdout)) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`rotor serve started although it should have refused: ${stdout}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
