/**
 * The TURN server's request state machine (RFC 8656 on RFC 8489), pure: bytes and addresses in,
 * actions out. No sockets, no timers; time comes from the injected clock, and the owner calls
 * sweep() from its one sweep loop.
 *
 * How the I/O layer drives it:
 * - every datagram (UDP) or frame (TCP/TLS, from StunStreamFramer) on a listening socket goes to
 *   handle(bytes, fiveTuple); it returns actions, carried out in order;
 * - ChannelData from a client may instead go straight to fromClientChannelData() (no allocation);
 * - every datagram on a relay socket goes to fromPeer(relayPort, peer, payload);
 * - sweep() every few seconds (jittered), relayOpenFailed(port) when binding a relay port failed.
 *
 * Relay ports: the core picks the port (random, in the configured range, so EVEN-PORT and
 * RESERVATION-TOKEN stay pure) and emits an "open-relay" action BEFORE the success response; the
 * I/O layer binds it and, if that fails, sends the action's `failure` response (508) instead of
 * the success that follows, and calls relayOpenFailed(port).
 *
 * @module
 */
import {
  type ChannelDataHeader,
  type ChannelNumberOptions,
  checkFingerprint,
  checkMessageIntegrity,
  decodeAdditionalAddressFamily,
  decodeChannelDataHeader,
  decodeChannelNumber,
  decodeEvenPort,
  decodeLifetime,
  decodeNonce,
  decodeRealm,
  decodeRequestedAddressFamily,
  decodeRequestedTransport,
  decodeReservationToken,
  decodeStunMessage,
  decodeUsername,
  decodeXorAddress,
  DEFAULT_UNDERSTOOD_ATTRIBUTES,
  encodeAddressErrorCode,
  encodeChannelDataHeader,
  encodeErrorCode,
  encodeLifetime,
  encodeNonce,
  encodeRealm,
  encodeReservationToken,
  encodeSoftware,
  encodeUnknownAttributes,
  encodeXorMappedAddress,
  encodeXorPeerAddress,
  encodeXorRelayedAddress,
  isChannelData,
  isStunMessage,
  isValidChannelNumber,
  RESERVATION_TOKEN_BYTES,
  type StunAddress,
  StunAttribute,
  StunClass,
  StunErrorCode,
  type StunMessage,
  StunMessageBuilder,
  StunMessageType,
  StunMethod,
  TRANSPORT_PROTOCOL_UDP,
  UNSUPPORTED_FAMILY,
} from "../codec/stun/mod.ts";
import type { Clock } from "../core/clock.ts";
import { bytesToHex } from "../core/hex.ts";
import { type Logger, silentLogger } from "../core/logger.ts";
import type { Counter, Gauge, Metrics } from "../core/metrics.ts";
import {
  type Allocation,
  AllocationTable,
  type AllocationTableInit,
  type TableRefusal,
} from "./allocation_table.ts";
import {
  DEFAULT_ALLOCATION_LIFETIME_S,
  DEFAULT_BURST_SECONDS,
  DEFAULT_MAX_RESERVATIONS,
  DEFAULT_MAX_TOTAL_BYTES_PER_SECOND,
  DEFAULT_SOFTWARE,
  FAILED_PORT_HOLD_S,
  MAX_ALLOCATION_LIFETIME_S,
  RESERVATION_LIFETIME_S,
} from "./constants.ts";
import type { CredentialStore } from "./credentials.ts";
import { type FiveTuple, fiveTupleKey, type HostPort } from "./five_tuple.ts";
import { NonceManager } from "./nonce.ts";
import { PeerPolicy, type PeerPolicyInit, type PortRange } from "./peer_policy.ts";
import { RelayPortPool } from "./port_pool.ts";
import { ResponseCache } from "./response_cache.ts";
import { TokenBucket } from "./token_bucket.ts";

/** Send `bytes` to the client of `to` (on the listening socket the request came in on). */
export interface SendToClientAction {
  readonly kind: "send";
  readonly to: FiveTuple;
  readonly bytes: Uint8Array;
}

/**
 * Bind a UDP relay socket on `host`:`port` for a new allocation, before carrying out the next
 * action. If the bind fails: send `failure` (a 508 answer) to `to` instead of the success
 * response that follows, and call relayOpenFailed(port).
 */
export interface OpenRelayAction {
  readonly kind: "open-relay";
  readonly family: 4 | 6;
  readonly host: string;
  readonly port: number;
  readonly to: FiveTuple;
  readonly failure: Uint8Array;
}

/** Close the relay socket on `port` (allocation deleted or expired). */
export interface CloseRelayAction {
  readonly kind: "close-relay";
  readonly port: number;
}

/** Send `bytes[offset, offset + length)` from relay port `relayPort` to `peer`. */
export interface SendToPeerAction {
  readonly kind: "to-peer";
  readonly relayPort: number;
  readonly peer: HostPort;
  readonly bytes: Uint8Array;
  readonly offset: number;
  readonly length: number;
}

/** What the I/O layer is asked to do. */
export type TurnAction = SendToClientAction | OpenRelayAction | CloseRelayAction | SendToPeerAction;

/**
 * A datagram for a peer, from fromClientChannelData(): one object reused for every call, valid
 * until the next call (send it before handing the server another packet).
 */
export interface PeerDatagram {
  relayPort: number;
  peer: HostPort;
  bytes: Uint8Array;
  offset: number;
  length: number;
}

/**
 * A message for a client, from fromPeer(): `buffer[0, length)`, in a buffer the server reuses;
 * valid until the next call.
 */
export interface ClientDatagram {
  to: FiveTuple;
  buffer: Uint8Array;
  length: number;
  /** "channel" (ChannelData) or "data" (Data indication). */
  framing: "channel" | "data";
}

