import { bytesToHex } from "../core/hex.ts";
import type { DatagramAddress } from "../core/transport.ts";
import { clockwise, idToBigInt, inArc, inOpenArc, RING_BITS, RING_SIZE } from "./ring.ts";

/** A peer this node can send to directly. */
export interface PeerRef {
  readonly id: bigint;
  readonly nodeId: Uint8Array;
  /** Lower-case hex of the node id: map keys and logs. */
  readonly hex: string;
  address: DatagramAddress;
}

export interface RoutingTableInit {
  /** At least 3 (RFC 6940 section 10.3 recommends growing it with log N). @default 3 */
  successors?: number;
  /** @default 3 */
  predecessors?: number;
  /** Finger entries, each for an arc half the size of the previous. @default 16 */
  fingers?: number;
}

export const DEFAULT_NEIGHBOURS = 3;
export const DEFAULT_FINGERS = 16;

/** Makes a PeerRef from a node id and address. */
export function peerRef(nodeId: Uint8Array, address: DatagramAddress): PeerRef {
  return { id: idToBigInt(nodeId), nodeId, hex: bytesToHex(nodeId), address };
}

/**
 * CHORD-RELOAD's routing table (RFC 6940 section 10.3): the closest successors and predecessors
 * on the ring and a finger table where finger i points at a peer in the arc
 * [self + 2^(127-i), self + 2^(128-i)). Pure data: the overlay node fills it from Join, Update and
 * RouteQuery answers and prunes peers that stop answering.
 *
 * @example
 * ```ts
 * const table = new RoutingTable(selfNodeId);
 * table.addNeighbour(peerRef(otherId, { host: "10.0.0.2", port: 6084 }));
 * table.nextHop(idToBigInt(resourceId)); // "self" or the peer to forward to
 * ```
 */
export class RoutingTable {
  readonly self: PeerRef;
  readonly maxSuccessors: number;
  readonly maxPredecessors: number;
  readonly fingerCount: number;
  #successors: PeerRef[] = [];
  #predecessors: PeerRef[] = [];
  #fingers: Array<PeerRef | undefined>;
  #cached: { list: PeerRef[]; byHex: Map<string, PeerRef> } | undefined;

  constructor(self: PeerRef, init: RoutingTableInit = {}) {
    this.self = self;
    this.maxSuccessors = init.successors ?? DEFAULT_NEIGHBOURS;
    this.maxPredecessors = init.predecessors ?? DEFAULT_NEIGHBOURS;
    this.fingerCount = init.fingers ?? DEFAULT_FINGERS;
    if (
      this.maxSuccessors < 1 || this.maxPredecessors < 1 || this.fingerCount < 1 ||
      this.fingerCount > RING_BITS
    ) {
      throw new RangeError(
        "Cannot make a routing table: need at least one successor, predecessor and finger",
      );
    }
    this.#fingers = new Array(this.fingerCount).fill(undefined);
  }

  /** Successors, closest first. */
  successors(): readonly PeerRef[] {
    return this.#successors;
  }

  /** Predecessors, closest first. */
  predecessors(): readonly PeerRef[] {
    return this.#predecessors;
  }

  fingers(): ReadonlyArray<PeerRef | undefined> {
    return this.#fingers;
  }

  /** Every distinct peer in the table (cached until the table changes). */
  peers(): readonly PeerRef[] {
    return this.#index().list;
  }

  /** The peer with this node id, if the table has it. */
  get(hex: string): PeerRef | undefined {
    return this.#index().byHex.get(hex);
  }

