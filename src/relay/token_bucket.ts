/**
 * A byte-rate limiter driven by the caller's clock: no timer, no allocation per packet.
 *
 * @module
 */

/**
 * Token bucket of bytes: `ratePerSecond` tokens flow in, up to `burst`; a packet passes if its
 * size in tokens is there. A rate of 0 means unlimited.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(1_000_000, 1_000_000, clock.monotonic());
 * if (!bucket.take(packet.length, clock.monotonic())) dropped++;
 * ```
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  #tokens: number;
  #last: number;

  constructor(ratePerSecond: number, burst: number, nowMs: number) {
    if (!(ratePerSecond >= 0) || !Number.isFinite(ratePerSecond)) {
      throw new RangeError(`Cannot create a token bucket: rate ${ratePerSecond}`);
    }
    if (!(burst >= 0) || !Number.isFinite(burst)) {
      throw new RangeError(`Cannot create a token bucket: burst ${burst}`);
    }
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.#tokens = burst;
    this.#last = nowMs;
  }

  /** Takes `amount` tokens if all are there (true), else takes none (false). */
  take(amount: number, nowMs: number): boolean {
    if (this.ratePerSecond === 0) return true;
    this.#refill(nowMs);
    if (this.#tokens < amount) return false;
    this.#tokens -= amount;
    return true;
  }

  /** Puts back tokens taken for a packet that then was not sent. */
  giveBack(amount: number): void {
    if (this.ratePerSecond !== 0) this.#tokens = Math.min(this.burst, this.#tokens + amount);
  }

  /** Tokens available at `nowMs`. */
  available(nowMs: number): number {
    if (this.ratePerSecond === 0) return Infinity;
    this.#refill(nowMs);
    return this.#tokens;
  }

  #refill(nowMs: number): void {
    const elapsed = nowMs - this.#last;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
      this.#last = nowMs;
    }
  }
}
