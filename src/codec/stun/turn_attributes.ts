/**
 * The small TURN attributes of RFC 8656 section 18: LIFETIME, CHANNEL-NUMBER, REQUESTED-TRANSPORT,
 * REQUESTED-ADDRESS-FAMILY, ADDITIONAL-ADDRESS-FAMILY, EVEN-PORT, RESERVATION-TOKEN, DONT-FRAGMENT,
 * ADDRESS-ERROR-CODE and DATA. (The address ones are in xor_address.ts.)
 *
 * Decoders check the exact value length the RFC gives and ignore RFFU bits; they allocate nothing
 * except RESERVATION-TOKEN and DATA, which return views into the message (no copy).
 *
 * @module
 */
import {
  type AddressFamily,
  RESERVATION_TOKEN_BYTES,
  StunAttribute,
  WIRE_FAMILY_IPV4,
  WIRE_FAMILY_IPV6,
} from "./constants.ts";
import {
  type DecodedStunError,
  readErrorValue,
  type StunErrorValue,
  writeErrorValue,
} from "./error_code.ts";
import { readUint16, readUint32, type StunMessage, writeUint32 } from "./message.ts";
import type { StunMessageBuilder } from "./message_builder.ts";
import { StunDecodeError, StunEncodeError } from "./stun_errors.ts";

/** A family in REQUESTED-/ADDITIONAL-ADDRESS-FAMILY this codec does not know: answer 440. */
export const UNSUPPORTED_FAMILY = "unsupported";

/** ADDRESS-ERROR-CODE: the family that could not be allocated and why (440 or 508). */
export interface AddressErrorValue extends StunErrorValue {
  readonly family: AddressFamily;
}

/** A decoded ADDRESS-ERROR-CODE. */
export interface DecodedAddressError extends DecodedStunError {
  readonly family: AddressFamily;
}

/** RFC 8656 section 18.9: the R bit of EVEN-PORT asks to reserve the next port too. */
const EVEN_PORT_RESERVE = 0x80;

/**
 * Appends LIFETIME (RFC 8656 section 18.4): seconds, 32 bits.
 *
 * @example
 * ```ts
 * encodeLifetime(builder, 600);
 * ```
 */
export function encodeLifetime(builder: StunMessageBuilder, seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 0xffffffff) {
    throw new StunEncodeError(`lifetime ${seconds} is not a 32-bit number of seconds`);
  }
  writeUint32(builder.buffer, builder.reserve(StunAttribute.Lifetime, 4), seconds);
}

/**
 * Reads LIFETIME (RFC 8656 section 18.4).
 *
 * @example
 * ```ts
 * const at = message.indexOf(StunAttribute.Lifetime);
 * const requested = at < 0 ? undefined : decodeLifetime(message, at);
 * ```
 */
export function decodeLifetime(message: StunMessage, at: number): number {
  return readUint32(message.bytes, valueOf(message, at, 4));
}

/**
 * Appends CHANNEL-NUMBER (RFC 8656 section 18.2): the number, then 16 RFFU bits.
 *
 * @example
 * ```ts
 * encodeChannelNumber(builder, 0x4000);
 * ```
 */
export function encodeChannelNumber(builder: StunMessageBuilder, channel: number): void {
  if (!Number.isInteger(channel) || channel < 0 || channel > 0xffff) {
    throw new StunEncodeError(`channel number ${channel} is not 16 bits`);
  }
  writeUint32(builder.buffer, builder.reserve(StunAttribute.ChannelNumber, 4), channel * 0x10000);
}

/**
 * Reads CHANNEL-NUMBER (RFC 8656 section 18.2). Whether the number may be bound is the relay's
 * question (isValidChannelNumber() in channel_data.ts; 400 if not).
 *
 * @example
 * ```ts
 * const channel = decodeChannelNumber(message, message.indexOf(StunAttribute.ChannelNumber));
 * ```
 */
export function decodeChannelNumber(message: StunMessage, at: number): number {
  return readUint16(message.bytes, valueOf(message, at, 4));
}

/**
 * Appends REQUESTED-TRANSPORT (RFC 8656 section 18.8): the IP protocol number, then 24 RFFU bits.
 *
 * @example
 * ```ts
 * encodeRequestedTransport(builder, TRANSPORT_PROTOCOL_UDP);
 * ```
 */
export function encodeRequestedTransport(builder: StunMessageBuilder, protocol: number): void {
  if (!Number.isInteger(protocol) || protocol < 0 || protocol > 0xff) {
    throw new StunEncodeError(`protocol ${protocol} is not 8 bits`);
  }
  writeUint32(
    builder.buffer,
    builder.reserve(StunAttribute.RequestedTransport, 4),
    protocol * 0x1000000,
  );
}

