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
      const timer = setTimeout(done, Math.max(0, ms));
      const wake = () => {
        clearTimeout(timer);
        done();
      };
      function done() {
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        wake();
      };
    });
  }

  wake(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }
}
