/**
 * A sleep that another part of the process can cut short: the worker and scheduler
 * sleep until their next known deadline, and wake at once when new work is signalled.
 */
export class WakeSignal {
  #wake: (() => void) | undefined;
  #pending = false;

  /** Sleeps up to `ms`, or until `wake()`; a wake that came while awake is not lost. */
  sleep(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      // When the timer ends the sleep, the waker must go with it: a wake() that comes
      // while the caller is awake then sets #pending instead of resolving a settled promise.
      const timer = setTimeout(() => {
        if (this.#wake === wake) this.#wake = undefined;
        resolve();
      }, Math.max(0, ms));
      this.#wake = wake;
    });
  }

  wake(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }
}
