import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliUsageError, withConnectionOptions } from './client.js';
import { printTable } from './output.js';
import { printJson } from './render.js';
import { runApiCommand } from './rotor-api.js';

/**
 * `rotor oauth import --function slack FILE`: moves an existing installation store into
 * Rotor. Each record (Bolt for JavaScript's Installation, Python slack_sdk's
 * Installation, an `oauth.v2.access` answer, or Rotor's own shape) becomes a secret named
 * by the function's pattern, with its refreshes scheduled by the tokens' expiry.
 */
interface StoredInstallation {
  ARN: string;
  Name: string;
  VersionId: string;
  Created: boolean;
  Chains: string[];
  NextRotationDate: number | null;
}

const batchSize = 100;

function readRecords(file: string): unknown[] {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliUsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const trimmed = text.trim();
  try {
    // A JSON array or a single object (however it is laid out), else JSON Lines.
    try {
      const whole = JSON.parse(trimmed) as unknown;
      return Array.isArray(whole) ? whole : [whole];
    } catch {
      return trimmed.split(/\r?\n/).filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as unknown);
    }
  } catch {
    // The parser's message may quote the file's contents — tokens — so it is not shown.
    throw new CliUsageError(`${file} is not JSON (an array, an object, or one object per line)`);
  }
}

export function registerOAuthCommands(program: Command): void {
  const oauth = program.command('oauth').description('OAuth installations (Slack and generic OAuth2 apps)');
  withConnectionOptions(
    oauth
      .command('import')
      .description('import installations from a JSON export of an installation store')
      .argument('<file>', 'JSON array, object or JSON Lines; - for standard input')
      .requiredOption('--function <name>', 'the slack or oauth2 function that refreshes them'),
  ).action(async (file: string, options: { function: string }, command: Command) => {
    await runApiCommand(command, async ({ api, output }) => {
      const records = readRecords(file);
      if (records.length === 0) throw new CliUsageError(`${file} holds no installations`);
      const stored: StoredInstallation[] = [];
      for (let start = 0; start < records.length; start += batchSize) {
        const answer = await api.json<{ Installations: StoredInstallation[] }>('POST', `/v1/oauth/${encodeURIComponent(options.function)}/installations`, {
          body: { installations: records.slice(start, start + batchSize) },
        });
        stored.push(...answer.Installations);
      }
      if (output === 'json') {
        printJson({ Installations: stored });
        return;
      }
      printTable(
        stored.map((item) => ({
          Name: item.Name,
          Chains: item.Chains.join(','),
          Stored: item.Created ? 'created' : 'updated',
          NextRotation: item.NextRotationDate === null ? '-' : new Date(item.NextRotationDate * 1000).toISOString(),
        })),
      );
    });
  });
}

/** `rotor dev provider-sim`: the provider simulator, to try token rotation without a real Slack app. */
export function registerDevCommands(program: Command): void {
  const dev = program.command('dev').description('tools for developing against Rotor');
  dev
    .command('provider-sim')
    .description('run the Slack/OAuth2 provider simulator (clock, faults and event log under /_sim/)')
    .allowUnknownOption(true)
    .helpOption(false)
    .argument('[args...]', 'simulator options: --port 7500 --preset slack --seed 1 --now EPOCH_SECONDS')
    .action(async (args: string[]) => {
      const { runProviderSimCli } = await import('@rotor/provider-sim');
      await runProviderSimCli(args);
    });
}
