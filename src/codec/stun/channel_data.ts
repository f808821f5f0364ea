/**
 * TURN ChannelData (RFC 8656 section 12.4): a 4-byte header, channel number (16 bits) and payload
 * length (16 bits, padding not counted), then the payload. Over UDP padding is optional and, when
 * present, ignored; over TCP and TLS each frame is padded to a multiple of 4 (section 12.5).
 *
 * This is the relay's hot path: the decoder fills a caller-owned header object and the encoder writes
 * four bytes in place; neither allocates. The payload is `bytes.subarray(4, 4 + header.length)`,
 * or the caller passes offsets on to its socket.
 *
 * @module
 */
import {
  CHANNEL_DATA_HEADER_BYTES,
  MAX_CHANNEL_NUMBER,
  MAX_RFC5766_CHANNEL_NUMBER,
  MIN_CHANNEL_NUMBER,
} from "./constants.ts";
import { StunDecodeError, StunEncodeError } from "./stun_errors.ts";

/** A ChannelData header; mutable so one object serves every packet. */
export interface ChannelDataHeader {
  channel: number;
  /** Payload bytes, without padding. */
  length: number;
}

/** Which channel numbers count as valid. */
export interface ChannelNumberOptions {
  /**
   * Accept RFC 5766's 0x4000-0x7FFF instead of RFC 8656's 0x4000-0x4FFF (Debian's coturn 4.6.1
   * turnutils_uclient picks numbers up to 0x7FFF).
   * @default false
   */
  readonly allowRfc5766Range?: boolean;
}

/** What encodeChannelDataHeader() may be told besides the channel range. */
export interface EncodeChannelDataOptions extends ChannelNumberOptions {
  /** Where in `target` the header goes. @default 0 */
  readonly offset?: number;
  /**
   * Also zero the 0-3 padding bytes after the payload (TCP/TLS framing, RFC 8656 section 12.5);
   * `target` must have room for channelDataFrameLength(length).
   * @default false
   */
  readonly zeroPadding?: boolean;
}

const STRICT: ChannelNumberOptions = {};

/**
 * Cheap demultiplexing sniff (RFC 8656 section 12, RFC 7983): the first two bits are 01, i.e. the
 * first byte is 64-127, where channel numbers 0x4000-0x7FFF start.
 *
 * @example
 * ```ts
 * if (isChannelData(datagram)) relay.forward(decodeChannelDataHeader(datagram, header), datagram);
 * ```
 */
export function isChannelData(bytes: Uint8Array): boolean {
  return bytes.length >= CHANNEL_DATA_HEADER_BYTES && (bytes[0]! & 0xc0) === 0x40;
}

/**
 * Whether a client may bind `channel` (RFC 8656 section 12: 0x4000-0x4FFF; 0x7FFF with the
 * RFC 5766 option).
 *
 * @example
 * ```ts
 * if (!isValidChannelNumber(channel, { allowRfc5766Range: true })) answer(400);
 * ```
 */
export function isValidChannelNumber(
  channel: number,
  options: ChannelNumberOptions = STRICT,
): boolean {
  const max = options.allowRfc5766Range === true ? MAX_RFC5766_CHANNEL_NUMBER : MAX_CHANNEL_NUMBER;
  return Number.isInteger(channel) && channel >= MIN_CHANNEL_NUMBER && channel <= max;
}

/**
 * Reads the header of a ChannelData datagram into `out` (RFC 8656 sections 12.4, 12.5): refuses
 * fewer than 4 bytes, first bits not 01, a reserved channel number, a payload longer than the
 * datagram, and trailing bytes beyond the padding to a multiple of 4. Allocates nothing.
 *
 * @example
 * ```ts
 * const header: ChannelDataHeader = { channel: 0, length: 0 }; // one per socket
 * decodeChannelDataHeader(datagram, header);
 * peerSocket.send(datagram.subarray(4, 4 + header.length), peer.port, peer.host);
 * ```
 */
export function decodeChannelDataHeader(
  bytes: Uint8Array,
  out: ChannelDataHeader,
  options: ChannelNumberOptions = STRICT,
): ChannelDataHeader {
  if (bytes.length < CHANNEL_DATA_HEADER_BYTES) {
    throw new StunDecodeError("channel data header", `${bytes.length} bytes, a header needs 4`);
  }
  const channel = (bytes[0]! << 8) | bytes[1]!;
  if (!isValidChannelNumber(channel, options)) {
    // RFC 8656 section 12.4: reserved channel numbers (0x5000-0xFFFF) are discarded
    throw new StunDecodeError("channel data header", `channel number 0x${channel.toString(16)}`);
  }
  const length = (bytes[2]! << 8) | bytes[3]!;
  const available = bytes.length - CHANNEL_DATA_HEADER_BYTES;
  if (length > available) {
    // RFC 8656 section 12.5: a datagram shorter than 4 + length is discarded
    throw new StunDecodeError(
      "channel data header",
      `payload of ${length} bytes runs past the ${available} bytes after the header`,
    );
  }
  if (available > ((length + 3) & ~3)) {
    throw new StunDecodeError(
      "channel data header",
      `${available - length} bytes after a ${length}-byte payload, more than its padding`,
    );
  }
  out.channel = channel;
  out.length = length;
  return out;
}

/**
 * Writes a ChannelData header (RFC 8656 section 12.4) into `target` at `options.offset`, and with
 * `zeroPadding` the padding after the payload. Allocates nothing.
 *
 * @example
 * ```ts
 * // the peer's datagram was received at buffer offset 4
 * encodeChannelDataHeader(buffer, { channel, length: received }, { zeroPadding: overTcp });
 * clientSocket.write(buffer.subarray(0, overTcp ? channelDataFrameLength(received) : 4 + received));
 * ```
 */
export function encodeChannelDataHeader(
  target: Uint8Array,
  header: ChannelDataHeader,
  options: EncodeChannelDataOptions = STRICT,
): void {
  const offset = options.offset ?? 0;
  const { channel, length } = header;
  if (!isValidChannelNumber(channel, options)) {
    throw new StunEncodeError(`channel number ${channel} is not bindable`);
  }
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) {
    throw new StunEncodeError(`channel data payload of ${length} bytes`);
  }
  const end = offset +
    (options.zeroPadding === true ? channelDataFrameLength(length) : CHANNEL_DATA_HEADER_BYTES);
  if (!Number.isInteger(offset) || offset < 0 || end > target.length) {
    throw new StunEncodeError(`channel data frame does not fit the ${target.length}-byte buffer`);
  }
  target[offset] = channel >>> 8;
  target[offset + 1] = channel;
  target[offset + 2] = length >>> 8;
  target[offset + 3] = length;
  if (options.zeroPadding === true) {
    // RFC 8656 section 12.5: over TCP/TLS the frame is padded to a multiple of 4 (with zeros)
    target.fill(0, offset + CHANNEL_DATA_HEADER_BYTES + length, end);
  }
}

/**
 * Bytes of a ChannelData frame with a payload of `length` on a stream transport: header, payload
 * and padding to a multiple of 4 (RFC 8656 section 12.5). Computed in full precision, so 65535
 * gives 65540 (not a 16-bit wraparound, coturn#1837).
 *
 * @example
 * ```ts
 * channelDataFrameLength(5); // 12
 * ```
 */
export function channelDataFrameLength(length: number): number {
  return CHANNEL_DATA_HEADER_BYTES + ((length + 3) & ~3);
}
