import { ListSecretVersionIdsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cliEntry } from './rotor-server.js';

/** Helpers shared by the rotation suites: polling, version listings, function registration. */

const run = promisify(execFile);

/** Polls `probe` every `intervalMs` until `accept` holds; throws with `describe(last)` after `timeoutMs`. */
export async function until<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  options: { timeoutMs?: number; intervalMs?: number; describe?: (value: T) => string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`condition not met in ${timeoutMs} ms: ${options.describe ? options.describe(value) : JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

export interface ListedVersion {
  readonly id: string;
  readonly stages: readonly string[];
}

/** Every version of a secret, deprecated ones included, across pages. */
export async function listAllVersions(client: SecretsManagerClient, secretId: string): Promise<ListedVersion[]> {
  const versions: ListedVersion[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true, MaxResults: 100, NextToken: nextToken }));
    for (const version of page.Versions ?? []) versions.push({ id: version.VersionId!, stages: version.VersionStages ?? [] });
    nextToken = page.NextToken;
  } while (nextToken);
  return versions;
}

/** What is wrong with a secret's labels after rotations settled: more or less than one AWSCURRENT, AWSPENDING left behind. */
export function labelProblems(versions: readonly ListedVersion[]): string[] {
  const problems: string[] = [];
  const current = versions.filter((version) => version.stages.includes('AWSCURRENT'));
  if (current.length !== 1) problems.push(`${current.length} versions carry AWSCURRENT`);
  for (const version of versions) {
    if (version.stages.includes('AWSPENDING') && !version.stages.includes('AWSCURRENT')) {
      problems.push(`AWSPENDING on non-current version ${version.id}`);
    }
  }
  return problems;
}

/**
 * `rotor functions create NAME ARGS… --data-dir DIR -o json` with the built CLI (works while
 * a server runs on the directory); returns the FunctionArn it printed.
 */
export async function createFunctionWithCli(dataDir: string, name: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [cliEntry, 'functions', 'create', name, ...args, '--data-dir', dataDir, '-o', 'json'], {
    timeout: 30_000,
  });
  const created = JSON.parse(stdout) as { FunctionArn?: string };
  if (!created.FunctionArn) throw new Error(`rotor functions create printed no FunctionArn: ${stdout}`);
  return created.FunctionArn;
}

/** The value at quantile `q` (0–1) of `values`, nearest-rank. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
