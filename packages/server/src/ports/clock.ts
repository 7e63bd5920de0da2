/**
 * Time as the core sees it. Injected everywhere so tests can drive schedules,
 * deletion windows and signature skew without sleeping.
 *
 * @example
 * const clock: Clock = { now: () => Date.now() };
 */
export interface Clock {
  /** Whole milliseconds since the Unix epoch (stored as integers, BIGINT on PostgreSQL). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
