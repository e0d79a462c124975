/**
 * How a polling loop (relay, embedded subscription, timer runner) learns it should stop, and sleeps between
 * polls without delaying a stop by a whole poll interval.
 */
export class StopSignal {
  #stopped = false;
  #wake: (() => void) | undefined;

  /** A method rather than a getter: TypeScript would keep a getter narrowed across awaits. */
  isStopped(): boolean {
    return this.#stopped;
  }

  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  /** Ends the sleep in progress, if any, without stopping: there is work to look at now. */
  interrupt(): void {
    this.#wake?.();
  }

  /** Resolves after `ms`, or at once when stop() or interrupt() is called. */
  sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
