/**
 * UNKNOWN-ATTRIBUTES (RFC 8489 section 14.13): the 16-bit types of the comprehension-required
 * attributes a server did not understand, sent with a 420 (section 6.3.1.1). The value is padded to
 * 4 bytes with zeros like any other (RFC 3489's repeat-an-entry padding is gone).
 *
 * @module
 */
import { MAX_STUN_ATTRIBUTE_VALUE_BYTES, StunAttribute } from "./constants.ts";
import type { StunMessage } from "./message.ts";
import type { StunMessageBuilder } from "./message_builder.ts";
import { StunDecodeError, StunEncodeError } from "./stun_errors.ts";

/**
 * Appends UNKNOWN-ATTRIBUTES listing `types` (RFC 8489 section 14.13).
 *
 * @example
 * ```ts
 * encodeErrorCode(builder, { code: StunErrorCode.UnknownAttribute });
 * encodeUnknownAttributes(builder, request.unknownAttributes);
 * ```
 */
export function encodeUnknownAttributes(
  builder: StunMessageBuilder,
  types: readonly number[],
): void {
  if (types.length * 2 > MAX_STUN_ATTRIBUTE_VALUE_BYTES) {
    throw new StunEncodeError(`${types.length} unknown attributes do not fit one attribute`);
  }
  for (const type of types) {
    if (!Number.isInteger(type) || type < 0 || type > 0xffff) {
      throw new StunEncodeError(`unknown attribute type ${type} is not 16 bits`);
    }
  }
  const buffer = builder.buffer;
  let offset = builder.reserve(StunAttribute.UnknownAttributes, types.length * 2);
  for (const type of types) {
    buffer[offset++] = type >>> 8;
    buffer[offset++] = type;
  }
}

/**
 * Reads UNKNOWN-ATTRIBUTES (RFC 8489 section 14.13); refuses an odd length.
 *
 * @example
 * ```ts
 * const types = decodeUnknownAttributes(message, message.indexOf(StunAttribute.UnknownAttributes));
 * ```
 */
export function decodeUnknownAttributes(message: StunMessage, at: number): number[] {
  const offset = message.valueOffset(at);
  const length = message.valueLength(at);
  if (length % 2 !== 0) {
    throw new StunDecodeError(message.attributePlace(at), `odd length ${length}`);
  }
  const bytes = message.bytes;
  const types: number[] = [];
  for (let i = offset; i < offset + length; i += 2) types.push((bytes[i]! << 8) | bytes[i + 1]!);
  return types;
}
