/**
 * Answers to recent requests, so a retransmitted request (same transaction id on the same 5-tuple)
 * gets the same answer instead of a second, different one (RFC 8489 section 6.3.1: remember for
 * 40 s; RFC 8656 section 5: idempotent over UDP). Bounded: at the cap the oldest answer goes.
 *
 * @module
 */
import { DEFAULT_MAX_CACHED_RESPONSES, RETRANSMISSION_CACHE_S } from "./constants.ts";

interface Entry {
  bytes: Uint8Array;
  readonly expiresAt: number;
  /** Relay port of the allocation this answer created, if any (see failRelayPort()). */
  readonly relayPort: number;
  /** The answer for retransmissions if that allocation's relay port cannot be bound. */
  readonly failure: Uint8Array | undefined;
}

/**
 * A bounded map of request key -> response bytes with an expiry.
 *
 * @example
 * ```ts
 * const cache = new ResponseCache({ maxEntries: 1024 });
 * cache.put(key, response, now);
 * cache.get(key, now); // the same bytes for 40 s
 * ```
 */
export class ResponseCache {
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  readonly #ttlMs: number;
  #evicted = 0;

  constructor(init: { readonly maxEntries?: number; readonly ttlSeconds?: number } = {}) {
    this.#max = init.maxEntries ?? DEFAULT_MAX_CACHED_RESPONSES;
    this.#ttlMs = (init.ttlSeconds ?? RETRANSMISSION_CACHE_S) * 1000;
    if (!Number.isInteger(this.#max) || this.#max < 1) {
      throw new RangeError(`Cannot create a response cache: maxEntries ${this.#max}`);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Answers dropped because the cache was full. */
  get evicted(): number {
    return this.#evicted;
  }

  get(key: string, now: number): Uint8Array | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.bytes;
  }

  /**
   * Remembers `bytes` as the answer to `key`; an Allocate success also names its relay port and
   * the answer that replaces it if the port cannot be bound (failRelayPort()).
   */
  put(
    key: string,
    bytes: Uint8Array,
    now: number,
    relay?: { readonly port: number; readonly failure: Uint8Array },
  ): void {
    if (!this.#entries.has(key) && this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) {
        this.#entries.delete(oldest.value);
        this.#evicted++;
      }
    }
    this.#entries.set(key, {
      bytes,
      expiresAt: now + this.#ttlMs,
      relayPort: relay?.port ?? -1,
      failure: relay?.failure,
    });
  }

  /** The relay port of an Allocate could not be bound: its retransmissions get the failure. */
  failRelayPort(relayPort: number): void {
    for (const entry of this.#entries.values()) {
      if (entry.relayPort === relayPort && entry.failure !== undefined) entry.bytes = entry.failure;
    }
  }

  /** Forgets expired answers; returns how many. */
  sweep(now: number): number {
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
        removed++;
      }
    }
    return removed;
  }
}
