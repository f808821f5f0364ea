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
  checkFingerprint,
  decodeAdditionalAddressFamily,
  decodeChannelNumber,
  decodeEvenPort,
  decodeLifetime,
  decodeRequestedAddressFamily,
  decodeRequestedTransport,
  decodeReservationToken,
  decodeStunMessage,
  decodeXorAddress,
  DEFAULT_UNDERSTOOD_ATTRIBUTES,
  encodeAddressErrorCode,
  encodeErrorCode,
  encodeLifetime,
  encodeReservationToken,
  encodeSoftware,
  encodeUnknownAttributes,
  encodeXorMappedAddress,
  encodeXorRelayedAddress,
  type FinishStunMessageOptions,
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
  StunMethod,
  TRANSPORT_PROTOCOL_UDP,
  UNSUPPORTED_FAMILY,
} from "../codec/stun/mod.ts";
import type { Clock } from "../core/clock.ts";
import { bytesToHex } from "../core/hex.ts";
import { type Logger, silentLogger } from "../core/logger.ts";
import type { Metrics } from "../core/metrics.ts";
import {
  type Allocation,
  AllocationTable,
  type AllocationTableInit,
  type RelayedAddress,
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
import { LongTermAuthenticator } from "./long_term_auth.ts";
import { NonceManager } from "./nonce.ts";
import { PeerPolicy, type PeerPolicyInit } from "./peer_policy.ts";
import { RelayPortPool } from "./port_pool.ts";
import { RelayCounters } from "./relay_counters.ts";
import { live, RelayForwarder } from "./relay_forwarder.ts";
import { attempt, Refusal, stunAddress } from "./refusal.ts";
import { ReservationBook } from "./reservations.ts";
import { ResponseCache } from "./response_cache.ts";
import type { ClientDatagram, DropReason, PeerDatagram, TurnAction } from "./turn_actions.ts";

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
  /** Our listening ports (loops even when loopback peers are allowed). @default [3478, 5349] */
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

/** Per-request state while it is answered. */
interface Request {
  readonly message: StunMessage;
  readonly tuple: FiveTuple;
  readonly fingerprint: boolean;
  /** Set once the request is authenticated: responses carry MESSAGE-INTEGRITY under it. */
  key: Uint8Array | undefined;
  /** The responses' integrity is MESSAGE-INTEGRITY-SHA256 instead (RFC 8489 section 9.2.4). */
  sha256Integrity: boolean;
  username: string;
  /** Set by a successful Allocate: its relay port and the 508 answer if the port cannot be bound. */
  relayFailure: { readonly port: number; readonly failure: Uint8Array } | undefined;
  readonly actions: TurnAction[];
}

const NO_ACTIONS: readonly TurnAction[] = Object.freeze([]);
const UNDERSTOOD: ReadonlySet<number> = new Set(
  // RFC 8656 section 7.2 step 4: a relay that cannot set DF treats DONT-FRAGMENT as unknown
  [...DEFAULT_UNDERSTOOD_ATTRIBUTES].filter((t) => t !== StunAttribute.DontFragment),
);
const DECODE_OPTIONS = Object.freeze({ understood: UNDERSTOOD });
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
  readonly #channelOptions: { readonly allowRfc5766Range: boolean };
  readonly #maxReservations: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #randomBytes: (target: Uint8Array) => void;
  readonly #auth: LongTermAuthenticator;
  readonly #policy: PeerPolicy;
  readonly #ports: RelayPortPool;
  readonly #table: AllocationTable;
  readonly #cache: ResponseCache;
  readonly #reservations = new ReservationBook();
  readonly #builder = new StunMessageBuilder();
  readonly #forwarder: RelayForwarder;
  readonly #counters: RelayCounters;
  readonly #lastLog = new Map<string, number>();

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
    this.#logger = components.logger ?? silentLogger("superpeer:relay:server");
    this.#randomBytes = components.randomBytes ?? ((t) => void crypto.getRandomValues(t));
    const nonces = new NonceManager(
      {
        ...(init.nonceSecret !== undefined ? { secret: init.nonceSecret } : {}),
        ...(init.nonceLifetimeSeconds !== undefined
          ? { lifetimeSeconds: init.nonceLifetimeSeconds }
          : {}),
      },
      { clock: components.clock },
    );
    this.#auth = new LongTermAuthenticator(init.realm, components.credentials, nonces);
    this.#ports = new RelayPortPool(
      {
        ...(init.minRelayPort !== undefined ? { minPort: init.minRelayPort } : {}),
        ...(init.maxRelayPort !== undefined ? { maxPort: init.maxRelayPort } : {}),
      },
      components.random !== undefined ? { random: components.random } : {},
    );
    // At our own addresses only the relay ports may be peers: a packet from one allocation to
    // another on this relay (two browsers sharing one TURN server) arrives as peer data and goes
    // no further. Any other port of ours is a loop: the listening ports (a relayed packet there
    // would be taken for a client's request), the overlay's, anything else bound there.
    const peers = init.peers ?? {};
    this.#policy = new PeerPolicy({
      ...peers,
      ownAddresses: [
        ...(peers.ownAddresses ?? []),
        ...(init.listenAddresses ?? []),
        ...(ipv4 !== undefined ? [ipv4] : []),
        ...(ipv6 !== undefined ? [ipv6] : []),
      ],
      relayPorts: { min: this.#ports.minPort, max: this.#ports.maxPort },
      listenPorts: [...(peers.listenPorts ?? []), ...(init.listenPorts ?? [3478, 5349])],
    });
    this.#table = new AllocationTable(init, { ports: this.#ports });
    this.#cache = new ResponseCache(
      init.maxCachedResponses !== undefined ? { maxEntries: init.maxCachedResponses } : {},
    );
    this.#counters = new RelayCounters(components.metrics);
    const totalRate = init.totalBytesPerSecond ?? DEFAULT_MAX_TOTAL_BYTES_PER_SECOND;
    this.#forwarder = new RelayForwarder({
      channelOptions: this.#channelOptions,
      totalBytesPerSecond: totalRate,
      totalBurstBytes: init.totalBurstBytes ?? totalRate * DEFAULT_BURST_SECONDS,
    }, {
      clock: components.clock,
      table: this.#table,
      policy: this.#policy,
      counters: this.#counters,
      randomBytes: this.#randomBytes,
    });
  }

  /** The allocation state (read-only use: status pages and tests). */
  get table(): AllocationTable {
    return this.#table;
  }

  /** Relayed bytes and packets, drops by reason (read-only use: status pages). */
  get counters(): RelayCounters {
    return this.#counters;
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
        const out = this.#forwarder.fromClientChannelData(tuple, bytes);
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
        if (message.method === StunMethod.Send) {
          const action = this.#forwarder.fromSendIndication(message, tuple);
          return action === undefined ? NO_ACTIONS : [action];
        }
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
    return this.#forwarder.fromClientChannelData(tuple, bytes);
  }

  /**
   * A datagram from `peer` on relay port `relayPort` (RFC 8656 section 11.3): ChannelData if a
   * channel is bound to the peer (section 12.5: MUST), else a Data indication; undefined when
   * dropped (no allocation, no permission, loop, bandwidth). The ChannelData path allocates
   * nothing; the result is reused by the next call.
   */
  fromPeer(relayPort: number, peer: HostPort, payload: Uint8Array): ClientDatagram | undefined {
    return this.#forwarder.fromPeer(relayPort, peer, payload);
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
    this.#reservations.sweep(now);
    this.#counters.expired("allocation", result.allocations.length);
    this.#counters.expired("permission", result.permissions);
    this.#counters.expired("channel", result.channels);
    this.#updateGauges();
    if (result.allocations.length === 0) return NO_ACTIONS;
    return result.allocations.flatMap((a): TurnAction[] => {
      this.#logger.debug("Allocation expired", { user: a.username, port: a.relayed.port });
      return closeRelays(a);
    });
  }

  /**
   * The TCP or TLS connection of `tuple` ended: its allocation, if any, goes at once (its 5-tuple
   * can never be used again, RFC 8656 section 3.1), and a "close-relay" for its port is returned.
   */
  connectionClosed(tuple: FiveTuple): readonly TurnAction[] {
    const allocation = this.#table.find(tuple.transport, tuple.client, tuple.server);
    if (allocation === undefined) return NO_ACTIONS;
    this.#table.delete(allocation);
    this.#updateGauges();
    this.#logger.debug("Allocation deleted with its connection", {
      user: allocation.username,
      port: allocation.relayed.port,
    });
    return closeRelays(allocation);
  }

  /**
   * The I/O layer could not bind relay port `port`: the allocation made for it goes, the port is
   * not offered again for a while, and retransmissions of the Allocate get the 508 answer.
   */
  relayOpenFailed(port: number): readonly TurnAction[] {
    const allocation = this.#table.byRelayPort(port);
    let others: TurnAction[] = [];
    if (allocation !== undefined) {
      // A dual allocation's other relay port may be bound already: it closes too.
      others = closeRelays(allocation).filter((a) => a.kind === "close-relay" && a.port !== port);
      for (const relay of allocation.relays) this.#cache.failRelayPort(relay.port);
      this.#table.delete(allocation);
    }
    this.#ports.hold(port, this.#clock.monotonic() + FAILED_PORT_HOLD_S * 1000);
    this.#cache.failRelayPort(port);
    this.#counters.refused("relay_bind_failed");
    this.#updateGauges();
    return others;
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
      sha256Integrity: false,
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
        const allocation = live(
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
   * Long-term credentials (RFC 8489 section 9.2.4); sets request.key and request.username.
   * `allocation` is the 5-tuple's, if any: its key and username are the ones that count.
   */
  #authenticate(request: Request, allocation: Allocation | undefined): void {
    const { message, tuple } = request;
    const { username, key, sha256Integrity } = this.#auth.authenticate(
      message,
      tuple.client.host,
      allocation,
    );
    request.key = key;
    request.sha256Integrity = sha256Integrity;
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
    const existing = live(this.#table.find(tuple.transport, tuple.client, tuple.server), now);
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
    let dual = false;
    if (additionalAt >= 0) {
      const extra = attempt(() => decodeAdditionalAddressFamily(message, additionalAt));
      // RFC 8656 section 7.2 step 9: ADDITIONAL-ADDRESS-FAMILY of IPv4: 400
      if (extra !== 6) {
        throw new Refusal(StunErrorCode.BadRequest, "bad_request", "ADDITIONAL-ADDRESS-FAMILY");
      }
      // RFC 8656 section 7.2: a dual allocation (IPv4 and IPv6) when both are offered; without an
      // IPv6 relay address the IPv4 part succeeds with ADDRESS-ERROR-CODE 440 for IPv6
      if (this.#relayHost(6) !== undefined) dual = true;
      else additionalError = true;
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
      const reservation = this.#reservations.take(
        attempt(() => decodeReservationToken(message, tokenAt)),
        now,
      );
      // RFC 8656 section 7.2 step 5: an unknown or expired token: 508
      if (reservation === undefined) {
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
        this.#reservations.put(token, { port: port + 1, family, expiresAt });
        this.#ports.hold(port + 1, expiresAt);
      }
    }
    const host = this.#relayHost(family);
    if (host === undefined) {
      this.#ports.release(port);
      throw new Refusal(StunErrorCode.AddressFamilyNotSupported, "family_not_supported");
    }
    let additional: RelayedAddress | undefined;
    if (dual) {
      const port6 = this.#ports.acquire({ even: false, withNext: false });
      if (port6 < 0) {
        this.#ports.release(port);
        throw new Refusal(StunErrorCode.InsufficientCapacity, "ports_full");
      }
      additional = { family: 6, host: this.#relayHost(6)!, port: port6 };
    }
    const lifetime = this.#lifetime(message, false);
    const relayed = { family, host, port };
    const allocation = this.#table.create({
      fiveTuple: tuple,
      username: request.username,
      realm: this.realm,
      key: request.key!,
      relayed,
      ...(additional === undefined ? {} : { additional }),
      lifetimeSeconds: lifetime,
    }, now);
    this.#updateGauges();
    this.#counters.created(additional !== undefined ? "dual" : family === 4 ? "ipv4" : "ipv6");
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
    for (const relay of allocation.relays) {
      request.actions.push({
        kind: "open-relay",
        family: relay.family,
        host: relay.host,
        port: relay.port,
        to: allocation.fiveTuple,
        failure,
      });
    }
    const b = this.#builder.beginResponse(message, StunClass.SuccessResponse);
    // RFC 8656 section 7.2: a dual allocation's response carries both XOR-RELAYED-ADDRESSes
    for (const relay of allocation.relays) encodeXorRelayedAddress(b, relay);
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
    let family: 4 | 6 | undefined;
    if (familyAt >= 0) {
      const asked = attempt(() => decodeRequestedAddressFamily(message, familyAt));
      // RFC 8656 section 8.2: REQUESTED-ADDRESS-FAMILY not of the allocation: 443
      if (asked === UNSUPPORTED_FAMILY || allocation.relayFor(asked) === undefined) {
        throw new Refusal(StunErrorCode.PeerAddressFamilyMismatch, "peer_family_mismatch");
      }
      family = asked;
    }
    const lifetime = this.#lifetime(message, true);
    if (lifetime === 0 && family !== undefined && allocation.relays.length > 1) {
      // RFC 8656 section 8.2: lifetime 0 with a family deletes that relayed address of a dual
      // allocation; the other stays
      const port = this.#table.dropRelay(allocation, family)!;
      request.actions.push({ kind: "close-relay", port });
      this.#updateGauges();
      const b = this.#builder.beginResponse(message, StunClass.SuccessResponse);
      encodeLifetime(b, 0);
      return this.#finishSuccess(request);
    }
    const closing = lifetime === 0 ? closeRelays(allocation) : [];
    this.#table.refresh(allocation, lifetime, now);
    if (lifetime === 0) {
      // RFC 8656 section 8.2: a lifetime of 0 deletes the allocation
      request.actions.push(...closing);
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
    if (allocation.relayFor(peer.family) === undefined) {
      throw new Refusal(StunErrorCode.PeerAddressFamilyMismatch, "peer_family_mismatch");
    }
    if (this.#policy.check(peer.host, port) !== "allowed") {
      throw new Refusal(StunErrorCode.Forbidden, "forbidden");
    }
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

  /** Success after the attributes are written: SOFTWARE, MESSAGE-INTEGRITY, FINGERPRINT. */
  #finishSuccess(request: Request): Uint8Array {
    const b = this.#builder;
    encodeSoftware(b, this.#software);
    return b.finish(this.#finishOptions(request)).slice();
  }

  #finishOptions(request: Request): FinishStunMessageOptions {
    // RFC 8489 section 9.2.4: responses to an authenticated request carry MESSAGE-INTEGRITY, or
    // MESSAGE-INTEGRITY-SHA256 unless the request was processed as though its algorithm were MD5
    if (request.key === undefined) return { fingerprint: request.fingerprint };
    return request.sha256Integrity
      ? { integritySha256Key: request.key, fingerprint: request.fingerprint }
      : { integrityKey: request.key, fingerprint: request.fingerprint };
  }

  /** An error response with ERROR-CODE (RFC 8489 section 6.3.4: every error response has one). */
  #errorResponse(request: Request, refusal: Refusal, count = true): Uint8Array {
    const { message, tuple } = request;
    if (count) this.#counters.refused(refusal.reason);
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
      this.#auth.encodeChallenge(b, tuple.client.host);
    }
    encodeSoftware(b, this.#software);
    // 401, 438 and 400 for missing credentials go unsigned: the key is not known (RFC 8489 9.2.4)
    return b.finish(challenge ? { fingerprint: request.fingerprint } : this.#finishOptions(request))
      .slice();
  }

  #drop(reason: DropReason): readonly TurnAction[] {
    this.#counters.dropped(reason);
    return NO_ACTIONS;
  }

  #logRateLimited(key: string, message: string, fields: Record<string, string>): void {
    const now = this.#clock.monotonic();
    const last = this.#lastLog.get(key);
    if (last !== undefined && now - last < LOG_INTERVAL_MS) return;
    this.#lastLog.set(key, now);
    this.#logger.warn(message, fields);
  }

  #updateGauges(): void {
    this.#counters.live(this.#table.stats());
  }
}

/** "close-relay" for each of an allocation's relay ports. */
function closeRelays(allocation: Allocation): TurnAction[] {
  return allocation.relays.map((relay) => ({ kind: "close-relay", port: relay.port }));
}
