import { bytesToHex } from "../core/hex.ts";
import type { Clock } from "../core/clock.ts";
import type { FragmentFrame } from "../codec/overlay/frame.ts";

/** Why a partly reassembled message was thrown away. */
export type ReassemblyDrop = "timeout" | "capacity" | "inconsistent" | "overlap";

export interface ReassemblerInit {
  /** Messages being reassembled at once. @default {DEFAULT_MAX_PENDING_MESSAGES} */
  maxPendingMessages?: number;
  /** Bytes reserved by all pending messages together. @default {DEFAULT_MAX_PENDING_BYTES} */
  maxPendingBytes?: number;
  /** A message whose fragments do not all arrive within this time is dropped. @default {DEFAULT_REASSEMBLY_TIMEOUT_MS} */
  timeoutMs?: number;
}

export const DEFAULT_MAX_PENDING_MESSAGES = 64;
export const DEFAULT_MAX_PENDING_BYTES = 256 * 1024;
/** RFC 6940's end-to-end retry is 3 s; fragments of one send arrive within milliseconds. */
export const DEFAULT_REASSEMBLY_TIMEOUT_MS = 5_000;
/** Distinct byte ranges tracked per message; a sender needing more is misbehaving. */
const MAX_RANGES = 64;

interface Pending {
  readonly key: string;
  readonly total: number;
  readonly startedAt: number;
  readonly buffer: Uint8Array;
  /** Received [start, end) ranges, sorted, non-overlapping. */
  readonly ranges: Array<[number, number]>;
  received: number;
}

/**
 * Reassembles fragment frames into message frames, keyed by source address and transaction id,
 * within fixed memory: at most `maxPendingMessages` messages and `maxPendingBytes` bytes, the
 * oldest dropped first; expired ones removed by `sweep()` (one loop, no timer per message).
 *
 * @example
 * ```ts
 * const reassembler = new Reassembler({}, { clock: systemClock });
 * const whole = reassembler.add("192.0.2.1:6084", fragment); // the frame bytes once complete
 * ```
 */
export class Reassembler {
  readonly #maxPendingMessages: number;
  readonly #maxPendingBytes: number;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #onDrop: (reason: ReassemblyDrop) => void;
  readonly #pending = new Map<string, Pending>();
  #pendingBytes = 0;

  constructor(
    init: ReassemblerInit,
    components: { clock: Clock; onDrop?: (reason: ReassemblyDrop) => void },
  ) {
    this.#maxPendingMessages = init.maxPendingMessages ?? DEFAULT_MAX_PENDING_MESSAGES;
    this.#maxPendingBytes = init.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.#timeoutMs = init.timeoutMs ?? DEFAULT_REASSEMBLY_TIMEOUT_MS;
    this.#clock = components.clock;
    this.#onDrop = components.onDrop ?? (() => {});
  }

  /** Messages currently being reassembled. */
  get pendingMessages(): number {
    return this.#pending.size;
  }

  /** Bytes reserved for them. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Adds one fragment from `source`; returns the whole message frame when this one completes it. */
  add(source: string, fragment: FragmentFrame): Uint8Array | undefined {
    const key = `${source}|${bytesToHex(fragment.transactionId)}`;
    let pending = this.#pending.get(key);
    if (pending !== undefined && pending.total !== fragment.total) {
      this.#drop(pending, "inconsistent");
      return undefined;
    }
    if (pending === undefined) {
      if (fragment.total > this.#maxPendingBytes) {
        this.#onDrop("capacity");
        return undefined;
      }
      while (
        this.#pending.size >= this.#maxPendingMessages ||
        this.#pendingBytes + fragment.total > this.#maxPendingBytes
      ) {
        const oldest = this.#pending.values().next();
        if (oldest.done) break;
        this.#drop(oldest.value, "capacity");
      }
      pending = {
        key,
        total: fragment.total,
        startedAt: this.#clock.monotonic(),
        buffer: new Uint8Array(fragment.total),
        ranges: [],
        received: 0,
      };
      this.#pending.set(key, pending);
      this.#pendingBytes += fragment.total;
    }
    const start = fragment.offset;
    const end = start + fragment.chunk.length;
    if (end > pending.total) {
      this.#drop(pending, "inconsistent");
      return undefined;
    }
    // Insert [start, end) keeping ranges sorted; any overlap (a duplicate or a forged fragment) drops the message.
    let i = 0;
    while (i < pending.ranges.length && pending.ranges[i]![0] < start) i++;
    const before = pending.ranges[i - 1];
    const after = pending.ranges[i];
    if ((before !== undefined && before[1] > start) || (after !== undefined && after[0] < end)) {
      this.#drop(pending, "overlap");
      return undefined;
    }
    if (pending.ranges.length >= MAX_RANGES) {
      this.#drop(pending, "inconsistent");
      return undefined;
    }
    pending.ranges.splice(i, 0, [start, end]);
    pending.buffer.set(fragment.chunk, start);
    pending.received += end - start;
    if (pending.received < pending.total) return undefined;
    this.#remove(pending);
    return pending.buffer;
  }

  /** Drops messages older than the timeout; returns how many. Call from the daemon's sweep loop. */
  sweep(): number {
    const now = this.#clock.monotonic();
    let dropped = 0;
    for (const pending of [...this.#pending.values()]) {
      if (now - pending.startedAt >= this.#timeoutMs) {
        this.#drop(pending, "timeout");
        dropped++;
      }
    }
    return dropped;
  }

  /** Forgets everything (shutdown). */
  clear(): void {
    this.#pending.clear();
    this.#pendingBytes = 0;
  }

  #remove(pending: Pending): void {
    this.#pending.delete(pending.key);
    this.#pendingBytes -= pending.total;
  }

  #drop(pending: Pending, reason: ReassemblyDrop): void {
    this.#remove(pending);
    this.#onDrop(reason);
  }
}
