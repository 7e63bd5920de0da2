import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OutputFormat } from './output.js';

/**
 * The client side of the CLI: how `rotor secret …` and `rotor password` find a running
 * server and its credentials, and how their failures reach the terminal
 * (`rotor: <ErrorName>: <message>`, exit 1; usage and setup mistakes exit 2).
 */

export const ExitCode = { awsError: 1, usage: 2 } as const;

/** A mistake in how the CLI was called or set up (exit 2), as opposed to a server's answer. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export interface ConnectionFlags {
  readonly endpoint?: string | undefined;
  readonly profile?: string | undefined;
  readonly dataDir?: string | undefined;
}

export interface Connection {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

/** Adds `--endpoint`, `--profile` and `--data-dir` to a client command. */
export function withConnectionOptions(command: Command): Command {
  return command
    .option('--endpoint <url>', 'Rotor server URL (ROTOR_ENDPOINT, default http://ROTOR_HOST:ROTOR_PORT = http://127.0.0.1:7400)')
    .option('--profile <name>', 'profile in <data-dir>/credentials (default rotor; AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY win unless given)')
    .option('--data-dir <dir>', 'where to find credentials and config (ROTOR_DATA_DIR, default ./.rotor)');
}

/** Parses an AWS-style INI file into sections of `key = value`; `#` and `;` start comments. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      const name = header[1].trim();
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      continue;
    }
    const equals = line.indexOf('=');
    if (current && equals > 0) current.set(line.slice(0, equals).trim(), line.slice(equals + 1).trim());
  }
  return sections;
}

function readIniSection(path: string, section: string): Map<string, string> | undefined {
  if (!existsSync(path)) return undefined;
  return parseIni(readFileSync(path, 'utf8')).get(section);
}

function resolveEndpoint(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const endpoint = flag ?? env.ROTOR_ENDPOINT ?? `http://${env.ROTOR_HOST ?? '127.0.0.1'}:${env.ROTOR_PORT ?? '7400'}`;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new CliUsageError(`invalid endpoint ${JSON.stringify(endpoint)}: expected a URL such as http://127.0.0.1:7400`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliUsageError(`invalid endpoint ${endpoint}: use http:// or https://`);
  return endpoint.replace(/\/+$/, '');
}

/**
 * Resolves where and as whom to connect. Credentials: an explicit `--profile` from
 * `<data-dir>/credentials`, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else profile `rotor`.
 * Region: ROTOR_REGION, else the profile's region in `<data-dir>/config`, else us-east-1.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const endpoint = resolveEndpoint(flags.endpoint, env);
  const dataDir = resolve(flags.dataDir ?? env.ROTOR_DATA_DIR ?? './.rotor');
  const profile = flags.profile ?? 'rotor';
  const configSection = readIniSection(join(dataDir, 'config'), profile === 'default' ? 'default' : `profile ${profile}`);
  const region = env.ROTOR_REGION ?? configSection?.get('region') ?? 'us-east-1';

  if (flags.profile === undefined && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    const sessionToken = env.AWS_SESSION_TOKEN;
    return {
      endpoint,
      region,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(sessionToken ? { sessionToken } : {}) },
    };
  }
  const credentialsPath = join(dataDir, 'credentials');
  const section = readIniSection(credentialsPath, profile);
  const accessKeyId = section?.get('aws_access_key_id');
  const secretAccessKey = section?.get('aws_secret_access_key');
  if (!accessKeyId || !secretAccessKey) {
    const where = existsSync(credentialsPath) ? `profile [${profile}] not found in ${credentialsPath}` : `${credentialsPath} does not exist`;
    throw new CliUsageError(
      `no credentials: ${where}; point --data-dir (or ROTOR_DATA_DIR) at the server's data directory, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
    );
  }
  const sessionToken = section?.get('aws_session_token');
  return { endpoint, region, credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } };
}

export function createCliClient(connection: Connection): SecretsManagerClient {
  // Rotor supports Node 20; the SDK's notice that its 2027 releases will need Node 22 is
  // not the user's concern and would land in every script's stderr. Users can still opt in.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new SecretsManagerClient({
    endpoint: connection.endpoint,
    region: connection.region,
    credentials: connection.credentials,
    // One retry on a dropped connection is enough for a person at a terminal; scripts retry themselves.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
}

const networkCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

function networkCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && networkCodes.has(code)) return code;
  // Node 20 tries IPv4 and IPv6 in turn ("happy eyeballs") and reports an AggregateError.
  if (error instanceof AggregateError) return error.errors.map(networkCode).find((found) => found !== undefined);
  if ((error as { name?: unknown }).name === 'TimeoutError') return 'ETIMEDOUT';
  return undefined;
}

/** The one line printed for a failure; server messages never contain secret values. */
export function describeFailure(error: unknown, endpoint: string | undefined): { readonly line: string; readonly exitCode: number } {
  if (error instanceof CliUsageError) return { line: error.message, exitCode: ExitCode.usage };
  const code = networkCode(error);
  if (code !== undefined) {
    const where = endpoint ?? 'the endpoint';
    const reason = code === 'ECONNREFUSED' ? 'connection refused' : code;
    return {
      line: `no Rotor server answers at ${where} (${reason}); start one with \`rotor serve\` or pass --endpoint / set ROTOR_ENDPOINT`,
      exitCode: ExitCode.awsError,
    };
  }
  if (error instanceof Error) {
    const message = error.message || 'request failed without a message';
    return { line: `${error.name}: ${message}`, exitCode: ExitCode.awsError };
  }
  return { line: `UnknownError: ${String(error)}`, exitCode: ExitCode.awsError };
}

const usageErrorCodes = new Set([
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.conflictingOption',
  'commander.unknownOption',
  'commander.excessArguments',
  'commander.unknownCommand',
  'commander.invalidArgument',
  'commander.help',
  'rotor.usage',
]);

/** Exit override for client commands: commander's parse errors exit 2 rather than 1. */
export function usageExit(error: CommanderError): never {
  if (error.exitCode !== 0 && usageErrorCodes.has(error.code)) throw new CommanderError(ExitCode.usage, error.code, error.message);
  throw error;
}

export interface ClientContext {
  readonly client: SecretsManagerClient;
  readonly output: OutputFormat;
}

/**
 * Runs one client command: builds the client from the command's options, runs `work`,
 * and turns any failure into `rotor: <ErrorName>: <message>` on stderr and an exit code.
 */
export async function runClientCommand(command: Command, work: (context: ClientContext) => Promise<void>): Promise<void> {
  const options = command.optsWithGlobals<ConnectionFlags & { output?: string }>();
  let endpoint: string | undefined;
  let client: SecretsManagerClient | undefined;
  try {
    if (options.output !== undefined && options.output !== 'table' && options.output !== 'json') {
      throw new CliUsageError(`invalid --output ${JSON.stringify(options.output)}: use table or json`);
    }
    const connection = resolveConnection(options);
    endpoint = connection.endpoint;
    client = createCliClient(connection);
    await work({ client, output: options.output ?? 'table' });
  } catch (error) {
    if (error instanceof CommanderError) throw error;
    const { line, exitCode } = describeFailure(error, endpoint);
    process.stderr.write(`rotor: ${line}\n`);
    throw new CommanderError(exitCode, exitCode === ExitCode.usage ? 'rotor.usage' : 'rotor.failed', line);
  } finally {
    client?.destroy();
  }
}
