import { InvalidArgumentError, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { CliUsageError } from './client.js';

/** Parsing of what users type for the secret commands: values, KEY=VALUE pairs, numbers. */

export interface ValueFlags {
  readonly value?: string | undefined;
  readonly valueFile?: string | undefined;
  readonly binaryFile?: string | undefined;
  readonly valueStdin?: boolean | undefined;
}

export type SecretValue = { readonly SecretString: string } | { readonly SecretBinary: Uint8Array } | Record<string, never>;

/** Adds the four mutually exclusive ways to give a secret value. */
export function withValueOptions(command: Command): Command {
  return command
    .option('--value <text>', 'the secret string (visible in the process list; prefer --value-file or --value-stdin)')
    .option('--value-file <path>', 'read the secret string from a UTF-8 file')
    .option('--binary-file <path>', 'read a binary secret from a file')
    .option('--value-stdin', 'read the secret string from standard input, as is');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

async function readSource(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new CliUsageError(`cannot read ${what} ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

/** Reads the value from whichever source was given; `required` makes "none" a usage error. */
export async function readSecretValue(flags: ValueFlags, required: boolean): Promise<SecretValue> {
  const given = [
    flags.value !== undefined && '--value',
    flags.valueFile !== undefined && '--value-file',
    flags.binaryFile !== undefined && '--binary-file',
    flags.valueStdin === true && '--value-stdin',
  ].filter((name): name is string => name !== false);
  if (given.length > 1) throw new CliUsageError(`give one of ${given.join(', ')}, not several`);
  if (given.length === 0) {
    if (required) throw new CliUsageError('give the value with --value, --value-file, --binary-file or --value-stdin');
    return {};
  }
  if (flags.value !== undefined) return { SecretString: flags.value };
  if (flags.valueFile !== undefined) return { SecretString: (await readSource(flags.valueFile, 'value file')).toString('utf8') };
  if (flags.binaryFile !== undefined) return { SecretBinary: new Uint8Array(await readSource(flags.binaryFile, 'binary file')) };
  return { SecretString: await readStdin() };
}

/** Commander collector for repeatable options (`--tag a=1 --tag b=2`). */
export function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Splits `KEY=VALUE` at the first `=`; the value may be empty, the key may not. */
export function parseKeyValue(text: string, what: string): { readonly Key: string; readonly Value: string } {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new CliUsageError(`invalid ${what} ${JSON.stringify(text)}: expected KEY=VALUE`);
  return { Key: text.slice(0, equals), Value: text.slice(equals + 1) };
}

/** Commander argument parser for positive whole numbers. */
export function positiveInteger(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError('expected a positive whole number');
  return Number(text);
}
