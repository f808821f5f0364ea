/**
 * What the TURN core asks its I/O layer to do, and why it refused or dropped: the types that cross
 * the boundary between the pure relay (turn_server.ts, relay_forwarder.ts) and the sockets.
 *
 * @module
 */
import type { TableRefusal } from "./allocation_table.ts";
import type { FiveTuple, HostPort } from "./five_tuple.ts";

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
