/**
 * Time as the core sees it. Injected everywhere so tests can drive schedules,
 * deletion windows and signature skew without sleeping.
 *
 * @example
 * const clock: Clock = { now: () => Date.now() };
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
