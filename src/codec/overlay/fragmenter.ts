import {
  ErrorCode,
  FRAGMENT_CHUNK_BYTES,
  MAX_DATAGRAM_BYTES,
  MAX_MESSAGE_BYTES,
} from "./constants.ts";
import { encodeFrame } from "./frame.ts";
import { OverlayEncodeError } from "./overlay_errors.ts";

/**
 * Splits an encoded message frame into datagrams: the frame itself when it fits in
 * MAX_DATAGRAM_BYTES, otherwise fragment frames of FRAGMENT_CHUNK_BYTES each.
 *
 * Why fragments rather than only a size cap: almost every message fits one 1200-byte datagram, but a
 * Fetch answer with a full dictionary, an Update with many fingers or a ConfigUpdate does not, and
 * refusing them would make the overlay's behaviour depend on how many contacts a user has.
 * Why 1200 bytes: IPv6 guarantees 1280 bytes without fragmentation; 1200 leaves room for the IP and
 * UDP headers and a mesh encapsulation (batman-adv adds 32 bytes), so IP never fragments.
 */
export function fragmentFrame(frame: Uint8Array, transactionId: Uint8Array): Uint8Array[] {
  if (frame.length <= MAX_DATAGRAM_BYTES) return [frame];
  if (frame.length > MAX_MESSAGE_BYTES) {
    throw new OverlayEncodeError(
      `message of ${frame.length} bytes exceeds ${MAX_MESSAGE_BYTES} (error ${ErrorCode.MessageTooLarge})`,
    );
  }
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < frame.length; offset += FRAGMENT_CHUNK_BYTES) {
    const chunk = frame.subarray(offset, Math.min(frame.length, offset + FRAGMENT_CHUNK_BYTES));
    out.push(encodeFrame({ type: "fragment", transactionId, offset, total: frame.length, chunk }));
  }
  return out;
}
