import { GetRandomPasswordCommand } from '@aws-sdk/client-secrets-manager';
import type { Command } from 'commander';
import { runClientCommand, usageExit, withConnectionOptions } from './client.js';
import { printJson } from './render.js';
import { positiveInteger } from './secret-input.js';

interface PasswordFlags {
  readonly length?: number;
  readonly excludeCharacters?: string;
  readonly excludeNumbers?: boolean;
  readonly excludePunctuation?: boolean;
  readonly excludeUppercase?: boolean;
  readonly excludeLowercase?: boolean;
  readonly includeSpace?: boolean;
  readonly requireEachType: boolean;
}

/** `rotor password`: asks the running server for a random password (GetRandomPassword). */
export function registerPasswordCommand(program: Command): void {
  withConnectionOptions(
    program.command('password').description('generate a random password on the server (GetRandomPassword)').exitOverride(usageExit),
  )
    .option('--length <n>', 'password length (default 32)', positiveInteger)
    .option('--exclude-characters <chars>', 'characters never to use')
    .option('--exclude-numbers', 'no digits')
    .option('--exclude-punctuation', 'no punctuation')
    .option('--exclude-uppercase', 'no uppercase letters')
    .option('--exclude-lowercase', 'no lowercase letters')
    .option('--include-space', 'allow the space character')
    .option('--no-require-each-type', 'do not require one character of each included type')
    .action(async (options: PasswordFlags, command: Command) =>
      runClientCommand(command, async ({ client, output }) => {
        const response = await client.send(
          new GetRandomPasswordCommand({
            PasswordLength: options.length,
            ExcludeCharacters: options.excludeCharacters,
            ExcludeNumbers: options.excludeNumbers,
            ExcludePunctuation: options.excludePunctuation,
            ExcludeUppercase: options.excludeUppercase,
            ExcludeLowercase: options.excludeLowercase,
            IncludeSpace: options.includeSpace,
            RequireEachIncludedType: options.requireEachType,
          }),
        );
        // A password alone on a line is the useful "table": `PASSWORD=$(rotor password)`.
        if (output === 'json') printJson(response);
        else process.stdout.write(`${response.RandomPassword ?? ''}\n`);
      }),
    );
}
