import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { cliEntry } from './rotor-server.js';

/**
 * The built `rotor` CLI in its own process, as a user runs it: only ROTOR_DATA_DIR and
 * ROTOR_ENDPOINT point it at the server under test (no AWS_/ROTOR_ variables leak in).
 */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], target: { dataDir: string; endpoint: string }): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_') && !key.startsWith('ROTOR_')) env[key] = value;
  const child = spawn(process.execPath, [cliEntry, ...args], {
    env: { ...env, ROTOR_DATA_DIR: target.dataDir, ROTOR_ENDPOINT: target.endpoint },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the CLI and expects success with nothing on stderr; returns stdout. */
export async function runCliOk(args: readonly string[], target: { dataDir: string; endpoint: string }): Promise<string> {
  const run = await runCli(args, target);
  expect(run.stderr, `rotor ${args.join(' ')}`).toBe('');
  expect(run.code, `rotor ${args.join(' ')}`).toBe(0);
  return run.stdout;
}
