import { bytesToHex } from "../core/hex.ts";
import type { Logger } from "../core/logger.ts";
import type { Gauge } from "../core/metrics.ts";
import type { Cancel } from "../core/scheduler.ts";
import type { DatagramAddress } from "../core/transport.ts";
import { ErrorCode, MessageCode } from "../codec/overlay/constants.ts";
import type { Destination } from "../codec/overlay/destination.ts";
import type { MessageBody } from "../codec/overlay/message_body.ts";
import type { PeerInfo } from "../codec/overlay/messages/peer.ts";
import { UpdateType } from "../codec/overlay/messages/update.ts";
import {
  encodeStoredDataToBeSigned,
  type KindData,
} from "../codec/overlay/messages/stored_data.ts";
import { SignatureDomain, signInDomain } from "../identity/signatures.ts";
import type { StoredDataSpecifier } from "../codec/overlay/messages/specifier.ts";
import type { TransportAddress } from "../codec/overlay/transport_address.ts";
import {
  type IncomingRequest,
  type MessengerComponents,
  OverlayMessenger,
  OverlayRequestError,
} from "./overlay_messenger.ts";
import { decodePeerList, encodePeerList } from "./peer_list.ts";
import { bigIntToId, clockwise, idToBigInt, inArc, randomInRange } from "./ring.ts";
import { type PeerRef, peerRef, RoutingTable } from "./routing_table.ts";
import { StorageError } from "./storage/storage_error.ts";
import type { LocalStore } from "./storage/local_store.ts";

/** Timing and size settings of an overlay node; the defaults suit access points on Wi-Fi. */
export interface OverlayNodeInit {
  readonly overlayId: number;
  /** Peers to join through, tried in order. */
  readonly bootstrap: readonly DatagramAddress[];
  /** Our own transport addresses as other peers should use them. */
  readonly advertise: readonly TransportAddress[];
  readonly replayWindowSeconds: number;
  /** @default 3 */ readonly successors?: number;
  /** @default 3 */ readonly predecessors?: number;
  /** @default 16 */ readonly fingers?: number;
  /** Copies of each record, the responsible peer's included (RFC 6940: 3). @default 3 */
  readonly copies?: number;
  /** Stabilisation interval bounds; it shrinks when neighbours change often (RFC 7363's idea). */
  readonly stabilizeMinMs?: number;
  readonly stabilizeMaxMs?: number;
  /** One finger is refreshed per this interval. @default 10_000 */
  readonly fingerRefreshMs?: number;
  /**
   * The nearest successor or predecessor silent this long is dropped (others when a probe goes
   * unanswered); a dropped peer is not re-added from gossip for twice this. @default 30_000
   */
  readonly peerTimeoutMs?: number;
  /** How often we route to our own id through a bootstrap peer to find partitions. @default 60_000 */
  readonly partitionCheckMs?: number;
  /** How often expired records are swept. @default 10_000 */
  readonly sweepMs?: number;
  /** Peers found on the local link (mDNS) kept as bootstrap candidates. @default 32 */
  readonly maxDiscoveredPeers?: number;
}

/** The messenger's components (the node builds the routing table itself) plus the local store. */
export interface OverlayNodeComponents extends Omit<MessengerComponents, "table"> {
  readonly store: LocalStore;
}

export const DEFAULT_STABILIZE_MIN_MS = 2_000;
/** How long pushing records to a joining, replica or new responsible peer may take in all. */
export const HANDOVER_DEADLINE_MS = 60_000;
/** Dropped peers remembered to keep stale gossip from re-adding them. */
export const MAX_DROPPED_REMEMBERED = 1024;
export const DEFAULT_STABILIZE_MAX_MS = 20_000;
/** Requests a peer still joining refuses: they would be answered from a range it may not hold. */
const ANSWERED_ONLY_WHEN_JOINED: ReadonlySet<number> = new Set([
  MessageCode.JoinReq, // admitting joiners while outside the ring would start a second ring
  MessageCode.FetchReq,
  MessageCode.StatReq,
  MessageCode.FindReq,
  MessageCode.RouteQueryReq,
  MessageCode.AppAttachReq,
]);
/** Lean Updates (no lists: the view is unchanged) a neighbour gets between two full ones. */
export const LEAN_UPDATES_BETWEEN_FULL = 2;
/** How long a neighbour has to answer a stabilisation Update before it is dropped. */
export const PROBE_MS = 5_000;
/**
 * Join rounds in a row in which every bootstrap peer answers "not joined" before a peer starts a
 * ring of its own (the mesh-wide power cut: everyone back at once, each knowing only the others).
 * The rounds must also span at least two stabilisation periods (stabilizeMaxMs x 2): join rounds
 * are retried within seconds, and a bootstrap peer that is itself a few seconds from joined must
 * not make us start a second ring.
 */
export const REFUSED_ROUNDS_BEFORE_SEEDING = 3;
/** How long one join attempt through one bootstrap peer may take. */
export const JOIN_ATTEMPT_MS = 8_000;
/** Peers remembered as fallback bootstrap peers for a rejoin. */
export const REMEMBERED_PEERS = 16;
/** Wait after a discovery before acting on it, so several found at once are weighed together. */
export const DISCOVERY_SETTLE_MS = 300;
/** After our range changes, a Fetch that finds nothing asks the previous holder for this long. */
export const RANGE_SETTLE_MS = 30_000;
/** How long that repair Fetch may take before we answer with what we have. */
export const REPAIR_FETCH_MS = 2_000;

/** Events a service can listen to. */
export interface OverlayEvents {
  peerUp(peer: PeerRef): void;
  peerDown(peer: PeerRef): void;
}

interface Liveness {
  lastHeard: number;
}

const hex = bytesToHex;

/**
 * One CHORD-RELOAD peer (RFC 6940 section 10): joins through a bootstrap peer, keeps its
 * neighbours and fingers fresh with periodic, adaptive stabilisation, answers Join, Update, Leave,
 * RouteQuery, Ping, Store, Fetch, Stat and Find, replicates what it is responsible for to its
 * successors, and hands records to joining and from leaving neighbours. Pure logic over an
 * injected transport, clock and scheduler, so the simulator runs the same code.
 */
