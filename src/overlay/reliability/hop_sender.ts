import { bytesToHex } from "../../core/hex.ts";
import { ACK_ID_BYTES } from "../../codec/overlay/constants.ts";
import { type DatagramAddress, formatAddress } from "../../core/transport.ts";
import {
  DEFAULT_INITIAL_RTO_MS,
  DEFAULT_MAX_PENDING_HOP_DATAGRAMS,
  DEFAULT_MAX_TRANSMISSIONS,
} from "./constants.ts";
import { requirePositiveInteger } from "./option_checks.ts";

export interface HopSenderInit {
  /** Retransmission timer after the first transmission; doubles after each. @default {DEFAULT_INITIAL_RTO_MS} */
  initialRtoMs?: number;
  /** Transmissions in all, the first included, before the hop is given up. @default {DEFAULT_MAX_TRANSMISSIONS} */
  maxTransmissions?: number;
  /** Datagrams awaiting an ACK over all neighbours; at the cap the oldest is given up. @default {DEFAULT_MAX_PENDING_HOP_DATAGRAMS} */
  maxPending?: number;
}

/** What an ACK names (AckFrame): the ack id (frame.ts `ackIdOf`) and the fragment offset, 0 for a whole message. */
export interface HopKey {
  readonly id: Uint8Array;
  readonly offset: number;
}

/**
 * Why a datagram was given up: "timeout" after the last RTO passed without an ACK (the neighbour is
 * suspect), "capacity" when newer datagrams pushed it out (says nothing about the neighbour).
 */
export type HopFailureReason = "timeout" | "capacity";

/** A datagram given up without an ACK. */
export interface HopFailure {
  readonly to: DatagramAddress;
  readonly id: Uint8Array;
  readonly offset: number;
  readonly reason: HopFailureReason;
}

/** A datagram to send again now. */
export interface HopRetransmission {
  readonly datagram: Uint8Array;
  readonly to: DatagramAddress;
}

/** What `due()` asks the owner to do. */
export interface HopDue {
  readonly retransmit: HopRetransmission[];
  readonly failed: HopFailure[];
}

/** Counters since construction, for metrics (`superpeer_overlay_hop_*_total`). */
export interface HopSenderCounters {
  /** Datagrams tracked (first transmissions). */
  sent: number;
  retransmitted: number;
  acked: number;
  /** Given up, for any reason; `failedByReason` splits them. */
  failed: number;
  readonly failedByReason: Record<HopFailureReason, number>;
  /** Dropped by `forget()`. */
  forgotten: number;
  /** Retransmissions held back while an older datagram to the same neighbour goes unacknowledged. */
  held: number;
}

interface Pending {
  readonly key: string;
  readonly peer: string;
  readonly to: DatagramAddress;
  readonly id: Uint8Array;
  readonly offset: number;
  readonly datagram: Uint8Array;
  transmissions: number;
  rtoMs: number;
  deadline: number;
}

/**
 * RFC 6940 section 6.6.3 simple reliability, hop by hop: remembers each datagram sent to a neighbour
 * until that neighbour ACKs it, and says when to retransmit and when to give up. A pure state
 * machine: it sends nothing and arms no timer; the owner sends the datagrams `due(now)` returns and
 * arms one timer for `nextDeadline()`.
 *
 * Schedule (RFC 6940 section 6.6.3.1: the RTO starts at 500 ms and doubles; at most 5
 * transmissions in all): sent at t, retransmitted at t+500, t+1500, t+3500 and t+7500, given up at
 * t+15500. Each RTO runs from the moment `due()` retransmits, as the RFC's timer restarts when the
 * datagram is sent again.
 *
 * Datagrams are kept by reference: the caller must not reuse their buffers (encodeFrame and
 * fragmentFrame return fresh copies).
 *
 * @example
 * ```ts
 * const hops = new HopSender();
 * const to = { host: "192.0.2.7", port: 6084 };
 * hops.track({ id: new Uint8Array(8), offset: 0 }, new Uint8Array([0x85]), to, 0);
 * hops.nextDeadline(); // 500
 * hops.due(500).retransmit.length; // 1
 * hops.acknowledge(to, new Uint8Array(8), 0); // true
 * ```
 */
