/** Cancels a scheduled callback; calling it after the callback ran does nothing. */
export type Cancel = () => void;

/**
 * Runs callbacks later, on the same clock the caller reads. Services take one so the simulator can
 * run them in virtual time (transport/virtual_scheduler.ts) and daemons in real time.
 */
export interface Scheduler {
  /** Calls `fn` once, `delayMs` from now (0 or more). */
  schedule(delayMs: number, fn: () => void): Cancel;
}

/** Real time: setTimeout with unref, so a pending timer never keeps a stopping process alive. */
export const systemScheduler: Scheduler = {
  schedule(delayMs, fn) {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    (timer as { unref?: () => void }).unref?.();
    return () => clearTimeout(timer);
  },
};