/** Options of a TurnServer. */
export interface TurnServerInit extends AllocationTableInit {
  /** REALM of the long-term credentials (RFC 8489 section 9.2). */
  readonly realm: string;
  /** SOFTWARE in every response. @default DEFAULT_SOFTWARE */
  readonly software?: string;
  /**
   * The addresses relay sockets bind and XOR-RELAYED-ADDRESS carries, per family; a family
   * without an address is not offered (440). At least one.
   */
  readonly relayAddresses: { readonly ipv4?: string; readonly ipv6?: string };
  /** @default DEFAULT_MIN_RELAY_PORT (61000) */
  readonly minRelayPort?: number;
  /** @default DEFAULT_MAX_RELAY_PORT (65535) */
  readonly maxRelayPort?: number;
  /** Our listening ports, for loop protection. @default [3478, 5349] */
  readonly listenPorts?: readonly number[];
  /** Our listening addresses besides the relay addresses, for loop protection. @default [] */
  readonly listenAddresses?: readonly string[];
  /** @default DEFAULT_ALLOCATION_LIFETIME_S (600) */
  readonly defaultLifetimeSeconds?: number;
  /** @default MAX_ALLOCATION_LIFETIME_S (3600) */
  readonly maxLifetimeSeconds?: number;
  /** HMAC key of the nonces. @default 32 random bytes */
  readonly nonceSecret?: Uint8Array;
  /** @default DEFAULT_NONCE_LIFETIME_S (3600) */
  readonly nonceLifetimeSeconds?: number;
  /** Which peers may be relayed to. @default the default deny list, loopback denied */
  readonly peers?: PeerPolicyInit;
  /**
   * Accept RFC 5766 channel numbers 0x4000-0x7FFF (Debian's coturn 4.6.1 turnutils_uclient).
   * @default false
   */
  readonly allowRfc5766ChannelNumbers?: boolean;
  /** Relayed bytes per second of the whole server; 0 is unlimited. @default 12_500_000 */
  readonly totalBytesPerSecond?: number;
  /** @default totalBytesPerSecond x DEFAULT_BURST_SECONDS */
  readonly totalBurstBytes?: number;
  /** @default DEFAULT_MAX_CACHED_RESPONSES (1024) */
  readonly maxCachedResponses?: number;
  /** @default DEFAULT_MAX_RESERVATIONS (100) */
  readonly maxReservations?: number;
}

/** What a TurnServer needs from outside. */
export interface TurnServerComponents {
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly credentials: CredentialStore;
  /** @default silentLogger("superpeer:relay:server") */
  readonly logger?: Logger;
  /** Uniform in [0, 1), for relay ports. @default Math.random */
  readonly random?: () => number;
  /** Fills `target` with random bytes (tokens, Data indication ids). @default crypto.getRandomValues */
  readonly randomBytes?: (target: Uint8Array) => void;
}

/** Why a packet was dropped: the `reason` label of superpeer_relay_dropped_total. */
export type DropReason =
  | "not_stun"
  | "malformed"
  | "fingerprint"
  | "unexpected_class"
  | "no_allocation"
  | "bad_indication"
  | "unknown_attribute"
  | "family_mismatch"
  | "no_permission"
  | "no_channel"
  | "policy"
  | "loop"
  | "too_large"
  | "bandwidth_allocation"
  | "bandwidth_total"
  | "internal";

/** Why a request was refused: the `reason` label of superpeer_relay_refused_total. */
export type RefusalReason =
  | TableRefusal
  | "unauthenticated"
  | "stale_nonce"
  | "bad_request"
  | "unknown_attribute"
  | "allocation_mismatch"
  | "wrong_credentials"
  | "unsupported_transport"
  | "family_not_supported"
  | "peer_family_mismatch"
  | "forbidden"
  | "ports_full"
  | "reservation"
  | "relay_bind_failed";

interface Reservation {
  readonly port: number;
  readonly family: 4 | 6;
  readonly expiresAt: number;
}

/** Per-request state while it is answered. */
interface Request {
  readonly message: StunMessage;
  readonly tuple: FiveTuple;
  readonly fingerprint: boolean;
  /** Set once the request is authenticated: responses carry MESSAGE-INTEGRITY under it. */
  key: Uint8Array | undefined;
  username: string;
  /** Set by a successful Allocate: its relay port and the 508 answer if the port cannot be bound. */
  relayFailure: { readonly port: number; readonly failure: Uint8Array } | undefined;
  readonly actions: TurnAction[];
}

/** Thrown inside request handling to answer with an error; never escapes the server. */
class Refusal {
  constructor(
    readonly code: number,
    readonly reason: RefusalReason,
    readonly text?: string,
  ) {}
}

const NO_ACTIONS: readonly TurnAction[] = Object.freeze([]);
const UNDERSTOOD: ReadonlySet<number> = new Set(
  // RFC 8656 section 7.2 step 4: a relay that cannot set DF treats DONT-FRAGMENT as unknown
  [...DEFAULT_UNDERSTOOD_ATTRIBUTES].filter((t) => t !== StunAttribute.DontFragment),
);
const DECODE_OPTIONS = Object.freeze({ understood: UNDERSTOOD });
/** Largest payload a ChannelData or Data indication can carry to a client. */
const MAX_RELAY_PAYLOAD = 0xffff;
const LOG_INTERVAL_MS = 60_000;

/**
 * The TURN request state machine.
 *
 * @example
 * ```ts
 * const server = new TurnServer(
 *   { realm: "example.org", relayAddresses: { ipv4: "192.0.2.1" } },
 *   { clock: systemClock, metrics: registry, credentials: store },
 * );
 * for (const action of server.handle(datagram, { transport: "udp", client, server: listen })) {
 *   io.perform(action);
 * }
 * ```
 */