export class HopSender {
  readonly #initialRtoMs: number;
  readonly #maxTransmissions: number;
  readonly #maxPending: number;
  /** Insertion order is first-transmission order, so the first entry is the oldest. */
  readonly #pending = new Map<string, Pending>();
  readonly #counters: HopSenderCounters = {
    sent: 0,
    retransmitted: 0,
    acked: 0,
    failed: 0,
    failedByReason: { timeout: 0, capacity: 0 },
    forgotten: 0,
    held: 0,
  };

  constructor(init: HopSenderInit = {}) {
    this.#initialRtoMs = requirePositiveInteger(
      "hop sender",
      "initialRtoMs",
      init.initialRtoMs ?? DEFAULT_INITIAL_RTO_MS,
    );
    this.#maxTransmissions = requirePositiveInteger(
      "hop sender",
      "maxTransmissions",
      init.maxTransmissions ?? DEFAULT_MAX_TRANSMISSIONS,
    );
    this.#maxPending = requirePositiveInteger(
      "hop sender",
      "maxPending",
      init.maxPending ?? DEFAULT_MAX_PENDING_HOP_DATAGRAMS,
    );
  }

  /** Datagrams awaiting an ACK. */
  get size(): number {
    return this.#pending.size;
  }

  /** A snapshot of the counters. */
  get counters(): Readonly<HopSenderCounters> {
    const c = this.#counters;
    return { ...c, failedByReason: { ...c.failedByReason } };
  }

  /**
   * Records `datagram`, just sent to `to` for the first time at `now`. Tracking the same key to the
   * same neighbour again (an end-to-end resend of the same message) restarts its schedule. Returns
   * the datagram given up to make room, if the sender was full.
   */
  track(
    key: HopKey,
    datagram: Uint8Array,
    to: DatagramAddress,
    now: number,
  ): HopFailure | undefined {
    checkKey(key.id, key.offset);
    const peer = formatAddress(to);
    const mapKey = keyOf(peer, key.id, key.offset);
    let evicted: HopFailure | undefined;
    if (!this.#pending.delete(mapKey) && this.#pending.size >= this.#maxPending) {
      const oldest = this.#pending.values().next();
      if (!oldest.done) evicted = this.#fail(oldest.value, "capacity");
    }
    this.#pending.set(mapKey, {
      key: mapKey,
      peer,
      to,
      id: key.id.slice(),
      offset: key.offset,
      datagram,
      transmissions: 1,
      rtoMs: this.#initialRtoMs,
      deadline: now + this.#initialRtoMs,
    });
    this.#counters.sent++;
    return evicted;
  }

  /** Whether the datagram `key` to `to` is still awaiting its ACK. */
  has(key: HopKey, to: DatagramAddress): boolean {
    return this.#pending.has(keyOf(formatAddress(to), key.id, key.offset));
  }

  /**
   * Handles an ACK frame from `from`. Only the neighbour the datagram was sent to can acknowledge
   * it: an ACK naming the same id from any other address is ignored. Returns whether it matched.
   */
  acknowledge(from: DatagramAddress, id: Uint8Array, offset: number): boolean {
    if (id.length !== ACK_ID_BYTES || !Number.isSafeInteger(offset) || offset < 0) return false;
    if (!this.#pending.delete(keyOf(formatAddress(from), id, offset))) return false;
    this.#counters.acked++;
    return true;
  }

  /**
   * Advances to `now`: every datagram whose RTO has expired is either handed back to be sent again
   * (its RTO doubled) or, after its last transmission's RTO, given up with reason "timeout".
   */
  due(now: number): HopDue {
    const retransmit: HopRetransmission[] = [];
    const failed: HopFailure[] = [];
    // The oldest datagram to each neighbour (iteration is in first-transmission order).
    const oldest = new Map<string, Pending>();
    for (const pending of this.#pending.values()) {
      const first = oldest.get(pending.peer);
      if (first === undefined) oldest.set(pending.peer, pending);
      if (pending.deadline > now) continue;
      // A neighbour that left its oldest datagram unacknowledged past one RTO is probed by that
      // datagram alone; the others wait (uncounted) until it answers or is given up, when the
      // owner forgets them. A dead neighbour costs one retransmission schedule, not one per
      // datagram queued to it.
      if (first !== undefined && first.transmissions >= 2) {
        pending.deadline = now + pending.rtoMs;
        this.#counters.held++;
        continue;
      }
      if (pending.transmissions >= this.#maxTransmissions) {
        failed.push(this.#fail(pending, "timeout"));
        continue;
      }
      pending.transmissions++;
      pending.rtoMs *= 2;
      pending.deadline = now + pending.rtoMs;
      this.#counters.retransmitted++;
      retransmit.push({ datagram: pending.datagram, to: pending.to });
    }
    return { retransmit, failed };
  }

  /** When `due()` next has something to do; undefined when nothing is pending. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const pending of this.#pending.values()) {
      if (next === undefined || pending.deadline < next) next = pending.deadline;
    }
    return next;
  }

  /** Drops everything pending to `to` (the neighbour is gone); returns how many. Not counted as failed. */
  forget(to: DatagramAddress): number {
    const peer = formatAddress(to);
    let removed = 0;
    for (const pending of this.#pending.values()) {
      if (pending.peer !== peer) continue;
      this.#pending.delete(pending.key);
      removed++;
    }
    this.#counters.forgotten += removed;
    return removed;
  }

  /** Forgets everything (shutdown). */
  clear(): void {
    this.#pending.clear();
  }

  #fail(pending: Pending, reason: HopFailureReason): HopFailure {
    this.#pending.delete(pending.key);
    this.#counters.failed++;
    this.#counters.failedByReason[reason]++;
    return { to: pending.to, id: pending.id, offset: pending.offset, reason };
  }
}

function checkKey(id: Uint8Array, offset: number): void {
  if (id.length !== ACK_ID_BYTES) {
    throw new RangeError(
      `Cannot track a datagram: ack id must be ${ACK_ID_BYTES} bytes, got ${id.length}`,
    );
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(
      `Cannot track a datagram: offset must be a non-negative integer, got ${offset}`,
    );
  }
}

function keyOf(peer: string, id: Uint8Array, offset: number): string {
  return `${peer}|${bytesToHex(id)}|${offset}`;
}
