import type { DatagramAddress } from "../../core/transport.ts";
import {
  DEFAULT_ANSWER_TTL_MS,
  DEFAULT_MAX_CACHED_ANSWER_BYTES,
  DEFAULT_MAX_CACHED_ANSWERS,
} from "./constants.ts";
import { requirePositiveInteger } from "./option_checks.ts";

export interface AnswerCacheInit {
  /** How long an answer is replayed: the request lifetime. @default {DEFAULT_ANSWER_TTL_MS} */
  ttlMs?: number;
  /** Answers remembered at once; at the cap the oldest is dropped. @default {DEFAULT_MAX_CACHED_ANSWERS} */
  maxEntries?: number;
  /** Datagram bytes remembered at once; at the cap the oldest are dropped. @default {DEFAULT_MAX_CACHED_ANSWER_BYTES} */
  maxBytes?: number;
}

/** Which request an answer belongs to: the requester's node id and the transaction id, both hex. */
export interface AnswerKey {
  readonly requesterId: string;
  readonly transactionId: string;
}

/**
 * An encoded answer, as first sent: the sealed frame (before fragmentation) and the hop it went to.
 * The owner may send it again along another path (a frame's via list and TTL are per-hop fields).
 */
export interface CachedAnswer {
  readonly frame: Uint8Array;
  readonly to: DatagramAddress;
}

/** Why an answer left the cache before anyone asked for it again. */
export type AnswerDrop = "expired" | "capacity" | "too-large";

/** Counters since construction, for metrics (`superpeer_overlay_answer_cache_*_total`). */
export interface AnswerCacheCounters {
  remembered: number;
  /** `lookup()` found an answer to replay. */
  hits: number;
  misses: number;
  readonly dropped: Record<AnswerDrop, number>;
}

interface Entry {
  readonly key: string;
  readonly answer: CachedAnswer;
  readonly bytes: number;
  readonly expiresAt: number;
}

/**
 * RFC 6940 section 6.2: a peer that receives a retransmission of a request it has already answered
 * sends the same answer again rather than acting twice (a Store must not bump a generation counter
 * twice). Remembers each encoded answer for `ttlMs`, within `maxEntries` answers and `maxBytes`
 * bytes, the oldest dropped first and every drop counted by reason.
 *
 * Lifetimes are data: all entries live the same `ttlMs`, so insertion order is expiry order,
 * `sweep()` stops at the first live entry and `nextDeadline()` is the oldest entry's expiry.
 *
 * The cached `to` is the hop the answer first went to; a retransmission that arrived through another
 * neighbour may be better answered through that one (the owner decides).
 *
 * @example
 * ```ts
 * const cache = new AnswerCache();
 * const key = { requesterId: "00ff", transactionId: "0102030405060708" };
 * cache.remember(key, { frame: new Uint8Array(40), to: { host: "192.0.2.7", port: 6084 } }, 0);
 * cache.lookup(key, 1_000)?.frame.length; // 40
 * cache.lookup(key, 15_000); // undefined: expired
 * ```
 */
export class AnswerCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  /** Insertion order is expiry order (one TTL for all). */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  readonly #counters: AnswerCacheCounters = {
    remembered: 0,
    hits: 0,
    misses: 0,
    dropped: { "expired": 0, "capacity": 0, "too-large": 0 },
  };

  constructor(init: AnswerCacheInit = {}) {
    this.#ttlMs = requirePositiveInteger(
      "answer cache",
      "ttlMs",
      init.ttlMs ?? DEFAULT_ANSWER_TTL_MS,
    );
    this.#maxEntries = requirePositiveInteger(
      "answer cache",
      "maxEntries",
      init.maxEntries ?? DEFAULT_MAX_CACHED_ANSWERS,
    );
    this.#maxBytes = requirePositiveInteger(
      "answer cache",
      "maxBytes",
      init.maxBytes ?? DEFAULT_MAX_CACHED_ANSWER_BYTES,
    );
  }

  /** Answers remembered. */
  get size(): number {
    return this.#entries.size;
  }

  /** Frame bytes remembered. */
  get bytes(): number {
    return this.#bytes;
  }

  /** A snapshot of the counters. */
  get counters(): Readonly<AnswerCacheCounters> {
    return { ...this.#counters, dropped: { ...this.#counters.dropped } };
  }

  /**
   * Remembers the answer just sent for `key` at `now`, replacing any earlier one. An answer larger
   * than `maxBytes` on its own is not remembered (counted as "too-large"); returns whether it was.
   * The frame is kept by reference: do not reuse its buffer.
   */
  remember(key: AnswerKey, answer: CachedAnswer, now: number): boolean {
    const mapKey = keyOf(key);
    const previous = this.#entries.get(mapKey);
    if (previous !== undefined) this.#remove(previous);
    const bytes = answer.frame.length;
    if (bytes > this.#maxBytes) {
      this.#counters.dropped["too-large"]++;
      return false;
    }
    while (this.#entries.size >= this.#maxEntries || this.#bytes + bytes > this.#maxBytes) {
      const oldest = this.#entries.values().next();
      if (oldest.done) break;
      this.#remove(oldest.value);
      this.#counters.dropped.capacity++;
    }
    this.#entries.set(mapKey, { key: mapKey, answer, bytes, expiresAt: now + this.#ttlMs });
    this.#bytes += bytes;
    this.#counters.remembered++;
    return true;
  }

  /** The answer to replay for a retransmitted request, or undefined (never sent, or expired by `now`). */
  lookup(key: AnswerKey, now: number): CachedAnswer | undefined {
    const entry = this.#entries.get(keyOf(key));
    if (entry !== undefined && entry.expiresAt <= now) {
      this.#remove(entry);
      this.#counters.dropped.expired++;
    } else if (entry !== undefined) {
      this.#counters.hits++;
      return entry.answer;
    }
    this.#counters.misses++;
    return undefined;
  }

  /** Drops answers expired by `now`; returns how many. Call when `nextDeadline()` arrives. */
  sweep(now: number): number {
    let removed = 0;
    for (const entry of this.#entries.values()) {
      if (entry.expiresAt > now) break;
      this.#remove(entry);
      removed++;
    }
    this.#counters.dropped.expired += removed;
    return removed;
  }

  /** When the oldest answer expires; undefined when the cache is empty. */
  nextDeadline(): number | undefined {
    const oldest = this.#entries.values().next();
    return oldest.done ? undefined : oldest.value.expiresAt;
  }

  /** Forgets everything (shutdown). */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #remove(entry: Entry): void {
    this.#entries.delete(entry.key);
    this.#bytes -= entry.bytes;
  }
}

function keyOf(key: AnswerKey): string {
  return `${key.requesterId.toLowerCase()}|${key.transactionId.toLowerCase()}`;
}
