#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerEventsCommand } from './events-command.js';
import { registerFunctionsCommands } from './functions-command.js';
import { registerKeysCommands } from './keys-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerDevCommands, registerOAuthCommands } from './oauth-commands.js';
import { registerPasswordCommand } from './password-command.js';
import { registerRotationCommands } from './rotation-commands.js';
import { registerSecretCommands } from './secret-commands.js';
import { registerServeCommand } from './serve-command.js';

/**
 * The `rotor` command. `serve` runs the server; `keys` administers the local data
 * directory; the secret commands are an AWS-protocol client of a running server.
 */
const program = new Command('rotor')
  .description('Rotor: a self-hosted secrets manager that speaks the AWS Secrets Manager protocol')
  .option('-o, --output <format>', 'table or json', 'table')
  .showHelpAfterError()
  .exitOverride();

registerServeCommand(program);
registerKeysCommands(program);
registerMigrateCommand(program);
registerFunctionsCommands(program);
registerSecretCommands(program);
registerPasswordCommand(program);
registerRotationCommands(program);
registerEventsCommand(program);
registerOAuthCommands(program);
registerDevCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  process.stderr.write(`rotor: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
