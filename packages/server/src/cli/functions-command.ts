import type { Command } from 'commander';
import { databaseOption, dataDirOption, withLocalDataDir } from './local-data-dir.js';
import { printTable, type OutputFormat } from './output.js';

function parseEnvironment(pairs: readonly string[]): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const pair of pairs) {
    const separator = pair.indexOf('=');
    if (separator < 1) throw new Error(`--env takes KEY=VALUE, got ${pair}`);
    environment[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  return environment;
}

function parseConfig(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('--config must be JSON, for example \'{"passwordLength": 40}\'');
  }
}

/**
 * `rotor functions`: register the rotation functions RotateSecret's RotationLambdaARN
 * names. Local administration like `rotor keys`: a handler is a file on the server's
 * machine, and function configuration is sealed with the root key. The running server
 * sees a new function at once.
 */
export function registerFunctionsCommands(program: Command): void {
  const functions = program.command('functions').description('register rotation functions (local, needs the data directory)');
  const print = (command: Command, rows: Record<string, unknown>[]) => {
    const output = command.optsWithGlobals().output as OutputFormat;
    if (output === 'json') process.stdout.write(`${JSON.stringify(rows.length === 1 ? rows[0] : rows, null, 2)}\n`);
    else printTable(rows);
  };

  const registryOf = async (dir: Parameters<Parameters<typeof withLocalDataDir>[1]>[0]) => {
    const { createRotationFunctions } = await import('../services/rotation-functions.js');
    const { builtinRotators } = await import('../adapters/rotators/index.js');
    return createRotationFunctions({ functions: dir.store, cipher: dir.cipher, clock: { now: () => Date.now() }, installation: dir.installation, builtins: builtinRotators });
  };

  functions
    .command('create')
    .description('register a function: --builtin KIND [--config JSON], --handler FILE:EXPORT, or --url URL')
    .argument('<name>', 'the function name; its ARN is arn:aws:lambda:<region>:<account>:function:<name>')
    .option('--builtin <kind>', 'a built-in rotator: random, slack, oauth2, postgres, mysql, redis')
    .option('--config <json>', 'configuration of the built-in rotator')
    .option('--handler <file:export>', 'an AWS-Lambda-style handler (Python or Node) run as a local process')
    .option('--env <KEY=VALUE...>', 'environment for a handler', [])
    .option('--url <url>', 'an HTTP endpoint; each call is signed with an HMAC key shown once')
    .option(...dataDirOption)
    .option(...databaseOption)
    .action(async (name: string, options: { builtin?: string; config?: string; handler?: string; env: string[]; url?: string; dataDir?: string; database?: string }, command: Command) => {
      const created = await withLocalDataDir(options, async (dir) =>
        (await registryOf(dir)).create({
          name,
          builtin: options.builtin,
          config: parseConfig(options.config),
          handler: options.handler,
          url: options.url,
          environment: options.env.length > 0 ? parseEnvironment(options.env) : undefined,
        }),
      );
      print(command, [{ ...created, Config: created.Config === undefined ? undefined : JSON.stringify(created.Config) }]);
    });

  functions
    .command('list')
    .description('list registered functions')
    .option(...dataDirOption)
    .option(...databaseOption)
    .action(async (options: { dataDir?: string; database?: string }, command: Command) => {
      const rows = await withLocalDataDir(options, async (dir) => (await registryOf(dir)).list());
      const output = command.optsWithGlobals().output as OutputFormat;
      if (output === 'json') process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else printTable(rows.map((row) => ({ Name: row.Name, Kind: row.Kind, Target: row.Builtin ?? row.Handler ?? row.Url, FunctionArn: row.FunctionArn })));
    });

  functions
    .command('describe')
    .description('show one function')
    .argument('<name-or-arn>')
    .option(...dataDirOption)
    .option(...databaseOption)
    .action(async (nameOrArn: string, options: { dataDir?: string; database?: string }, command: Command) => {
      const fn = await withLocalDataDir(options, async (dir) => (await registryOf(dir)).get(nameOrArn));
      print(command, [{ ...fn, Config: fn.Config === undefined ? undefined : JSON.stringify(fn.Config) }]);
    });

  functions
    .command('delete')
    .description('remove a function; secrets that name it fail their next rotation until given another')
    .argument('<name>')
    .option(...dataDirOption)
    .option(...databaseOption)
    .action(async (name: string, options: { dataDir?: string; database?: string }) => {
      await withLocalDataDir(options, async (dir) => (await registryOf(dir)).remove(name));
      process.stdout.write(`Deleted ${name}\n`);
    });
}
