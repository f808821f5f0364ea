/**
 * ERROR-CODE (RFC 8489 section 14.8): 21 reserved bits, the hundreds digit in 3 bits (3 to 6), the
 * rest (0 to 99) in 8 bits, then a UTF-8 reason phrase of fewer than 128 characters. ADDRESS-ERROR-CODE
 * (RFC 8656 section 18.12, turn_attributes.ts) shares the layout after its family byte.
 *
 * @module
 */
import {
  MAX_TEXT_CHARACTERS,
  MAX_TEXT_DECODE_BYTES,
  MAX_TEXT_ENCODE_BYTES,
  STUN_REASON_PHRASES,
  StunAttribute,
} from "./constants.ts";
import type { StunMessage } from "./message.ts";
import type { StunMessageBuilder } from "./message_builder.ts";
import { StunDecodeError, StunEncodeError } from "./stun_errors.ts";
import { checkText, decodeUtf8, type TextLimits, writeUtf8 } from "./text_attributes.ts";

/** An error code and its reason phrase. */
export interface StunErrorValue {
  /** 300 to 699 (StunErrorCode). */
  readonly code: number;
  /** Diagnostic text; when encoding, the recommended phrase of the code if left out. */
  readonly reason?: string;
}

/** A decoded error code: the phrase is always there (possibly empty). */
export interface DecodedStunError {
  readonly code: number;
  readonly reason: string;
}

/** RFC 8489 section 14.8: error codes are 300 to 699. */
export const MIN_ERROR_CODE = 300;
/** RFC 8489 section 14.8: error codes are 300 to 699. */
export const MAX_ERROR_CODE = 699;

const REASON_LIMITS: TextLimits = {
  what: "reason phrase",
  maxBytes: MAX_TEXT_ENCODE_BYTES,
  maxCharacters: MAX_TEXT_CHARACTERS,
};

/**
 * Appends ERROR-CODE (RFC 8489 section 14.8); without a `reason`, the recommended phrase.
 *
 * @example
 * ```ts
 * builder.beginResponse(request, StunClass.ErrorResponse);
 * encodeErrorCode(builder, { code: StunErrorCode.AllocationMismatch });
 * ```
 */
export function encodeErrorCode(builder: StunMessageBuilder, error: StunErrorValue): void {
  writeErrorValue(builder, error, { type: StunAttribute.ErrorCode, leadByte: 0 });
}

/**
 * Reads ERROR-CODE (RFC 8489 section 14.8); refuses a class outside 3-6, a number over 99, a reason
 * phrase over 763 bytes or not UTF-8.
 *
 * @example
 * ```ts
 * const { code, reason } = decodeErrorCode(message, message.indexOf(StunAttribute.ErrorCode));
 * ```
 */
export function decodeErrorCode(message: StunMessage, at: number): DecodedStunError {
  return readErrorValue(message, at);
}

/**
 * Writes the shared layout of ERROR-CODE and ADDRESS-ERROR-CODE: `leadByte` is the first byte (zero,
 * or the family of ADDRESS-ERROR-CODE). Used by turn_attributes.ts.
 */
export function writeErrorValue(
  builder: StunMessageBuilder,
  error: StunErrorValue,
  layout: { readonly type: number; readonly leadByte: number },
): void {
  const code = error.code;
  if (!Number.isInteger(code) || code < MIN_ERROR_CODE || code > MAX_ERROR_CODE) {
    // RFC 8489 section 14.8: the code is in the range of 300 to 699
    throw new StunEncodeError(`error code ${code} outside 300-699`);
  }
  const reason = error.reason ?? STUN_REASON_PHRASES.get(code) ?? "";
  // RFC 8489 section 14.8: the reason phrase MUST be fewer than 128 characters
  const reasonBytes = checkText(reason, REASON_LIMITS);
  const buffer = builder.buffer;
  const offset = builder.reserve(layout.type, 4 + reasonBytes);
  buffer[offset] = layout.leadByte;
  buffer[offset + 1] = 0;
  buffer[offset + 2] = Math.floor(code / 100);
  buffer[offset + 3] = code % 100;
  writeUtf8(buffer, offset + 4, reason);
}

/** Reads the shared layout of ERROR-CODE and ADDRESS-ERROR-CODE; the first byte is not looked at. */
export function readErrorValue(message: StunMessage, at: number): DecodedStunError {
  const offset = message.valueOffset(at);
  const length = message.valueLength(at);
  const bytes = message.bytes;
  if (length < 4) {
    throw new StunDecodeError(message.attributePlace(at), `${length} bytes, at least 4 needed`);
  }
  const errorClass = bytes[offset + 2]! & 0x07;
  const errorNumber = bytes[offset + 3]!;
  if (errorClass < 3 || errorClass > 6) {
    // RFC 8489 section 14.8: the class is between 3 and 6
    throw new StunDecodeError(message.attributePlace(at), `error class ${errorClass}`);
  }
  if (errorNumber > 99) {
    // RFC 8489 section 14.8: the number is between 0 and 99
    throw new StunDecodeError(message.attributePlace(at), `error number ${errorNumber}`);
  }
  if (length - 4 > MAX_TEXT_DECODE_BYTES) {
    throw new StunDecodeError(
      message.attributePlace(at),
      `reason phrase of ${length - 4} bytes exceeds 763`,
    );
  }
  const reason = length === 4 ? "" : decodeUtf8(bytes, {
    offset: offset + 4,
    length: length - 4,
    place: message.attributePlace(at),
  });
  return { code: errorClass * 100 + errorNumber, reason };
}
