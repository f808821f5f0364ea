import { type CborValue, decodeCbor, encodeCbor } from "../cbor/cbor_codec.ts";
import { CborFormatError } from "../cbor/cbor_subset.ts";
import { FRAME_CBOR_LIMITS } from "./cbor_limits.ts";
import {
  ACK_ID_BYTES,
  FrameType,
  MAX_DATAGRAM_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_VIA_ENTRIES,
  SIGNATURE_BYTES,
  TRANSACTION_ID_BYTES,
} from "./constants.ts";
import { decodeDestination, type Destination, encodeDestination } from "./destination.ts";
import { OverlayDecodeError, OverlayEncodeError } from "./overlay_errors.ts";
import { asArray, asBytes, asCode, asList, asUint } from "./shape.ts";

/**
 * What travels in one datagram (overlay.cddl `frame`). A message frame carries the per-hop fields
 * (TTL and via list, which forwarding peers change and which are therefore not signed), the
 * envelope bytes and the sender's signature over them. A fragment frame carries a slice of a
 * message frame too large for one datagram (fragmenter.ts).
 */
export type Frame = MessageFrame | FragmentFrame | AckFrame;

/**
 * RFC 6940 section 6.6.3 simple reliability, hop by hop: the receiver of a message or fragment frame
 * acknowledges it to the peer it came from. `id` is the first 8 bytes of the message frame's
 * signature (unique per message and direction) or, for a fragment, its transaction id; `offset` is
 * the fragment's offset (0 for a message frame).
 */
export interface AckFrame {
  readonly type: "ack";
  readonly id: Uint8Array;
  readonly offset: number;
}

export interface MessageFrame {
  readonly type: "message";
  readonly ttl: number;
  readonly via: readonly Destination[];
  readonly envelope: Uint8Array;
  readonly signature: Uint8Array;
}

export interface FragmentFrame {
  readonly type: "fragment";
  /** The transaction id of the fragmented message: with the source address, the reassembly key. */
  readonly transactionId: Uint8Array;
  /** Byte offset of `chunk` within the whole message frame. */
  readonly offset: number;
  /** Length of the whole message frame. */
  readonly total: number;
  readonly chunk: Uint8Array;
}

/** Encodes a frame. Message frames longer than MAX_DATAGRAM_BYTES must be fragmented to be sent. */
export function encodeFrame(frame: Frame): Uint8Array {
  if (frame.type === "ack") {
    if (frame.id.length !== ACK_ID_BYTES) throw new OverlayEncodeError("ack id must be 8 bytes");
    return encodeCbor([FrameType.Ack, frame.id, frame.offset]);
  }
  if (frame.type === "fragment") {
    if (frame.transactionId.length !== TRANSACTION_ID_BYTES) {
      throw new OverlayEncodeError("transaction id must be 8 bytes");
    }
    return encodeCbor([
      FrameType.Fragment,
      frame.transactionId,
      frame.offset,
      frame.total,
      frame.chunk,
    ]);
  }
  if (!Number.isInteger(frame.ttl) || frame.ttl < 0 || frame.ttl > 255) {
    throw new OverlayEncodeError(`TTL ${frame.ttl}`);
  }
  if (frame.via.length > MAX_VIA_ENTRIES) {
    throw new OverlayEncodeError(`via list of ${frame.via.length} entries`);
  }
  if (frame.signature.length !== SIGNATURE_BYTES) {
    throw new OverlayEncodeError("signature must be 64 bytes");
  }
  return encodeCbor([
    FrameType.Message,
    frame.ttl,
    frame.via.map(encodeDestination),
    frame.envelope,
    frame.signature,
  ]);
}

/**
 * Decodes one frame. `maxBytes` is MAX_DATAGRAM_BYTES for a datagram off the wire and
 * MAX_MESSAGE_BYTES for a reassembled message; anything longer is refused before decoding.
 */
export function decodeFrame(bytes: Uint8Array, maxBytes: number = MAX_DATAGRAM_BYTES): Frame {
  if (bytes.length > maxBytes) {
    throw new OverlayDecodeError("frame", `${bytes.length} bytes, at most ${maxBytes}`);
  }
  let value: CborValue;
  try {
    value = decodeCbor(bytes, FRAME_CBOR_LIMITS);
  } catch (error) {
    if (error instanceof CborFormatError) {
      throw new OverlayDecodeError(`frame byte ${error.offset}`, error.message);
    }
    throw error;
  }
  const fields = asArray(value, "frame", 3, 5);
  const type = asCode(fields[0], "frame.type", [
    FrameType.Message,
    FrameType.Fragment,
    FrameType.Ack,
  ]);
  if (type === FrameType.Ack) {
    asArray(value, "ack", 3, 3);
    return {
      type: "ack",
      id: asBytes(fields[1], "ack.id", ACK_ID_BYTES, ACK_ID_BYTES),
      offset: asUint(fields[2], "ack.offset", MAX_MESSAGE_BYTES - 1),
    };
  }
  asArray(value, "frame", 5, 5);
  if (type === FrameType.Fragment) {
    const total = asUint(fields[3], "fragment.total", MAX_MESSAGE_BYTES);
    if (total === 0) throw new OverlayDecodeError("fragment.total", "a message of 0 bytes");
    const offset = asUint(fields[2], "fragment.offset", total - 1);
    const chunk = asBytes(fields[4], "fragment.chunk", 1, total - offset);
    return {
      type: "fragment",
      transactionId: asBytes(
        fields[1],
        "fragment.transactionId",
        TRANSACTION_ID_BYTES,
        TRANSACTION_ID_BYTES,
      ),
      offset,
      total,
      chunk,
    };
  }
  return {
    type: "message",
    ttl: asUint(fields[1], "frame.ttl", 255),
    via: asList(fields[2], "frame.via", MAX_VIA_ENTRIES, decodeDestination),
    envelope: asBytes(fields[3], "frame.envelope", 1, MAX_MESSAGE_BYTES),
    signature: asBytes(fields[4], "frame.signature", SIGNATURE_BYTES, SIGNATURE_BYTES),
  };
}

/** The id an ACK of this frame carries (see AckFrame). */
export function ackIdOf(frame: MessageFrame | FragmentFrame): Uint8Array {
  return frame.type === "message" ? frame.signature.subarray(0, ACK_ID_BYTES) : frame.transactionId;
}

/** Cheap sniffer for demultiplexing: an array of 5 of type 1 or 2, or an array of 3 of type 3? */
export function isFrame(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false;
  return (bytes[0] === 0x85 &&
    (bytes[1] === FrameType.Message || bytes[1] === FrameType.Fragment)) ||
    (bytes[0] === 0x83 && bytes[1] === FrameType.Ack);
}
