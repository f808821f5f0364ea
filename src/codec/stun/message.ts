/**
 * The STUN message header and attribute walk (RFC 8489 sections 5, 6.3 and 14).
 *
 * decodeStunMessage() checks the header, walks the attributes once and keeps, per attribute, only its
 * type and the offset and length of its value inside the caller's bytes: no value is copied or
 * decoded until asked for, and a routine message costs one small array of numbers besides the
 * StunMessage itself (hot path: keep it so). The raw bytes stay untouched so MESSAGE-INTEGRITY and
 * FINGERPRINT are checked over exactly what was received (integrity.ts), padding included.
 *
 * @module
 */
import {
  COMPREHENSION_OPTIONAL_MIN,
  DEFAULT_MAX_STUN_ATTRIBUTES,
  DEFAULT_UNDERSTOOD_ATTRIBUTES,
  FINGERPRINT_BYTES,
  MAX_UNKNOWN_ATTRIBUTES_LISTED,
  MESSAGE_INTEGRITY_BYTES,
  MESSAGE_INTEGRITY_SHA256_BYTES,
  MIN_MESSAGE_INTEGRITY_SHA256_BYTES,
  STUN_ATTRIBUTE_HEADER_BYTES,
  STUN_ATTRIBUTE_NAMES,
  STUN_HEADER_BYTES,
  STUN_MAGIC_COOKIE,
  STUN_TRANSACTION_ID_BYTES,
  StunAttribute,
  StunClass,
} from "./constants.ts";
import { StunDecodeError, StunEncodeError } from "./stun_errors.ts";

/** What decodeStunMessage() may be told. */
export interface DecodeStunMessageOptions {
  /**
   * Comprehension-required attribute types the caller understands; the others are listed in
   * `unknownAttributes` (RFC 8489 section 6.3.1: a request with any gets 420).
   * @default DEFAULT_UNDERSTOOD_ATTRIBUTES
   */
  readonly understood?: ReadonlySet<number>;
  /**
   * Most attributes kept in the index; a message with more is refused.
   * @default DEFAULT_MAX_STUN_ATTRIBUTES
   */
  readonly maxAttributes?: number;
}

/** The fixed 20-byte part of a message (RFC 8489 section 5). */
export interface StunHeader {
  /** 14-bit message type: method and class interleaved. */
  readonly type: number;
  /** Bytes after the header, a multiple of 4. */
  readonly length: number;
  /** 12 bytes. */
  readonly transactionId: Uint8Array;
}

const NO_UNKNOWN: readonly number[] = Object.freeze([]);
/** Shared, so a call without options allocates nothing for them. */
const DEFAULT_OPTIONS: DecodeStunMessageOptions = Object.freeze({});

/**
 * Message type of a method and a class (RFC 8489 section 5, figure 3: `M11..M7 C1 M6..M4 C0 M3..M0`).
 *
 * @example
 * ```ts
 * stunMessageType(StunMethod.Allocate, StunClass.ErrorResponse); // 0x0113
 * ```
 */
export function stunMessageType(method: number, messageClass: StunClass): number {
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) |
    ((messageClass & 0b01) << 4) | ((messageClass & 0b10) << 7);
}

/**
 * The 12-bit method of a message type (RFC 8489 section 5).
 *
 * @example
 * ```ts
 * stunMethodOf(0x0113); // StunMethod.Allocate
 * ```
 */
