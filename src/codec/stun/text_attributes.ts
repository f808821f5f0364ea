/**
 * The UTF-8 text attributes: USERNAME (RFC 8489 section 14.3), REALM (14.9), NONCE (14.10) and
 * SOFTWARE (14.14), with the RFC's limits as named constants: a sender stays under the encoding
 * limit, a receiver accepts up to 763 bytes.
 *
 * Encoding writes straight into the builder's buffer (no intermediate byte array); decoding makes
 * the one string asked for. Text is not OpaqueString/SASLprep-processed (see integrity.ts).
 *
 * @module
 */
import {
  MAX_TEXT_CHARACTERS,
  MAX_TEXT_DECODE_BYTES,
  MAX_TEXT_ENCODE_BYTES,
  MAX_USERNAME_ENCODE_BYTES,
  StunAttribute,
} from "./constants.ts";
import type { StunMessage } from "./message.ts";
import type { StunMessageBuilder } from "./message_builder.ts";
import { StunDecodeError, StunEncodeError } from "./stun_errors.ts";

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const USERNAME_LIMITS: TextLimits = { what: "USERNAME", maxBytes: MAX_USERNAME_ENCODE_BYTES };
const REALM_LIMITS = shortText("REALM");
const NONCE_LIMITS = shortText("NONCE");
const SOFTWARE_LIMITS = shortText("SOFTWARE");

/** RFC 8489: fewer than 128 characters, up to 509 bytes when encoding. */
function shortText(what: string): TextLimits {
  return { what, maxBytes: MAX_TEXT_ENCODE_BYTES, maxCharacters: MAX_TEXT_CHARACTERS };
}

/**
 * Appends USERNAME (RFC 8489 section 14.3): fewer than 509 bytes of UTF-8.
 *
 * @example
 * ```ts
 * encodeUsername(builder, "alice");
 * ```
 */
export function encodeUsername(builder: StunMessageBuilder, username: string): void {
  // RFC 8489 section 14.3: USERNAME MUST be fewer than 509 bytes
  encodeText(builder, StunAttribute.Username, username, USERNAME_LIMITS);
}

/**
 * Reads USERNAME (RFC 8489 section 14.3); refuses more than 763 bytes or invalid UTF-8.
 *
 * @example
 * ```ts
 * const username = decodeUsername(message, message.indexOf(StunAttribute.Username));
 * ```
 */
export function decodeUsername(message: StunMessage, at: number): string {
  return decodeText(message, at);
}

/**
 * Appends REALM (RFC 8489 section 14.9): fewer than 128 characters.
 *
 * @example
 * ```ts
 * encodeRealm(builder, "example.org");
 * ```
 */
export function encodeRealm(builder: StunMessageBuilder, realm: string): void {
  // RFC 8489 section 14.9: fewer than 128 characters
  encodeText(builder, StunAttribute.Realm, realm, REALM_LIMITS);
}

/**
 * Reads REALM (RFC 8489 section 14.9).
 *
 * @example
 * ```ts
 * const realm = decodeRealm(message, message.indexOf(StunAttribute.Realm));
 * ```
 */
export function decodeRealm(message: StunMessage, at: number): string {
  return decodeText(message, at);
}

/**
 * Appends NONCE (RFC 8489 section 14.10): fewer than 128 characters.
 *
 * @example
 * ```ts
 * encodeNonce(builder, "obMatJos2AAAAf//499k954d6OL34oL9FSTvy64sA");
 * ```
 */
export function encodeNonce(builder: StunMessageBuilder, nonce: string): void {
  // RFC 8489 section 14.10: fewer than 128 characters
  encodeText(builder, StunAttribute.Nonce, nonce, NONCE_LIMITS);
}

/**
 * Reads NONCE (RFC 8489 section 14.10).
 *
 * @example
 * ```ts
 * const nonce = decodeNonce(message, message.indexOf(StunAttribute.Nonce));
 * ```
 */
export function decodeNonce(message: StunMessage, at: number): string {
  return decodeText(message, at);
}

/**
 * Appends SOFTWARE (RFC 8489 section 14.14): fewer than 128 characters.
 *
 * @example
 * ```ts
 * encodeSoftware(builder, "superpeer 0.1.0");
 * ```
 */
