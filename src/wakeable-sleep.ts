/** A sleep that can be cut short: `sleep(ms)` resolves after ms, or as soon as `wake()` is called. */
export interface WakeableSleep {
  sleep(ms: number): Promise<void>;
  /** Ends the sleep in progress, if any. */
  wake(): void;
}

export function createWakeableSleep(): WakeableSleep {
  let wake: (() => void) | undefined;
  return {
    sleep: (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done(): void {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      }),
    wake: () => wake?.(),
  };
}
