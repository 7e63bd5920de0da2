/**
 * Serialises write transactions on the single writer connection. better-sqlite3 is
 * synchronous but our transaction bodies are async (the store port is shared with
 * PostgreSQL), so without this two requests could interleave statements inside one
 * BEGIN…COMMIT.
 */
export class WriteLock {
  #tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const acquired = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => released);
    return acquired;
  }
}
