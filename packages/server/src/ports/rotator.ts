import type { SecretValue } from '../domain/secret-value.js';
import type { Logger } from './logger.js';
import type { RotationStepEvent } from './rotation-function.js';

/**
 * A built-in rotator: the code behind a `--builtin KIND` function. Its four methods are
 * the four steps; each must be idempotent for the same version id, because a crash or a
 * retry runs a step again. Rotators act on the secret only through `secrets`, which has
 * the AWS API's semantics, so a built-in behaves exactly like an external function.
 *
 * @example
 * const rotator: Rotator<{ length: number }> = {
 *   kind: 'random',
 *   parseConfig: (raw) => schema.parse(raw),
 *   async createSecret({ event, secrets, config }) { ... },
 *   ...
 * };
 */
export interface RotationSecretsApi {
  /** Version id → stages of the secret (DescribeSecret's VersionIdsToStages). */
  versionStages(secretId: string): Promise<Record<string, string[]>>;
  /** The value of a version, or undefined when the version has none yet. */
  getValue(secretId: string, selector: { versionId?: string; stage?: string }): Promise<SecretValue | undefined>;
  /** PutSecretValue(ClientRequestToken=versionId, VersionStages=['AWSPENDING']). */
  putPendingValue(secretId: string, versionId: string, value: SecretValue): Promise<void>;
  /** finishSecret: moves AWSCURRENT onto `versionId` (AWSPREVIOUS follows). No-op when already there. */
  makeCurrent(secretId: string, versionId: string): Promise<void>;
  /** Rotor's clock (epoch ms), so a rotator's expiry arithmetic agrees with the scheduler's. */
  now(): number;
  /**
   * The rotation's write-ahead checkpoint (StoredRotation.checkpoint): what the rotator is
   * about to do outside Rotor, durable before it does it. JSON, never secret material.
   */
  readCheckpoint(secretId: string, versionId: string): Promise<Record<string, unknown> | undefined>;
  writeCheckpoint(secretId: string, versionId: string, checkpoint: Record<string, unknown>): Promise<void>;
  /**
   * The stored credential expires: rotate again at `dueAt` (epoch ms; the rules may ask
   * earlier). `attention` stops every schedule until a person acts (a new installation);
   * undefined clears it.
   */
  setExpirySchedule(secretId: string, schedule: { readonly dueAt: number | undefined; readonly attention: string | undefined }): Promise<void>;
  /** An event a person should see, once: a chain needing reauthorization, rejected client credentials. */
  reportEvent(secretId: string, event: { readonly kind: 'reauthorization-required' | 'function-misconfigured'; readonly message: string; readonly versionId?: string }): Promise<void>;
}

export interface RotatorContext<Config> {
  readonly event: RotationStepEvent;
  readonly config: Config;
  readonly secrets: RotationSecretsApi;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/**
 * The event of the optional `compensate` step, run by a rollback before AWSCURRENT moves
 * back: `ClientRequestToken` is the version that becomes AWSCURRENT again (it holds
 * AWSPREVIOUS now), while AWSCURRENT still names the version being abandoned. The step
 * makes the target accept the restored value again (a database user's password set back,
 * say); it must be idempotent, and if it throws nothing is moved.
 */
export interface CompensateEvent {
  readonly Step: 'compensate';
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly RotationToken: string;
}

export interface CompensateContext<Config> extends Omit<RotatorContext<Config>, 'event'> {
  readonly event: CompensateEvent;
}

export interface Rotator<Config = unknown> {
  readonly kind: string;
  /** Validates a function's `--config` JSON; throws with a message naming the bad field. */
  parseConfig(raw: unknown): Config;
  createSecret(context: RotatorContext<Config>): Promise<void>;
  setSecret(context: RotatorContext<Config>): Promise<void>;
  testSecret(context: RotatorContext<Config>): Promise<void>;
  finishSecret(context: RotatorContext<Config>): Promise<void>;
  /** Optional: undoes the target-side effect of the last rotation before a rollback (see CompensateEvent). */
  compensate?(context: CompensateContext<Config>): Promise<void>;
}
