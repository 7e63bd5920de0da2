import { AppError } from '../../../domain/errors.js';
import { generateRandomPassword } from '../../../domain/random-password.js';
import { RotationStepError } from '../../../domain/rotation.js';
import { scrubSecretMaterial } from '../../../domain/scrub.js';
import type { Logger } from '../../../ports/logger.js';
import type { CompensateContext, RotationSecretsApi, Rotator, RotatorContext } from '../../../ports/rotator.js';
import { finishByMakingCurrent, requirePendingVersion } from '../standard-steps.js';
import { checkDatabaseRotatorConfig, type DatabaseRotatorConfig } from './config.js';
import { alternateUsername, credentialValue, parseCredential, type DatabaseCredential } from './credential.js';
import type { DatabaseDriver, DatabaseSession, Endpoint, FailureKind, Login } from './driver.js';

/**
 * The four steps (and the rollback's compensate step) of every database user rotator,
 * written once against `DatabaseDriver`, the way AWS's single-user and multi-user
 * rotation templates do them:
 *
 * - createSecret: a new password (GetRandomPassword rules) for the same user
 *   (single-user) or for the other user of the pair (alternating-users), stored as
 *   AWSPENDING with every other field of AWSCURRENT kept.
 * - setSecret: if the pending credential already logs in, nothing to do (a retried or
 *   resumed step). Otherwise log in as the master user of `masterarn` (its AWSCURRENT,
 *   then its AWSPENDING, in case the master itself is mid-rotation) or, for single-user
 *   without a master, as the user itself with its current or previous password, and
 *   apply the password (creating the clone with the template's privileges first).
 * - testSecret: log in with the pending credential and run the engine's query.
 * - finishSecret: AWSCURRENT moves to the new version.
 * - compensate: before a rollback moves AWSCURRENT back, make the restored credential
 *   log in again (set its password back where the rotation changed it).
 *
 * Every message is built here from the driver's error code and message and scrubbed of
 * every password this step has seen, the master's included (the rotation worker scrubs
 * only the rotated secret's own values).
 */
export interface DatabaseUserRotatorOptions<Config extends DatabaseRotatorConfig> {
  readonly kind: string;
  /** The engine's zod schema (or anything with its `parse`). */
  readonly schema: { parse(raw: unknown): Config };
  readonly driver: DatabaseDriver<Config>;
}

/**
 * A secret as messages name it: the part of its ARN after `:secret:` (`db-master-AbCdEf`).
 * The full ARN would not survive scrubbing, which reads `secret:…` as a key and its value.
 */
function secretLabel(arn: string): string {
  const at = arn.indexOf(':secret:');
  return at === -1 ? arn : arn.slice(at + ':secret:'.length);
}

const retryableKinds: ReadonlySet<FailureKind> = new Set(['unreachable', 'other']);

/** The state of one step run: its configuration, the passwords seen so far, the driver. */
class StepRun<Config extends DatabaseRotatorConfig> {
  readonly #known: string[] = [];

  constructor(
    readonly driver: DatabaseDriver<Config>,
    readonly config: Config,
    readonly secrets: RotationSecretsApi,
    readonly logger: Logger,
  ) {}

  remember(credential: DatabaseCredential): DatabaseCredential {
    this.#known.push(credential.password.reveal());
    return credential;
  }