export class OverlayNode {
  readonly table: RoutingTable;
  readonly messenger: OverlayMessenger;
  readonly #init: OverlayNodeInit;
  readonly #c: OverlayNodeComponents;
  readonly #log: Logger;
  readonly #liveness = new Map<string, Liveness>();
  /** Peers we dropped, and when: gossip about them is ignored for a while (no resurrection). */
  readonly #dropped = new Map<string, number>();
  readonly #copies: number;
  #timers: Cancel[] = [];
  #stabilizeMs: number;
  #changes = 0;
  #nextFinger = 0;
  #lastPredecessor: PeerRef | undefined;
  /** Addresses of peers we have had in our table, newest last: fallback bootstrap peers. */
  readonly #remembered = new Map<string, DatagramAddress>();
  /** Peers found on the local link (hex id -> address), newest last, capped. */
  readonly #discovered = new Map<string, DatagramAddress>();
  #discoveryCheck: Cancel | undefined;
  #joining = false;
  #seedAfterRefusal = false;
  /** Join rounds in a row in which every candidate was alive but outside the ring. */
  #refusedRounds = 0;
  /** When the first of those rounds ended (monotonic ms). */
  #refusedSince = 0;
  /** Delay before the next join round while outside the ring: doubles from stabilizeMinMs. */
  #joinRetryMs: number;
  #joinRetry: Cancel | undefined;
  /**
   * The neighbour lists each neighbour last acknowledged from us (hex id -> view key), and how many
   * lean Updates it has had since: an unchanged view is not sent again every round.
   */
  readonly #sentViews = new Map<string, { view: string; lean: number }>();
  /** The nearest successor and predecessor each peer last announced to us, for #correct. */
  readonly #heardViews = new Map<string, { successor?: Uint8Array; predecessor?: Uint8Array }>();
  /** Neighbours with a probe in flight (hex ids). */
  readonly #probing = new Set<string>();
  /** Which of the farther neighbours this round's extra probe goes to. */
  #probeTurn = 0;
  #round = 0;
  /** When our range last changed (a new predecessor): monotonic ms. */
  #rangeChangedAt = -Infinity;
  /** The replica peers last given our records (hex ids). */
  #lastReplicas = new Set<string>();
  #running = false;
  #joined = false;
  readonly #startedAt: number;
  #listeners: Partial<OverlayEvents> = {};
  #appHandler: ((request: IncomingRequest) => Promise<MessageBody>) | undefined;
  readonly #neighbourGauge: Gauge;

  constructor(init: OverlayNodeInit, components: OverlayNodeComponents) {
    this.#init = init;
    this.#c = components;
    this.#log = components.logger;
    this.#copies = init.copies ?? 3;
    this.#stabilizeMs = init.stabilizeMaxMs ?? DEFAULT_STABILIZE_MAX_MS;
    this.#joinRetryMs = init.stabilizeMinMs ?? DEFAULT_STABILIZE_MIN_MS;
    this.#startedAt = components.clock.monotonic();
    this.table = new RoutingTable(peerRef(components.key.nodeId, components.transport.local), {
      ...(init.successors ? { successors: init.successors } : {}),
      ...(init.predecessors ? { predecessors: init.predecessors } : {}),
      ...(init.fingers ? { fingers: init.fingers } : {}),
    });
    this.messenger = new OverlayMessenger({
      overlayId: init.overlayId,
      replayWindowSeconds: init.replayWindowSeconds,
    }, {
      transport: components.transport,
      clock: components.clock,
      scheduler: components.scheduler,
      logger: components.logger,
      metrics: components.metrics,
      key: components.key,
      admission: components.admission,
      table: this.table,
      randomBytes: components.randomBytes,
      ...(components.crypto ? { crypto: components.crypto } : {}),
      ...(components.onDelivered ? { onDelivered: components.onDelivered } : {}),
    });
    this.messenger.onRequest((request) => this.#handle(request));
    this.messenger.onHopFailure((to) => this.#suspect(to));
    this.messenger.onSuspect((to) => this.#onSuspect(to));
    this.#neighbourGauge = components.metrics.gauge(
      "superpeer_overlay_peers",
      "Distinct peers in the routing table",
    );
  }

  /** Our node id as hex. */
  get nodeHex(): string {
    return this.table.self.hex;
  }

  /** True once joined (or alone by choice, with no bootstrap peers). */
  get joined(): boolean {
    return this.#joined;
  }

  /** Sets listeners for peer up/down. */
  on(listeners: Partial<OverlayEvents>): void {
    this.#listeners = { ...this.#listeners, ...listeners };
  }

  /**
   * A peer of our overlay found on the local link (mDNS): kept as a bootstrap candidate (capped,
   * oldest dropped) and acted on shortly. Alone, we join through the lowest-id peer found when its
   * id is below ours (the lowest stays put and the others gather round it, instead of every pair
   * joining each other at once); in a ring, a peer we do not know is asked who holds our id, and a
   * different answer is a second ring, merged by joining through it. Admission still applies.
   */
  addDiscoveredPeer(nodeId: Uint8Array, address: DatagramAddress): void {
    const nodeHex = hex(nodeId);
    if (nodeHex === this.nodeHex) return;
    const known = this.#discovered.get(nodeHex);
    this.#discovered.delete(nodeHex);
    this.#discovered.set(nodeHex, address);
    const max = this.#init.maxDiscoveredPeers ?? 32;
    while (this.#discovered.size > max) {
      this.#discovered.delete(this.#discovered.keys().next().value!);
    }
    if (known && known.host === address.host && known.port === address.port) return;
    this.#log.info("Overlay peer discovered on the local link", {
      peer: nodeHex.slice(0, 16),
      address: `${address.host}:${address.port}`,
      inTable: this.table.get(nodeHex) !== undefined,
    });
    this.#scheduleDiscoveryCheck();
  }

  /** Forgets a peer the local link said goodbye for. */
  removeDiscoveredPeer(nodeId: Uint8Array): void {
    this.#discovered.delete(hex(nodeId));
  }

  /** Discovered peers, lowest node id first. */
  #discoveredByLowestId(): Array<[string, DatagramAddress]> {
    return [...this.#discovered].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The lowest-id discovered peer when its id is below ours. */
  #lowerDiscoveredPeer(): DatagramAddress | undefined {
    const lowest = this.#discoveredByLowestId()[0];
    return lowest && lowest[0] < this.nodeHex ? lowest[1] : undefined;
  }