/**
 * Reads REQUESTED-TRANSPORT (RFC 8656 section 18.8): the protocol number (17 UDP; else 442).
 *
 * @example
 * ```ts
 * if (decodeRequestedTransport(message, at) !== TRANSPORT_PROTOCOL_UDP) answer(442);
 * ```
 */
export function decodeRequestedTransport(message: StunMessage, at: number): number {
  return message.bytes[valueOf(message, at, 4)]!;
}

/**
 * Appends REQUESTED-ADDRESS-FAMILY (RFC 8656 section 18.6): the family byte, 24 RFFU bits.
 *
 * @example
 * ```ts
 * encodeRequestedAddressFamily(builder, 6);
 * ```
 */
export function encodeRequestedAddressFamily(
  builder: StunMessageBuilder,
  family: AddressFamily,
): void {
  writeFamily(builder, StunAttribute.RequestedAddressFamily, family);
}

/**
 * Reads REQUESTED-ADDRESS-FAMILY (RFC 8656 section 18.6): 4, 6, or UNSUPPORTED_FAMILY for any other
 * family byte (a well-formed request the server answers with 440, RFC 8656 section 7.2).
 *
 * @example
 * ```ts
 * const family = decodeRequestedAddressFamily(message, at);
 * if (family === UNSUPPORTED_FAMILY) answer(440);
 * ```
 */
export function decodeRequestedAddressFamily(
  message: StunMessage,
  at: number,
): AddressFamily | typeof UNSUPPORTED_FAMILY {
  return readFamily(message, at);
}

/**
 * Appends ADDITIONAL-ADDRESS-FAMILY (RFC 8656 section 18.13, same format as
 * REQUESTED-ADDRESS-FAMILY; only IPv6 is meaningful there).
 *
 * @example
 * ```ts
 * encodeAdditionalAddressFamily(builder, 6);
 * ```
 */
export function encodeAdditionalAddressFamily(
  builder: StunMessageBuilder,
  family: AddressFamily,
): void {
  writeFamily(builder, StunAttribute.AdditionalAddressFamily, family);
}

/**
 * Reads ADDITIONAL-ADDRESS-FAMILY (RFC 8656 section 18.13). An IPv4 value is well-formed here; the
 * relay answers it with 400 (RFC 8656 section 7.2).
 *
 * @example
 * ```ts
 * const extra = decodeAdditionalAddressFamily(message, at); // 6 for a dual allocation
 * ```
 */
export function decodeAdditionalAddressFamily(
  message: StunMessage,
  at: number,
): AddressFamily | typeof UNSUPPORTED_FAMILY {
  return readFamily(message, at);
}

/**
 * Appends EVEN-PORT (RFC 8656 section 18.9): one byte, R bit first, then padding.
 *
 * @example
 * ```ts
 * encodeEvenPort(builder, true); // even port, and reserve the next one
 * ```
 */
export function encodeEvenPort(builder: StunMessageBuilder, reserveNext: boolean): void {
  builder.buffer[builder.reserve(StunAttribute.EvenPort, 1)] = reserveNext ? EVEN_PORT_RESERVE : 0;
}

/**
 * Reads EVEN-PORT (RFC 8656 section 18.9): whether the R bit (reserve the next port) is set.
 *
 * @example
 * ```ts
 * const reserveNext = decodeEvenPort(message, message.indexOf(StunAttribute.EvenPort));
 * ```
 */
export function decodeEvenPort(message: StunMessage, at: number): boolean {
  return (message.bytes[valueOf(message, at, 1)]! & EVEN_PORT_RESERVE) !== 0;
}

/**
 * Appends RESERVATION-TOKEN (RFC 8656 section 18.11): 8 opaque bytes.
 *
 * @example
 * ```ts
 * encodeReservationToken(builder, token);
 * ```
 */
export function encodeReservationToken(builder: StunMessageBuilder, token: Uint8Array): void {
  if (token.length !== RESERVATION_TOKEN_BYTES) {
    throw new StunEncodeError(`reservation token of ${token.length} bytes, not 8`);
  }
  builder.addBytes(StunAttribute.ReservationToken, token);
}

/**
 * Reads RESERVATION-TOKEN (RFC 8656 section 18.11): a view of its 8 bytes; copy to keep it.
 *
 * @example
 * ```ts
 * const token = decodeReservationToken(message, at).slice();
 * ```
 */
export function decodeReservationToken(message: StunMessage, at: number): Uint8Array {
  const offset = valueOf(message, at, RESERVATION_TOKEN_BYTES);
  return message.bytes.subarray(offset, offset + RESERVATION_TOKEN_BYTES);
}

