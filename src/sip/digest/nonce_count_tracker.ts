/**
 * Replay protection by nonce-count (RFC 7616 section 3.4 and section 5.12: a server that keeps
 * the counts it has seen per nonce can refuse a replayed request). Nonces themselves are
 * stateless; only nonces in use are tracked here, in a bounded map.
 *
 * Per nonce: the highest count seen and a bit mask of the `window` counts below it (like the
 * IPsec anti-replay window, RFC 4303 section 3.4.3), so requests sent in parallel may arrive out
 * of order, and each count is accepted once.
 *
 * Forgetting safely: when a nonce leaves the map (capacity, or age in sweep()), the tracker raises
 * a watermark to its issue time; an untracked nonce issued at or before the watermark is
 * "forgotten" (the caller answers stale=true and the phone takes a fresh nonce), so a replay can
 * never pass by outliving its entry.
 *
 * @module
 */
import { BoundedMap } from "../../core/bounded_map.ts";
import {
  DEFAULT_MAX_TRACKED_NONCES,
  DEFAULT_NONCE_COUNT_WINDOW,
  MAX_NONCE_COUNT_WINDOW,
} from "./constants.ts";

/**
 * What the tracker concluded about a nonce-count:
 * - `fresh`: never seen with this nonce; now recorded;
 * - `replay`: seen before with this nonce;
 * - `too-old`: below the window under the highest count seen (cannot tell, so refused), or 0;
 * - `forgotten`: the nonce is not tracked and may have been before (issued at or before the
 *   watermark).
 */
export type NonceCountVerdict = "fresh" | "replay" | "too-old" | "forgotten";

/** Options of a NonceCountTracker. */
export interface NonceCountTrackerInit {
  /**
   * Nonces tracked at once; at the cap the oldest-tracked is dropped (and counted).
   * @default DEFAULT_MAX_TRACKED_NONCES (16384)
   */
  readonly maxNonces?: number;
  /**
   * Counts below the highest seen that may still arrive once, 1 to 32.
   * @default DEFAULT_NONCE_COUNT_WINDOW (32)
   */
  readonly window?: number;
  /** Called for each nonce dropped because the tracker was full (to count it). */
  readonly onEvict?: () => void;
}

interface Entry {
  readonly issuedAt: number;
  highest: number;
  /** Bit i set: count `highest - i` was seen. */
  mask: number;
}

/**
 * Remembers which nonce-counts each nonce has been used with.
 *
 * @example
 * ```ts
 * const tracker = new NonceCountTracker({ maxNonces: 1024 });
 * tracker.accept(nonce, issuedAt, 1); // "fresh"
 * tracker.accept(nonce, issuedAt, 1); // "replay"
 * ```
 */
export class NonceCountTracker {
  readonly #entries: BoundedMap<string, Entry>;
  readonly #window: number;
  #watermark = -Infinity;

  constructor(init: NonceCountTrackerInit = {}) {
    const window = init.window ?? DEFAULT_NONCE_COUNT_WINDOW;
    if (!Number.isInteger(window) || window < 1 || window > MAX_NONCE_COUNT_WINDOW) {
      throw new RangeError(
        `Cannot create a nonce-count tracker: window ${window}, need 1 to ${MAX_NONCE_COUNT_WINDOW}`,
      );
    }
    this.#window = window;
    this.#entries = new BoundedMap({
      maxEntries: init.maxNonces ?? DEFAULT_MAX_TRACKED_NONCES,
      onEvict: (_nonce, entry) => {
        this.#forget(entry);
        init.onEvict?.();
      },
    });
  }

  /** Nonces tracked now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Nonces dropped because the tracker was full, since construction. */
  get evictedCount(): number {
    return this.#entries.evictedCount;
  }

  /**
   * Records count `nc` of `nonce` (issued at `issuedAt`, wall-clock ms, as DigestNonces.check()
   * reported) and says whether it may be accepted ("fresh" only).
   */
  accept(nonce: string, issuedAt: number, nc: number): NonceCountVerdict {
    if (!Number.isInteger(nc) || nc < 1) return "too-old";
    const entry = this.#entries.get(nonce);
    if (entry === undefined) {
      if (issuedAt <= this.#watermark) return "forgotten";
      this.#entries.set(nonce, { issuedAt, highest: nc, mask: 1 });
      return "fresh";
    }
    if (nc > entry.highest) {
      const shift = nc - entry.highest;
      entry.mask = shift >= 32 ? 1 : ((entry.mask << shift) | 1) >>> 0;
      entry.highest = nc;
      return "fresh";
    }
    const below = entry.highest - nc;
    if (below >= this.#window) return "too-old";
    const bit = (1 << below) >>> 0;
    if ((entry.mask & bit) !== 0) return "replay";
    entry.mask = (entry.mask | bit) >>> 0;
    return "fresh";
  }

  /**
   * Drops nonces issued before `issuedBefore` (wall-clock ms; pass now minus the nonce lifetime,
   * from the service's sweep loop). Returns how many were dropped.
   */
  sweep(issuedBefore: number): number {
    let dropped = 0;
    for (const [nonce, entry] of this.#entries.entries()) {
      if (entry.issuedAt < issuedBefore) {
        this.#entries.delete(nonce);
        this.#forget(entry);
        dropped++;
      }
    }
    return dropped;
  }

  #forget(entry: Entry): void {
    if (entry.issuedAt > this.#watermark) this.#watermark = entry.issuedAt;
  }
}
