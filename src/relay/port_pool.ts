/**
 * The relay ports the server hands out (RFC 8656 section 7.2: 49152-65535 SHOULD be used, picked
 * at random against TURN-loop and port-guessing attacks, section 21.1.7). The core picks the port;
 * the I/O layer binds it. One pool serves every relay address, so a port number alone names a relay
 * socket.
 *
 * @module
 */
import { DEFAULT_MAX_RELAY_PORT, DEFAULT_MIN_RELAY_PORT } from "./constants.ts";

/** Options of a RelayPortPool. */
export interface RelayPortPoolInit {
  /** @default DEFAULT_MIN_RELAY_PORT (61000) */
  readonly minPort?: number;
  /** @default DEFAULT_MAX_RELAY_PORT (65535) */
  readonly maxPort?: number;
}

/** What a RelayPortPool needs from outside. */
export interface RelayPortPoolComponents {
  /** A number in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/**
 * Free and used relay ports, as a bitmap over the range, and ports held back until a deadline.
 *
 * @example
 * ```ts
 * const pool = new RelayPortPool({ minPort: 61000, maxPort: 61999 }, {});
 * const port = pool.acquire(); // -1 when none is free
 * pool.release(port);
 * ```
 */
export class RelayPortPool {
  readonly minPort: number;
  readonly maxPort: number;
  readonly #used: Uint8Array;
  readonly #random: () => number;
  /** Port -> monotonic ms until which it stays taken (failed binds, reservations). */
  readonly #held = new Map<number, number>();
  #inUse = 0;

  constructor(init: RelayPortPoolInit, components: RelayPortPoolComponents) {
    const min = init.minPort ?? DEFAULT_MIN_RELAY_PORT;
    const max = init.maxPort ?? DEFAULT_MAX_RELAY_PORT;
    if (
      !Number.isInteger(min) || !Number.isInteger(max) || min < 1024 || max > 65535 || min > max
    ) {
      // RFC 8656 section 7.2: relay ports SHOULD NOT be in 0-1023
      throw new RangeError(
        `Cannot use relay ports ${min}-${max}: need 1024 <= min <= max <= 65535`,
      );
    }
    this.minPort = min;
    this.maxPort = max;
    this.#used = new Uint8Array(max - min + 1);
    this.#random = components.random ?? Math.random;
  }

  /** Ports taken (in use or held). */
  get inUse(): number {
    return this.#inUse;
  }

  /** Ports in the range. */
  get size(): number {
    return this.#used.length;
  }

  /**
   * A random free port, marked used; -1 if none. `even` asks for an even port; `withNext` also
   * needs the port after it free, and takes it too (EVEN-PORT with R=1, RFC 8656 section 7.2).
   */
  acquire(options: { readonly even?: boolean; readonly withNext?: boolean } = {}): number {
    const even = options.even === true || options.withNext === true;
    const withNext = options.withNext === true;
    const size = this.#used.length;
    const start = Math.floor(this.#random() * size);
    for (let i = 0; i < size; i++) {
      const at = (start + i) % size;
      const port = this.minPort + at;
      if (this.#used[at] !== 0 || (even && port % 2 !== 0)) continue;
      if (withNext && (port + 1 > this.maxPort || this.#used[at + 1] !== 0)) continue;
      this.#take(at);
      if (withNext) this.#take(at + 1);
      return port;
    }
    return -1;
  }

  /** Whether `port` is in the range and taken. */
  isTaken(port: number): boolean {
    return port >= this.minPort && port <= this.maxPort && this.#used[port - this.minPort] !== 0;
  }

  /** Returns a port to the pool (a held port is released too). */
  release(port: number): void {
    if (port < this.minPort || port > this.maxPort) return;
    const at = port - this.minPort;
    this.#held.delete(port);
    if (this.#used[at] !== 0) {
      this.#used[at] = 0;
      this.#inUse--;
    }
  }

  /** Keeps a taken port from being handed out until `untilMs` (sweep() then frees it). */
  hold(port: number, untilMs: number): void {
    if (port < this.minPort || port > this.maxPort) return;
    const at = port - this.minPort;
    if (this.#used[at] === 0) this.#take(at);
    this.#held.set(port, untilMs);
  }

  /** Stops holding `port` without freeing it (a reservation that became an allocation). */
  unhold(port: number): void {
    this.#held.delete(port);
  }

  /** Frees held ports whose time is up; returns how many. */
  sweep(nowMs: number): number {
    let freed = 0;
    for (const [port, until] of this.#held) {
      if (until <= nowMs) {
        this.release(port);
        freed++;
      }
    }
    return freed;
  }

  #take(at: number): void {
    this.#used[at] = 1;
    this.#inUse++;
  }
}
