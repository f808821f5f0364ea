/**
 * The relay's data plane (RFC 8656 sections 11 and 12): ChannelData and Send indications from
 * clients to peers, and peers' datagrams back to clients as ChannelData or Data indications, with
 * the permission, channel, loop and bandwidth checks. Pure: buffers are preallocated and reused.
 *
 * @module
 */
import {
  type ChannelDataHeader,
  type ChannelNumberOptions,
  decodeChannelDataHeader,
  decodeXorAddress,
  encodeChannelDataHeader,
  type EncodeChannelDataOptions,
  encodeXorPeerAddress,
  type StunAddress,
  StunAttribute,
  type StunMessage,
  StunMessageBuilder,
  StunMessageType,
} from "../codec/stun/mod.ts";
import type { Clock } from "../core/clock.ts";
import type { Allocation, AllocationTable } from "./allocation_table.ts";
import type { FiveTuple, HostPort } from "./five_tuple.ts";
import type { PeerPolicy } from "./peer_policy.ts";
import type { RelayCounters } from "./relay_counters.ts";
import { TokenBucket } from "./token_bucket.ts";
import type { ClientDatagram, DropReason, PeerDatagram, SendToPeerAction } from "./turn_actions.ts";

/** Largest payload a ChannelData or Data indication can carry to a client. */
export const MAX_RELAY_PAYLOAD = 0xffff;

/** Options of a RelayForwarder. */
export interface RelayForwarderInit {
  readonly channelOptions: ChannelNumberOptions;
  /** Relayed bytes per second of the whole server; 0 is unlimited. */
  readonly totalBytesPerSecond: number;
  readonly totalBurstBytes: number;
}

/** What a RelayForwarder works on (shared with the TurnServer that owns it). */
export interface RelayForwarderComponents {
  readonly clock: Clock;
  readonly table: AllocationTable;
  readonly policy: PeerPolicy;
  readonly counters: RelayCounters;
  readonly randomBytes: (target: Uint8Array) => void;
}

/**
 * Moves payloads between clients and peers. The ChannelData paths allocate nothing: each returns
 * one reused object, valid until the next call.
 *
 * @example
 * ```ts
 * const out = forwarder.fromClientChannelData(tuple, datagram);
 * if (out !== undefined) relaySocket(out.relayPort).send(out.bytes.subarray(out.offset, out.offset + out.length), out.peer);
 * ```
 */
export class RelayForwarder {
  readonly #clock: Clock;
  readonly #table: AllocationTable;
  readonly #policy: PeerPolicy;
  readonly #counters: RelayCounters;
  readonly #randomBytes: (target: Uint8Array) => void;
  readonly #channelOptions: ChannelNumberOptions;
  /** Encoding options per client transport, built once: RFC 8656 section 12.5 pads over streams. */
  readonly #datagramEncoding: EncodeChannelDataOptions;
  readonly #streamEncoding: EncodeChannelDataOptions;
  readonly #totalBucket: TokenBucket;
  /** Data indications to clients are built here, apart from the server's responses. */
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

