import type { RotationStep } from '../domain/rotation.js';

/**
 * Invoking one step of a rotation function. Every kind of function — built-in rotator,
 * local handler process, HTTP endpoint — receives the event an AWS rotation Lambda
 * receives, so the same code runs against Rotor and AWS.
 *
 * @example
 * await invoker.invoke({ Step: 'createSecret', SecretId: arn, ClientRequestToken: versionId, RotationToken: token }, context);
 */
export interface RotationStepEvent {
  readonly Step: RotationStep;
  /** The secret's ARN. */
  readonly SecretId: string;
  /** The version id the rotation creates. */
  readonly ClientRequestToken: string;
  readonly RotationToken: string;
}

/** Short-lived credentials created for one rotation and revoked when it ends. */
export interface RotationCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

export interface StepContext {
  /** Aborted on timeout, cancellation or lost lease. */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly credentials: RotationCredentials;
  /**
   * The run's claim (rotation id and fencing epoch). Built-in rotators write through it, so
   * a run that lost its lease — paused past it, or overtaken after a clock jump — changes
   * nothing once another run has taken the rotation over.
   */
  readonly fence?: RotationFence;
}

export interface RotationFence {
  readonly rotationId: string;
  readonly epoch: number;
}

export interface StepInvoker {
  /** Resolves when the step succeeded; throws (RotationStepError or anything) when it failed. */
  invoke(event: RotationStepEvent, context: StepContext): Promise<void>;
}

/** A registered function ready to run steps. */
export interface ResolvedFunction {
  readonly invoker: StepInvoker;
  /** True for functions that call back over the API and so need the rotation's credentials. */
  readonly needsCredentials: boolean;
}