/**
 * Appends DONT-FRAGMENT (RFC 8656 section 18.10): no value.
 *
 * @example
 * ```ts
 * encodeDontFragment(builder);
 * ```
 */
export function encodeDontFragment(builder: StunMessageBuilder): void {
  builder.reserve(StunAttribute.DontFragment, 0);
}

/**
 * Whether the message carries DONT-FRAGMENT (RFC 8656 section 18.10). Its value should be empty and
 * is not looked at: presence is the meaning.
 *
 * @example
 * ```ts
 * if (decodeDontFragment(message) && !relayCanSetDf) answer420([StunAttribute.DontFragment]);
 * ```
 */
export function decodeDontFragment(message: StunMessage): boolean {
  return message.indexOf(StunAttribute.DontFragment) >= 0;
}

/**
 * Appends ADDRESS-ERROR-CODE (RFC 8656 section 18.12): family, 13 reserved bits, then the error as
 * in ERROR-CODE (440 or 508 in practice).
 *
 * @example
 * ```ts
 * encodeAddressErrorCode(builder, { family: 6, code: StunErrorCode.InsufficientCapacity });
 * ```
 */
export function encodeAddressErrorCode(
  builder: StunMessageBuilder,
  error: AddressErrorValue,
): void {
  const leadByte = error.family === 4
    ? WIRE_FAMILY_IPV4
    : error.family === 6
    ? WIRE_FAMILY_IPV6
    : undefined;
  if (leadByte === undefined) {
    throw new StunEncodeError(`address family ${String(error.family)}, not 4 or 6`);
  }
  writeErrorValue(builder, error, { type: StunAttribute.AddressErrorCode, leadByte });
}

/**
 * Reads ADDRESS-ERROR-CODE (RFC 8656 section 18.12); refuses an unknown family and the malformed
 * errors decodeErrorCode() refuses.
 *
 * @example
 * ```ts
 * const { family, code } = decodeAddressErrorCode(message, at);
 * ```
 */
export function decodeAddressErrorCode(message: StunMessage, at: number): DecodedAddressError {
  const error = readErrorValue(message, at);
  const wireFamily = message.bytes[message.valueOffset(at)]!;
  if (wireFamily !== WIRE_FAMILY_IPV4 && wireFamily !== WIRE_FAMILY_IPV6) {
    throw new StunDecodeError(
      message.attributePlace(at),
      `address family 0x${wireFamily.toString(16)}`,
    );
  }
  return {
    family: wireFamily === WIRE_FAMILY_IPV4 ? 4 : 6,
    code: error.code,
    reason: error.reason,
  };
}

/**
 * Appends DATA (RFC 8656 section 18.7): the payload, copied once into the builder's buffer. To
 * avoid even that copy, `builder.reserve(StunAttribute.Data, length)` and write the payload there.
 *
 * @example
 * ```ts
 * encodeData(builder, payload);
 * ```
 */
export function encodeData(builder: StunMessageBuilder, payload: Uint8Array): void {
  builder.addBytes(StunAttribute.Data, payload);
}

/**
 * Reads DATA (RFC 8656 section 18.7): a view of the payload inside the message (no copy; may be
 * empty).
 *
 * @example
 * ```ts
 * relaySocket.send(decodeData(message, message.indexOf(StunAttribute.Data)), peer.port, peer.host);
 * ```
 */
export function decodeData(message: StunMessage, at: number): Uint8Array {
  return message.value(at);
}

/** Checks the value length of attribute `at` and returns its offset. */
function valueOf(message: StunMessage, at: number, length: number): number {
  const actual = message.valueLength(at);
  if (actual !== length) {
    throw new StunDecodeError(message.attributePlace(at), `${actual} bytes, not ${length}`);
  }
  return message.valueOffset(at);
}

function writeFamily(builder: StunMessageBuilder, type: number, family: AddressFamily): void {
  if (family !== 4 && family !== 6) {
    throw new StunEncodeError(`address family ${String(family)}, not 4 or 6`);
  }
  writeUint32(
    builder.buffer,
    builder.reserve(type, 4),
    (family === 4 ? WIRE_FAMILY_IPV4 : WIRE_FAMILY_IPV6) * 0x1000000,
  );
}

function readFamily(message: StunMessage, at: number): AddressFamily | typeof UNSUPPORTED_FAMILY {
  const wireFamily = message.bytes[valueOf(message, at, 4)]!;
  if (wireFamily === WIRE_FAMILY_IPV4) return 4;
  if (wireFamily === WIRE_FAMILY_IPV6) return 6;
  return UNSUPPORTED_FAMILY;
}
