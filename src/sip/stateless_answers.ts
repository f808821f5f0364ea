/**
 * Answers a registrar sends without a server transaction (RFC 3261 section 8.2.7: a stateless
 * UAS), kept a short while so a retransmitted REGISTER gets the same bytes again instead of being
 * processed twice (a second processing would see its own CSeq and fail, section 10.3 step 7).
 *
 * A transaction per REGISTER would hold about 7 KB for Timer J (32 s over UDP); this holds the
 * serialized answer (a few hundred bytes) for the same time, in a bounded map swept in order.
 *
 * @module
 */

/** Options of StatelessAnswers. */
export interface StatelessAnswersInit {
  /** Answers kept at most; past it the oldest goes (counted). @default 16_384 */
  readonly maxEntries?: number;
  /** How long an answer is replayed for (Timer J, 64 * T1). @default 32_000 */
  readonly ttlMs?: number;
}

interface Kept {
  readonly bytes: Uint8Array;
  readonly until: number;
}

/**
 * A bounded map of request key -> serialized answer with expiry.
 *
 * @example
 * ```ts
 * const kept = answers.lookup(key, now);
 * if (kept) transport.sendBytes(kept, to); else answers.remember(key, bytesOf(answer), now);
 * ```
 */
export class StatelessAnswers {
  readonly #max: number;
  readonly #ttl: number;
  readonly #map = new Map<string, Kept>();
  #evicted = 0;
  #replayed = 0;

  constructor(init: StatelessAnswersInit = {}) {
    this.#max = init.maxEntries ?? 16_384;
    this.#ttl = init.ttlMs ?? 32_000;
    if (!Number.isInteger(this.#max) || this.#max < 1) {
      throw new RangeError(`Cannot keep stateless answers: maxEntries ${this.#max}`);
    }
  }

  get size(): number {
    return this.#map.size;
  }

  /** Answers dropped at the cap before their time. */
  get evicted(): number {
    return this.#evicted;
  }

  /** Retransmissions answered from the map. */
  get replayed(): number {
    return this.#replayed;
  }

  /** The answer kept for `key`, if still fresh. */
  lookup(key: string, now: number): Uint8Array | undefined {
    const kept = this.#map.get(key);
    if (kept === undefined || kept.until <= now) return undefined;
    this.#replayed++;
    return kept.bytes;
  }

  /** Keeps `bytes` as the answer to `key` (replacing an older one). */
  remember(key: string, bytes: Uint8Array, now: number): void {
    this.#sweep(now);
    this.#map.delete(key);
    if (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) {
        this.#map.delete(oldest.value);
        this.#evicted++;
      }
    }
    this.#map.set(key, { bytes, until: now + this.#ttl });
  }

  /** Insertion order is expiry order: drop from the front while lapsed. */
  #sweep(now: number): void {
    for (const [key, kept] of this.#map) {
      if (kept.until > now) return;
      this.#map.delete(key);
    }
  }
}
