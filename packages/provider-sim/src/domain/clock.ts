/** A snapshot of the simulated clock, as `GET /_sim/clock` reports it. */
export interface ClockState {
  /** Simulated epoch seconds (may be fractional while the clock runs). */
  now: number;
  frozen: boolean;
  /** Simulated seconds per real second while unfrozen. */
  rate: number;
}

/**
 * The simulated clock (spec §4.6). Every expiry, grace window, TTL, limiter window and
 * Retry-After reads this clock, never the wall clock. It starts frozen so tests move time
 * explicitly; unfrozen, it advances with real time multiplied by `rate`.
 */
export class SimClock {
  #base: number;
  #realBase: number;
  #frozen = true;
  #rate = 1;
  readonly #realNow: () => number;

  constructor(start: number, realNow: () => number = () => Date.now() / 1000) {
    this.#realNow = realNow;
    this.#base = start;
    this.#realBase = realNow();
  }

  now(): number {
    if (this.#frozen) return this.#base;
    return this.#base + (this.#realNow() - this.#realBase) * this.#rate;
  }

  set(epochSeconds: number): void {
    this.#base = epochSeconds;
    this.#realBase = this.#realNow();
  }

  advance(seconds: number): void {
    this.set(this.now() + seconds);
  }

  /** Freezes or unfreezes at the current simulated time; `rate` applies while unfrozen. */
  freeze(frozen: boolean, rate?: number): void {
    this.set(this.now());
    this.#frozen = frozen;
    if (rate !== undefined) this.#rate = rate;
  }

  state(): ClockState {
    return { now: this.now(), frozen: this.#frozen, rate: this.#rate };
  }
}