export function encodeSoftware(builder: StunMessageBuilder, software: string): void {
  // RFC 8489 section 14.14: fewer than 128 characters
  encodeText(builder, StunAttribute.Software, software, SOFTWARE_LIMITS);
}

/**
 * Reads SOFTWARE (RFC 8489 section 14.14).
 *
 * @example
 * ```ts
 * const software = decodeSoftware(message, message.indexOf(StunAttribute.Software));
 * ```
 */
export function decodeSoftware(message: StunMessage, at: number): string {
  return decodeText(message, at);
}

/** Limits of one text field, for checkText(). */
export interface TextLimits {
  /** Name for error messages: "REALM", "reason phrase". */
  readonly what: string;
  readonly maxBytes: number;
  /** Most Unicode characters (code points); USERNAME has only a byte limit. */
  readonly maxCharacters?: number;
}

/**
 * Checks `text` against the limits of a text field and returns its UTF-8 length. Shared with
 * error_code.ts (reason phrases).
 */
export function checkText(text: string, limits: TextLimits): number {
  const bytes = utf8ByteLength(text);
  if (bytes > limits.maxBytes) {
    throw new StunEncodeError(`${limits.what} of ${bytes} bytes exceeds ${limits.maxBytes}`);
  }
  const maxCharacters = limits.maxCharacters;
  // Each character is at least one byte: only a long text needs counting.
  if (maxCharacters !== undefined && bytes > maxCharacters) {
    const characters = codePoints(text);
    if (characters > maxCharacters) {
      throw new StunEncodeError(
        `${limits.what} of ${characters} characters exceeds ${maxCharacters}`,
      );
    }
  }
  return bytes;
}

/** UTF-8 length of `text` as TextEncoder would encode it (lone surrogates become U+FFFD). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Writes `text` as UTF-8 at `offset` (room checked by the caller) and returns the bytes written. */
export function writeUtf8(target: Uint8Array, offset: number, text: string): number {
  let o = offset;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      target[o++] = c;
    } else if (c < 0x800) {
      target[o++] = 0xc0 | (c >> 6);
      target[o++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      target[o++] = 0xf0 | (cp >> 18);
      target[o++] = 0x80 | ((cp >> 12) & 0x3f);
      target[o++] = 0x80 | ((cp >> 6) & 0x3f);
      target[o++] = 0x80 | (cp & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      target[o++] = 0xe0 | (c >> 12);
      target[o++] = 0x80 | ((c >> 6) & 0x3f);
      target[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o - offset;
}

/**
 * Decodes `length` bytes at `offset` as UTF-8, refusing invalid sequences and more than 763 bytes
 * (RFC 8489 section 14.3 and following). Shared with error_code.ts.
 */
export function decodeUtf8(
  bytes: Uint8Array,
  range: { readonly offset: number; readonly length: number; readonly place: string },
): string {
  if (range.length > MAX_TEXT_DECODE_BYTES) {
    // RFC 8489 section 14.3: parsers MUST accept up to 763 bytes; more is not STUN text
    throw new StunDecodeError(range.place, `text of ${range.length} bytes exceeds 763`);
  }
  if (range.length === 0) return "";
  try {
    return decoder.decode(bytes.subarray(range.offset, range.offset + range.length));
  } catch {
    throw new StunDecodeError(range.place, "text is not valid UTF-8");
  }
}

function encodeText(
  builder: StunMessageBuilder,
  type: number,
  text: string,
  limits: TextLimits,
): void {
  const length = checkText(text, limits);
  writeUtf8(builder.buffer, builder.reserve(type, length), text);
}

function decodeText(message: StunMessage, at: number): string {
  const offset = message.valueOffset(at);
  const length = message.valueLength(at);
  if (length > MAX_TEXT_DECODE_BYTES) {
    return decodeUtf8(message.bytes, { offset, length, place: message.attributePlace(at) });
  }
  if (length === 0) return "";
  try {
    return decoder.decode(message.bytes.subarray(offset, offset + length));
  } catch {
    throw new StunDecodeError(message.attributePlace(at), "text is not valid UTF-8");
  }
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) i++;
    count++;
  }
  return count;
}