  #scheduleDiscoveryCheck(): void {
    if (!this.#running || this.#discoveryCheck !== undefined) return;
    const delay = DISCOVERY_SETTLE_MS * (1 + this.#c.randomBytes(1)[0]! / 255);
    const cancel = this.#c.scheduler.schedule(delay, () => {
      this.#timers = this.#timers.filter((c) => c !== cancel);
      this.#discoveryCheck = undefined;
      void this.#actOnDiscovery().catch((error) =>
        this.#log.debug("Discovery check failed", { error: (error as Error).message })
      );
    });
    this.#discoveryCheck = cancel;
    this.#timers.push(cancel);
  }

  async #actOnDiscovery(): Promise<void> {
    if (!this.#running || this.#joining) return;
    if (this.table.successors().length === 0) {
      const lower = this.#lowerDiscoveredPeer();
      if (lower === undefined) return; // the others will join us
      await this.#joinOnce(lower);
      return;
    }
    // In a ring: a discovered peer outside our table may be in another ring. Asks up to three
    // such peers; the first that answers settles it.
    let asked = 0;
    for (const [nodeHex, address] of this.#discoveredByLowestId()) {
      if (this.table.get(nodeHex) !== undefined) continue;
      if (asked++ === 3) return;
      try {
        const responsible = await this.#lookup(this.#c.key.nodeId, address);
        if (responsible && hex(responsible.nodeId) !== this.nodeHex) {
          this.#log.warn("Overlay partition found through a discovered peer: merging", {
            other: hex(responsible.nodeId).slice(0, 16),
          });
          this.#addPeer(responsible);
          await this.#joinOnce(address);
        }
        return;
      } catch {
        // Not joined yet or gone: ask the next; the partition check tries them all again later.
      }
    }
  }

  /** A join round through `via` first, marked as the one in progress (stabilise skips its own). */
  async #joinOnce(via: DatagramAddress): Promise<void> {
    this.#joining = true;
    try {
      await this.join({ via });
    } finally {
      this.#joining = false;
    }
  }

  /** Handles AppAttach requests (the SIP service registers here). */
  onAppAttach(handler: (request: IncomingRequest) => Promise<MessageBody>): void {
    this.#appHandler = handler;
  }

  /** Joins the ring (or starts alone) and begins periodic maintenance. */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#every(() => this.#stabilizeMs, () => this.#stabilize());
    this.#every(() => this.#init.fingerRefreshMs ?? 10_000, () => this.#refreshFinger());
    this.#every(() => this.#init.partitionCheckMs ?? 60_000, () => this.#checkPartition());
    this.#every(() => this.#init.sweepMs ?? 10_000, () => {
      this.#c.store.sweep(this.#c.clock.now());
    });
    await this.join(options);
  }

  /**
   * Tries each bootstrap peer, then peers we knew before, until one admits us; alone (a ring of
   * one) when none answers and no bootstrap peer is configured. Each attempt is bounded in time.
   */
  async join(options: { signal?: AbortSignal; via?: DatagramAddress } = {}): Promise<boolean> {
    const local = this.#c.transport.local;
    const seen = new Set<string>();
    const candidates = [
      ...(options.via ? [options.via] : []),
      ...this.#init.bootstrap,
      ...this.#discoveredByLowestId().map(([, address]) => address),
      ...[...this.#remembered.values()].reverse(),
    ]
      .filter((a) => {
        const key = `${a.host}|${a.port}`;
        if (seen.has(key) || (a.host === local.host && a.port === local.port)) return false;
        seen.add(key);
        return true;
      });
    let refusedByUnjoined = 0;
    for (const bootstrap of candidates) {
      if (options.signal?.aborted) break;
      try {
        const attempt = this.#timeout(JOIN_ATTEMPT_MS);
        const answer = await this.messenger.request(
          { type: "resource", id: this.#c.key.nodeId },
          {
            code: MessageCode.JoinReq,
            joiningPeerId: this.#c.key.nodeId,
            overlayData: encodePeerList([this.#selfInfo()]),
          },
          {
            directTo: bootstrap,
            signal: options.signal ? AbortSignal.any([options.signal, attempt]) : attempt,
          },
        );
        if (answer.body.code !== MessageCode.JoinAns) continue;
        for (const info of decodePeerList(answer.body.overlayData)) this.#addPeer(info);
        this.#joined = true;
        this.#log.info("Joined the overlay", {
          via: `${bootstrap.host}:${bootstrap.port}`,
          peers: this.table.peers().length,
        });
        await this.#stabilize();
        return true;
      } catch (error) {
        // Alive but outside the ring itself (it answers NotFound): see the seed rule below.
        if (error instanceof OverlayRequestError && error.errorCode === ErrorCode.NotFound) {
          refusedByUnjoined++;
        }
        this.#log.debug("Join attempt failed", {
          bootstrap: `${bootstrap.host}:${bootstrap.port}`,
          error: (error as Error).message,
        });
      }
    }
    // Peers that all restarted together (a power cut) find each other alive but outside the ring,
    // each refusing the others: after a round in which every candidate did so we may start a ring
    // ourselves, and the next rounds merge the rings of one (a joined peer admits).
    // Several rounds in a row: a single refusal is usually a bootstrap peer whose own join is a
    // moment from done, and a peer that seeded then would start a second ring during growth.
    if (
      candidates.length > 0 && refusedByUnjoined === candidates.length &&
      this.table.successors().length === 0
    ) {
      const now = this.#c.clock.monotonic();
      if (this.#refusedRounds++ === 0) this.#refusedSince = now;
      const span = 2 * (this.#init.stabilizeMaxMs ?? DEFAULT_STABILIZE_MAX_MS);
      if (
        this.#refusedRounds >= REFUSED_ROUNDS_BEFORE_SEEDING && now - this.#refusedSince >= span
      ) {
        this.#seedAfterRefusal = true;
      }
    } else {
      this.#refusedRounds = 0;
    }
    // Alone by choice (no bootstrap peers), or a seed (listed in its own bootstrap list) that
    // reached none of the others: a ring of one, which the partition check merges later.
    this.#joined = this.#init.bootstrap.length === 0 || this.table.successors().length > 0 ||
      this.#isSeed();
    if (this.#joined) this.#joinRetryMs = this.#init.stabilizeMinMs ?? DEFAULT_STABILIZE_MIN_MS;
    else this.#retryJoin();
    return this.#joined;
  }

  /**
   * Schedules the next join round soon after a failed one, backing off from stabilizeMinMs to
   * stabilizeMaxMs. A bootstrap peer that refused us is usually joining itself and admits us a
   * moment later; waiting a whole stabilisation period instead left chains of peers, each waiting
   * for the one it bootstraps through, long enough to start rings of their own: in the simulator
   * at 2,000 nodes joining 20 a second, 32 rings of one. Merged by partition checks, they left
   * rings interleaved with the main one (about 150 peers with a wrong successor when growth ended,
   * a few for over two minutes): such a peer's neighbours skip the peers between them, it claims
   * their ranges, and records stored through it were missing at the true owners.
   */
  #retryJoin(): void {
    if (!this.#running || this.#joinRetry !== undefined) return;
    const delay = this.#joinRetryMs;
    this.#joinRetryMs = Math.min(
      this.#init.stabilizeMaxMs ?? DEFAULT_STABILIZE_MAX_MS,
      2 * this.#joinRetryMs,
    );
    const jitter = 0.75 + 0.5 * (this.#c.randomBytes(1)[0]! / 255);
    const cancel = this.#c.scheduler.schedule(delay * jitter, () => {
      this.#timers = this.#timers.filter((c) => c !== cancel);
      this.#joinRetry = undefined;
      void this.#stabilize().catch(() => {});
    });
    this.#joinRetry = cancel;
    this.#timers.push(cancel);
  }

  /** Leaves gracefully (RFC 6940 section 10.7.3): hands records to the successor, tells neighbours. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const cancel of this.#timers) cancel();
    this.#timers = [];
    this.#joinRetry = undefined;
    const successor = this.table.successors()[0];
    const predecessor = this.table.predecessors()[0];
    const deadline = this.#timeout(2_000);
    const sends: Promise<unknown>[] = [];
    if (successor) {
      sends.push(this.#handOver(successor, () => true, deadline));
      sends.push(this.#leaveTo(successor, 2, this.table.predecessors(), deadline));
    }
    if (predecessor && predecessor.hex !== successor?.hex) {
      sends.push(this.#leaveTo(predecessor, 1, this.table.successors(), deadline));
    }
    await Promise.allSettled(sends);
    this.messenger.close();
  }

  /** Stores values of one or more kinds at a resource (on the responsible peer, which replicates). */
  async store(
    resourceId: Uint8Array,
    kindData: readonly KindData[],
    options: { signal?: AbortSignal } = {},
  ) {
    this.#mustBeJoined();
    const answer = await this.messenger.request({ type: "resource", id: resourceId }, {
      code: MessageCode.StoreReq,
      resourceId,
      replicaNumber: 0,
      kindData,
    }, options);
    if (answer.body.code !== MessageCode.StoreAns) {
      throw new OverlayRequestError("error-answer", "unexpected answer", ErrorCode.InvalidMessage);
    }
    return answer.body.kindResponses;
  }

  /** Fetches values (RFC 6940 section 7.4.2). */
  async fetch(
    resourceId: Uint8Array,
    specifiers: readonly StoredDataSpecifier[],
    options: { signal?: AbortSignal } = {},
  ) {
    this.#mustBeJoined();
    const answer = await this.messenger.request({ type: "resource", id: resourceId }, {
      code: MessageCode.FetchReq,
      resourceId,
      specifiers,
    }, options);
    if (answer.body.code !== MessageCode.FetchAns) {
      throw new OverlayRequestError("error-answer", "unexpected answer", ErrorCode.InvalidMessage);
    }
    return answer.body.kindData;
  }

  /**
   * Removes this node's value from a resource (RFC 6940 section 7.2: a store with exists = false,
   * signed by us, that replaces the value and keeps older copies from coming back).
   */
  async remove(
    resourceId: Uint8Array,
    kind: number,
    value: { model: "single" } | { model: "array"; index: number } | {
      model: "dictionary";
      key: Uint8Array;
    },
    options: { signal?: AbortSignal; lifetime?: number } = {},
  ) {
    const storageTime = Math.floor(this.#c.clock.now() / 1000);
    const empty = new Uint8Array(0);
    const tombstone = value.model === "single"
      ? { model: "single" as const, exists: false, data: empty }
      : value.model === "array"
      ? { model: "array" as const, index: value.index, exists: false, data: empty }
      : { model: "dictionary" as const, key: value.key, exists: false, data: empty };
    const sig = signInDomain(
      this.#c.key.privateKey,
      SignatureDomain.StoredData,
      encodeStoredDataToBeSigned(resourceId, kind, storageTime, tombstone),
    );
    return await this.store(resourceId, [{
      kind,
      generation: 0,
      values: [{
        storageTime,
        lifetime: options.lifetime ?? 3600,
        value: tombstone,
        signature: { signerKey: this.#c.key.publicKeyRaw, sig },
      }],
    }], options.signal ? { signal: options.signal } : {});
  }

  /**
   * Finds a random peer offering `kind` (RFC 6940 section 9, TURN server discovery): a Find at a
   * random resource id returns the closest resource holding the kind, then a Fetch reads it.
   * Undefined when none is stored near the random point.
   */
  async find(
    kind: number,
    options: { signal?: AbortSignal; attempts?: number } = {},
  ): Promise<{ resourceId: Uint8Array; values: KindData["values"] } | undefined> {
    this.#mustBeJoined();
    const signal = options.signal ? { signal: options.signal } : {};
    // The peer responsible for a random point holds records of the kind only if some land near it:
    // a few random points find one in a small ring as in a large one.
    for (let attempt = 0; attempt < (options.attempts ?? 4); attempt++) {
      const near = this.#c.randomBytes(16);
      const answer = await this.messenger.request({ type: "resource", id: near }, {
        code: MessageCode.FindReq,
        resourceId: near,
        kinds: [kind],
      }, signal);
      if (answer.body.code !== MessageCode.FindAns) continue;
      const closest = answer.body.results.find((r) => r.kind === kind)?.closest;
      if (!closest) continue;
      const data = await this.fetch(closest, [{
        kind,
        generation: 0,
        selector: { model: "single" },
      }], signal);
      const values = data[0]?.values.filter((v) => v.value.exists) ?? [];
      if (values.length > 0) return { resourceId: closest, values };
    }
    return undefined;
  }

  /** Sends any request to a destination (the SIP service's AppAttach) and returns the answer body. */
  async route(
    destination: Destination,
    body: MessageBody,
    options: { signal?: AbortSignal } = {},
  ): Promise<MessageBody> {
    this.#mustBeJoined();
    return (await this.messenger.request(destination, body, options)).body;
  }

  /**
   * Whether we may start the ring: our own address is in our bootstrap list, or a join round
   * found bootstrap peers alive but all outside the ring.
   */
  #isSeed(): boolean {
    const local = this.#c.transport.local;
    return this.#seedAfterRefusal ||
      this.#init.bootstrap.some((b) => b.host === local.host && b.port === local.port);
  }

  /** Requests from a peer that has not joined would be answered by itself alone: refused. */
  #mustBeJoined(): void {
    if (!this.#joined) {
      throw new OverlayRequestError(
        "not-joined",
        "this peer has not joined the overlay (yet)",
        ErrorCode.NotFound,
      );
    }
  }

  /** Where this node stands, for /status. */
  status(): Record<string, unknown> {
    const show = (p: PeerRef) => ({
      nodeId: p.hex,
      address: `${p.address.host}:${p.address.port}`,
    });
    return {
      joined: this.#joined,
      nodeId: this.nodeHex,
      predecessors: this.table.predecessors().map(show),
      successors: this.table.successors().map(show),
      fingers: this.table.fingers().map((f) => (f ? show(f) : null)),
      stabilizeIntervalMs: this.#stabilizeMs,
      records: Object.fromEntries(this.#c.store.countByKind()),
      pendingRequests: this.messenger.pendingRequests,
      discoveredPeers: this.#discovered.size,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Request handling.

  #handle(request: IncomingRequest): MessageBody | Promise<MessageBody> {
    const body = request.opened.body;
    const sender = request.opened.senderNodeId;
    this.#dropped.delete(hex(sender)); // it just spoke to us: alive, whatever we concluded before
    this.#heard(hex(sender));
    // The peer that forwarded this to us chose us as the next hop: it is alive and, for a request
    // we are responsible for, most likely our predecessor. Offering it to the neighbour lists is
    // how a peer whose predecessors all failed finds the new ones without a search.
    const forwarder = request.via.at(-1);
    if (forwarder?.type === "node" && this.#joined) {
      this.#dropped.delete(hex(forwarder.id));
      this.#addPeer({ nodeId: forwarder.id, addresses: [] }, request);
    }
    if (!this.#joined && ANSWERED_ONLY_WHEN_JOINED.has(body.code)) {
      // Not in the ring yet (our Join is unanswered so far): we may not have our records, so we
      // answer no lookups in the ring's name. (Stores are the admitting peer's handover and are
      // taken.) Whoever reached us is alive: a candidate for the join.
      this.#remember(hex(sender), request.from);
      // A joiner moves on to its next bootstrap peer at once; a lookup is sent again later.
      return this.#error(
        body.code === MessageCode.JoinReq ? ErrorCode.NotFound : ErrorCode.RequestTimeout,
        "this peer has not joined the overlay yet",
      );
    }
    try {
      switch (body.code) {
        case MessageCode.PingReq:
          return {
            code: MessageCode.PingAns,
            responseId: this.#randomUint32(),
            time: Math.floor(this.#c.clock.now() / 1000),
          };
        case MessageCode.JoinReq:
          return this.#onJoin(body.joiningPeerId, decodePeerList(body.overlayData));
        case MessageCode.UpdateReq: {
          for (const info of [...body.predecessors, ...body.successors, ...body.fingers]) {
            this.#addPeer(info);
          }
          const senderHex = hex(sender);
          // A lean Update (peer-ready, no lists) says the sender's view is the one it last sent.
          // (A correction lists the sender itself first: no view of its neighbours to check.)
          const correction = body.successors[0] !== undefined &&
            hex(body.successors[0].nodeId) === senderHex;
          if (body.updateType !== UpdateType.PeerReady && !correction) {
            this.#heardViews.delete(senderHex);
            if (this.#heardViews.size >= MAX_DROPPED_REMEMBERED) {
              this.#heardViews.delete(this.#heardViews.keys().next().value!);
            }
            this.#heardViews.set(senderHex, {
              ...(body.successors[0] ? { successor: body.successors[0].nodeId } : {}),
              ...(body.predecessors[0] ? { predecessor: body.predecessors[0].nodeId } : {}),
            });
          }
          const view = correction ? undefined : this.#heardViews.get(senderHex);
          const peer = this.#addPeer({ nodeId: sender, addresses: [] }, request);
          if (peer && view) this.#correct(peer, view.successor, view.predecessor);
          // RFC 6940 section 10.5 step 7: an Update from the admitting peer puts a joining peer in
          // the ring, even when the Join's answer was lost on the way back.
          if (!this.#joined && this.table.successors().length > 0) {
            this.#joined = true;
            this.#log.info("Joined the overlay through a neighbour's Update", {
              peers: this.table.peers().length,
            });
          }
          return { code: MessageCode.UpdateAns };
        }
        case MessageCode.LeaveReq: {
          const leaving = this.table.get(hex(body.leavingPeerId));
          if (leaving) this.#dropPeer(leaving, "left");
          for (const info of body.neighbors) this.#addPeer(info);
          return { code: MessageCode.LeaveAns };
        }
        case MessageCode.RouteQueryReq:
          return { code: MessageCode.RouteQueryAns, nextPeer: this.#selfInfo() };
        case MessageCode.StoreReq: {
          const results = this.#c.store.store(body, this.#c.clock.now());
          if (body.replicaNumber === 0) this.#placePrimary(body.resourceId, body.kindData);
          const replicas = this.table.replicaPeers(this.#copies - 1).map((p) => p.nodeId);
          return {
            code: MessageCode.StoreAns,
            kindResponses: results.map((r) => ({
              kind: r.kind,
              generation: r.generation,
              replicas,
            })),
          };
        }
        case MessageCode.FetchReq: {
          const kindData = this.#c.store.fetch(
            body.resourceId,
            body.specifiers,
            this.#c.clock.now(),
          );
          const empty = kindData.every((k) => k.values.length === 0);
          if (
            empty && this.#newInRange() &&
            request.opened.envelope.destinations[0]?.type === "resource"
          ) {
            return this.#fetchFromPreviousHolder(body.resourceId, body.specifiers, kindData);
          }
          return { code: MessageCode.FetchAns, kindData };
        }
        case MessageCode.StatReq:
          return {
            code: MessageCode.StatAns,
            kindResponses: this.#c.store.stat(
              body.resourceId,
              body.specifiers,
              this.#c.clock.now(),
            ),
          };
        case MessageCode.FindReq:
          return {
            code: MessageCode.FindAns,
            results: this.#c.store.find(body.kinds, body.resourceId),
          };
        case MessageCode.AppAttachReq:
          if (this.#appHandler) return this.#appHandler(request);
          return this.#error(ErrorCode.NotFound, "no application here");
        case MessageCode.ConfigUpdateReq:
          return { code: MessageCode.ConfigUpdateAns };
        default:
          return this.#error(ErrorCode.InvalidMessage, "not a request this peer answers");
      }
    } catch (error) {
      if (error instanceof StorageError) return this.#error(error.errorCode, error.reason);
      throw error;
    }
  }

  /** Whether our range changed so recently that handed-over records may still be on their way. */
  #newInRange(): boolean {
    return this.#c.clock.monotonic() - this.#rangeChangedAt < RANGE_SETTLE_MS;
  }

  /**
   * A Fetch that finds nothing at a peer new in its range (just joined, or its predecessor just
   * failed) asks the successor, which held the range before or holds its first replica, and keeps
   * what it gets. Handovers are not instant; lookups during one must not read "no such record".
   */
  async #fetchFromPreviousHolder(
    resourceId: Uint8Array,
    specifiers: readonly StoredDataSpecifier[],
    local: KindData[],
  ): Promise<MessageBody> {
    // The previous holder is our successor (we joined before it) or, for a range inherited from
    // a failed predecessor, we held its first replica and our successor its second.
    for (const holder of this.table.successors().slice(0, this.#copies - 1)) {
      let answer;
      try {
        answer = await this.messenger.request({ type: "node", id: holder.nodeId }, {
          code: MessageCode.FetchReq,
          resourceId,
          specifiers,
        }, { directTo: holder.address, signal: this.#timeout(REPAIR_FETCH_MS) });
      } catch {
        continue;
      }
      if (answer.body.code !== MessageCode.FetchAns) continue;
      const found = answer.body.kindData.filter((k) => k.values.length > 0);
      if (found.length > 0) {
        try {
          this.#c.store.store(
            { resourceId, replicaNumber: 0, kindData: found },
            this.#c.clock.now(),
          );
        } catch {
          // Kept or not, the answer stands: the values carry their owners' signatures.
        }
        return answer.body;
      }
    }
    return { code: MessageCode.FetchAns, kindData: local };
  }

  #onJoin(joiner: Uint8Array, infos: PeerInfo[]): MessageBody {
    // RFC 6940 section 10.5: the admitting peer answers with its neighbourhood, adds the joiner and
    // hands it the records of the range it now owns.
    const answer = encodePeerList([
      this.#selfInfo(),
      ...this.#infos(this.table.predecessors()),
      ...this.#infos(this.table.successors()),
    ]);
    const oldPredecessor = this.table.predecessors()[0];
    const info = infos.find((i) => hex(i.nodeId) === hex(joiner)) ??
      { nodeId: joiner, addresses: [] };
    const peer = this.#addPeer(info);
    if (peer) {
      const joinerId = idToBigInt(joiner);
      const from = oldPredecessor?.id ?? this.table.self.id;
      void this.#handOver(
        peer,
        (resource) => inArc(idToBigInt(resource), from, joinerId),
        this.#timeout(HANDOVER_DEADLINE_MS),
      );
    }
    return { code: MessageCode.JoinAns, overlayData: answer };
  }

  #error(errorCode: number, reason: string): MessageBody {
    return {
      code: MessageCode.Error,
      errorCode,
      reasonPhrase: reason.slice(0, 120),
      errorInfo: new Uint8Array(0),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Topology maintenance.

  async #stabilize(): Promise<void> {
    if (!this.#running) return;
    // Every neighbour gone (or the join never went through): join again through the bootstrap
    // peers and the peers we knew, as often as stabilisation runs, until one admits us.
    if (
      this.table.successors().length === 0 &&
      (this.#init.bootstrap.length > 0 || this.#remembered.size > 0 ||
        this.#lowerDiscoveredPeer() !== undefined)
    ) {
      if (this.#joining) return;
      this.#joining = true;
      // A seed or a peer alone by choice stays a ring of one while it looks for the others.
      if (this.#init.bootstrap.length > 0 && !this.#isSeed()) this.#joined = false;
      try {
        if (await this.join()) return;
      } finally {
        this.#joining = false;
      }
      return;
    }
    const now = this.#c.clock.monotonic();
    // Each round probes our closest successor and predecessor (they define our range and hold our
    // replicas) and one other neighbour in turn, so every neighbour hears from us at least once
    // per (neighbours - 1) rounds. Silence is judged over that many rounds plus one.
    const immediate = new Map<string, PeerRef>();
    for (const p of [this.table.successors()[0], this.table.predecessors()[0]]) {
      if (p) immediate.set(p.hex, p);
    }
    const others = new Map<string, PeerRef>();
    for (const p of [...this.table.successors(), ...this.table.predecessors()]) {
      if (!immediate.has(p.hex)) others.set(p.hex, p);
    }
    const rotation = [...others.values()];
    // Silence is only meaningful over a few of our own rounds: never shorter than three of them.
    const timeout = Math.max(this.#init.peerTimeoutMs ?? 30_000, 3 * this.#stabilizeMs);
    // Neighbours exchange Updates, so silence means gone. Fingers are only routed through: a finger
    // that stops acknowledging is dropped on hop failure (#suspect) and replaced by the refresh.
    for (const hexId of this.#liveness.keys()) {
      if (this.table.get(hexId) === undefined) this.#liveness.delete(hexId);
    }
    for (const hexId of this.#sentViews.keys()) {
      if (this.table.get(hexId) === undefined) this.#sentViews.delete(hexId);
    }
    // Silence is judged for the peers probed every round; the others are judged by their probe
    // (a round can last long, and a turn in the rotation several rounds).
    for (const peer of immediate.values()) {
      const heard = this.#liveness.get(peer.hex)?.lastHeard ?? now;
      if (now - heard > timeout) this.#dropPeer(peer, "silent");
    }
    const probed = [...immediate.values()];
    if (rotation.length > 0) probed.push(rotation[this.#probeTurn++ % rotation.length]!);
    await Promise.allSettled(probed.map((peer) => this.#probe(peer)));
    // Chord's stabilise: look up the key right after our own id. The peer responsible for it is our
    // true successor, even when no neighbour knows it (two joins in one gap can hide peers from
    // each other; this finds them through the fingers). Every round while the neighbourhood
    // changes, every third when calm: the Updates above carry the same news most of the time.
    if (this.#changes > 0 || this.#round++ % 3 === 0) {
      try {
        const successor = await this.#lookup(bigIntToId(this.table.self.id + 1n));
        if (successor) this.#addPeer(successor);
      } catch {
        // The next round tries again.
      }
    }
    // Adaptive period: halve it while the neighbourhood keeps changing, grow it back when calm.
    const min = this.#init.stabilizeMinMs ?? DEFAULT_STABILIZE_MIN_MS;
    const max = this.#init.stabilizeMaxMs ?? DEFAULT_STABILIZE_MAX_MS;
    this.#stabilizeMs = this.#changes > 0
      ? Math.max(min, this.#stabilizeMs / 2)
      : Math.min(max, this.#stabilizeMs * 1.5);
    this.#changes = 0;
  }

  /**
   * Sends a neighbour our neighbourhood (an Update) straight to its address; no answer within
   * PROBE_MS drops it. One probe per peer at a time.
   */
  async #probe(peer: PeerRef): Promise<void> {
    if (this.table.get(peer.hex) === undefined || this.#probing.has(peer.hex)) return;
    this.#probing.add(peer.hex);
    // The lists go out when they differ from what this neighbour last acknowledged from us, and
    // every LEAN_UPDATES_BETWEEN_FULL + 1st time anyway (its table may have lost entries that ours
    // would refill); otherwise a lean Update: the same probe in about half the bytes.
    const view = [...this.table.predecessors(), ...this.table.successors()]
      .map((p) => `${p.hex}@${p.address.host}:${p.address.port}`).join(",");
    const sent = this.#sentViews.get(peer.hex);
    const lean = sent !== undefined && sent.view === view && sent.lean < LEAN_UPDATES_BETWEEN_FULL;
    try {
      await this.messenger.request({ type: "node", id: peer.nodeId }, {
        code: MessageCode.UpdateReq,
        uptime: Math.floor((this.#c.clock.monotonic() - this.#startedAt) / 1000),
        updateType: lean ? UpdateType.PeerReady : UpdateType.Neighbors,
        predecessors: lean ? [] : this.#infos(this.table.predecessors()),
        successors: lean ? [] : this.#infos(this.table.successors()),
        fingers: [],
      }, {
        // The probe is about the direct link: never routed around it.
        directTo: peer.address,
        signal: this.#timeout(PROBE_MS),
      });
      this.#heard(peer.hex);
      this.#sentViews.set(peer.hex, { view, lean: lean ? sent.lean + 1 : 0 });
    } catch (error) {
      if (
        error instanceof OverlayRequestError &&
        (error.reason === "timeout" || error.reason === "aborted")
      ) {
        this.#dropPeer(peer, "timeout");
      } else {
        this.#log.debug("Neighbour probe failed", {
          peer: peer.hex,
          error: (error as Error).message,
        });
      }
    } finally {
      this.#probing.delete(peer.hex);
    }
  }

  /** A neighbour left a datagram unacknowledged: probe it now rather than at its turn. */
  #onSuspect(to: DatagramAddress): void {
    if (!this.#running) return;
    for (const peer of [...this.table.successors(), ...this.table.predecessors()]) {
      if (peer.address.host === to.host && peer.address.port === to.port) void this.#probe(peer);
    }
  }

  /**
   * One finger per round, in turn. A finger that is alive stays: it acknowledged something of ours
   * within the last round, or it answers a Ping. Only a missing or dead finger costs a
   * lookup (a RouteQuery over about log N hops each way: most of the bytes of a ring under churn
   * went to refreshing fingers that were fine).
   */
  async #refreshFinger(): Promise<void> {
    if (!this.#running || this.table.peers().length === 0) return;
    const index = this.#nextFinger;
    this.#nextFinger = (this.#nextFinger + 1) % this.table.fingerCount;
    const current = this.table.fingers()[index];
    if (current !== undefined && await this.#fingerAlive(current)) return;
    const arc = this.table.fingerArc(index);
    const target = randomInRange(arc.start, arc.length, this.#c.randomBytes);
    try {
      const responsible = await this.#lookup(bigIntToId(target));
      if (responsible === undefined) return;
      const peer = this.#addPeer(responsible);
      const end = (arc.start + arc.length - 1n) % (1n << 128n);
      if (peer && inArc(peer.id, (arc.start - 1n + (1n << 128n)) % (1n << 128n), end)) {
        this.table.setFinger(index, peer);
      } else {
        // No peer in this arc: the smaller arcs after it are almost surely empty too (they only fill
        // once the ring has about 2^index peers), so start again from the largest.
        this.table.setFinger(index, undefined);
        this.#nextFinger = 0;
      }
    } catch {
      // A failed refresh leaves the old finger; stabilisation prunes dead peers.
    }
  }

  /** Whether a finger is alive: an ACK from it within the last round, or else its answer to a Ping. */
  async #fingerAlive(finger: PeerRef): Promise<boolean> {
    const interval = this.#init.fingerRefreshMs ?? 10_000;
    const acked = this.messenger.lastAcked(finger.address);
    if (acked !== undefined && this.#c.clock.monotonic() - acked < interval) {
      return true;
    }
    try {
      await this.messenger.request({ type: "node", id: finger.nodeId }, {
        code: MessageCode.PingReq,
        padding: new Uint8Array(0),
      }, { directTo: finger.address, signal: this.#timeout(PROBE_MS) });
      return true;
    } catch (error) {
      if (
        error instanceof OverlayRequestError &&
        (error.reason === "timeout" || error.reason === "aborted")
      ) {
        if (this.table.get(finger.hex) !== undefined) this.#dropPeer(finger, "timeout");
        return false;
      }
      return true; // it answered, if only with an error
    }
  }

  async #checkPartition(): Promise<void> {
    if (!this.#running) return;
    // Route to our own id through a bootstrap peer: in one ring the answer comes from us.
    const discovered = this.#discoveredByLowestId().map(([, address]) => address);
    for (const bootstrap of [...this.#init.bootstrap, ...discovered]) {
      if (
        bootstrap.host === this.#c.transport.local.host &&
        bootstrap.port === this.#c.transport.local.port
      ) continue;
      try {
        const responsible = await this.#lookup(this.#c.key.nodeId, bootstrap);
        if (responsible && hex(responsible.nodeId) !== this.nodeHex) {
          this.#log.warn("Overlay partition found: merging", { other: hex(responsible.nodeId) });
          this.#addPeer(responsible);
          await this.join({ via: bootstrap });
        }
        return;
      } catch {
        // Try the next bootstrap peer.
      }
    }
  }

  /** The peer responsible for `key` (a RouteQuery answered where the key's lookup ends). */
  async #lookup(key: Uint8Array, directTo?: DatagramAddress): Promise<PeerInfo | undefined> {
    const answer = await this.messenger.request({ type: "resource", id: key }, {
      code: MessageCode.RouteQueryReq,
      sendUpdate: false,
      destination: { type: "resource", id: key },
      overlayData: new Uint8Array(0),
    }, directTo ? { directTo } : {});
    return answer.body.code === MessageCode.RouteQueryAns ? answer.body.nextPeer : undefined;
  }

  #addPeer(info: PeerInfo, request?: IncomingRequest): PeerRef | undefined {
    const nodeHex = hex(info.nodeId);
    if (nodeHex === this.nodeHex) return undefined;
    // A peer we found dead comes back only on its own word, not through others' stale lists.
    const droppedAt = this.#dropped.get(nodeHex);
    if (droppedAt !== undefined) {
      if (this.#c.clock.monotonic() - droppedAt < 2 * (this.#init.peerTimeoutMs ?? 30_000)) {
        return undefined;
      }
      this.#dropped.delete(nodeHex);
    }
    const advertised = info.addresses[0];
    const address = advertised
      ? { host: ipText(advertised.ip), port: advertised.port }
      : this.messenger.addressOf(nodeHex) ??
        request?.from;
    if (address === undefined) return undefined;
    const existing = this.table.get(nodeHex);
    const peer = existing ?? peerRef(info.nodeId, address);
    this.messenger.learn(nodeHex, address);
    const added = this.table.addNeighbour(peer);
    // Liveness is tracked for table members only, so gossip about far peers costs no memory.
    if (this.table.get(nodeHex) !== undefined && !this.#liveness.has(nodeHex)) {
      this.#liveness.set(nodeHex, { lastHeard: this.#c.clock.monotonic() });
    }
    if (added) {
      this.#remember(nodeHex, address);
      this.#changes++;
      if (!existing) this.#listeners.peerUp?.(peer);
      this.#onNeighbourhoodChange();
    }
    this.#neighbourGauge.set(this.table.peers().length);
    return this.table.get(nodeHex) ?? peer;
  }

  #remember(nodeHex: string, address: DatagramAddress): void {
    this.#remembered.delete(nodeHex);
    this.#remembered.set(nodeHex, address);
    if (this.#remembered.size > REMEMBERED_PEERS) {
      this.#remembered.delete(this.#remembered.keys().next().value!);
    }
  }

  #dropPeer(peer: PeerRef, reason: string): void {
    if (!this.table.remove(peer.hex)) return;
    this.#liveness.delete(peer.hex);
    if (reason !== "left") {
      this.messenger.forgetPeer(peer.address);
      if (this.#dropped.size >= MAX_DROPPED_REMEMBERED) {
        this.#dropped.delete(this.#dropped.keys().next().value!);
      }
      this.#dropped.set(peer.hex, this.#c.clock.monotonic());
    }
    this.#changes++;
    this.#log.debug("Peer dropped", { peer: peer.hex, reason });
    this.#listeners.peerDown?.(peer);
    this.#neighbourGauge.set(this.table.peers().length);
    this.#onNeighbourhoodChange();
  }

  /**
   * After an Update from `peer`: when we know a closer successor or predecessor for it than the
   * ones it announced (we may be that peer ourselves), send it our neighbourhood at once. This is
   * what makes a ring converge after concurrent joins (Chord's notify, RFC 6940 section 10.7.4).
   */
  #correct(
    peer: PeerRef,
    itsSuccessor: Uint8Array | undefined,
    itsPredecessor: Uint8Array | undefined,
  ): void {
    const known = [this.table.self, ...this.table.peers()].filter((p) => p.hex !== peer.hex);
    const bestAfter = known.reduce<PeerRef | undefined>(
      (best, p) =>
        best === undefined || clockwise(peer.id, p.id) < clockwise(peer.id, best.id) ? p : best,
      undefined,
    );
    const bestBefore = known.reduce<PeerRef | undefined>(
      (best, p) =>
        best === undefined || clockwise(p.id, peer.id) < clockwise(p.id, best.id) ? p : best,
      undefined,
    );
    const wrongSuccessor = bestAfter !== undefined &&
      (itsSuccessor === undefined || hex(itsSuccessor) !== bestAfter.hex) &&
      (itsSuccessor === undefined ||
        clockwise(peer.id, bestAfter.id) < clockwise(peer.id, idToBigInt(itsSuccessor)));
    const wrongPredecessor = bestBefore !== undefined &&
      (itsPredecessor === undefined || hex(itsPredecessor) !== bestBefore.hex) &&
      (itsPredecessor === undefined ||
        clockwise(bestBefore.id, peer.id) < clockwise(idToBigInt(itsPredecessor), peer.id));
    if (!wrongSuccessor && !wrongPredecessor) return;
    // The better peer we found may be a finger, not in our neighbour lists: send it along (after
    // us: a correction lists its sender first).
    const withBest = (best: PeerRef | undefined, list: readonly PeerRef[], max: number) =>
      [this.table.self, ...(best && best !== this.table.self ? [best] : []), ...list]
        .filter((p, i, all) => all.findIndex((q) => q.hex === p.hex) === i)
        .slice(0, max + 2);
    void this.messenger.request({ type: "node", id: peer.nodeId }, {
      code: MessageCode.UpdateReq,
      uptime: Math.floor((this.#c.clock.monotonic() - this.#startedAt) / 1000),
      updateType: 2,
      predecessors: this.#infos(
        withBest(
          wrongPredecessor ? bestBefore : undefined,
          this.table.predecessors(),
          this.table.maxPredecessors,
        ),
      ),
      successors: this.#infos(
        withBest(
          wrongSuccessor ? bestAfter : undefined,
          this.table.successors(),
          this.table.maxSuccessors,
        ),
      ),
      fingers: [],
    }, { directTo: peer.address }).catch(() => {}); // directly: it may not be in our table
  }

  #suspect(to: DatagramAddress): void {
    for (const peer of this.table.peers()) {
      if (peer.address.host === to.host && peer.address.port === to.port) {
        this.#dropPeer(peer, "unreachable");
      }
    }
  }

  #heard(nodeHex: string): void {
    const entry = this.#liveness.get(nodeHex);
    if (entry) entry.lastHeard = this.#c.clock.monotonic();
  }

  /**
   * After a neighbourhood change, copies go only where they are missing (RFC 6940 section 10.7.1,
   * re-replication): all our primary records to a peer new in our replica set; the records of a
   * range we just inherited (our predecessor is gone) to every replica peer; and to a new
   * predecessor inside our range, the records it now owns. Unchanged replica peers get nothing.
   */
  #onNeighbourhoodChange(): void {
    if (!this.#running) return;
    const pred = this.table.predecessors()[0];
    if (pred === undefined) return;
    const self = this.table.self.id;
    const mine = (resource: Uint8Array) => inArc(idToBigInt(resource), pred.id, self);
    const replicas = this.table.replicaPeers(this.#copies - 1);
    const before = this.#lastReplicas;
    this.#lastReplicas = new Set(replicas.map((p) => p.hex));
    const old = this.#lastPredecessor;
    this.#lastPredecessor = pred;
    if (old?.hex !== pred.hex) this.#rangeChangedAt = this.#c.clock.monotonic();
    for (const [i, peer] of replicas.entries()) {
      if (!before.has(peer.hex)) {
        void this.#pushRecords(peer, mine, i + 1, this.#timeout(HANDOVER_DEADLINE_MS));
      } else if (old !== undefined && old.hex !== pred.hex && inArc(old.id, pred.id, self)) {
        // Our range grew to (pred, old]: the replica peers may not hold those records.
        void this.#pushRecords(
          peer,
          (r) => inArc(idToBigInt(r), pred.id, old.id),
          i + 1,
          this.#timeout(HANDOVER_DEADLINE_MS),
        );
      }
    }
    // A new predecessor inside our old range now owns (old predecessor, new predecessor]: hand it
    // those records as their primary (it replicates them), whether or not its Join came through us.
    if (old !== undefined && old.hex !== pred.hex && inArc(pred.id, old.id, self)) {
      void this.#pushRecords(
        pred,
        (r) => inArc(idToBigInt(r), old.id, pred.id),
        0,
        this.#timeout(HANDOVER_DEADLINE_MS),
      );
    }
  }

  /**
   * A primary copy landed here: replicate it if the range is ours. Otherwise (a handover pushed
   * it to us while the ring was still settling, or the sender's view was out of date) we keep it
   * as a copy and route the primary on to the peer responsible now, so the record reaches its
   * owner without waiting for a refresh.
   */
  #placePrimary(resourceId: Uint8Array, kindData: readonly KindData[]): void {
    // The routing test, not the bare table: a request it would deliver here must not be re-sent.
    if (this.messenger.isResponsibleFor(idToBigInt(resourceId))) {
      return this.#replicate(resourceId, kindData);
    }
    void this.messenger.request({ type: "resource", id: resourceId }, {
      code: MessageCode.StoreReq,
      resourceId,
      replicaNumber: 0,
      kindData,
    }).catch(() => {});
  }

  #replicate(resourceId: Uint8Array, kindData: readonly KindData[]): void {
    for (const [i, peer] of this.table.replicaPeers(this.#copies - 1).entries()) {
      void this.messenger.request({ type: "node", id: peer.nodeId }, {
        code: MessageCode.StoreReq,
        resourceId,
        replicaNumber: i + 1,
        kindData,
      }, { directTo: peer.address }).catch(() => {});
    }
  }

  #handOver(
    peer: PeerRef,
    filter: (resource: Uint8Array) => boolean,
    signal: AbortSignal,
  ): Promise<void> {
    return this.#pushRecords(peer, filter, 1, signal);
  }

  async #pushRecords(
    peer: PeerRef,
    filter: (resource: Uint8Array) => boolean,
    replicaNumber: number,
    signal: AbortSignal,
  ): Promise<void> {
    for (const entry of this.#c.store.entries(filter)) {
      if (signal.aborted) return;
      try {
        await this.messenger.request({ type: "node", id: peer.nodeId }, {
          code: MessageCode.StoreReq,
          resourceId: entry.resourceId,
          replicaNumber,
          kindData: entry.kindData,
        }, { directTo: peer.address, signal });
      } catch {
        // The peer may already hold newer data (DataTooOld), or be gone; both are fine.
      }
    }
  }

  #leaveTo(
    peer: PeerRef,
    leaveType: 1 | 2,
    neighbours: readonly PeerRef[],
    signal: AbortSignal,
  ): Promise<unknown> {
    return this.messenger.request({ type: "node", id: peer.nodeId }, {
      code: MessageCode.LeaveReq,
      leavingPeerId: this.#c.key.nodeId,
      leaveType,
      neighbors: this.#infos(neighbours),
    }, { directTo: peer.address, signal }).catch(() => {});
  }

  #selfInfo(): PeerInfo {
    return { nodeId: this.#c.key.nodeId, addresses: this.#init.advertise.slice(0, 4) };
  }

  #infos(peers: readonly PeerRef[]): PeerInfo[] {
    return peers.map((p) => ({ nodeId: p.nodeId, addresses: [addressToTransport(p.address)] }));
  }

  #every(interval: () => number, task: () => Promise<void> | void): void {
    const run = () => {
      if (!this.#running) return;
      const jitter = 0.75 + 0.5 * (this.#c.randomBytes(1)[0]! / 255);
      const cancel = this.#c.scheduler.schedule(interval() * jitter, async () => {
        this.#timers = this.#timers.filter((c) => c !== cancel);
        try {
          await task();
        } catch (error) {
          this.#log.warn("Overlay maintenance task failed", { error: (error as Error).message });
        }
        run();
      });
      this.#timers.push(cancel);
    };
    run();
  }

  /** An AbortSignal that fires after `ms` on the injected scheduler (virtual time in the simulator). */
  #timeout(ms: number): AbortSignal {
    const controller = new AbortController();
    this.#c.scheduler.schedule(ms, () => controller.abort(new Error(`timed out after ${ms} ms`)));
    return controller.signal;
  }

  #randomUint32(): number {
    const b = this.#c.randomBytes(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }
}

/** Text form of a 4- or 16-byte IP address. */
export function ipText(ip: Uint8Array): string {
  if (ip.length === 4) return Array.from(ip).join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i]! << 8) | ip[i + 1]!).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

/** A transport address from an IP literal and port. */
export function addressToTransport(address: DatagramAddress): TransportAddress {
  return { ip: ipBytes(address.host), port: address.port };
}

/** Bytes of an IPv4 or IPv6 literal. */
export function ipBytes(host: string): Uint8Array {
  if (!host.includes(":")) return new Uint8Array(host.split(".").map(Number));
  const [head, tail] = host.split("::") as [string, string | undefined];
  const parse = (
    s: string | undefined,
  ) => (s ? s.split(":").filter(Boolean).map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = tail === undefined
    ? left
    : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}