  scrub(text: string): string {
    return scrubSecretMaterial(text, this.#known);
  }

  error(message: string, retryable: boolean): RotationStepError {
    return new RotationStepError(`${this.driver.displayName}: ${this.scrub(message)}`, { retryable });
  }

  /** A credential stored on the rotated secret, by version id or stage. */
  async credential(secretId: string, selector: { versionId?: string; stage?: string }, what: string): Promise<DatabaseCredential | undefined> {
    const value = await this.secrets.getValue(secretId, selector);
    if (value === undefined) return undefined;
    const credential = this.remember(parseCredential(value, what));
    if (credential.engine !== undefined && !this.driver.engines.includes(credential.engine.toLowerCase())) {
      throw this.error(`the ${what} is for engine "${credential.engine}"; this function rotates ${this.driver.engines.join(' or ')} users.`, false);
    }
    return credential;
  }

  async requireCredential(secretId: string, selector: { versionId?: string; stage?: string }, what: string): Promise<DatabaseCredential> {
    const credential = await this.credential(secretId, selector, what);
    if (!credential) throw this.error(`the ${what} has no value.`, false);
    return credential;
  }

  endpoint(credential: DatabaseCredential, database: string | undefined = credential.dbname): Endpoint {
    const host = this.config.host ?? credential.host;
    if (host === undefined) {
      throw this.error('the secret has no "host" field and the function configuration sets no "host".', false);
    }
    return {
      host,
      port: this.config.port ?? credential.port ?? this.driver.defaultPort,
      database,
      tls: this.config.tls,
      connectTimeoutMs: this.config.connectTimeoutMs,
      statementTimeoutMs: this.config.statementTimeoutMs,
    };
  }

  async tryLogin(endpoint: Endpoint, login: Login): Promise<{ session: DatabaseSession } | { failure: FailureKind; reason: string }> {
    try {
      return { session: await this.driver.connect(endpoint, login, this.config) };
    } catch (thrown) {
      return { failure: this.driver.classify(thrown), reason: this.scrub(this.driver.describe(thrown)) };
    }
  }

  /** Runs `work` on a session and closes it; driver errors become scrubbed RotationStepErrors. */
  async using<T>(session: DatabaseSession, doing: string, work: (session: DatabaseSession) => Promise<T>): Promise<T> {
    try {
      return await work(session);
    } catch (thrown) {
      if (thrown instanceof RotationStepError) throw thrown;
      const kind = this.driver.classify(thrown);
      const hint = kind === 'denied' ? ' (the user Rotor logged in as lacks a privilege; see the grants in the docs)' : '';
      throw this.error(`${doing} failed: ${this.driver.describe(thrown)}${hint}`, retryableKinds.has(kind));
    } finally {
      await session.close().catch(() => undefined);
    }
  }

  /**
   * A session of the master user of `masterarn`: its AWSCURRENT credential, else its
   * AWSPENDING one (a master rotation between setSecret and finishSecret has already
   * changed the password in the database).
   */
  async masterSession(masterarn: string, target: DatabaseCredential): Promise<{ session: DatabaseSession; username: string }> {
    const tried: string[] = [];
    let lastReason = '';
    for (const stage of ['AWSCURRENT', 'AWSPENDING']) {
      let value;
      try {
        value = await this.secrets.getValue(masterarn, { stage });
      } catch (thrown) {
        if (AppError.is(thrown) && thrown.code === 'RESOURCE_NOT_FOUND') {
          throw this.error(`the master secret ${secretLabel(masterarn)} (field "masterarn") was not found.`, false);
        }
        throw thrown;
      }
      if (value === undefined) continue;
      const master = this.remember(parseCredential(value, `${stage} value of master secret ${secretLabel(masterarn)}`));
      if (tried.includes(master.password.reveal())) continue;
      tried.push(master.password.reveal());
      // The user lives on the rotated secret's server; the master's own dbname is where it may connect.
      const result = await this.tryLogin(this.endpoint(target, master.dbname ?? target.dbname), master);
      if ('session' in result) return { session: result.session, username: master.username };
      if (result.failure !== 'auth') {
        throw this.error(`cannot log in as master user "${master.username}" of ${secretLabel(masterarn)}: ${result.reason}`, retryableKinds.has(result.failure));
      }
      lastReason = result.reason;
      this.logger.warn({ masterSecret: secretLabel(masterarn), stage, reason: result.reason }, 'master credential refused');
    }
    if (tried.length === 0) throw this.error(`the master secret ${secretLabel(masterarn)} has no AWSCURRENT value.`, false);
    throw this.error(`cannot log in as the master user of ${secretLabel(masterarn)}: ${lastReason} (check the master secret).`, false);
  }

  /** A session of the user itself, with the first of `candidates` (same user, other passwords) that logs in. */
  async selfSession(username: string, candidates: readonly (DatabaseCredential | undefined)[]): Promise<DatabaseSession> {
    const seen = new Set<string>();
    let lastReason = 'no other password to try';
    for (const candidate of candidates) {
      if (!candidate || candidate.username !== username || seen.has(candidate.password.reveal())) continue;
      seen.add(candidate.password.reveal());
      const result = await this.tryLogin(this.endpoint(candidate), candidate);
      if ('session' in result) return result.session;
      if (result.failure !== 'auth') throw this.error(`cannot log in as "${username}": ${result.reason}`, retryableKinds.has(result.failure));
      lastReason = result.reason;
    }
    throw this.error(
      `cannot change the password of "${username}": none of its stored passwords logs in (${lastReason}); give the secret a "masterarn" so a master user can set it.`,
      false,
    );
  }

  /**
   * Makes `desired` log in: nothing if it already does; otherwise its password is set
   * (alternating users: the user is created like `template` first) through the master
   * user or, without one, by the user itself with one of `selfCandidates`.
   */
  async apply(desired: DatabaseCredential, template: string, masterarn: string | undefined, selfCandidates: readonly (DatabaseCredential | undefined)[]): Promise<'already' | 'applied'> {
    const endpoint = this.endpoint(desired);
    const first = await this.tryLogin(endpoint, desired);
    if ('session' in first) {
      await first.session.close().catch(() => undefined);
      return 'already';
    }
    if (first.failure !== 'auth') {
      throw this.error(`cannot reach the database to check "${desired.username}": ${first.reason}`, retryableKinds.has(first.failure));
    }
    const alternate = this.config.strategy === 'alternating-users' && desired.username !== template;
    if (masterarn !== undefined) {
      const master = await this.masterSession(masterarn, desired);
      await this.using(master.session, `changing "${desired.username}" as master user "${master.username}"`, (session) =>
        alternate ? session.ensureUserLike(desired.username, template, desired.password) : session.setPassword(desired.username, desired.password),
      );
      this.logger.info({ username: desired.username, by: 'master', alternate }, 'database password set');
      return 'applied';
    }
    if (alternate) throw this.error('alternating-users needs a master user: the secret has no "masterarn" field.', false);
    const self = await this.selfSession(desired.username, selfCandidates);
    await this.using(self, `changing the password of "${desired.username}" as itself`, (session) => session.setOwnPassword(desired.password));
    this.logger.info({ username: desired.username, by: 'self' }, 'database password set');
    return 'applied';
  }

  /** Logs in with `credential` and checks the session is that user's. */
  async test(credential: DatabaseCredential, what: string): Promise<void> {
    const result = await this.tryLogin(this.endpoint(credential), credential);
    if (!('session' in result)) {
      throw this.error(`the ${what} does not log in as "${credential.username}": ${result.reason}`, result.failure !== 'denied' && result.failure !== 'invalid');
    }
    const who = await this.using(result.session, `the test query as "${credential.username}"`, (session) => session.whoami());
    if (who !== credential.username) throw this.error(`the ${what} logged in as "${who}", not "${credential.username}".`, false);
  }
}

export function createDatabaseUserRotator<Config extends DatabaseRotatorConfig>(options: DatabaseUserRotatorOptions<Config>): Rotator<Config> {
  const { kind, schema, driver } = options;
  const parse = (raw: unknown): Config => checkDatabaseRotatorConfig(schema.parse(raw ?? {}));
  // The stored configuration is parsed again at each step, so defaults added by a later
  // version of Rotor apply to functions registered before it.
  const run = (context: Omit<RotatorContext<Config>, 'event'>) => new StepRun(driver, parse(context.config), context.secrets, context.logger);

  return {
    kind,
    parseConfig: parse,

    async createSecret(context) {
      const { event, secrets } = context;
      const step = run(context);
      await requirePendingVersion(secrets, event);
      // Idempotent: a value already stored for this version (an earlier try) is kept.
      if (await secrets.getValue(event.SecretId, { versionId: event.ClientRequestToken })) return;
      const current = await step.requireCredential(event.SecretId, { stage: 'AWSCURRENT' }, 'AWSCURRENT value');
      step.endpoint(current); // fails now, not at setSecret, when no host is known
      let username = current.username;
      if (step.config.strategy === 'alternating-users') {
        if (current.masterarn === undefined) throw step.error('alternating-users needs a master user: the secret has no "masterarn" field.', false);
        username = alternateUsername(current.username, step.config.cloneSuffix);
      }
      if (username.length > driver.maxUsernameLength) {
        throw step.error(`user name "${username}" is longer than ${driver.displayName} allows (${driver.maxUsernameLength}).`, false);
      }
      const password = generateRandomPassword(step.config.password);
      await secrets.putPendingValue(event.SecretId, event.ClientRequestToken, credentialValue(current, username, password));
    },

    async setSecret(context) {
      const { event } = context;
      const step = run(context);
      const pending = await step.requireCredential(event.SecretId, { versionId: event.ClientRequestToken }, 'pending value');
      const current = await step.requireCredential(event.SecretId, { stage: 'AWSCURRENT' }, 'AWSCURRENT value');
      const previous = await step.credential(event.SecretId, { stage: 'AWSPREVIOUS' }, 'AWSPREVIOUS value').catch(() => undefined);
      await step.apply(pending, current.username, pending.masterarn ?? current.masterarn, [current, previous]);
    },

    async testSecret(context) {
      const { event } = context;
      const step = run(context);
      const pending = await step.requireCredential(event.SecretId, { versionId: event.ClientRequestToken }, 'pending value');
      await step.test(pending, 'pending credential');
    },

    finishSecret: finishByMakingCurrent,

    async compensate(context: CompensateContext<Config>) {
      const { event } = context;
      const step = run(context);
      const restored = await step.requireCredential(event.SecretId, { versionId: event.ClientRequestToken }, 'version to restore');
      const abandoned = await step.credential(event.SecretId, { stage: 'AWSCURRENT' }, 'AWSCURRENT value');
      const outcome = await step.apply(restored, abandoned?.username ?? restored.username, restored.masterarn ?? abandoned?.masterarn, [abandoned]);
      if (outcome === 'applied') await step.test(restored, 'restored credential');
    },
  };
}
