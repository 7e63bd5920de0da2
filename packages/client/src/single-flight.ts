/**
 * In-process single flight: concurrent calls for one key share one promise, so 50 callers
 * that miss the cache at once cause one request, not 50. The key is forgotten as soon as
 * the call settles (successes are cached elsewhere; failures are not remembered).
 */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Promise<T>>();

  run(key: string, call: () => Promise<T>): Promise<T> {
    const running = this.#flights.get(key);
    if (running !== undefined) return running;
    const flight = call().finally(() => {
      // Only this flight's own entry: `forgetAll` may have let a newer one start.
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    });
    this.#flights.set(key, flight);
    return flight;
  }

  /** Calls from now on start afresh; callers already waiting keep their promise. */
  forgetAll(): void {
    this.#flights.clear();
  }
}
