import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { redact, type Redacted } from '../domain/redacted.js';

const webhookEventKinds = [
  'started',
  'step-succeeded',
  'retrying',
  'succeeded',
  'failed',
  'cancelled',
  'overdue',
  'rolled-back',
  'reauthorization-required',
  'function-misconfigured',
] as const;

/** `webhooks: [{ url, secret?, events? }]`; a secret missing from the file comes from ROTOR_WEBHOOK_SECRET_<n> (1-based). */
const webhookSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    secret: z.string().min(16, 'a webhook secret has at least 16 characters').optional(),
    events: z.array(z.enum(webhookEventKinds)).min(1).optional(),
  })
  .strict();

export interface WebhookConfig {
  readonly url: string;
  readonly secret: Redacted<string>;
  readonly events?: readonly (typeof webhookEventKinds)[number][] | undefined;
}

/**
 * Rotor's configuration: one schema, parsed once into a frozen object, layered
 * defaults → config file → environment (ROTOR_*) → command-line flags.
 * Secrets have no place here: the root key comes from its file or ROTOR_ROOT_KEY.
 */
export const configSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(7400),
  dataDir: z.string().min(1).default('./.rotor'),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must look like an AWS region, e.g. us-east-1')
    .default('us-east-1'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** A `postgres://` URL selects the PostgreSQL store (several replicas); absent, SQLite in the data directory. */
  database: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  webhooks: z.array(webhookSchema).default([]),
});

export type RotorConfig = Readonly<Omit<z.infer<typeof configSchema>, 'webhooks'> & { webhooks: readonly WebhookConfig[] }>;

export type ConfigLayer = Partial<Record<Exclude<keyof RotorConfig, 'webhooks'>, string | number | undefined>> & {
  webhooks?: z.infer<typeof webhookSchema>[] | undefined;
};

const environmentNames: Record<Exclude<keyof RotorConfig, 'webhooks'>, string> = {
  host: 'ROTOR_HOST',
  port: 'ROTOR_PORT',
  dataDir: 'ROTOR_DATA_DIR',
  region: 'ROTOR_REGION',
  logLevel: 'ROTOR_LOG_LEVEL',
  database: 'ROTOR_DATABASE_URL',
};

function definedOnly(layer: ConfigLayer): ConfigLayer {
  return Object.fromEntries(Object.entries(layer).filter(([, value]) => value !== undefined && value !== ''));
}

function fromEnvironment(env: NodeJS.ProcessEnv): ConfigLayer {
  const layer: ConfigLayer = {};
  for (const [key, name] of Object.entries(environmentNames) as [Exclude<keyof RotorConfig, 'webhooks'>, string][]) layer[key] = env[name];
  return definedOnly(layer);
}

function fromFile(path: string): ConfigLayer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the config file ${path}: ${(error as Error).message}`);
  }
  const result = configSchema.partial().strict().safeParse(parsed);
  if (!result.success) throw new Error(`Invalid config file ${path}: ${z.prettifyError(result.error)}`);
  return result.data;
}

/**
 * Resolves the configuration. The config file is `--config`, else `ROTOR_CONFIG`, else
 * `<data-dir>/rotor.json` when that exists.
 */
export function loadConfig(options: { flags?: ConfigLayer; configFile?: string | undefined; env?: NodeJS.ProcessEnv } = {}): RotorConfig {
  const env = options.env ?? process.env;
  const flags = definedOnly(options.flags ?? {});
  const environment = fromEnvironment(env);
  const explicitFile = options.configFile ?? env.ROTOR_CONFIG;
  const dataDirGuess = String(flags.dataDir ?? environment.dataDir ?? './.rotor');
  const file = explicitFile ?? (existsSync(resolve(dataDirGuess, 'rotor.json')) ? resolve(dataDirGuess, 'rotor.json') : undefined);
  const fileLayer = file === undefined ? {} : fromFile(file);
  const result = configSchema.safeParse({ ...fileLayer, ...environment, ...flags });
  if (!result.success) throw new Error(`Invalid configuration: ${z.prettifyError(result.error)}`);
  const webhooks = result.data.webhooks.map((hook, index): WebhookConfig => {
    const name = `ROTOR_WEBHOOK_SECRET_${index + 1}`;
    const secret = env[name] || hook.secret;
    if (secret === undefined) throw new Error(`Invalid configuration: webhook ${index + 1} (${hook.url}) has no secret; set "secret" in the file or ${name}.`);
    if (secret.length < 16) throw new Error(`Invalid configuration: ${name} must have at least 16 characters.`);
    return Object.freeze({ url: hook.url, secret: redact(secret), events: hook.events });
  });
  return Object.freeze({ ...result.data, dataDir: resolve(result.data.dataDir), webhooks: Object.freeze(webhooks) });
}
