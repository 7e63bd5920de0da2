import { z } from 'zod';
import { generateRandomPassword, punctuation } from '../../../domain/random-password.js';

/**
 * The configuration every database rotator shares (`rotor functions create NAME
 * --builtin postgres|mysql|redis --config JSON`); each engine extends it with its own
 * fields. Connection details not given here come from the secret value (`host`,
 * `port`, `dbname`), as in AWS's rotation templates.
 */

/**
 * `single-user`: the user's own password changes (the user changes it itself, or the
 * master user of `masterarn` does). `alternating-users`: two users, `name` and
 * `name_clone`, take turns; each rotation changes the one not in AWSCURRENT, through
 * the master user, so the credential applications hold keeps working.
 */
export const rotationStrategies = ['single-user', 'alternating-users'] as const;
export type RotationStrategy = (typeof rotationStrategies)[number];

/**
 * Punctuation that needs escaping somewhere a password ends up: a URI
 * (`postgres://user:pass@host`: `@ : / ? # [ ] %` and the sub-delimiters), a libpq or
 * JDBC keyword string (`' " \ ; = space`), a shell (`$ ! \``), Redis ACL rules (`> < #`).
 * What is left are the URI "unreserved" marks `- . _ ~`, which mean nothing to any of them.
 */
export const connectionUnsafeCharacters = [...punctuation].filter((c) => !'-._~'.includes(c)).join('');

export const tlsModes = ['disable', 'require', 'verify-full'] as const;

export const tlsConfig = z
  .object({
    /**
     * `disable`: plain TCP. `require`: TLS, certificate not checked (protects against
     * eavesdropping only). `verify-full`: TLS with the chain checked against `ca` (or the
     * system roots) and the host name against the certificate.
     * @default 'disable'
     */
    mode: z.enum(tlsModes).default('disable'),
    /** PEM certificate(s) of the authority that signed the server's certificate. */
    ca: z.string().min(1).optional(),
    /** The name to check the certificate against, when it differs from `host`. */
    servername: z.string().min(1).optional(),
  })
  .strict();

export type TlsConfig = z.infer<typeof tlsConfig>;

/** GetRandomPassword's options, with defaults suited to connection strings. */
export const passwordConfig = z
  .object({
    /** @default 32 */
    passwordLength: z.number().int().min(8).max(4096).default(32),
    /** @default connectionUnsafeCharacters (every punctuation mark but `- . _ ~`); "" allows all. */
    excludeCharacters: z.string().max(4096).default(connectionUnsafeCharacters),
    excludeNumbers: z.boolean().optional(),
    excludePunctuation: z.boolean().optional(),
    excludeUppercase: z.boolean().optional(),
    excludeLowercase: z.boolean().optional(),
    /** @default true */
    requireEachIncludedType: z.boolean().optional(),
  })
  .strict();

export type PasswordConfig = z.infer<typeof passwordConfig>;

/** The fields every engine's schema starts from. */
export const databaseRotatorFields = {
  /** @default 'single-user' */
  strategy: z.enum(rotationStrategies).default('single-user'),
  /** Overrides the secret's `host` for Rotor's connections (the name applications use may not resolve here). */
  host: z.string().min(1).optional(),
  /** Overrides the secret's `port`. */
  port: z.number().int().min(1).max(65_535).optional(),
  /** @default { mode: 'disable' } */
  tls: tlsConfig.prefault({}),
  /** @default 5000 */
  connectTimeoutMs: z.number().int().min(100).max(120_000).default(5_000),
  /** Bound on each statement or command Rotor sends. @default 10000 */
  statementTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** How the second user of `alternating-users` is named. @default '_clone' */
  cloneSuffix: z.string().min(1).max(32).regex(/^[A-Za-z0-9_$-]+$/, 'letters, digits, _, $ or -').default('_clone'),
  /** @default { passwordLength: 32, excludeCharacters: connectionUnsafeCharacters } */
  password: passwordConfig.prefault({}),
};

/** The parsed shape of `databaseRotatorFields`. */
export interface DatabaseRotatorConfig {
  readonly strategy: RotationStrategy;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly tls: TlsConfig;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly cloneSuffix: string;
  readonly password: PasswordConfig;
}

/**
 * Checks what zod cannot see on its own: the password options must be able to make a
 * password, and `verify-full` without a `ca` uses the system roots (allowed). Throws
 * with the field named, like a zod issue, so `rotor functions create` reports it.
 */
export function checkDatabaseRotatorConfig<Config extends DatabaseRotatorConfig>(config: Config): Config {
  try {
    generateRandomPassword(config.password);
  } catch (error) {
    throw new Error(`password: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (config.tls.mode === 'disable' && (config.tls.ca !== undefined || config.tls.servername !== undefined)) {
    throw new Error('tls: ca and servername need mode "require" or "verify-full"');
  }
  return Object.freeze(config);
}