  constructor(init: RelayForwarderInit, components: RelayForwarderComponents) {
    this.#clock = components.clock;
    this.#table = components.table;
    this.#policy = components.policy;
    this.#counters = components.counters;
    this.#randomBytes = components.randomBytes;
    this.#channelOptions = init.channelOptions;
    this.#datagramEncoding = { ...init.channelOptions, zeroPadding: false };
    this.#streamEncoding = { ...init.channelOptions, zeroPadding: true };
    this.#totalBucket = new TokenBucket(
      init.totalBytesPerSecond,
      init.totalBurstBytes,
      components.clock.monotonic(),
    );
    this.#toClient = {
      to: { transport: "udp", client: { host: "", port: 0 }, server: { host: "", port: 0 } },
      buffer: this.#channelOut,
      length: 0,
      framing: "channel",
    };
  }

  /**
   * ChannelData from a client (RFC 8656 section 12.5): the payload for the bound peer, or undefined
   * when dropped (no allocation, unbound or expired channel, no permission, bandwidth).
   */
  fromClientChannelData(tuple: FiveTuple, bytes: Uint8Array): PeerDatagram | undefined {
    const now = this.#clock.monotonic();
    const allocation = live(this.#table.find(tuple.transport, tuple.client, tuple.server), now);
    // RFC 8656 section 5: ChannelData without an allocation is silently dropped
    if (allocation === undefined) return this.#drop("no_allocation");
    const header = this.#header;
    try {
      decodeChannelDataHeader(bytes, header, this.#channelOptions);
    } catch {
      return this.#drop("malformed");
    }
    const binding = allocation.channel(header.channel, now);
    // RFC 8656 section 12.5: data on an unbound channel is discarded
    if (binding === undefined) return this.#drop("no_channel");
    if (!allocation.hasPermission(binding.peer.host, now)) return this.#drop("no_permission");
    if (!this.#admit(allocation, header.length, now)) return undefined;
    const out = this.#toPeer;
    out.relayPort = binding.relayPort;
    out.peer = binding.peer;
    out.bytes = bytes;
    out.offset = 4;
    out.length = header.length;
    this.#counters.relayedToPeer(header.length);
    return out;
  }

  /**
   * A Send indication (RFC 8656 section 11.2): the action that sends its DATA to the peer, or
   * undefined when it is dropped; anything wrong with it drops it silently.
   */
  fromSendIndication(message: StunMessage, tuple: FiveTuple): SendToPeerAction | undefined {
    const now = this.#clock.monotonic();
    const allocation = live(this.#table.find(tuple.transport, tuple.client, tuple.server), now);
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
    const relay = allocation.relayFor(peer.family);
    if (relay === undefined) return this.#drop("family_mismatch");
    // RFC 8656 section 11.2: no permission for the peer: silently discard
    if (!allocation.hasPermission(peer.host, now)) return this.#drop("no_permission");
    const verdict = this.#policy.check(peer.host, peer.port);
    if (verdict !== "allowed") return this.#drop(verdict === "loop" ? "loop" : "policy");
    const length = message.valueLength(dataAt);
    if (!this.#admit(allocation, length, now)) return undefined;
    this.#counters.relayedToPeer(length);
    return {
      kind: "to-peer",
      relayPort: relay.port,
      peer: { host: peer.host, port: peer.port },
      bytes: message.bytes,
      offset: message.valueOffset(dataAt),
      length,
    };
  }

  /**
   * A datagram from `peer` on relay port `relayPort` (RFC 8656 section 11.3): ChannelData if a
   * channel is bound to the peer (section 12.5: MUST), else a Data indication; undefined when
   * dropped (no allocation, no permission, loop, bandwidth).
   */
  fromPeer(relayPort: number, peer: HostPort, payload: Uint8Array): ClientDatagram | undefined {
    const now = this.#clock.monotonic();
    const allocation = live(this.#table.byRelayPort(relayPort), now);
    if (allocation === undefined) return this.#drop("no_allocation");
    // RFC 8656 section 11.3: no permission for the source IP: silently discard
    if (!allocation.hasPermission(peer.host, now)) return this.#drop("no_permission");
    if (this.#policy.isLoop(peer.host, peer.port)) return this.#drop("loop");
    const length = payload.length;
    if (length > MAX_RELAY_PAYLOAD - 64) return this.#drop("too_large");
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
      encodeChannelDataHeader(
        buffer,
        this.#header,
        stream ? this.#streamEncoding : this.#datagramEncoding,
      );
      out.buffer = buffer;
      out.length = stream ? 4 + ((length + 3) & ~3) : 4 + length;
      out.framing = "channel";
    } else {
      const builder = this.#dataBuilder;
      this.#randomBytes(this.#transactionId);
      builder.begin(StunMessageType.DataIndication, this.#transactionId);
      const address = this.#peerAddress;
      address.family = (allocation.relayOnPort(relayPort) ?? allocation.relayed).family;
      address.host = peer.host;
      address.port = peer.port;
      encodeXorPeerAddress(builder, address as StunAddress);
      builder.buffer.set(payload, builder.reserve(StunAttribute.Data, length));
      builder.finish();
      out.buffer = builder.buffer;
      out.length = builder.length;
      out.framing = "data";
    }
    this.#counters.relayedToClient(length);
    return out;
  }

  /** Global bucket, then the allocation's; both must have room (RFC 8656 section 21.1.7). */
  #admit(allocation: Allocation, bytes: number, now: number): boolean {
    if (!this.#totalBucket.take(bytes, now)) {
      this.#counters.dropped("bandwidth_total");
      return false;
    }
    if (!allocation.bucket.take(bytes, now)) {
      this.#totalBucket.giveBack(bytes);
      this.#counters.dropped("bandwidth_allocation");
      return false;
    }
    return true;
  }

  #drop(reason: DropReason): undefined {
    this.#counters.dropped(reason);
    return undefined;
  }
}

/**
 * The allocation if it has not expired yet (the sweep may not have run since it did).
 *
 * @example
 * ```ts
 * live(table.byRelayPort(port), clock.monotonic());
 * ```
 */
export function live(allocation: Allocation | undefined, now: number): Allocation | undefined {
  return allocation !== undefined && allocation.expiresAt > now ? allocation : undefined;
}
