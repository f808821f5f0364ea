import type { Clock } from "../core/clock.ts";

/** What the replay guard says about an incoming message. */
export type ReplayVerdict =
  /** First time seen, inside the window: process it. */
  | "fresh"
  /** Same sender and transaction id seen within the window: a retransmission or a replay. */
  | "duplicate"
  /** Older than the window: refuse (RFC 6940 has no such error; we answer Forbidden). */
  | "stale"
  /** Further in the future than the window allows: the sender's clock is wrong, or it is forged. */
  | "future";

export interface ReplayGuardInit {
  /** Accepted distance between a message's sent-at time and our clock, in seconds. */
  windowSeconds: number;
  /** Transactions remembered; the oldest are forgotten first. @default {DEFAULT_MAX_REMEMBERED_TRANSACTIONS} */
  maxEntries?: number;
}

export const DEFAULT_MAX_REMEMBERED_TRANSACTIONS = 8192;

/**
 * Replay protection for signed overlay messages: a message is accepted once per (sender, transaction
 * id, request/answer) and only within `windowSeconds` of our clock. Remembered transactions expire
 * when they leave the window (a replay that old is refused as stale), so memory is bounded by
 * `maxEntries` without weakening the check unless more than that many messages arrive per window;
 * then the oldest are forgotten early and `evictedEarly` counts them.
 *
 * The window relies on roughly synchronised clocks: access points need NTP (or another time source)
 * within `windowSeconds`; a Pi without an RTC that boots without NTP will see its messages refused.
 */
export class ReplayGuard {
  #windowSeconds: number;
  readonly #maxEntries: number;
  readonly #clock: Clock;
  /** key -> sent-at seconds; insertion order is arrival order. */
  readonly #seen = new Map<string, number>();
  #evictedEarly = 0;

  constructor(init: ReplayGuardInit, components: { clock: Clock }) {
    this.#windowSeconds = init.windowSeconds;
    this.#maxEntries = init.maxEntries ?? DEFAULT_MAX_REMEMBERED_TRANSACTIONS;
    this.#clock = components.clock;
  }

  /** Transactions forgotten before their window ended because the guard was full. */
  get evictedEarly(): number {
    return this.#evictedEarly;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** The window in force, seconds. */
  get windowSeconds(): number {
    return this.#windowSeconds;
  }

  /** Changes the window (SIGHUP). */
  setWindow(seconds: number): void {
    this.#windowSeconds = seconds;
  }

  /**
   * Checks and records one message. `senderId` and `transactionId` as hex or any stable string;
   * `isRequest` keeps a request and its answer (same transaction id) apart.
   */
  check(
    senderId: string,
    transactionId: string,
    isRequest: boolean,
    sentAt: number,
  ): ReplayVerdict {
    const now = Math.floor(this.#clock.now() / 1000);
    if (sentAt < now - this.#windowSeconds) return "stale";
    if (sentAt > now + this.#windowSeconds) return "future";
    const key = `${senderId}|${transactionId}|${isRequest ? "q" : "a"}`;
    if (this.#seen.has(key)) return "duplicate";
    if (this.#seen.size >= this.#maxEntries) {
      this.sweep();
      if (this.#seen.size >= this.#maxEntries) {
        const oldest = this.#seen.keys().next();
        if (!oldest.done) this.#seen.delete(oldest.value);
        this.#evictedEarly++;
      }
    }
    this.#seen.set(key, sentAt);
    return "fresh";
  }

  /** Forgets transactions that have left the window; returns how many. */
  sweep(): number {
    const oldestAllowed = Math.floor(this.#clock.now() / 1000) - this.#windowSeconds;
    let removed = 0;
    for (const [key, sentAt] of this.#seen) {
      if (sentAt < oldestAllowed) {
        this.#seen.delete(key);
        removed++;
      }
    }
    return removed;
  }
}