export function stunMethodOf(type: number): number {
  return (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
}

/**
 * The class of a message type (RFC 8489 section 5).
 *
 * @example
 * ```ts
 * stunClassOf(0x0017) === StunClass.Indication; // a Data indication
 * ```
 */
export function stunClassOf(type: number): StunClass {
  return (((type >> 4) & 0b01) | ((type >> 7) & 0b10)) as StunClass;
}

/**
 * Cheap demultiplexing sniff (RFC 8489 section 5, RFC 7983): at least a header, the two top bits
 * zero and the magic cookie in place. It does not check the length; decodeStunMessage() does.
 *
 * @example
 * ```ts
 * if (isStunMessage(datagram)) handleStun(decodeStunMessage(datagram));
 * else if (isChannelData(datagram)) handleChannelData(datagram);
 * ```
 */
export function isStunMessage(bytes: Uint8Array): boolean {
  return bytes.length >= STUN_HEADER_BYTES && (bytes[0]! & 0xc0) === 0 &&
    readUint32(bytes, 4) === STUN_MAGIC_COOKIE;
}

/**
 * Checks and reads the header of `bytes` (RFC 8489 sections 5 and 6.3); the transaction id is a
 * view into `bytes`.
 *
 * @example
 * ```ts
 * const { type, length } = decodeStunHeader(datagram);
 * ```
 */
export function decodeStunHeader(bytes: Uint8Array): StunHeader {
  const length = checkHeader(bytes);
  return {
    type: readUint16(bytes, 0),
    length,
    transactionId: bytes.subarray(8, STUN_HEADER_BYTES),
  };
}

/**
 * Writes a 20-byte header at the start of `target` (RFC 8489 section 5).
 *
 * @example
 * ```ts
 * encodeStunHeader(buffer, { type: StunMessageType.BindingRequest, length: 0, transactionId });
 * ```
 */
export function encodeStunHeader(target: Uint8Array, header: StunHeader): void {
  if (target.length < STUN_HEADER_BYTES) {
    throw new StunEncodeError(`header needs 20 bytes, the buffer has ${target.length}`);
  }
  if (!Number.isInteger(header.type) || header.type < 0 || header.type > 0x3fff) {
    // RFC 8489 section 5: the two most significant bits MUST be zero
    throw new StunEncodeError(`message type ${header.type} is not 14 bits`);
  }
  if (!Number.isInteger(header.length) || header.length < 0 || header.length > 0xfffc) {
    throw new StunEncodeError(`message length ${header.length} out of range`);
  }
  if (header.length % 4 !== 0) {
    throw new StunEncodeError(`message length ${header.length} is not a multiple of 4`);
  }
  if (header.transactionId.length !== STUN_TRANSACTION_ID_BYTES) {
    throw new StunEncodeError(`transaction id of ${header.transactionId.length} bytes, not 12`);
  }
  writeUint16(target, 0, header.type);
  writeUint16(target, 2, header.length);
  writeUint32(target, 4, STUN_MAGIC_COOKIE);
  target.set(header.transactionId, 8);
}

/**
 * Decodes a STUN message: header checks, then one walk over the attributes (RFC 8489 sections 5,
 * 6.3, 14). `bytes` is exactly one message (a UDP datagram, or a frame from StunStreamFramer); it is
 * not copied, so the caller must not reuse it while the message is in use.
 *
 * Refused with StunDecodeError: fewer than 20 bytes, top bits set, wrong magic cookie, a length that
 * is not a multiple of 4 or differs from the bytes after the header, an attribute running past the
 * end, an attribute after FINGERPRINT, a MESSAGE-INTEGRITY(-SHA256) or FINGERPRINT of the wrong
 * size, more than `maxAttributes` attributes. RFC 8489 section 6.3: such a message is silently
 * discarded. Attribute values are not looked at here; their decoders refuse malformed ones.
 *
 * Allocation: the StunMessage, one number array (three entries per attribute), and an unknown-types
 * list only when there are unknown types; nothing per attribute beyond that (hot path: keep it so).
 *
 * Attributes after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, and after
 * MESSAGE-INTEGRITY-SHA256 other than FINGERPRINT, are walked over but not indexed (RFC 8489 sections
 * 14.5 and 14.6). Duplicates are indexed; indexOf() finds the first (RFC 8489 section 14).
 *
 * @example
 * ```ts
 * const message = decodeStunMessage(datagram);
 * const at = message.indexOf(StunAttribute.Lifetime);
 * const lifetime = at < 0 ? undefined : decodeLifetime(message, at);
 * if (message.unknownAttributes.length > 0) answer420(message.unknownAttributes);
 * ```
 */
export function decodeStunMessage(
  bytes: Uint8Array,
  options: DecodeStunMessageOptions = DEFAULT_OPTIONS,
): StunMessage {
  const length = checkHeader(bytes);
  const understood = options.understood ?? DEFAULT_UNDERSTOOD_ATTRIBUTES;
  const maxAttributes = options.maxAttributes ?? DEFAULT_MAX_STUN_ATTRIBUTES;
  const end = STUN_HEADER_BYTES + length;
  const index: number[] = [];
  let integrity = -1;
  let integritySha256 = -1;
  let fingerprint = -1;
  let unknown: number[] | undefined;
  let ordinal = 0;
  let pos = STUN_HEADER_BYTES;
  while (pos < end) {
    // Unreachable while pos and end are multiples of 4; kept so a change there cannot read past end.
    if (end - pos < STUN_ATTRIBUTE_HEADER_BYTES) {
      throw new StunDecodeError(
        `attribute ${ordinal} at byte ${pos}`,
        "truncated attribute header",
      );
    }
    const type = readUint16(bytes, pos);
    const valueLength = readUint16(bytes, pos + 2);
    const valueOffset = pos + STUN_ATTRIBUTE_HEADER_BYTES;
    const padded = (valueLength + 3) & ~3;
    if (valueOffset + padded > end) {
      throw new StunDecodeError(
        `attribute ${ordinal} at byte ${pos}`,
        `${attributeName(type)} of ${valueLength} bytes runs past the message end at byte ${end}`,
      );
    }
    if (fingerprint >= 0) {
      // RFC 8489 section 14.7: FINGERPRINT MUST be the last attribute
      throw new StunDecodeError(
        `attribute ${ordinal} at byte ${pos}`,
        `${attributeName(type)} after FINGERPRINT`,
      );
    }
    const start = pos;
    pos = valueOffset + padded;
    ordinal++;
    // RFC 8489 sections 14.5, 14.6: ignore attributes after MESSAGE-INTEGRITY except
    // MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, and after MESSAGE-INTEGRITY-SHA256 except FINGERPRINT
    if (type !== StunAttribute.Fingerprint) {
      if (integritySha256 >= 0) continue;
      if (integrity >= 0 && type !== StunAttribute.MessageIntegritySha256) continue;
    }
    if (type === StunAttribute.MessageIntegrity) {
      if (valueLength !== MESSAGE_INTEGRITY_BYTES) {
        throw new StunDecodeError(
          placeAt(ordinal, start),
          `MESSAGE-INTEGRITY of ${valueLength} bytes, not 20`,
        );
      }
      integrity = index.length / 3;
    } else if (type === StunAttribute.MessageIntegritySha256) {
      // RFC 8489 section 14.6: 16 to 32 bytes, a multiple of 4
      if (
        valueLength < MIN_MESSAGE_INTEGRITY_SHA256_BYTES ||
        valueLength > MESSAGE_INTEGRITY_SHA256_BYTES || valueLength % 4 !== 0
      ) {
        throw new StunDecodeError(
          placeAt(ordinal, start),
          `MESSAGE-INTEGRITY-SHA256 of ${valueLength} bytes`,
        );
      }
      integritySha256 = index.length / 3;
    } else if (type === StunAttribute.Fingerprint) {
      if (valueLength !== FINGERPRINT_BYTES) {
        throw new StunDecodeError(
          placeAt(ordinal, start),
          `FINGERPRINT of ${valueLength} bytes, not 4`,
        );
      }
      fingerprint = index.length / 3;
    }
    if (index.length / 3 >= maxAttributes) {
      throw new StunDecodeError(placeAt(ordinal, start), `more than ${maxAttributes} attributes`);
    }
    index.push(type, valueOffset, valueLength);
    if (type < COMPREHENSION_OPTIONAL_MIN && !understood.has(type)) {
      unknown ??= [];
      if (unknown.length < MAX_UNKNOWN_ATTRIBUTES_LISTED && !unknown.includes(type)) {
        unknown.push(type);
      }
    }
  }
  return new StunMessage(
    bytes,
    index,
    { integrity, integritySha256, fingerprint, unknown: unknown ?? NO_UNKNOWN },
  );
}

interface SpecialIndexes {
  readonly integrity: number;
  readonly integritySha256: number;
  readonly fingerprint: number;
  readonly unknown: readonly number[];
}

/**
 * A decoded STUN message: its raw bytes and an index of its attributes (type, value offset, value
 * length), made by decodeStunMessage(). Attribute values are read on demand by the decoders of the
 * attribute files (`decodeLifetime(message, at)` and so on), with `at` from indexOf().
 *
 * @example
 * ```ts
 * const message = decodeStunMessage(datagram);
 * for (let at = 0; at < message.attributeCount; at++) console.log(message.attributeType(at));
 * ```
 */
export class StunMessage {
  /** Exactly the message: header and attributes, as received. */
  readonly bytes: Uint8Array;
  /** 14-bit message type. */
  readonly type: number;
  /** 12-bit method (StunMethod). */
  readonly method: number;
  readonly messageClass: StunClass;
  /** Index of the MESSAGE-INTEGRITY attribute, or -1. */
  readonly integrityIndex: number;
  /** Index of the MESSAGE-INTEGRITY-SHA256 attribute, or -1. */
  readonly integritySha256Index: number;
  /** Index of the FINGERPRINT attribute, or -1. */
  readonly fingerprintIndex: number;
  /**
   * Distinct comprehension-required types not in the `understood` set, in order of appearance,
   * at most MAX_UNKNOWN_ATTRIBUTES_LISTED; empty (and shared) when there are none.
   */
  readonly unknownAttributes: readonly number[];
  /** Per attribute: type, value offset, value length. */
  #index: readonly number[];

  /** Use decodeStunMessage(); this trusts its arguments. */
  constructor(bytes: Uint8Array, index: readonly number[], special: SpecialIndexes) {
    this.bytes = bytes;
    this.type = readUint16(bytes, 0);
    this.method = stunMethodOf(this.type);
    this.messageClass = stunClassOf(this.type);
    this.#index = index;
    this.integrityIndex = special.integrity;
    this.integritySha256Index = special.integritySha256;
    this.fingerprintIndex = special.fingerprint;
    this.unknownAttributes = special.unknown;
  }

  /** A view of the 12-byte transaction id (a new view each call; bytes 8 to 19 of `bytes`). */
  get transactionId(): Uint8Array {
    return this.bytes.subarray(8, STUN_HEADER_BYTES);
  }

  /** Number of indexed attributes (those after MESSAGE-INTEGRITY are not indexed). */
  get attributeCount(): number {
    return this.#index.length / 3;
  }

  /** Type of the attribute at index `at`. */
  attributeType(at: number): number {
    return this.#slot(at, 0);
  }

  /** Offset in `bytes` of the value of the attribute at index `at`. */
  valueOffset(at: number): number {
    return this.#slot(at, 1);
  }

  /** Length of the value (without padding) of the attribute at index `at`. */
  valueLength(at: number): number {
    return this.#slot(at, 2);
  }

  /** A view (no copy) of the value of the attribute at index `at`. */
  value(at: number): Uint8Array {
    const offset = this.#slot(at, 1);
    return this.bytes.subarray(offset, offset + this.#slot(at, 2));
  }

  /** Index of the first attribute of `type`, or -1 (RFC 8489 section 14: the first one counts). */
  indexOf(type: number): number {
    const index = this.#index;
    for (let i = 0; i < index.length; i += 3) if (index[i] === type) return i / 3;
    return -1;
  }

  /** Whether an attribute of `type` is indexed. */
  has(type: number): boolean {
    return this.indexOf(type) >= 0;
  }

  /** Where attribute `at` is, for error messages: "LIFETIME at byte 32". */
  attributePlace(at: number): string {
    return `${attributeName(this.#slot(at, 0))} at byte ${
      this.#slot(at, 1) - STUN_ATTRIBUTE_HEADER_BYTES
    }`;
  }

  #slot(at: number, field: number): number {
    const value = this.#index[at * 3 + field];
    if (!Number.isInteger(at) || value === undefined) {
      throw new RangeError(`Cannot read attribute: index ${at} of ${this.attributeCount}`);
    }
    return value;
  }
}

/**
 * The RFC name of an attribute type, for logs and error messages.
 *
 * @example
 * ```ts
 * attributeName(0x000d); // "LIFETIME"
 * attributeName(0x7f01); // "attribute 0x7f01"
 * ```
 */
export function attributeName(type: number): string {
  return STUN_ATTRIBUTE_NAMES.get(type) ?? `attribute 0x${type.toString(16).padStart(4, "0")}`;
}

/** Where the walk was, for an error: built only when throwing (`ordinal` already counts it). */
function placeAt(ordinal: number, start: number): string {
  return `attribute ${ordinal - 1} at byte ${start}`;
}

/** Checks the header (RFC 8489 sections 5 and 6.3) and returns the declared length. */
function checkHeader(bytes: Uint8Array): number {
  if (bytes.length < STUN_HEADER_BYTES) {
    throw new StunDecodeError("header", `${bytes.length} bytes, a header needs 20`);
  }
  if ((bytes[0]! & 0xc0) !== 0) {
    // RFC 8489 section 6.3: the first two bits MUST be zero
    throw new StunDecodeError("header", "the two most significant bits are not zero");
  }
  const cookie = readUint32(bytes, 4);
  if (cookie !== STUN_MAGIC_COOKIE) {
    // RFC 8489 section 6.3: the magic cookie field MUST have the correct value
    throw new StunDecodeError("header", `magic cookie 0x${cookie.toString(16)}`);
  }
  const length = readUint16(bytes, 2);
  if (length % 4 !== 0) {
    // RFC 8489 section 5: the message length MUST contain a size that is a multiple of 4
    throw new StunDecodeError("header", `length ${length} is not a multiple of 4`);
  }
  const after = bytes.length - STUN_HEADER_BYTES;
  if (length > after) {
    throw new StunDecodeError(
      "header",
      `length ${length} runs past the ${after} bytes after the header`,
    );
  }
  if (length < after) {
    // One datagram or stream frame is one message (coturn refuses trailing bytes too).
    throw new StunDecodeError("header", `length ${length} leaves ${after - length} bytes unread`);
  }
  return length;
}

/** Big-endian 16-bit read; the caller has checked the bounds. Internal to src/codec/stun. */
export function readUint16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

/** Big-endian 32-bit read; the caller has checked the bounds. */
export function readUint32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) |
    bytes[offset + 3]!) >>> 0;
}

/** Big-endian 16-bit write; the caller has checked the bounds. */
export function writeUint16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 8;
  bytes[offset + 1] = value;
}

/** Big-endian 32-bit write; the caller has checked the bounds. */
export function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = value >>> 16;
  bytes[offset + 2] = value >>> 8;
  bytes[offset + 3] = value;
}
