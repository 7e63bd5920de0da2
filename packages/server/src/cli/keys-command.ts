import type { Command } from 'commander';
import { databaseOption, dataDirOption, withLocalDataDir as withDataDir } from './local-data-dir.js';
import { printTable, type OutputFormat } from './output.js';

/**
 * `rotor keys`: local administration of access keys, run on the server's machine
 * against its data directory (it needs the root key, which never crosses the network).
 * A revoked key stops authenticating on the running server at its next request.
 */
export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('manage the access keys Rotor accepts (local, needs the data directory)');
  keys
    .command('create')
    .description('issue a new access key and print it once')
    .argument('<name>', 'a label for whom the key is for')
    .option(...dataDirOption)
    .option(...databaseOption)
    .option('--write-profile', 'also write it to <data-dir>/credentials as profile rotor')
    .action(async (name: string, options: { dataDir?: string; database?: string; writeProfile?: boolean }, command: Command) => {
      const output = command.optsWithGlobals().output as OutputFormat;
      await withDataDir(options, async (dir) => {
        const key = await dir.accessKeys.issue({ name });
        if (options.writeProfile) {
          const { writeAwsProfile } = await import('../data-dir.js');
          writeAwsProfile({ credentials: dir.credentialsPath, config: dir.awsConfigPath }, key, dir.installation.region);
        }
        const record = { AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey.reveal(), Name: key.name };
        if (output === 'json') process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
        else printTable([record]);
      });
    });

  keys
    .command('list')
    .description('list access keys and their status')
    .option(...dataDirOption)
    .option(...databaseOption)
    .action(async (options: { dataDir?: string; database?: string }, command: Command) => {
      const output = command.optsWithGlobals().output as OutputFormat;
      await withDataDir(options, async (dir) => {
        const rows = (await dir.accessKeys.list()).map((key) => ({
          AccessKeyId: key.accessKeyId,
          Name: key.name,
          Status: key.status,
          Created: new Date(key.createdAt).toISOString(),
        }));
        if (output === 'json') process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else printTable(rows);
      });
    });

  keys
    .command('revoke')
    .description('revoke an access key; it stops working at once')
    .argument('<access-key-id>')
    .option(...dataDirOption)
    .option(...databaseOption)
    .action(async (accessKeyId: string, options: { dataDir?: string; database?: string }) => {
      await withDataDir(options, (dir) => dir.accessKeys.revoke(accessKeyId));
      process.stdout.write(`Revoked ${accessKeyId}\n`);
    });
}
