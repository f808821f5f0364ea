/**
 * The STUN message encoder (RFC 8489 sections 5 and 14): header, attributes with zero padding, then
 * the optional MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, in that order (RFC 8489
 * sections 14.5-14.7).
 *
 * One builder owns one buffer, given or allocated once, and writes every message into it: attribute
 * encoders reserve their place with reserve() and write their value in place, so a response is built
 * without an allocation per attribute (the HMAC digests of node:crypto are the exception). finish()
 * returns a view into that buffer, valid until the next begin(): send it or `.slice()` it.
 *
 * @module
 */
import {
  FINGERPRINT_BYTES,
  MAX_STUN_ATTRIBUTE_VALUE_BYTES,
  MAX_STUN_MESSAGE_BYTES,
  MESSAGE_INTEGRITY_BYTES,
  MESSAGE_INTEGRITY_SHA256_BYTES,
  STUN_ATTRIBUTE_HEADER_BYTES,
  STUN_HEADER_BYTES,
  STUN_MAGIC_COOKIE,
  STUN_TRANSACTION_ID_BYTES,
  StunAttribute,
  type StunClass,
} from "./constants.ts";
import {
  computeFingerprint,
  computeMessageIntegrity,
  computeMessageIntegritySha256,
} from "./integrity.ts";
import { type StunMessage, stunMessageType, writeUint16, writeUint32 } from "./message.ts";
import { StunEncodeError } from "./stun_errors.ts";

/** Where a StunMessageBuilder writes. */
export interface StunMessageBuilderInit {
  /** A buffer to write every message into; its length bounds the message size. */
  readonly buffer?: Uint8Array;
  /**
   * Size of the buffer allocated when none is given.
   * @default MAX_STUN_MESSAGE_BYTES
   */
  readonly capacity?: number;
}

/** What finish() appends after the attributes. */
export interface FinishStunMessageOptions {
  /** Key for MESSAGE-INTEGRITY (HMAC-SHA1): a short-term or long-term key (integrity.ts). */
  readonly integrityKey?: Uint8Array;
  /** Key for MESSAGE-INTEGRITY-SHA256 (full 32 bytes): the SHA-256 long-term key. */
  readonly integritySha256Key?: Uint8Array;
  /** Append FINGERPRINT. */
  readonly fingerprint?: boolean;
}

const NOTHING_MORE: FinishStunMessageOptions = Object.freeze({});

/**
 * Writes STUN messages into one reusable buffer.
 *
 * @example
 * ```ts
 * const builder = new StunMessageBuilder();
 * builder.beginResponse(request, StunClass.SuccessResponse);
 * encodeXorMappedAddress(builder, { family: 4, host: "192.0.2.1", port: 32853 });
 * encodeSoftware(builder, "superpeer");
 * socket.send(builder.finish({ integrityKey: key, fingerprint: true }), port, host);
 * ```
 */
export class StunMessageBuilder {
  #buffer: Uint8Array;
  #end = 0;
  #open = false;

  constructor(init: StunMessageBuilderInit = {}) {
    const capacity = init.capacity ?? MAX_STUN_MESSAGE_BYTES;
    if (
      init.buffer === undefined && (!Number.isInteger(capacity) || capacity < STUN_HEADER_BYTES)
    ) {
      throw new RangeError(`Cannot create a STUN message builder: capacity ${capacity}`);
    }
    this.#buffer = init.buffer ?? new Uint8Array(capacity);
    if (this.#buffer.length < STUN_HEADER_BYTES) {
      throw new RangeError(
        `Cannot create a STUN message builder: ${this.#buffer.length}-byte buffer`,
      );
    }
  }

  /** The whole buffer; attribute encoders write values at the offsets reserve() returns. */
  get buffer(): Uint8Array {
    return this.#buffer;
  }

  /** Bytes of the current message so far. */
  get length(): number {
    return this.#end;
  }

  /**
   * Starts a message of `type` (a StunMessageType value, or stunMessageType(method, class)) with a
   * 12-byte transaction id; whatever was built before is discarded.
   */
  begin(type: number, transactionId: Uint8Array): this {
    if (transactionId.length !== STUN_TRANSACTION_ID_BYTES) {
      throw new StunEncodeError(`transaction id of ${transactionId.length} bytes, not 12`);
    }
    this.#header(type);
    this.#buffer.set(transactionId, 8);
    return this;
  }