  /**
   * Offers a peer as a neighbour; it joins the successor and/or predecessor list when it is among
   * the closest. Returns true when either list changed.
   */
  addNeighbour(peer: PeerRef): boolean {
    if (peer.id === this.self.id) return false;
    const s = this.#insert(
      this.#successors,
      peer,
      this.maxSuccessors,
      (p) => clockwise(this.self.id, p.id),
    );
    const p = this.#insert(
      this.#predecessors,
      peer,
      this.maxPredecessors,
      (q) => clockwise(q.id, this.self.id),
    );
    if (s || p) this.#cached = undefined;
    return s || p;
  }

  /** Sets finger `index` (0 covers the far half of the ring). */
  setFinger(index: number, peer: PeerRef | undefined): void {
    if (index < 0 || index >= this.fingerCount) {
      throw new RangeError(`finger ${index} out of range`);
    }
    this.#fingers[index] = peer?.id === this.self.id ? undefined : peer;
    this.#cached = undefined;
  }

  /** The arc of finger `index`: [start, start + length). */
  fingerArc(index: number): { start: bigint; length: bigint } {
    const length = 1n << BigInt(RING_BITS - 1 - index);
    return { start: (this.self.id + length) % (1n << BigInt(RING_BITS)), length };
  }

  /** Removes a peer everywhere; returns true when it was in the table. */
  remove(hex: string): boolean {
    const before = this.#successors.length + this.#predecessors.length;
    this.#successors = this.#successors.filter((p) => p.hex !== hex);
    this.#predecessors = this.#predecessors.filter((p) => p.hex !== hex);
    let removed = before !== this.#successors.length + this.#predecessors.length;
    for (let i = 0; i < this.#fingers.length; i++) {
      if (this.#fingers[i]?.hex === hex) {
        this.#fingers[i] = undefined;
        removed = true;
      }
    }
    if (removed) {
      this.#cached = undefined;
      // Refill the neighbour lists from the peers we still know (fingers, the other list): a
      // finger that was not among the closest may be now, and a short or wrapped list routes badly.
      for (const p of this.peers()) {
        this.#insert(this.#successors, p, this.maxSuccessors, (q) => clockwise(this.self.id, q.id));
        this.#insert(
          this.#predecessors,
          p,
          this.maxPredecessors,
          (q) => clockwise(q.id, this.self.id),
        );
      }
      this.#cached = undefined;
    }
    return removed;
  }

  /**
   * Whether this node is responsible for `key`: key in (predecessor, self] (RFC 6940 section 10.1).
   * With no predecessor known, a node alone in its ring is responsible for everything. Predecessors
   * that `avoid` marks (they stopped acknowledging) are passed over: their range is ours as soon as
   * they are dropped, and until then we are the closest live holder of its replicas.
   */
  isResponsible(key: bigint, avoid?: (peer: PeerRef) => boolean): boolean {
    const pred = (avoid && this.#predecessors.find((p) => !avoid(p))) ?? this.#predecessors[0];
    return pred === undefined ? this.#successors.length === 0 : inArc(key, pred.id, this.self.id);
  }

  /**
   * Where a message for `key` goes next (RFC 6940 section 10.3): "self" when responsible; the
   * neighbour responsible for it when our successor or predecessor lists show one (a peer with a
   * direct connection to the responsible peer MUST route to it); otherwise the known peer closest
   * before the key. `avoid` skips peers that do not acknowledge (tried last, as a fallback);
   * `exclude` skips peers outright (those already on the message's via list). Undefined when every
   * known peer is excluded.
   */
  nextHop(
    key: bigint,
    avoid?: (peer: PeerRef) => boolean,
    exclude?: (peer: PeerRef) => boolean,
  ): PeerRef | "self" | undefined {
    if (this.isResponsible(key, avoid)) return "self";
    const skip = (p: PeerRef) => (exclude?.(p) ?? false) || (avoid?.(p) ?? false);
    // The known peers on either side of the key. When both are adjacent entries of one of our
    // neighbour lists, that list vouches that nobody lies between them: `after` is responsible.
    let after: PeerRef | undefined;
    let behind: PeerRef | undefined;
    let before: PeerRef = this.self;
    let afterDistance = RING_SIZE;
    let beforeDistance = clockwise(this.self.id, key);
    for (const p of this.peers()) {
      const a = clockwise(key, p.id);
      if (a < afterDistance) {
        after = p;
        afterDistance = a;
      }
      const b = clockwise(p.id, key);
      if (b !== 0n && b < beforeDistance) {
        before = p;
        beforeDistance = b;
      }
    }
    if (after !== undefined) {
      const s = this.#successors.findIndex((q) => q.hex === after!.hex);
      if (
        s >= 0 && (s === 0 ? before === this.self : this.#successors[s - 1]!.hex === before.hex)
      ) {
        // If it does not acknowledge, the next successor inherits its range once it is dropped.
        for (let j = s; j < this.#successors.length; j++) {
          if (!skip(this.#successors[j]!)) return this.#successors[j]!;
        }
      }
      // A predecessor at or after the key: responsible when the next predecessor precedes the
      // key; otherwise it is still a candidate from behind the key (below).
      const p = this.#predecessors.findIndex((q) => q.hex === after!.hex);
      if (p >= 0 && !skip(after)) {
        if (this.#predecessors[p + 1]?.hex === before.hex) return after;
        behind = after;
      }
    }
    let best: PeerRef | undefined;
    let bestDistance = -1n;
    const bestGap = (p: PeerRef) => (p.id === key ? 0n : clockwise(p.id, key));
    const consider = (p: PeerRef | undefined) => {
      if (p === undefined || skip(p)) return;
      if (p.id === key) { // RFC 6940 section 10.3: a directly connected node with that id
        best = p;
        bestDistance = RING_SIZE;
        return;
      }
      if (inOpenArc(p.id, this.self.id, key)) {
        const d = clockwise(this.self.id, p.id);
        if (d > bestDistance) {
          best = p;
          bestDistance = d;
        }
      }
    };
    for (const p of this.#successors) consider(p);
    for (const p of this.#predecessors) consider(p);
    for (const p of this.#fingers) consider(p);
    // Whichever is nearer the key: the closest peer before it, or a predecessor just behind it
    // (going round the ring through the fingers to reach a key just behind us is what loops).
    if (behind !== undefined && (best === undefined || clockwise(key, behind.id) < bestGap(best))) {
      return behind;
    }
    if (best !== undefined) return best;
    if (exclude === undefined) {
      // Nothing precedes the key: our closest neighbour wraps towards it.
      const fallback = this.#successors.find((p) => !skip(p)) ??
        this.#predecessors.find((p) => !skip(p));
      if (fallback !== undefined) return fallback;
    }
    // Unacknowledging peers as a last resort; a forwarded request (with an `exclude`) that can
    // make no progress is answered with an error rather than walked around the ring.
    if (avoid !== undefined) return this.nextHop(key, undefined, exclude);
    return this.peers().length === 0 ? "self" : undefined;
  }

  /** The peers that hold replicas of what this node is responsible for: the first `count` successors. */
  replicaPeers(count: number): readonly PeerRef[] {
    return this.#successors.slice(0, count);
  }

  #index(): { list: PeerRef[]; byHex: Map<string, PeerRef> } {
    if (this.#cached !== undefined) return this.#cached;
    const byHex = new Map<string, PeerRef>();
    for (const p of this.#successors) byHex.set(p.hex, p);
    for (const p of this.#predecessors) byHex.set(p.hex, p);
    for (const p of this.#fingers) if (p) byHex.set(p.hex, p);
    this.#cached = { list: [...byHex.values()], byHex };
    return this.#cached;
  }

  #insert(list: PeerRef[], peer: PeerRef, max: number, distance: (p: PeerRef) => bigint): boolean {
    const existing = list.findIndex((p) => p.hex === peer.hex);
    if (existing >= 0) {
      list[existing]!.address = peer.address;
      return false;
    }
    const d = distance(peer);
    let i = 0;
    while (i < list.length && distance(list[i]!) < d) i++;
    if (i >= max) return false;
    list.splice(i, 0, peer);
    if (list.length > max) list.pop();
    return true;
  }
}
