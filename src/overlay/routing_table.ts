import type { DatagramAddress } from "../core/transport.ts";
import { clockwise, idToBigInt, inArc, inOpenArc, RING_BITS } from "./ring.ts";

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
  return { id: idToBigInt(nodeId), nodeId, hex: Buffer.from(nodeId).toString("hex"), address };
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

  /** Every distinct peer in the table. */
  peers(): PeerRef[] {
    const seen = new Map<string, PeerRef>();
    for (const p of [...this.#successors, ...this.#predecessors, ...this.#fingers]) {
      if (p) seen.set(p.hex, p);
    }
    return [...seen.values()];
  }

  /** The peer with this node id, if the table has it. */
  get(hex: string): PeerRef | undefined {
    return this.peers().find((p) => p.hex === hex);
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
    return s || p;
  }

  /** Sets finger `index` (0 covers the far half of the ring). */
  setFinger(index: number, peer: PeerRef | undefined): void {
    if (index < 0 || index >= this.fingerCount) {
      throw new RangeError(`finger ${index} out of range`);
    }
    this.#fingers[index] = peer?.id === this.self.id ? undefined : peer;
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
    return removed;
  }

  /**
   * Whether this node is responsible for `key`: key in (predecessor, self] (RFC 6940 section 10.1).
   * With no predecessor known, a node alone in its ring is responsible for everything.
   */
  isResponsible(key: bigint): boolean {
    const pred = this.#predecessors[0];
    return pred === undefined ? this.#successors.length === 0 : inArc(key, pred.id, this.self.id);
  }

  /**
   * Where a message for `key` goes next (RFC 6940 section 10.3): "self" when responsible; the first
   * successor when the key lies between us and it; otherwise the known peer closest before the key.
   * `avoid` skips peers that currently do not acknowledge (they are tried last, as a fallback).
   */
  nextHop(key: bigint, avoid?: (peer: PeerRef) => boolean): PeerRef | "self" {
    if (this.isResponsible(key)) return "self";
    const succ = this.#successors.find((p) => !avoid?.(p));
    if (succ !== undefined && inArc(key, this.self.id, succ.id)) return succ;
    let best: PeerRef | undefined;
    let bestDistance = -1n;
    for (const p of this.peers()) {
      if (avoid?.(p)) continue;
      if (p.id === key) return p; // RFC 6940 section 10.3: a directly connected node with that id
      if (inOpenArc(p.id, this.self.id, key)) {
        const d = clockwise(this.self.id, p.id);
        if (d > bestDistance) {
          best = p;
          bestDistance = d;
        }
      }
    }
    // Nothing precedes the key: our closest predecessor wraps towards it (or we know no one).
    return best ?? succ ?? this.#predecessors.find((p) => !avoid?.(p)) ??
      (avoid ? this.nextHop(key) : "self");
  }

  /** The peers that hold replicas of what this node is responsible for: the first `count` successors. */
  replicaPeers(count: number): readonly PeerRef[] {
    return this.#successors.slice(0, count);
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