export class TurnServer {
  readonly realm: string;
  readonly #software: string;
  readonly #relayIpv4: string | undefined;
  readonly #relayIpv6: string | undefined;
  readonly #defaultLifetime: number;
  readonly #maxLifetime: number;
  readonly #channelOptions: ChannelNumberOptions;
  readonly #maxReservations: number;
  readonly #clock: Clock;
  readonly #credentials: CredentialStore;
  readonly #logger: Logger;
  readonly #randomBytes: (target: Uint8Array) => void;
  readonly #nonces: NonceManager;
  readonly #policy: PeerPolicy;
  readonly #ports: RelayPortPool;
  readonly #table: AllocationTable;
  readonly #cache: ResponseCache;
  readonly #totalBucket: TokenBucket;
  readonly #reservations = new Map<string, Reservation>();
  readonly #builder = new StunMessageBuilder();
  /** Data indications to clients are built here, apart from responses. */
  readonly #dataBuilder = new StunMessageBuilder();
  readonly #channelOut = new Uint8Array(4 + MAX_RELAY_PAYLOAD + 3);
  readonly #header: ChannelDataHeader = { channel: 0, length: 0 };
  readonly #transactionId = new Uint8Array(12);
  readonly #peerAddress = { family: 4 as 4 | 6, host: "", port: 0 };
  readonly #toPeer: PeerDatagram = {
    relayPort: 0,
    peer: { host: "", port: 0 },
    bytes: new Uint8Array(0),
    offset: 0,
    length: 0,
  };
  readonly #toClient: ClientDatagram;
  readonly #lastLog = new Map<string, number>();
  // metrics, resolved once: the forwarding path never looks a series up
  readonly #refusedTotal: Counter;
  readonly #droppedTotal: Counter;
  readonly #refused = new Map<string, Counter>();
  readonly #dropped = new Map<string, Counter>();
  readonly #expiredTotal: Counter;
  readonly #bytesToPeer: Counter;
  readonly #bytesToClient: Counter;
  readonly #packetsToPeer: Counter;
  readonly #packetsToClient: Counter;
  readonly #allocationsGauge: Gauge;
  readonly #permissionsGauge: Gauge;
  readonly #channelsGauge: Gauge;

  constructor(init: TurnServerInit, components: TurnServerComponents) {
    if (typeof init.realm !== "string" || init.realm.length === 0) {
      throw new TypeError("Cannot create a TURN server: realm must be a non-empty string");
    }
    const { ipv4, ipv6 } = init.relayAddresses;
    if (ipv4 === undefined && ipv6 === undefined) {
      throw new TypeError("Cannot create a TURN server: relayAddresses needs ipv4 or ipv6");
    }
    this.realm = init.realm;
    this.#software = init.software ?? DEFAULT_SOFTWARE;
    this.#relayIpv4 = ipv4;
    this.#relayIpv6 = ipv6;
    this.#defaultLifetime = init.defaultLifetimeSeconds ?? DEFAULT_ALLOCATION_LIFETIME_S;
    this.#maxLifetime = init.maxLifetimeSeconds ?? MAX_ALLOCATION_LIFETIME_S;
    if (
      !Number.isInteger(this.#defaultLifetime) || this.#defaultLifetime < 1 ||
      !Number.isInteger(this.#maxLifetime) || this.#maxLifetime < this.#defaultLifetime
    ) {
      throw new RangeError(
        `Cannot create a TURN server: lifetimes ${this.#defaultLifetime} (default) and ${this.#maxLifetime} (max)`,
      );
    }
    this.#channelOptions = { allowRfc5766Range: init.allowRfc5766ChannelNumbers ?? false };
    this.#maxReservations = init.maxReservations ?? DEFAULT_MAX_RESERVATIONS;
    this.#clock = components.clock;
    this.#credentials = components.credentials;
    this.#logger = components.logger ?? silentLogger("superpeer:relay:server");
    this.#randomBytes = components.randomBytes ?? ((t) => void crypto.getRandomValues(t));
    this.#nonces = new NonceManager(
      {
        ...(init.nonceSecret !== undefined ? { secret: init.nonceSecret } : {}),
        ...(init.nonceLifetimeSeconds !== undefined
          ? { lifetimeSeconds: init.nonceLifetimeSeconds }
          : {}),
      },
      { clock: components.clock },
    );
    this.#ports = new RelayPortPool(
      {
        ...(init.minRelayPort !== undefined ? { minPort: init.minRelayPort } : {}),
        ...(init.maxRelayPort !== undefined ? { maxPort: init.maxRelayPort } : {}),
      },
      components.random !== undefined ? { random: components.random } : {},
    );
    const ownPorts: PortRange[] = [{ min: this.#ports.minPort, max: this.#ports.maxPort }];
    for (const port of init.listenPorts ?? [3478, 5349]) ownPorts.push({ min: port, max: port });
    const peers = init.peers ?? {};
    this.#policy = new PeerPolicy({
      ...peers,
      ownAddresses: [
        ...(peers.ownAddresses ?? []),
        ...(init.listenAddresses ?? []),
        ...(ipv4 !== undefined ? [ipv4] : []),
        ...(ipv6 !== undefined ? [ipv6] : []),
      ],
      ownPorts: [...(peers.ownPorts ?? []), ...ownPorts],
    });
    this.#table = new AllocationTable(init, { ports: this.#ports });
    this.#cache = new ResponseCache(
      init.maxCachedResponses !== undefined ? { maxEntries: init.maxCachedResponses } : {},
    );
    const totalRate = init.totalBytesPerSecond ?? DEFAULT_MAX_TOTAL_BYTES_PER_SECOND;
    this.#totalBucket = new TokenBucket(
      totalRate,
      init.totalBurstBytes ?? totalRate * DEFAULT_BURST_SECONDS,
      components.clock.monotonic(),
    );
    this.#toClient = {
      to: { transport: "udp", client: { host: "", port: 0 }, server: { host: "", port: 0 } },
      buffer: this.#channelOut,
      length: 0,
      framing: "channel",
    };

    const m = components.metrics;
    this.#refusedTotal = m.counter(
      "superpeer_relay_refused_total",
      "TURN requests answered with an error, by reason",
      ["reason"],
    );
    this.#droppedTotal = m.counter(
      "superpeer_relay_dropped_total",
      "Packets the relay dropped without an answer, by reason",
      ["reason"],
    );
    this.#expiredTotal = m.counter(
      "superpeer_relay_expired_total",
      "Allocations, permissions and channels that expired",
      ["kind"],
    );
    const bytes = m.counter(
      "superpeer_relay_bytes_total",
      "Payload bytes relayed, by direction",
      ["direction"],
    );
    const packets = m.counter(
      "superpeer_relay_packets_total",
      "Packets relayed, by direction",
      ["direction"],
    );
    this.#bytesToPeer = bytes.with({ direction: "to_peer" });
    this.#bytesToClient = bytes.with({ direction: "to_client" });
    this.#packetsToPeer = packets.with({ direction: "to_peer" });
    this.#packetsToClient = packets.with({ direction: "to_client" });
    this.#allocationsGauge = m.gauge("superpeer_relay_allocations", "Live TURN allocations");
    this.#permissionsGauge = m.gauge("superpeer_relay_permissions", "Live TURN permissions");
    this.#channelsGauge = m.gauge("superpeer_relay_channels", "Live TURN channel bindings");
  }

  /** The allocation state (read-only use: status pages and tests). */
  get table(): AllocationTable {
    return this.#table;
  }

  /** The peer policy in force. */
  get policy(): PeerPolicy {
    return this.#policy;
  }

  /**
   * Handles one STUN message (or ChannelData) that arrived on a listening socket, and returns what
   * to do. Never throws on bad input: malformed packets are counted and dropped (RFC 8489 section
   * 6.3: silently discarded).
   */
  handle(bytes: Uint8Array, tuple: FiveTuple): readonly TurnAction[] {
    try {
      if (isChannelData(bytes)) {
        const out = this.fromClientChannelData(tuple, bytes);
        return out === undefined ? NO_ACTIONS : [{ kind: "to-peer", ...out, peer: out.peer }];
      }
      if (!isStunMessage(bytes)) return this.#drop("not_stun");
      let message: StunMessage;
      try {
        message = decodeStunMessage(bytes, DECODE_OPTIONS);
      } catch {
        return this.#drop("malformed");
      }
      // RFC 8489 section 6.3: a FINGERPRINT that does not match means the message is discarded
      if (message.fingerprintIndex >= 0 && !checkFingerprint(message)) {
        return this.#drop("fingerprint");
      }
      if (message.messageClass === StunClass.Request) return this.#request(message, tuple);
      if (message.messageClass === StunClass.Indication) {
        if (message.method === StunMethod.Send) return this.#send(message, tuple);
        if (message.method === StunMethod.Binding) return NO_ACTIONS; // keepalive
      }
      return this.#drop("unexpected_class");
    } catch (error) {
      this.#logRateLimited("internal", "Dropped a message the TURN server failed on", {
        error: error instanceof Error ? error.message : String(error),
      });
      return this.#drop("internal");
    }
  }

  /**
   * ChannelData from a client (RFC 8656 section 12.5): the payload for the bound peer, or undefined
   * when dropped (no allocation, unbound or expired channel, no permission, bandwidth). Allocates
   * nothing; the result is reused by the next call.
   */
  fromClientChannelData(tuple: FiveTuple, bytes: Uint8Array): PeerDatagram | undefined {
    const now = this.#clock.monotonic();
    const allocation = this.#live(
      this.#table.find(tuple.transport, tuple.client, tuple.server),
      now,
    );
    // RFC 8656 section 5: ChannelData without an allocation is silently dropped
    if (allocation === undefined) return this.#dropOne("no_allocation");
    const header = this.#header;
    try {
      decodeChannelDataHeader(bytes, header, this.#channelOptions);
    } catch {
      return this.#dropOne("malformed");
    }
    const binding = allocation.channel(header.channel, now);
    // RFC 8656 section 12.5: data on an unbound channel is discarded
    if (binding === undefined) return this.#dropOne("no_channel");
    if (!allocation.hasPermission(binding.peer.host, now)) return this.#dropOne("no_permission");
    if (!this.#admit(allocation, header.length, now)) return undefined;
    const out = this.#toPeer;
    out.relayPort = allocation.relayed.port;
    out.peer = binding.peer;
    out.bytes = bytes;
    out.offset = 4;
    out.length = header.length;
    this.#bytesToPeer.inc(header.length);
    this.#packetsToPeer.inc();
    return out;
  }

  /**
   * A datagram from `peer` on relay port `relayPort` (RFC 8656 section 11.3): ChannelData if a
   * channel is bound to the peer (section 12.5: MUST), else a Data indication; undefined when
   * dropped (no allocation, no permission, loop, bandwidth). The ChannelData path allocates
   * nothing; the result is reused by the next call.
   */
  fromPeer(relayPort: number, peer: HostPort, payload: Uint8Array): ClientDatagram | undefined {
    const now = this.#clock.monotonic();
    const allocation = this.#live(this.#table.byRelayPort(relayPort), now);
    if (allocation === undefined) return this.#dropOne("no_allocation");
    // RFC 8656 section 11.3: no permission for the source IP: silently discard
    if (!allocation.hasPermission(peer.host, now)) return this.#dropOne("no_permission");
    if (this.#policy.isLoop(peer.host, peer.port)) return this.#dropOne("loop");
    const length = payload.length;
    if (length > MAX_RELAY_PAYLOAD - 64) return this.#dropOne("too_large");
    if (!this.#admit(allocation, length, now)) return undefined;
    const out = this.#toClient;
    out.to = allocation.fiveTuple;
    const binding = allocation.channelForPeer(peer.host, peer.port, now);
    if (binding !== undefined) {
      const buffer = this.#channelOut;
      const stream = allocation.fiveTuple.transport !== "udp";
      this.#header.channel = binding.number;
      this.#header.length = length;
      buffer.set(payload, 4);
      // RFC 8656 section 12.5: over TCP and TLS, ChannelData MUST be padded to a multiple of 4
      encodeChannelDataHeader(buffer, this.#header, {
        ...this.#channelOptions,
        zeroPadding: stream,
      });
      out.buffer = buffer;
      out.length = stream ? 4 + ((length + 3) & ~3) : 4 + length;
      out.framing = "channel";
    } else {
      const builder = this.#dataBuilder;
      this.#randomBytes(this.#transactionId);
      builder.begin(StunMessageType.DataIndication, this.#transactionId);
      const address = this.#peerAddress;
      address.family = allocation.relayed.family;
      address.host = peer.host;
      address.port = peer.port;
      encodeXorPeerAddress(builder, address as StunAddress);
      builder.buffer.set(payload, builder.reserve(StunAttribute.Data, length));
      builder.finish();
      out.buffer = builder.buffer;
      out.length = builder.length;
      out.framing = "data";
    }
    this.#bytesToClient.inc(length);
    this.#packetsToClient.inc();
    return out;
  }

  /**
   * Expires allocations, permissions, channels, reservations and cached answers whose time is up;
   * returns "close-relay" for every expired allocation. Call from the relay's one sweep loop.
   */
  sweep(): readonly TurnAction[] {
    const now = this.#clock.monotonic();
    const result = this.#table.sweep(now);
    this.#ports.sweep(now);
    this.#cache.sweep(now);
    for (const [token, reservation] of this.#reservations) {
      if (reservation.expiresAt <= now) this.#reservations.delete(token);
    }
    if (result.allocations.length > 0) {
      this.#expiredTotal.with({ kind: "allocation" }).inc(result.allocations.length);
    }
    if (result.permissions > 0) {
      this.#expiredTotal.with({ kind: "permission" }).inc(result.permissions);
    }
    if (result.channels > 0) this.#expiredTotal.with({ kind: "channel" }).inc(result.channels);
    this.#updateGauges();
    if (result.allocations.length === 0) return NO_ACTIONS;
    return result.allocations.map((a): TurnAction => {
      this.#logger.debug("Allocation expired", { user: a.username, port: a.relayed.port });
      return { kind: "close-relay", port: a.relayed.port };
    });
  }

  /**
   * The I/O layer could not bind relay port `port`: the allocation made for it goes, the port is
   * not offered again for a while, and retransmissions of the Allocate get the 508 answer.
   */
  relayOpenFailed(port: number): void {
    const allocation = this.#table.byRelayPort(port);
    if (allocation !== undefined) this.#table.delete(allocation);
    this.#ports.hold(port, this.#clock.monotonic() + FAILED_PORT_HOLD_S * 1000);
    this.#cache.failRelayPort(port);
    this.#count(this.#refused, this.#refusedTotal, "relay_bind_failed");
    this.#updateGauges();
  }

  // ---- requests ------------------------------------------------------------------------------

  #request(message: StunMessage, tuple: FiveTuple): readonly TurnAction[] {
    const now = this.#clock.monotonic();
    const cacheKey = `${fiveTupleKey(tuple)}|${bytesToHex(message.transactionId)}`;
    const cached = this.#cache.get(cacheKey, now);
    // RFC 8489 section 6.3.1: a retransmitted request gets the same response
    if (cached !== undefined) return [{ kind: "send", to: tuple, bytes: cached }];
    const request: Request = {
      message,
      tuple,
      fingerprint: message.fingerprintIndex >= 0,
      key: undefined,
      username: "",
      relayFailure: undefined,
      actions: [],
    };
    let response: Uint8Array;
    try {
      response = this.#dispatch(request, now);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      response = this.#errorResponse(request, error);
    }
    this.#cache.put(cacheKey, response, now, request.relayFailure);
    request.actions.push({ kind: "send", to: tuple, bytes: response });
    return request.actions;
  }

  #dispatch(request: Request, now: number): Uint8Array {
    const { message, tuple } = request;
    switch (message.method) {
      case StunMethod.Binding:
        return this.#binding(request);
      case StunMethod.Allocate:
        this.#authenticate(request, undefined);
        return this.#allocate(request, now);
      case StunMethod.Refresh:
      case StunMethod.CreatePermission:
      case StunMethod.ChannelBind: {
        const allocation = this.#live(
          this.#table.find(tuple.transport, tuple.client, tuple.server),
          now,
        );
        this.#authenticate(request, allocation);
        // RFC 8656 section 5: a request other than Allocate without an allocation gets 437
        if (allocation === undefined) {
          throw new Refusal(StunErrorCode.AllocationMismatch, "allocation_mismatch");
        }
        if (message.method === StunMethod.Refresh) return this.#refresh(request, allocation, now);
        if (message.method === StunMethod.CreatePermission) {
          return this.#createPermission(request, allocation, now);
        }
        return this.#channelBind(request, allocation, now);
      }
      default:
        throw new Refusal(StunErrorCode.BadRequest, "bad_request", "Unknown method");
    }
  }

  #binding(request: Request): Uint8Array {
    const { message, tuple } = request;
    if (message.unknownAttributes.length > 0) {
      throw new Refusal(StunErrorCode.UnknownAttribute, "unknown_attribute");
    }
    const b = this.#builder.beginResponse(message, StunClass.SuccessResponse);
    encodeXorMappedAddress(b, stunAddress(tuple.client));
    encodeSoftware(b, this.#software);
    return b.finish({ fingerprint: request.fingerprint }).slice();
  }

  /**
   * Long-term credential checks in RFC 8489 section 9.2.4 order; sets request.key. `allocation`,
   * when the 5-tuple has one, supplies the key (coturn keeps the key per session) and the username
   * a request must carry (RFC 8656 section 5: else 441).
   */
  #authenticate(request: Request, allocation: Allocation | undefined): void {
    const { message, tuple } = request;
    // RFC 8489 section 9.2.4: no MESSAGE-INTEGRITY: 401 with REALM and NONCE
    if (message.integrityIndex < 0) {
      throw new Refusal(StunErrorCode.Unauthenticated, "unauthenticated");
    }
    const u = message.indexOf(StunAttribute.Username);
    const r = message.indexOf(StunAttribute.Realm);
    const n = message.indexOf(StunAttribute.Nonce);
    // RFC 8489 section 9.2.4: MESSAGE-INTEGRITY without USERNAME, REALM or NONCE: 400
    if (u < 0 || r < 0 || n < 0) {
      throw new Refusal(
        StunErrorCode.BadRequest,
        "bad_request",
        "Missing USERNAME, REALM or NONCE",
      );
    }
    let username: string;
    let realm: string;
    let nonce: string;
    try {
      username = decodeUsername(message, u);
      realm = decodeRealm(message, r);
      nonce = decodeNonce(message, n);
    } catch {
      throw new Refusal(
        StunErrorCode.BadRequest,
        "bad_request",
        "Malformed USERNAME, REALM or NONCE",
      );
    }
    if (realm !== this.realm) throw new Refusal(StunErrorCode.Unauthenticated, "unauthenticated");
    let keys: readonly Uint8Array[];
    if (allocation !== undefined) {
      // RFC 8656 section 5: a request on an allocation with another username gets 441
      if (username !== allocation.username) {
        throw new Refusal(StunErrorCode.WrongCredentials, "wrong_credentials");
      }
      keys = [allocation.key];
    } else {
      keys = this.#credentials.keysFor(username, realm);
    }
    let key: Uint8Array | undefined;
    for (const candidate of keys) {
      if (checkMessageIntegrity(message, candidate)) {
        key = candidate;
        break;
      }
    }
    // RFC 8489 section 9.2.4: unknown user or wrong MESSAGE-INTEGRITY: 401
    if (key === undefined) throw new Refusal(StunErrorCode.Unauthenticated, "unauthenticated");
    // RFC 8489 section 9.2.4: a nonce no longer valid gets 438 with a new one (an invalid one too:
    // a nonce from before a restart is then retried transparently)
    if (this.#nonces.check(nonce, tuple.client.host) !== "valid") {
      throw new Refusal(StunErrorCode.StaleNonce, "stale_nonce");
    }
    request.key = key;
    request.username = username;
    // RFC 8489 section 6.3.1: unknown comprehension-required attributes: 420, after authentication
    if (message.unknownAttributes.length > 0) {
      throw new Refusal(StunErrorCode.UnknownAttribute, "unknown_attribute");
    }
  }

  /** RFC 8656 section 7.2, steps in order. */
  #allocate(request: Request, now: number): Uint8Array {
    const { message, tuple } = request;
    // RFC 8656 section 7.2 step 2: the 5-tuple already has an allocation: 437
    const existing = this.#live(this.#table.find(tuple.transport, tuple.client, tuple.server), now);
    if (existing !== undefined) {
      throw new Refusal(StunErrorCode.AllocationMismatch, "allocation_mismatch");
    }
    // RFC 8656 section 7.2 step 3: REQUESTED-TRANSPORT missing or malformed: 400; not UDP: 442
    const transportAt = message.indexOf(StunAttribute.RequestedTransport);
    if (transportAt < 0) {
      throw new Refusal(StunErrorCode.BadRequest, "bad_request", "Missing REQUESTED-TRANSPORT");
    }
    const protocol = attempt(() => decodeRequestedTransport(message, transportAt));
    if (protocol !== TRANSPORT_PROTOCOL_UDP) {
      throw new Refusal(StunErrorCode.UnsupportedTransportProtocol, "unsupported_transport");
    }
    // step 4 (DONT-FRAGMENT, which this relay cannot honour) was answered 420 in #authenticate()
    const tokenAt = message.indexOf(StunAttribute.ReservationToken);
    const evenAt = message.indexOf(StunAttribute.EvenPort);
    const requestedAt = message.indexOf(StunAttribute.RequestedAddressFamily);
    const additionalAt = message.indexOf(StunAttribute.AdditionalAddressFamily);
    // RFC 8656 section 7.2 step 5: RESERVATION-TOKEN with EVEN-PORT or an address family: 400
    if (tokenAt >= 0 && (evenAt >= 0 || requestedAt >= 0 || additionalAt >= 0)) {
      throw new Refusal(StunErrorCode.BadRequest, "bad_request", "RESERVATION-TOKEN with others");
    }
    // RFC 8656 section 7.2 step 6: both address family attributes: 400
    if (requestedAt >= 0 && additionalAt >= 0) {
      throw new Refusal(StunErrorCode.BadRequest, "bad_request", "Two address families");
    }
    // RFC 8656 section 7.2 step 7: an unsupported family: 440; none asked: IPv4
    let family: 4 | 6 = 4;
    if (requestedAt >= 0) {
      const asked = attempt(() => decodeRequestedAddressFamily(message, requestedAt));
      if (asked === UNSUPPORTED_FAMILY) {
        throw new Refusal(StunErrorCode.AddressFamilyNotSupported, "family_not_supported");
      }
      family = asked;
    }
    const reserveNext = evenAt >= 0 && attempt(() => decodeEvenPort(message, evenAt));
    // RFC 8656 section 7.2 step 8: EVEN-PORT with R=1 and ADDITIONAL-ADDRESS-FAMILY: 400
    if (reserveNext && additionalAt >= 0) {
      throw new Refusal(StunErrorCode.BadRequest, "bad_request", "EVEN-PORT R with two families");
    }
    let additionalError = false;
    if (additionalAt >= 0) {
      const extra = attempt(() => decodeAdditionalAddressFamily(message, additionalAt));
      // RFC 8656 section 7.2 step 9: ADDITIONAL-ADDRESS-FAMILY of IPv4: 400
      if (extra !== 6) {
        throw new Refusal(StunErrorCode.BadRequest, "bad_request", "ADDITIONAL-ADDRESS-FAMILY");
      }
      // no dual allocations: the IPv4 part succeeds with ADDRESS-ERROR-CODE 440 for IPv6
      additionalError = true;
    }
    // RFC 8656 section 7.2 step 10: quotas (486 per user or client; 508 at the server's total)
    const refusal = this.#table.canCreate(request.username, tuple.client.host);
    if (refusal === "quota_total") {
      throw new Refusal(StunErrorCode.InsufficientCapacity, refusal);
    }
    if (refusal !== undefined) throw new Refusal(StunErrorCode.AllocationQuotaReached, refusal);
    let port: number;
    let token: Uint8Array | undefined;
    if (tokenAt >= 0) {
      const tokenHex = bytesToHex(attempt(() => decodeReservationToken(message, tokenAt)));
      const reservation = this.#reservations.get(tokenHex);
      this.#reservations.delete(tokenHex);
      // RFC 8656 section 7.2 step 5: an unknown or expired token: 508
      if (reservation === undefined || reservation.expiresAt <= now) {
        throw new Refusal(StunErrorCode.InsufficientCapacity, "reservation");
      }
      family = reservation.family;
      port = reservation.port;
      this.#ports.unhold(port);
    } else {
      if (this.#relayHost(family) === undefined) {
        throw new Refusal(StunErrorCode.AddressFamilyNotSupported, "family_not_supported");
      }
      if (reserveNext && this.#reservations.size >= this.#maxReservations) {
        throw new Refusal(StunErrorCode.InsufficientCapacity, "reservation");
      }
      port = this.#ports.acquire({ even: evenAt >= 0, withNext: reserveNext });
      // RFC 8656 section 7.2 step 8: EVEN-PORT cannot be satisfied (or no port at all): 508
      if (port < 0) throw new Refusal(StunErrorCode.InsufficientCapacity, "ports_full");
      if (reserveNext) {
        token = new Uint8Array(RESERVATION_TOKEN_BYTES);
        this.#randomBytes(token);
        const expiresAt = now + RESERVATION_LIFETIME_S * 1000;
        this.#reservations.set(bytesToHex(token), { port: port + 1, family, expiresAt });
        this.#ports.hold(port + 1, expiresAt);
      }
    }
    const host = this.#relayHost(family);
    if (host === undefined) {
      this.#ports.release(port);
      throw new Refusal(StunErrorCode.AddressFamilyNotSupported, "family_not_supported");
    }
    const lifetime = this.#lifetime(message, false);
    const relayed = { family, host, port };
    const allocation = this.#table.create({
      fiveTuple: tuple,
      username: request.username,
      realm: this.realm,
      key: request.key!,
      relayed,
      lifetimeSeconds: lifetime,
    }, now);
    this.#updateGauges();
    this.#logger.debug("Allocation created", {
      user: request.username,
      client: `${tuple.client.host}:${tuple.client.port}`,
      port,
    });
    const failure = this.#errorResponse(
      request,
      new Refusal(StunErrorCode.InsufficientCapacity, "relay_bind_failed"),
      false,
    );
    request.relayFailure = { port, failure };
    request.actions.push({
      kind: "open-relay",
      family,
      host,
      port,
      to: allocation.fiveTuple,
      failure,
    });
    const b = this.#builder.beginResponse(message, StunClass.SuccessResponse);
    encodeXorRelayedAddress(b, relayed);
    if (additionalError) {
      encodeAddressErrorCode(b, { family: 6, code: StunErrorCode.AddressFamilyNotSupported });
    }
    encodeLifetime(b, lifetime);
    if (token !== undefined) encodeReservationToken(b, token);
    encodeXorMappedAddress(b, stunAddress(tuple.client));
    return this.#finishSuccess(request);
  }

  /** RFC 8656 section 8.2. */
  #refresh(request: Request, allocation: Allocation, now: number): Uint8Array {
    const { message } = request;
    const familyAt = message.indexOf(StunAttribute.RequestedAddressFamily);
    if (familyAt >= 0) {
      const family = attempt(() => decodeRequestedAddressFamily(message, familyAt));
      // RFC 8656 section 8.2: REQUESTED-ADDRESS-FAMILY not of the allocation: 443
      if (family !== allocation.relayed.family) {
        throw new Refusal(StunErrorCode.PeerAddressFamilyMismatch, "peer_family_mismatch");
      }
    }
    const lifetime = this.#lifetime(message, true);
    this.#table.refresh(allocation, lifetime, now);
    if (lifetime === 0) {
      // RFC 8656 section 8.2: a lifetime of 0 deletes the allocation
      request.actions.push({ kind: "close-relay", port: allocation.relayed.port });
      this.#updateGauges();
      this.#logger.debug("Allocation deleted", {
        user: allocation.username,
        port: allocation.relayed.port,
      });
    }
    const b = this.#builder.beginResponse(message, StunClass.SuccessResponse);
    encodeLifetime(b, lifetime);
    return this.#finishSuccess(request);
  }

  /** RFC 8656 section 10.2: all peers or none. */
  #createPermission(request: Request, allocation: Allocation, now: number): Uint8Array {
    const { message } = request;
    const hosts: string[] = [];
    for (let at = 0; at < message.attributeCount; at++) {
      if (message.attributeType(at) !== StunAttribute.XorPeerAddress) continue;
      const peer = attempt(() => decodeXorAddress(message, at));
      this.#checkPeer(allocation, peer, -1);
      hosts.push(peer.host);
    }
    // RFC 8656 section 10.2: no XOR-PEER-ADDRESS: 400
    if (hosts.length === 0) {
      throw new Refusal(StunErrorCode.BadRequest, "bad_request", "Missing XOR-PEER-ADDRESS");
    }
    // RFC 8656 section 10.2: more permissions than the server can hold: 508
    if (this.#table.addPermissions(allocation, hosts, now) !== undefined) {
      throw new Refusal(StunErrorCode.InsufficientCapacity, "permissions_full");
    }
    this.#updateGauges();
    this.#builder.beginResponse(message, StunClass.SuccessResponse);
    return this.#finishSuccess(request);
  }

  /** RFC 8656 section 12.2. */
  #channelBind(request: Request, allocation: Allocation, now: number): Uint8Array {
    const { message } = request;
    const numberAt = message.indexOf(StunAttribute.ChannelNumber);
    const peerAt = message.indexOf(StunAttribute.XorPeerAddress);
    if (numberAt < 0 || peerAt < 0) {
      throw new Refusal(
        StunErrorCode.BadRequest,
        "bad_request",
        "Missing CHANNEL-NUMBER or XOR-PEER-ADDRESS",
      );
    }
    const number = attempt(() => decodeChannelNumber(message, numberAt));
    // RFC 8656 section 12.2: a channel number outside 0x4000-0x4FFF: 400
    if (!isValidChannelNumber(number, this.#channelOptions)) {
      throw new Refusal(StunErrorCode.BadRequest, "bad_request", "Channel number out of range");
    }
    const peer = attempt(() => decodeXorAddress(message, peerAt));
    this.#checkPeer(allocation, peer, peer.port);
    const outcome = this.#table.bindChannel(allocation, number, peer, now);
    if (outcome === "channels_full" || outcome === "permissions_full") {
      throw new Refusal(StunErrorCode.InsufficientCapacity, outcome);
    }
    if (outcome !== "created" && outcome !== "refreshed") {
      // RFC 8656 section 12.2: number or address bound to another (or quarantined): 400
      throw new Refusal(StunErrorCode.BadRequest, outcome, "Channel conflict");
    }
    this.#updateGauges();
    this.#builder.beginResponse(message, StunClass.SuccessResponse);
    return this.#finishSuccess(request);
  }

  /** 443 for the wrong family, 403 for a peer the policy forbids (RFC 8656 sections 10.2, 12.2). */
  #checkPeer(allocation: Allocation, peer: StunAddress, port: number): void {
    if (peer.family !== allocation.relayed.family) {
      throw new Refusal(StunErrorCode.PeerAddressFamilyMismatch, "peer_family_mismatch");
    }
    if (this.#policy.check(peer.host, port) !== "allowed") {
      throw new Refusal(StunErrorCode.Forbidden, "forbidden");
    }
  }

  /** RFC 8656 section 11.2: anything wrong with a Send indication drops it silently. */
  #send(message: StunMessage, tuple: FiveTuple): readonly TurnAction[] {
    const now = this.#clock.monotonic();
    const allocation = this.#live(
      this.#table.find(tuple.transport, tuple.client, tuple.server),
      now,
    );
    if (allocation === undefined) return this.#drop("no_allocation");
    const peerAt = message.indexOf(StunAttribute.XorPeerAddress);
    const dataAt = message.indexOf(StunAttribute.Data);
    if (peerAt < 0 || dataAt < 0) return this.#drop("bad_indication");
    // RFC 8489 section 6.3.2: an indication with unknown comprehension-required attributes is dropped
    if (message.unknownAttributes.length > 0) return this.#drop("unknown_attribute");
    let peer: StunAddress;
    try {
      peer = decodeXorAddress(message, peerAt);
    } catch {
      return this.#drop("malformed");
    }
    if (peer.family !== allocation.relayed.family) return this.#drop("family_mismatch");
    // RFC 8656 section 11.2: no permission for the peer: silently discard
    if (!allocation.hasPermission(peer.host, now)) return this.#drop("no_permission");
    const verdict = this.#policy.check(peer.host, peer.port);
    if (verdict !== "allowed") return this.#drop(verdict === "loop" ? "loop" : "policy");
    const length = message.valueLength(dataAt);
    if (!this.#admit(allocation, length, now)) return NO_ACTIONS;
    this.#bytesToPeer.inc(length);
    this.#packetsToPeer.inc();
    return [{
      kind: "to-peer",
      relayPort: allocation.relayed.port,
      peer: { host: peer.host, port: peer.port },
      bytes: message.bytes,
      offset: message.valueOffset(dataAt),
      length,
    }];
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** RFC 8656 sections 7.2 and 8.2: the lifetime to grant. */
  #lifetime(message: StunMessage, zeroDeletes: boolean): number {
    const at = message.indexOf(StunAttribute.Lifetime);
    if (at < 0) return this.#defaultLifetime;
    const asked = attempt(() => decodeLifetime(message, at));
    if (asked === 0 && zeroDeletes) return 0;
    // RFC 8656 section 7.2: min(asked, maximum), raised to the default if below it
    return Math.max(this.#defaultLifetime, Math.min(asked, this.#maxLifetime));
  }

  #relayHost(family: 4 | 6): string | undefined {
    return family === 4 ? this.#relayIpv4 : this.#relayIpv6;
  }

  #live(allocation: Allocation | undefined, now: number): Allocation | undefined {
    return allocation !== undefined && allocation.expiresAt > now ? allocation : undefined;
  }

  /** Global bucket, then the allocation's; both must have room (RFC 8656 section 21.1.7). */
  #admit(allocation: Allocation, bytes: number, now: number): boolean {
    if (!this.#totalBucket.take(bytes, now)) {
      this.#dropOne("bandwidth_total");
      return false;
    }
    if (!allocation.bucket.take(bytes, now)) {
      this.#totalBucket.giveBack(bytes);
      this.#dropOne("bandwidth_allocation");
      return false;
    }
    return true;
  }

  /** Success after the attributes are written: SOFTWARE, MESSAGE-INTEGRITY, FINGERPRINT. */
  #finishSuccess(request: Request): Uint8Array {
    const b = this.#builder;
    encodeSoftware(b, this.#software);
    return b.finish(this.#finishOptions(request)).slice();
  }

  #finishOptions(request: Request): { integrityKey?: Uint8Array; fingerprint: boolean } {
    // RFC 8489 section 9.2.4: responses to an authenticated request carry MESSAGE-INTEGRITY
    return request.key !== undefined
      ? { integrityKey: request.key, fingerprint: request.fingerprint }
      : { fingerprint: request.fingerprint };
  }

  /** An error response with ERROR-CODE (RFC 8489 section 6.3.4: every error response has one). */
  #errorResponse(request: Request, refusal: Refusal, count = true): Uint8Array {
    const { message, tuple } = request;
    if (count) this.#count(this.#refused, this.#refusedTotal, refusal.reason);
    const b = this.#builder.beginResponse(message, StunClass.ErrorResponse);
    encodeErrorCode(
      b,
      refusal.text !== undefined
        ? { code: refusal.code, reason: refusal.text }
        : { code: refusal.code },
    );
    if (refusal.code === StunErrorCode.UnknownAttribute) {
      encodeUnknownAttributes(b, message.unknownAttributes);
    }
    const challenge = refusal.code === StunErrorCode.Unauthenticated ||
      refusal.code === StunErrorCode.StaleNonce;
    if (challenge) {
      // RFC 8489 section 9.2.4: 401 and 438 carry REALM and a fresh NONCE
      encodeRealm(b, this.realm);
      encodeNonce(b, this.#nonces.issue(tuple.client.host));
    }
    encodeSoftware(b, this.#software);
    // 401, 438 and 400 for missing credentials go unsigned: the key is not known (RFC 8489 9.2.4)
    return b.finish(challenge ? { fingerprint: request.fingerprint } : this.#finishOptions(request))
      .slice();
  }

  #drop(reason: DropReason): readonly TurnAction[] {
    this.#dropOne(reason);
    return NO_ACTIONS;
  }

  #dropOne(reason: DropReason): undefined {
    this.#count(this.#dropped, this.#droppedTotal, reason);
    return undefined;
  }

  #count(cache: Map<string, Counter>, family: Counter, reason: string): void {
    let counter = cache.get(reason);
    if (counter === undefined) cache.set(reason, counter = family.with({ reason }));
    counter.inc();
  }

  #logRateLimited(key: string, message: string, fields: Record<string, string>): void {
    const now = this.#clock.monotonic();
    const last = this.#lastLog.get(key);
    if (last !== undefined && now - last < LOG_INTERVAL_MS) return;
    this.#lastLog.set(key, now);
    this.#logger.warn(message, fields);
  }

  #updateGauges(): void {
    const stats = this.#table.stats();
    this.#allocationsGauge.set(stats.allocations);
    this.#permissionsGauge.set(stats.permissions);
    this.#channelsGauge.set(stats.channels);
  }
}

/** A decode inside a handler: a malformed attribute is a 400 (RFC 8489 section 6.3.1). */
function attempt<T>(decode: () => T): T {
  try {
    return decode();
  } catch {
    throw new Refusal(StunErrorCode.BadRequest, "bad_request", "Malformed attribute");
  }
}

function stunAddress(address: HostPort): StunAddress {
  return { family: address.host.includes(":") ? 6 : 4, host: address.host, port: address.port };
}
