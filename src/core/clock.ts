/** Time source injected into every state machine so tests can drive time by hand. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch (for timestamps that leave the process). */
  now(): number;
  /** Monotonic milliseconds (for durations and timers; never jumps with NTP). */
  monotonic(): number;
}

/** The real clock of the process. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** A clock that moves only when told to; for tests and the simulator. */
export class ManualClock implements Clock {
  #wall: number;
  #mono = 0;

  constructor(startWallMs = 1_700_000_000_000) {
    this.#wall = startWallMs;
  }

  now(): number {
    return this.#wall;
  }

  monotonic(): number {
    return this.#mono;
  }

  /** Moves both clocks forward by `ms`. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`Cannot move a clock backwards: ${ms} ms`);
    this.#wall += ms;
    this.#mono += ms;
  }
}