  /**
   * Starts a response of `messageClass` to `request`: same method, same transaction id, copied
   * without an intermediate view (RFC 8489 section 6.3.1.1).
   */
  beginResponse(request: StunMessage, messageClass: StunClass): this {
    this.#header(stunMessageType(request.method, messageClass));
    const source = request.bytes;
    for (let i = 8; i < STUN_HEADER_BYTES; i++) this.#buffer[i] = source[i]!;
    return this;
  }

  /**
   * Appends the header of an attribute of `type` with a value of `length` bytes, zeroes its padding
   * (RFC 8489 section 14: padding MUST be zero when sent) and returns the offset in `buffer` where the
   * caller writes the value.
   */
  reserve(type: number, length: number): number {
    if (!this.#open) throw new StunEncodeError("begin() a message before adding attributes");
    if (!Number.isInteger(type) || type < 0 || type > 0xffff) {
      throw new StunEncodeError(`attribute type ${type} is not 16 bits`);
    }
    if (!Number.isInteger(length) || length < 0 || length > MAX_STUN_ATTRIBUTE_VALUE_BYTES) {
      throw new StunEncodeError(`attribute value of ${length} bytes`);
    }
    const padded = (length + 3) & ~3;
    const offset = this.#end + STUN_ATTRIBUTE_HEADER_BYTES;
    this.#ensure(offset + padded);
    writeUint16(this.#buffer, this.#end, type);
    writeUint16(this.#buffer, this.#end + 2, length);
    this.#buffer.fill(0, offset + length, offset + padded);
    this.#end = offset + padded;
    return offset;
  }

  /** Appends an attribute whose value is `value` (copied once into the buffer). */
  addBytes(type: number, value: Uint8Array): this {
    this.#buffer.set(value, this.reserve(type, value.length));
    return this;
  }

  /**
   * Appends MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT as asked, sets the header
   * length and returns the message: a view into the buffer, valid until the next begin().
   */
  finish(options: FinishStunMessageOptions = NOTHING_MORE): Uint8Array {
    if (!this.#open) throw new StunEncodeError("begin() a message before finishing it");
    const buffer = this.#buffer;
    if (options.integrityKey !== undefined) {
      // RFC 8489 section 14.5: HMAC over the message up to MESSAGE-INTEGRITY, length covering it
      const mac = computeMessageIntegrity(buffer.subarray(0, this.#end), options.integrityKey);
      buffer.set(mac, this.reserve(StunAttribute.MessageIntegrity, MESSAGE_INTEGRITY_BYTES));
    }
    if (options.integritySha256Key !== undefined) {
      const mac = computeMessageIntegritySha256(
        buffer.subarray(0, this.#end),
        options.integritySha256Key,
      );
      buffer.set(
        mac,
        this.reserve(StunAttribute.MessageIntegritySha256, MESSAGE_INTEGRITY_SHA256_BYTES),
      );
    }
    if (options.fingerprint === true) {
      // RFC 8489 section 14.7: FINGERPRINT last, over everything before it
      const crc = computeFingerprint(buffer.subarray(0, this.#end));
      writeUint32(buffer, this.reserve(StunAttribute.Fingerprint, FINGERPRINT_BYTES), crc);
    }
    const length = this.#end - STUN_HEADER_BYTES;
    if (length > 0xfffc) {
      throw new StunEncodeError(`message body of ${length} bytes exceeds the 16-bit length field`);
    }
    writeUint16(buffer, 2, length);
    this.#open = false;
    return buffer.subarray(0, this.#end);
  }

  #header(type: number): void {
    if (!Number.isInteger(type) || type < 0 || type > 0x3fff) {
      // RFC 8489 section 5: the two most significant bits MUST be zero
      throw new StunEncodeError(`message type ${type} is not 14 bits`);
    }
    const buffer = this.#buffer;
    writeUint16(buffer, 0, type);
    writeUint16(buffer, 2, 0);
    writeUint32(buffer, 4, STUN_MAGIC_COOKIE);
    this.#end = STUN_HEADER_BYTES;
    this.#open = true;
  }

  #ensure(end: number): void {
    if (end > this.#buffer.length) {
      throw new StunEncodeError(
        `message of at least ${end} bytes does not fit the ${this.#buffer.length}-byte buffer`,
      );
    }
    if (end - STUN_HEADER_BYTES > 0xfffc) {
      throw new StunEncodeError(`message body of ${end - STUN_HEADER_BYTES} bytes is too long`);
    }
  }
}
