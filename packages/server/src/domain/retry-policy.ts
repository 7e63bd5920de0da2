/**
 * How a failed rotation is retried (Temporal's RetryPolicy): the delay grows by
 * `backoffCoefficient` from `initialIntervalMs` up to `maximumIntervalMs`; after
 * `maximumAttempts` tries the rotation stops with AWSPENDING left in place, as AWS does,
 * and the next scheduled slot (or a RotateSecret call) reattempts it.
 */
export interface RetryPolicy {
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maximumIntervalMs: number;
  readonly maximumAttempts: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 5 * 60_000,
  maximumAttempts: 5,
});

/**
 * Delay before the attempt after `failedAttempt` (1-based), or undefined when the policy
 * is exhausted. A rotator's `retryAfterMs` hint wins when it asks for longer.
 */
export function retryDelay(policy: RetryPolicy, failedAttempt: number, retryAfterMs?: number): number | undefined {
  if (failedAttempt >= policy.maximumAttempts) return undefined;
  const backoff = Math.min(policy.maximumIntervalMs, policy.initialIntervalMs * policy.backoffCoefficient ** (failedAttempt - 1));
  return Math.max(backoff, retryAfterMs ?? 0);
}
