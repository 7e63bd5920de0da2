import type { SimClock } from './clock.js';

export type LimitDecision = { allowed: true } | { allowed: false; retryAfter: number };

interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * Token buckets on simulated time, one per key (Slack applies limits "per API method per
 * workspace per app", reference §1.9). Capacity is one minute's allowance, so a burst of
 * 600 is allowed and then one call per 100 ms of simulated time.
 */
export class TokenBucketLimiter {
  readonly #clock: SimClock;
  readonly #buckets = new Map<string, Bucket>();

  constructor(clock: SimClock) {
    this.#clock = clock;
  }

  take(key: string, perMinute: number): LimitDecision {
    const now = this.#clock.now();
    const perSecond = perMinute / 60;
    const bucket = this.#buckets.get(key) ?? { tokens: perMinute, updated: now };
    bucket.tokens = Math.min(perMinute, bucket.tokens + Math.max(0, now - bucket.updated) * perSecond);
    bucket.updated = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfter: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
  }
}
