// A peer as the topology messages carry it: its node id and the addresses it can be reached at.
// RFC 6940's Chord messages (section 10: ChordUpdate, ChordLeaveData, RouteQueryAns) carry bare
// Node-IDs and leave addresses to Attach; on a small mesh we send up to four addresses along, so a
// node can reach a new neighbour without a round of ICE (overlay.cddl `peer`).
import type { CborValue } from "../../cbor/cbor_codec.ts";
import { decodeTransportAddress, type TransportAddress } from "../transport_address.ts";
import { asArray, asList } from "../shape.ts";
import { asId, checkId, encodeAddressAt, encodeList } from "./field_checks.ts";

/** Most addresses listed for one peer (e.g. IPv4, IPv6 global, IPv6 link-local, mesh). */
export const MAX_PEER_ADDRESSES = 4;

export interface PeerInfo {
  readonly nodeId: Uint8Array;
  readonly addresses: readonly TransportAddress[];
}

/**
 * Encodes a peer as `[node-id, [* transport-address]]`; `place` names it in errors.
 *
 * @example
 * ```ts
 * encodePeer({ nodeId: new Uint8Array(16), addresses: [] }, "peer"); // [h'00…00', []]
 * ```
 */
export function encodePeer(peer: PeerInfo, place: string): CborValue {
  return [
    checkId(peer.nodeId, `${place}.nodeId`),
    encodeList(peer.addresses, `${place}.addresses`, MAX_PEER_ADDRESSES, encodeAddressAt),
  ];
}

/** Decodes `[node-id, [* transport-address]]`; faults are OverlayDecodeErrors naming the place. */
export function decodePeer(value: CborValue, place: string): PeerInfo {
  const [nodeId, addresses] = asArray(value, place, 2, 2);
  return {
    nodeId: asId(nodeId, `${place}.nodeId`),
    addresses: asList(addresses, `${place}.addresses`, MAX_PEER_ADDRESSES, decodeTransportAddress),
  };
}
