import { bytesToHex } from "../core/hex.ts";
import type { Clock } from "../core/clock.ts";
import { SuperpeerError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { Counter, Histogram, Metrics } from "../core/metrics.ts";
import type { Cancel, Scheduler } from "../core/scheduler.ts";
import { type DatagramAddress, type DatagramTransport, formatAddress } from "../core/transport.ts";
import {
  ErrorCode,
  INITIAL_TTL,
  isRequestCode,
  MAX_MESSAGE_BYTES,
  MAX_VIA_ENTRIES,
  MessageCode,
} from "../codec/overlay/constants.ts";
import type { Destination } from "../codec/overlay/destination.ts";
import { decodeEnvelope, type Envelope } from "../codec/overlay/envelope.ts";
import { fragmentFrame } from "../codec/overlay/fragmenter.ts";
import {
  ackIdOf,
  decodeFrame,
  encodeFrame,
  type FragmentFrame,
  type MessageFrame,
} from "../codec/overlay/frame.ts";
import { type MessageBody, messageName, peekMessageCode } from "../codec/overlay/message_body.ts";
import { OverlayDecodeError } from "../codec/overlay/overlay_errors.ts";
import type { AdmissionPolicy } from "../identity/admission.ts";
import type { NodeKey } from "../identity/node_key.ts";
import { nodeIdFromPublicKey } from "../identity/node_key.ts";
import {
  ed25519MessageCrypto,
  type MessageCrypto,
  MessageSecurityError,
  type OpenedMessage,
  openMessage,
  sealMessage,
} from "./message_security.ts";
import { Reassembler } from "./reassembler.ts";
import { AnswerCache } from "./reliability/answer_cache.ts";
import { HopSender } from "./reliability/hop_sender.ts";
import { RequestError, RequestTracker } from "./reliability/request_tracker.ts";
import { ReplayGuard } from "./replay_guard.ts";
import { idToBigInt } from "./ring.ts";
import type { PeerRef, RoutingTable } from "./routing_table.ts";

/** A request delivered to this node, for the node's handlers. */
export interface IncomingRequest {
  readonly opened: OpenedMessage;
  /** The via list as received: the peers that forwarded it, in order. */
  readonly via: readonly Destination[];
  readonly from: DatagramAddress;
}

/** Why a datagram or message was dropped (metric label). */
export type DropReason =
  | "decode"
  | "wrong-overlay"
  | "loop"
  | "ttl"
  | "no-route"
  | "security"
  | "duplicate"
  | "retry-later"
  | "unknown-transaction"
  | "handler";

export interface MessengerInit {
  readonly overlayId: number;
  readonly replayWindowSeconds: number;
  /** Learned node-id-to-address entries kept for routing answers back. @default 4096 */
  readonly maxLearnedAddresses?: number;
}

export interface MessengerComponents {
  readonly transport: DatagramTransport;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly key: NodeKey;
  readonly admission: AdmissionPolicy;
  readonly table: RoutingTable;
  readonly randomBytes: (n: number) => Uint8Array;
  /** @default ed25519MessageCrypto */
  readonly crypto?: MessageCrypto;
  /** Told the hop count of every request delivered here (the simulator's histogram). */
  readonly onDelivered?: (code: number, hops: number) => void;
}

const hex = bytesToHex;

/** RFC 6940 simple reliability's first retransmission timeout. */
const RETRANSMIT_FIRST_RTO_MS = 500;
/**
 * A neighbour that has left a datagram unacknowledged this long is routed around (still tried when
 * no other peer will do) until it acknowledges again; the hop failure after all five sends (15.5 s)
 * removes it. Without this, end-to-end retries would keep choosing the same dead finger.
 */
export const SUSPECT_AFTER_MS = 1_000;

/**
 * The overlay's message layer (RFC 6940 sections 6.2-6.6 with CHORD-RELOAD routing): seals and
 * sends requests, forwards what is not for us (symmetric recursive routing: requests grow the via
 * list, answers retrace it), acknowledges and retransmits hop by hop, reassembles fragments,
 * checks signatures, admission and replays on what is delivered here, and replays cached answers to
 * retransmitted requests. One timer, re-armed to the earliest deadline of its parts.
 */
export class OverlayMessenger {
  readonly #init: MessengerInit;
  readonly #c: MessengerComponents;
  readonly #log: Logger;
  readonly #hop: HopSender;
  readonly #answers: AnswerCache;
  readonly #requests: RequestTracker<OpenedMessage>;
  readonly #reassembler: Reassembler;
  readonly #replay: ReplayGuard;
  readonly #learned = new Map<string, DatagramAddress>();
  /** Neighbours that have let a datagram go unacknowledged past one RTO, and since when. */
  readonly #unacked = new Map<string, number>();
  readonly #avoid = (peer: { address: DatagramAddress }) => {
    if (this.#unacked.size === 0) return false; // the usual case: skip formatting the address
    const since = this.#unacked.get(formatAddress(peer.address));
    return since !== undefined && this.#c.clock.monotonic() - since >= SUSPECT_AFTER_MS;
  };
  /** When each neighbour last acknowledged a datagram (monotonic ms), newest last. */
  readonly #acked = new Map<string, number>();
  readonly #maxLearned: number;
  readonly #selfHex: string;
  #timer: Cancel | undefined;
  #timerAt = Infinity;
  #closed = false;
  #handler: (request: IncomingRequest) => MessageBody | Promise<MessageBody>;
  #onHopFailure: (to: DatagramAddress) => void = () => {};
  #onSuspect: (to: DatagramAddress) => void = () => {};
  readonly #sent: Map<string, Counter> = new Map();
  readonly #received: Map<string, Counter> = new Map();
  readonly #drops: Map<string, Counter> = new Map();
  readonly #metrics: Metrics;
  readonly #retransmits: Counter;
  readonly #hedged: Counter;
  /** Forwarded requests' next-best hop, taken once if the first leaves them unacknowledged. */
  readonly #reroutes = new WeakMap<Uint8Array, () => void>();
  readonly #latency: Histogram;
  readonly #bytesOut: Counter;

  constructor(init: MessengerInit, components: MessengerComponents) {
    this.#init = init;
    this.#c = components;
    this.#log = components.logger;
    this.#metrics = components.metrics;
    this.#selfHex = hex(components.key.nodeId);
    this.#maxLearned = init.maxLearnedAddresses ?? 4096;
    this.#hop = new HopSender({});
    this.#answers = new AnswerCache({});
    this.#requests = new RequestTracker<OpenedMessage>({});
    this.#reassembler = new Reassembler({}, {
      clock: components.clock,
      onDrop: (reason) => this.#drop(`reassembly-${reason}` as DropReason),
    });
    this.#replay = new ReplayGuard({ windowSeconds: init.replayWindowSeconds }, {
      clock: components.clock,
    });
    this.#latency = components.metrics.histogram(
      "superpeer_overlay_request_seconds",
      "Time from sending an overlay request to its answer",
      [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 15],
    );
    this.#hedged = components.metrics.counter(
      "superpeer_overlay_hedged_forwards_total",
      "Forwarded requests also sent to the next-best hop after the first left them unacknowledged",
    );
    this.#retransmits = components.metrics.counter(
      "superpeer_overlay_retransmissions_total",
      "Hop-by-hop retransmissions",
    );
    this.#bytesOut = components.metrics.counter(
      "superpeer_overlay_bytes_sent_total",
      "Overlay bytes sent (all datagrams)",
    );
    this.#handler = () => ({
      code: MessageCode.Error,
      errorCode: ErrorCode.NotFound,
      reasonPhrase: "no handler",
      errorInfo: new Uint8Array(0),
    });
    components.transport.onDatagram((bytes, from) => this.#onDatagram(bytes, from));
  }

  /** Sets the handler of requests delivered to this node; its answer (or Error) is sent back. */
  onRequest(handler: (request: IncomingRequest) => MessageBody | Promise<MessageBody>): void {
    this.#handler = handler;
  }

  /**
   * Whether a request for `key` would be delivered here: our range, with predecessors that stopped
   * acknowledging passed over (the same test routing applies).
   */
  isResponsibleFor(key: bigint): boolean {
    return this.#c.table.isResponsible(key, this.#avoid);
  }

  /** Called when a neighbour did not acknowledge a datagram after every retransmission. */
  onHopFailure(handler: (to: DatagramAddress) => void): void {
    this.#onHopFailure = handler;
  }

  /**
   * Sets what to do when a neighbour first leaves a datagram unacknowledged past one RTO (it is
   * routed around from then on): the overlay node probes it at once rather than at its next round.
   */
  onSuspect(handler: (to: DatagramAddress) => void): void {
    this.#onSuspect = handler;
  }

  /** Bytes this node has sent, for the maintenance-traffic figure. */
  get bytesSent(): number {
    return this.#bytesSentTotal;
  }
  #bytesSentTotal = 0;

  /** The address a node id was last seen at (from frames it sent us). */
  addressOf(nodeHex: string): DatagramAddress | undefined {
    return this.#learned.get(nodeHex) ?? this.#c.table.get(nodeHex)?.address;
  }

  /** Remembers where a node can be reached (e.g. from a PeerInfo). */
  learn(nodeHex: string, address: DatagramAddress): void {
    this.#learned.delete(nodeHex);
    this.#learned.set(nodeHex, address);
    if (this.#learned.size > this.#maxLearned) {
      this.#learned.delete(this.#learned.keys().next().value!);
    }
  }

  /**
   * Stops retransmitting to a neighbour found dead (its probe went unanswered): what was queued for
   * it is dropped as a hop failure would drop it, without waiting for the last RTO. It stays
   * routed around until it acknowledges something again.
   */
  forgetPeer(address: DatagramAddress): void {
    this.#hop.forget(address);
  }

  /** When the peer at `address` last acknowledged a datagram of ours (monotonic ms), if we know. */
  lastAcked(address: DatagramAddress): number | undefined {
    return this.#acked.get(formatAddress(address));
  }

  /** Requests in flight. */
  get pendingRequests(): number {
    return this.#requests.size;
  }

  /**
   * Sends a request to `destination` and resolves with the opened answer (an Error answer rejects
   * with OverlayRequestError). `directTo` sends the first hop to an address (bootstrap peers whose
   * node id we do not know yet); otherwise the routing table chooses it.
   */
  request(
    destination: Destination,
    body: MessageBody,
    options: { directTo?: DatagramAddress; signal?: AbortSignal } = {},
  ): Promise<OpenedMessage> {
    if (this.#closed) {
      return Promise.reject(
        new OverlayRequestError("closed", "the overlay is stopping", ErrorCode.RequestTimeout),
      );
    }
    const transactionId = this.#c.randomBytes(8);
    const sealed = sealMessage({
      key: this.#c.key,
      overlayId: this.#init.overlayId,
      transactionId,
      destinations: [destination],
      sentAt: Math.floor(this.#c.clock.now() / 1000),
      admission: this.#c.admission.proofFor(this.#c.key.publicKeyRaw),
      body,
      crypto: this.#crypto,
    });
    const send = () => {
      const to = options.directTo ?? this.#firstHop(destination);
      // We are responsible ourselves: deliver locally, without the network.
      const deliverHere = () => {
        const frame = decodeFrame(sealed.frame, MAX_MESSAGE_BYTES) as MessageFrame;
        this.#deliverRequest(frame, decodeEnvelope(frame.envelope), this.#c.transport.local);
      };
      if (to === "self") {
        deliverHere();
      } else if (to === undefined) {
        this.#requests.fail(
          transactionId,
          new OverlayRequestError("no-route", "no peer to send to", ErrorCode.NotFound),
        );
      } else {
        if (options.directTo === undefined && destination.type === "resource") {
          this.#hedgeOnSilence(
            sealed.frame,
            idToBigInt(destination.id),
            new Set(),
            to,
            transactionId,
            deliverHere,
          );
        }
        this.#sendFrame(sealed.frame, to, transactionId);
      }
    };
    const promise = this.#requests.begin(
      transactionId,
      this.#c.clock.monotonic(),
      send,
      options.signal ? { signal: options.signal } : {},
    );
    this.#count(this.#sent, "superpeer_overlay_messages_sent_total", messageName(body.code));
    const startedAt = this.#c.clock.monotonic();
    send();
    this.#arm();
    return promise.then((opened) => {
      this.#latency.observe((this.#c.clock.monotonic() - startedAt) / 1000);
      if (opened.body.code === MessageCode.Error) {
        throw new OverlayRequestError(
          "error-answer",
          opened.body.reasonPhrase || `error ${opened.body.errorCode}`,
          opened.body.errorCode,
        );
      }
      return opened;
    }, (error) => {
      if (error instanceof RequestError) {
        throw new OverlayRequestError(
          error.reason,
          error.message,
          error.errorCode ?? ErrorCode.RequestTimeout,
        );
      }
      throw error;
    });
  }

  /** The replay window in force, seconds. */
  get replayWindowSeconds(): number {
    return this.#replay.windowSeconds;
  }

  /** Changes the replay window of incoming messages (SIGHUP: overlay.replayWindowSeconds). */
  setReplayWindow(seconds: number): void {
    this.#replay.setWindow(seconds);
  }

  /** Stops everything: pending requests fail, timers stop. The transport is the owner's to close. */
  close(): void {
    this.#closed = true;
    this.#timer?.();
    this.#timer = undefined;
    this.#requests.closeAll();
    this.#reassembler.clear();
  }

  #firstHop(destination: Destination): DatagramAddress | "self" | undefined {
    if (destination.type === "opaque") return undefined;
    const key = idToBigInt(destination.id);
    const next = this.#c.table.nextHop(key, this.#avoid);
    if (next === undefined) return undefined;
    if (next !== "self") return next.address;
    if (destination.type === "node" && hex(destination.id) !== this.#selfHex) {
      return this.addressOf(hex(destination.id));
    }
    return "self";
  }

  #sendFrame(frame: Uint8Array, to: DatagramAddress, transactionId: Uint8Array): void {
    const now = this.#c.clock.monotonic();
    const datagrams = fragmentFrame(frame, transactionId);
    if (datagrams.length === 1) {
      // A message frame ends with its 64-byte signature, whose first 8 bytes are the ACK id.
      const key = { id: frame.subarray(frame.length - 64, frame.length - 56), offset: 0 };
      // An end-to-end retry along the same first hop while that hop is still retransmitting the
      // same datagram adds nothing: its RTO schedule goes on (restarting it kept a dead hop from
      // ever failing, at about a datagram a second for the request's whole lifetime).
      if (this.#hop.has(key, to)) return;
      this.#hop.track(key, frame, to, now);
      this.#transmit(frame, to);
    } else {
      for (const datagram of datagrams) {
        const fragment = decodeFrame(datagram) as FragmentFrame;
        this.#hop.track({ id: fragment.transactionId, offset: fragment.offset }, datagram, to, now);
        this.#transmit(datagram, to);
      }
    }
    this.#arm();
  }

  #transmit(datagram: Uint8Array, to: DatagramAddress): void {
    this.#bytesSentTotal += datagram.length;
    this.#bytesOut.inc(datagram.length);
    this.#c.transport.send(datagram, to);
  }

  #onDatagram(bytes: Uint8Array, from: DatagramAddress): void {
    if (this.#closed) return;
    let frame;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      this.#drop("decode", error);
      return;
    }
    switch (frame.type) {
      case "ack": {
        this.#hop.acknowledge(from, frame.id, frame.offset);
        const key = formatAddress(from);
        this.#unacked.delete(key);
        this.#acked.delete(key);
        this.#acked.set(key, this.#c.clock.monotonic());
        if (this.#acked.size > this.#maxLearned) {
          this.#acked.delete(this.#acked.keys().next().value!);
        }
        return;
      }
      case "fragment": {
        this.#transmit(
          encodeFrame({ type: "ack", id: frame.transactionId, offset: frame.offset }),
          from,
        );
        const whole = this.#reassembler.add(formatAddress(from), frame);
        if (whole === undefined) return;
        let message;
        try {
          message = decodeFrame(whole, MAX_MESSAGE_BYTES);
        } catch (error) {
          this.#drop("decode", error);
          return;
        }
        if (message.type === "message") this.#onMessage(message, from);
        return;
      }
      case "message":
        this.#transmit(encodeFrame({ type: "ack", id: ackIdOf(frame), offset: 0 }), from);
        this.#onMessage(frame, from);
    }
  }

  #onMessage(frame: MessageFrame, from: DatagramAddress): void {
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(frame.envelope);
    } catch (error) {
      this.#drop("decode", error);
      return;
    }
    if (envelope.overlayId !== this.#init.overlayId) return this.#drop("wrong-overlay");
    const code = peekMessageCode(envelope.body);
    if (code === undefined) return this.#drop("decode");
    if (isRequestCode(code)) {
      // A request's sender is the last forwarder in its via list, or with none the originator:
      // remember its address, the answer comes back through it. (An answer's via list names the
      // peers still ahead on its way back, not its sender.)
      const previous = frame.via.at(-1);
      const previousHex = previous === undefined
        ? hex(nodeIdFromPublicKey(envelope.senderKey))
        : previous.type === "node"
        ? hex(previous.id)
        : undefined;
      if (previousHex !== undefined) this.learn(previousHex, from);
    }
    const destination = envelope.destinations[0]!;
    if (isRequestCode(code)) this.#routeRequest(frame, envelope, destination, from);
    else this.#routeAnswer(frame, envelope, destination);
  }

  #routeRequest(
    frame: MessageFrame,
    envelope: Envelope,
    destination: Destination,
    from: DatagramAddress,
  ): void {
    const viaHex = new Set<string>();
    for (const d of frame.via) if (d.type === "node") viaHex.add(hex(d.id));
    if (viaHex.has(this.#selfHex)) return this.#drop("loop");
    if (destination.type === "opaque") return this.#drop("no-route");
    const key = idToBigInt(destination.id);
    const forMe = destination.type === "node"
      ? hex(destination.id) === this.#selfHex
      : this.isResponsibleFor(key);
    if (forMe) {
      this.#deliverRequest(frame, envelope, from);
      return;
    }
    let next: DatagramAddress | undefined;
    // Never back to a peer the request already passed: views differ under churn, and a peer
    // that sent it here may think we are closer. The next best peer keeps the request moving.
    const hop = this.#c.table.nextHop(key, this.#avoid, (p) => viaHex.has(p.hex));
    if (hop !== "self" && hop !== undefined) next = hop.address;
    else if (destination.type === "node") next = this.addressOf(hex(destination.id));
    if (next === undefined) {
      // A node we cannot reach is not found; a key we can make no progress towards (our view is
      // out of date under churn) is worth asking again later: Error_Request_Timeout says so
      // (RFC 6940 section 6.3.3.1), and the requester's end-to-end retry takes another path.
      return destination.type === "node"
        ? this.#answerError(frame, envelope, ErrorCode.NotFound, "no route to that node")
        : this.#answerError(frame, envelope, ErrorCode.RequestTimeout, "no route yet, try again");
    }
    // The via list is bounded like the TTL (our codec's cap; RFC 6940 section 6.3.2.2's TTL).
    if (frame.ttl <= 1 || frame.via.length >= MAX_VIA_ENTRIES) {
      return this.#answerError(frame, envelope, ErrorCode.TtlExceeded, "TTL exceeded");
    }
    const via = [...frame.via, { type: "node" as const, id: this.#c.key.nodeId }];
    const forwarded = encodeFrame({ ...frame, ttl: frame.ttl - 1, via });
    if (destination.type === "resource") {
      this.#hedgeOnSilence(
        forwarded,
        key,
        viaHex,
        next,
        envelope.transactionId,
        () => this.#deliverRequest(frame, envelope, from),
      );
    }
    this.#sendFrame(forwarded, next, envelope.transactionId);
  }

  /**
   * If the hop `first` lets `frame` go unacknowledged past one RTO, the next-best hop for `key`
   * gets a copy too (the retransmissions to `first` go on, RFC 6940 simple reliability): a peer
   * whose next hop just died does not hold the request until that peer is dropped or the
   * originator retries. Duplicates meet the destination's answer cache; answers retrace the via
   * list, the same on both copies. When `first` is our predecessor and the key would be ours
   * without it, we are its heir and hold its first replica: the request is answered here
   * (`deliverHere`) instead of being sent round the ring to peers that still route to `first`.
   */
  #hedgeOnSilence(
    frame: Uint8Array,
    key: bigint,
    viaHex: ReadonlySet<string>,
    first: DatagramAddress,
    transactionId: Uint8Array,
    deliverHere: () => void,
  ): void {
    this.#reroutes.set(frame, () => {
      const isFirst = (p: PeerRef) =>
        p.address.host === first.host && p.address.port === first.port;
      if (this.#c.table.isResponsible(key, (p) => isFirst(p) || this.#avoid(p))) {
        this.#hedged.inc();
        deliverHere();
        return;
      }
      const alternative = this.#c.table.nextHop(
        key,
        this.#avoid,
        (p) =>
          viaHex.has(p.hex) || (p.address.host === first.host && p.address.port === first.port),
      );
      if (alternative === "self" || alternative === undefined) return;
      this.#hedged.inc();
      this.#sendFrame(frame, alternative.address, transactionId);
    });
  }

  #routeAnswer(frame: MessageFrame, envelope: Envelope, destination: Destination): void {
    if (destination.type === "node" && hex(destination.id) === this.#selfHex) {
      let opened: OpenedMessage;
      try {
        opened = openMessage(frame, this.#openContext());
      } catch (error) {
        this.#drop(
          error instanceof MessageSecurityError && error.reason === "duplicate"
            ? "duplicate"
            : "security",
          error,
        );
        return;
      }
      this.#count(
        this.#received,
        "superpeer_overlay_messages_received_total",
        messageName(opened.body.code),
      );
      // "Try again later" from a peer on the way: keep the request pending; its end-to-end
      // retry resends it (a new path, as views change) until the request's lifetime ends.
      if (
        opened.body.code === MessageCode.Error &&
        opened.body.errorCode === ErrorCode.RequestTimeout &&
        this.#requests.has(opened.envelope.transactionId)
      ) {
        this.#drop("retry-later");
        this.#arm();
        return;
      }
      if (!this.#requests.complete(opened.envelope.transactionId, opened)) {
        this.#drop("unknown-transaction");
      }
      this.#arm();
      return;
    }
    // Retrace: the last via entry is the next peer back; with none left, the destination itself.
    const last = frame.via.at(-1);
    const nextHex = last?.type === "node"
      ? hex(last.id)
      : destination.type === "node"
      ? hex(destination.id)
      : undefined;
    const next = nextHex === undefined ? undefined : this.addressOf(nextHex);
    if (next === undefined || frame.ttl <= 1) {
      return this.#drop(next === undefined ? "no-route" : "ttl");
    }
    this.#sendFrame(
      encodeFrame({ ...frame, ttl: frame.ttl - 1, via: frame.via.slice(0, -1) }),
      next,
      envelope.transactionId,
    );
  }

  #deliverRequest(frame: MessageFrame, envelope: Envelope, from: DatagramAddress): void {
    const senderHex = hex(nodeIdFromPublicKey(envelope.senderKey));
    const cacheKey = { requesterId: senderHex, transactionId: hex(envelope.transactionId) };
    let opened: OpenedMessage;
    try {
      opened = openMessage(frame, this.#openContext());
    } catch (error) {
      if (error instanceof MessageSecurityError && error.reason === "duplicate") {
        // RFC 6940 section 6.2: a retransmitted request gets the answer it already had, back along
        // the path this copy came (an end-to-end retry or a hedged copy takes another path when a
        // peer on the first one died: the first answer may have died with it).
        const cached = this.#answers.lookup(cacheKey, this.#c.clock.monotonic());
        if (cached) this.#replayAnswer(cached.frame, frame.via, senderHex, envelope.transactionId);
        this.#drop("duplicate");
        return;
      }
      this.#drop(
        error instanceof OverlayDecodeError || error instanceof MessageSecurityError
          ? "security"
          : "handler",
        error,
      );
      if (error instanceof MessageSecurityError) {
        this.#answerError(frame, envelope, error.errorCode, "refused");
      }
      return;
    }
    this.#count(
      this.#received,
      "superpeer_overlay_messages_received_total",
      messageName(opened.body.code),
    );
    // Hops the request took: each forwarder added itself to the via list; 0 when it never left this node.
    this.#c.onDelivered?.(
      opened.body.code,
      from === this.#c.transport.local ? 0 : frame.via.length + 1,
    );
    const failed = (error: unknown): MessageBody => {
      this.#drop("handler", error);
      return {
        code: MessageCode.Error,
        errorCode: ErrorCode.InvalidMessage,
        reasonPhrase: "handler failed",
        errorInfo: new Uint8Array(0),
      };
    };
    let answer: MessageBody | Promise<MessageBody>;
    try {
      answer = this.#handler({ opened, via: frame.via, from });
    } catch (error) {
      answer = failed(error);
    }
    // Synchronous handlers answer at once (the simulator relies on it); asynchronous ones when done.
    if (answer instanceof Promise) {
      answer.catch(failed).then((body) => {
        if (!this.#closed) this.#sendAnswer(frame, envelope, body, cacheKey);
      });
    } else {
      this.#sendAnswer(frame, envelope, answer, cacheKey);
    }
  }

  #answerError(frame: MessageFrame, envelope: Envelope, errorCode: number, reason: string): void {
    const code = peekMessageCode(envelope.body);
    if (code === undefined || !isRequestCode(code)) return;
    this.#sendAnswer(frame, envelope, {
      code: MessageCode.Error,
      errorCode,
      reasonPhrase: reason,
      errorInfo: new Uint8Array(0),
    }, undefined);
  }

  #sendAnswer(
    request: MessageFrame,
    envelope: Envelope,
    body: MessageBody,
    cacheKey: { requesterId: string; transactionId: string } | undefined,
  ): void {
    const requester = nodeIdFromPublicKey(envelope.senderKey);
    const requesterHex = hex(requester);
    const via = request.via;
    const to = this.#firstHopBack(via, requesterHex);
    const sealed = sealMessage({
      key: this.#c.key,
      overlayId: this.#init.overlayId,
      transactionId: envelope.transactionId,
      destinations: [{ type: "node", id: requester }],
      sentAt: Math.floor(this.#c.clock.now() / 1000),
      admission: this.#c.admission.proofFor(this.#c.key.publicKeyRaw),
      body,
      ttl: INITIAL_TTL,
      via: via.slice(0, -1),
      crypto: this.#crypto,
    });
    this.#count(this.#sent, "superpeer_overlay_messages_sent_total", messageName(body.code));
    if (requesterHex === this.#selfHex) {
      // Our own request delivered locally: complete it directly.
      const frame = decodeFrame(sealed.frame, MAX_MESSAGE_BYTES) as MessageFrame;
      this.#routeAnswer(frame, decodeEnvelope(frame.envelope), { type: "node", id: requester });
      return;
    }
    if (to === undefined) return this.#drop("no-route");
    if (cacheKey !== undefined) {
      this.#answers.remember(cacheKey, { frame: sealed.frame, to }, this.#c.clock.monotonic());
    }
    this.#sendFrame(sealed.frame, to, envelope.transactionId);
  }

  /** Where an answer to a request that came along `requestVia` goes first: its last forwarder. */
  #firstHopBack(requestVia: readonly Destination[], requesterHex: string) {
    const last = requestVia.at(-1);
    const firstHopHex = last?.type === "node" ? hex(last.id) : requesterHex;
    return firstHopHex === this.#selfHex ? undefined : this.addressOf(firstHopHex);
  }

  /**
   * Sends a cached answer again, back along `requestVia` (the path of the copy that just arrived).
   * The signature covers neither the via list nor the TTL, so the sealed answer is reused as is.
   */
  #replayAnswer(
    cachedFrame: Uint8Array,
    requestVia: readonly Destination[],
    requesterHex: string,
    transactionId: Uint8Array,
  ): void {
    const to = this.#firstHopBack(requestVia, requesterHex);
    if (to === undefined) return this.#drop("no-route");
    const answer = decodeFrame(cachedFrame, MAX_MESSAGE_BYTES) as MessageFrame;
    const frame = encodeFrame({ ...answer, ttl: INITIAL_TTL, via: requestVia.slice(0, -1) });
    this.#sendFrame(frame, to, transactionId);
  }

  #openContext() {
    return {
      overlayId: this.#init.overlayId,
      admission: this.#c.admission,
      replay: this.#replay,
      nowSeconds: Math.floor(this.#c.clock.now() / 1000),
      crypto: this.#crypto,
    };
  }

  get #crypto(): MessageCrypto {
    return this.#c.crypto ?? ed25519MessageCrypto;
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#closed) return;
    const now = this.#c.clock.monotonic();
    const { retransmit, failed } = this.#hop.due(now);
    for (const r of retransmit) {
      this.#retransmits.inc();
      this.#transmit(r.datagram, r.to);
      const key = formatAddress(r.to);
      if (!this.#unacked.has(key)) {
        if (this.#unacked.size >= this.#maxLearned) {
          this.#unacked.delete(this.#unacked.keys().next().value!);
        }
        this.#unacked.set(key, now - RETRANSMIT_FIRST_RTO_MS);
        this.#onSuspect(r.to);
      }
      const reroute = this.#reroutes.get(r.datagram);
      if (reroute !== undefined) {
        this.#reroutes.delete(r.datagram); // one copy to one other hop, at most
        reroute();
      }
    }
    const failedTo = new Map(failed.map((f) => [formatAddress(f.to), f.to]));
    for (const to of failedTo.values()) {
      this.#hop.forget(to);
      this.#unacked.delete(formatAddress(to));
      this.#onHopFailure(to);
    }
    this.#requests.due(now);
    this.#answers.sweep(now);
    this.#reassembler.sweep();
    this.#arm();
  }

  /** Re-arms the one timer at the earliest deadline of hop sender, requests, caches. */
  #arm(): void {
    if (this.#closed) return;
    const now = this.#c.clock.monotonic();
    const candidates = [this.#hop.nextDeadline(), this.#requests.nextDeadline()].filter((
      d,
    ): d is number => d !== undefined);
    let at = candidates.length > 0 ? Math.min(...candidates) : Infinity;
    if (at === Infinity && (this.#answers.size > 0 || this.#reassembler.pendingMessages > 0)) {
      at = now + 5_000;
    }
    if (at >= this.#timerAt) return;
    this.#timer?.();
    this.#timerAt = at;
    this.#timer = this.#c.scheduler.schedule(Math.max(0, at - now), () => this.#tick());
  }

  #count(map: Map<string, Counter>, name: string, type: string): void {
    let counter = map.get(type);
    if (counter === undefined) {
      counter = this.#metrics.counter(
        name,
        name.includes("sent")
          ? "Overlay messages sent, by type"
          : "Overlay messages received, by type",
        ["type"],
      ).with({ type });
      map.set(type, counter);
    }
    counter.inc();
  }

  #drop(reason: DropReason | string, error?: unknown): void {
    let counter = this.#drops.get(reason);
    if (counter === undefined) {
      counter = this.#metrics.counter(
        "superpeer_overlay_dropped_total",
        "Overlay datagrams and messages dropped, by reason",
        ["reason"],
      ).with({ reason });
      this.#drops.set(reason, counter);
    }
    counter.inc();
    if (error !== undefined && reason !== "duplicate") {
      this.#log.debug("Dropped an overlay message", {
        reason,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/** Why a request failed. */
export type OverlayRequestFailure =
  | "timeout"
  | "aborted"
  | "capacity"
  | "closed"
  | "no-route"
  | "error-answer"
  | "not-joined";

/** A request that did not get a usable answer; `errorCode` is RFC 6940's (from an Error answer, or the closest). */
export class OverlayRequestError extends SuperpeerError {
  readonly reason: OverlayRequestFailure;
  readonly errorCode: number;

  constructor(reason: OverlayRequestFailure, message: string, errorCode: number) {
    super("OVERLAY_REQUEST", `Overlay request failed: ${reason}: ${message}`);
    this.reason = reason;
    this.errorCode = errorCode;
  }
}
