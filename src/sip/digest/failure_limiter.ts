/**
 * Per-source limit on failed Digest authentications (password guessing): a token bucket per
 * source of `burst` failures refilled at `perMinute`, in a bounded map. A source whose bucket is
 * empty is refused before its credentials are even checked. Only failures take tokens; a phone
 * that authenticates correctly is never slowed.
 *
 * A source is an IPv4 address or an IPv6 /64 (one host usually owns a whole /64, so counting its
 * addresses one by one would let it rotate through them).
 *
 * @module
 */
import { BoundedMap } from "../../core/bounded_map.ts";
import {
  DEFAULT_FAILURES_PER_MINUTE,
  DEFAULT_MAX_FAILURE_BURST,
  DEFAULT_MAX_FAILURE_SOURCES,
} from "./constants.ts";

/** Options of a FailureLimiter. */
export interface FailureLimiterInit {
  /**
   * Failures a source may make in a burst; 0 turns the limiter off.
   * @default DEFAULT_MAX_FAILURE_BURST (10)
   */
  readonly burst?: number;
  /**
   * Failures per minute a source regains.
   * @default DEFAULT_FAILURES_PER_MINUTE (6)
   */
  readonly perMinute?: number;
  /**
   * Sources tracked at once; at the cap the oldest is forgotten (and counted).
   * @default DEFAULT_MAX_FAILURE_SOURCES (4096)
   */
  readonly maxSources?: number;
  /** Called for each source forgotten because the map was full (to count it). */
  readonly onEvict?: () => void;
}

interface Bucket {
  tokens: number;
  last: number;
}

/**
 * Counts failed authentications per source and says when a source must wait.
 *
 * @example
 * ```ts
 * const limiter = new FailureLimiter({ burst: 5, perMinute: 6 });
 * if (limiter.retryAfterMs(ip, clock.monotonic()) > 0) refuse();
 * else if (!ok) limiter.recordFailure(ip, clock.monotonic());
 * ```
 */
export class FailureLimiter {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #buckets: BoundedMap<string, Bucket>;

  constructor(init: FailureLimiterInit = {}) {
    const burst = init.burst ?? DEFAULT_MAX_FAILURE_BURST;
    const perMinute = init.perMinute ?? DEFAULT_FAILURES_PER_MINUTE;
    if (!Number.isInteger(burst) || burst < 0) {
      throw new RangeError(`Cannot create a failure limiter: burst ${burst}`);
    }
    if (!(perMinute > 0) || !Number.isFinite(perMinute)) {
      throw new RangeError(`Cannot create a failure limiter: perMinute ${perMinute}`);
    }
    this.#burst = burst;
    this.#perMs = perMinute / 60_000;
    this.#buckets = new BoundedMap({
      maxEntries: init.maxSources ?? DEFAULT_MAX_FAILURE_SOURCES,
      ...(init.onEvict === undefined ? {} : { onEvict: init.onEvict }),
    });
  }

  /** Sources with failures remembered now. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Sources forgotten because the map was full, since construction. */
  get evictedCount(): number {
    return this.#buckets.evictedCount;
  }

  /**
   * Milliseconds until `sourceIp` may try again: 0 when it may now (a whole failure's token is
   * there). `nowMs` is monotonic.
   */
  retryAfterMs(sourceIp: string, nowMs: number): number {
    if (this.#burst === 0) return 0;
    const bucket = this.#buckets.get(failureSourceKey(sourceIp));
    if (bucket === undefined) return 0;
    this.#refill(bucket, nowMs);
    return bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) / this.#perMs);
  }

  /** Takes one token from `sourceIp`'s bucket for a failed authentication at `nowMs`. */
  recordFailure(sourceIp: string, nowMs: number): void {
    if (this.#burst === 0) return;
    const key = failureSourceKey(sourceIp);
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      this.#buckets.set(key, { tokens: this.#burst - 1, last: nowMs });
      return;
    }
    this.#refill(bucket, nowMs);
    bucket.tokens = Math.max(0, bucket.tokens - 1);
  }

  /** Forgets sources whose bucket is full again at `nowMs` (for the service's sweep loop). */
  sweep(nowMs: number): number {
    let dropped = 0;
    for (const [key, bucket] of this.#buckets.entries()) {
      this.#refill(bucket, nowMs);
      if (bucket.tokens >= this.#burst) {
        this.#buckets.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  #refill(bucket: Bucket, nowMs: number): void {
    const elapsed = nowMs - bucket.last;
    if (elapsed > 0) {
      bucket.tokens = Math.min(this.#burst, bucket.tokens + elapsed * this.#perMs);
      bucket.last = nowMs;
    }
  }
}

/**
 * The key failures of an address are counted under: an IPv4 address as is (also when written as
 * an IPv4-mapped IPv6 address), an IPv6 address as its /64 prefix.
 *
 * @example
 * ```ts
 * failureSourceKey("2001:db8:1:2:aaaa::1"); // "2001:db8:1:2::/64"
 * failureSourceKey("::ffff:192.0.2.1"); // "192.0.2.1"
 * ```
 */
export function failureSourceKey(ip: string): string {
  const zone = ip.indexOf("%");
  const address = (zone >= 0 ? ip.slice(0, zone) : ip).toLowerCase();
  if (!address.includes(":")) return address;
  const mapped = /^([0:]*:)ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped !== null) return mapped[2]!;
  const halves = address.split("::");
  if (halves.length > 2) return address;
  const head = halves[0] === "" ? [] : halves[0]!.split(":");
  const tail = halves.length === 2 && halves[1] !== "" ? halves[1]!.split(":") : [];
  const groups = halves.length === 2
    ? [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill("0"), ...tail]
    : head;
  if (groups.length < 4) return address;
  const prefix = groups.slice(0, 4).map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? g : "?")).map((g) =>
    g.replace(/^0+(?=.)/, "")
  );
  return `${prefix.join(":")}::/64`;
}
