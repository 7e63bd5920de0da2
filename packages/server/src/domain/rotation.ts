import { AppError } from './errors.js';

/**
 * A rotation: one run of the four steps for one new version id (glossary). Each step's
 * completion is persisted before the next starts, so a crash resumes at the step that
 * was running; every step is idempotent for the same version id.
 */
export const rotationSteps = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof rotationSteps)[number];

/**
 * `full` runs all four steps; `test` is RotateImmediately=false: only testSecret runs
 * against a temporary AWSPENDING version that is removed afterwards (reference §5.1).
 */
export type RotationMode = 'full' | 'test';

export type RotationState = 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';

export function stepsOf(mode: RotationMode): readonly RotationStep[] {
  return mode === 'full' ? rotationSteps : ['testSecret'];
}

export function firstStep(mode: RotationMode): RotationStep {
  return stepsOf(mode)[0]!;
}

/** The step after `step`, or undefined when the rotation is complete. */
export function stepAfter(mode: RotationMode, step: RotationStep): RotationStep | undefined {
  const steps = stepsOf(mode);
  return steps[steps.indexOf(step) + 1];
}

export function isRotationStep(value: string): value is RotationStep {
  return (rotationSteps as readonly string[]).includes(value);
}

/**
 * What a rotator throws when a step fails. `retryable: false` stops the rotation at
 * once (bad configuration); otherwise the retry policy applies, honouring `retryAfterMs`
 * (a provider's Retry-After, say). Messages must not carry secret material.
 */
export class RotationStepError extends AppError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {}) {
    super('INVALID_REQUEST', message, { cause: options.cause });
    this.name = 'RotationStepError';
    this.retryable = options.retryable ?? true;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The AWS message RotateSecret gives while AWSPENDING sits on a version other than AWSCURRENT. */
export const rotationInProgressMessage = "A previous rotation isn't complete. That rotation will be reattempted.";

/** AWSPENDING on a version that is not AWSCURRENT means a rotation is unfinished (reference §5.1). */
export function rotationUnfinished(labels: ReadonlyMap<string, string>): boolean {
  const pending = labels.get('AWSPENDING');
  return pending !== undefined && pending !== labels.get('AWSCURRENT');
}
