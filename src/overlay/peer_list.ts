import { decodeCbor, encodeCbor } from "../codec/cbor/cbor_codec.ts";
import { CborFormatError } from "../codec/cbor/cbor_subset.ts";
import { OverlayDecodeError } from "../codec/overlay/overlay_errors.ts";
import { decodePeer, encodePeer, type PeerInfo } from "../codec/overlay/messages/peer.ts";
import { asList } from "../codec/overlay/shape.ts";

/** Most peers carried in a Join's overlay-specific data. */
export const MAX_JOIN_PEERS = 16;

/**
 * Chord-specific data of Join (RFC 6940 section 10.5 leaves it to the topology plugin): in a
 * JoinReq the joining peer's own transport addresses (one PeerInfo), in a JoinAns the admitting
 * peer followed by its predecessors and successors, so the joiner can fill its table at once.
 * Wire form: `[* peer]` inside the message's overlay-data byte string.
 */
export function encodePeerList(peers: readonly PeerInfo[]): Uint8Array {
  return encodeCbor(peers.slice(0, MAX_JOIN_PEERS).map((p, i) => encodePeer(p, `peers[${i}]`)));
}

export function decodePeerList(bytes: Uint8Array): PeerInfo[] {
  if (bytes.length === 0) return [];
  try {
    return asList(
      decodeCbor(bytes, { maxDepth: 4, maxArrayItems: 32, maxItems: 512 }),
      "overlayData",
      MAX_JOIN_PEERS,
      decodePeer,
    );
  } catch (error) {
    if (error instanceof CborFormatError) {
      throw new OverlayDecodeError(`overlayData byte ${error.offset}`, error.message);
    }
    throw error;
  }
}
