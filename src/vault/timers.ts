/**
 * Time seams for the Vault client. Background work (token renewal) goes through
 * {@link VaultTimers} so tests can run it by moving a manual clock; retry backoff goes
 * through {@link Sleep} so tests can record delays or skip them. Nothing here ever reads
 * the wall clock directly.
 */

/** A scheduled callback that can be called off. */
export interface TimerHandle {
  cancel(): void;
}

export interface VaultTimers {
  /**
   * Runs `callback` once after `delayMs`. Implementations must not keep the process alive
   * (renewal is background work) and may await the callback's promise; the callback never
   * rejects.
   */
  schedule(callback: () => void | Promise<void>, delayMs: number): TimerHandle;
}

/** Waits `ms` before a retry. Must keep the process alive: a caller is waiting on it. */
export type Sleep = (ms: number) => Promise<void>;

/** `setTimeout` with `unref()`, so a pending renewal never holds a process open. */
export const realTimers: VaultTimers = {
  schedule(callback, delayMs) {
    const timer = setTimeout(
      () => {
        Promise.resolve()
          .then(callback)
          .catch(() => {
            // Callbacks handle their own failures; this only stops an unhandled rejection.
          });
      },
      Math.max(0, delayMs),
    );
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

export const realSleep: Sleep = (ms) =>
  ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
