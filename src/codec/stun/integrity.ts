/**
 * MESSAGE-INTEGRITY (RFC 8489 section 14.5), MESSAGE-INTEGRITY-SHA256 (section 14.6) and FINGERPRINT
 * (section 14.7) over raw message bytes, and the keys of the short-term and long-term credential
 * mechanisms (sections 9.1.1 and 9.2.2).
 *
 * Each is computed over the message prefix that ends where the attribute starts, with the header's
 * length field taken as if the message ended right after the attribute: that is what lets
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT follow MESSAGE-INTEGRITY. The bytes are never modified or
 * copied; the rewritten length is fed to the hash separately. Checks compare in constant time.
 *
 * node:crypto is used for computation only (no I/O), as in identity/.
 *
 * Not done here: OpaqueString (RFC 8265) / SASLprep of passwords and realms. Callers pass
 * credentials already in their prepared form; for printable ASCII that is the identity.
 *
 * @module
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import {
  FINGERPRINT_BYTES,
  FINGERPRINT_XOR,
  MESSAGE_INTEGRITY_BYTES,
  MESSAGE_INTEGRITY_SHA256_BYTES,
  MIN_MESSAGE_INTEGRITY_SHA256_BYTES,
  STUN_ATTRIBUTE_HEADER_BYTES,
  STUN_HEADER_BYTES,
} from "./constants.ts";
import { crc32 } from "./crc32.ts";
import type { StunMessage } from "./message.ts";

/** Long-term credentials (RFC 8489 section 9.2), already OpaqueString-processed. */
export interface LongTermCredentials {
  readonly username: string;
  readonly realm: string;
  readonly password: string;
}

/** The hash of the long-term key: MD5 for MESSAGE-INTEGRITY, SHA-256 for MESSAGE-INTEGRITY-SHA256. */
export type PasswordAlgorithm = "md5" | "sha256";

const LENGTH_FIELD = new Uint8Array(2);
const FULL_LENGTH = Object.freeze({ length: MESSAGE_INTEGRITY_SHA256_BYTES });
const encoder = new TextEncoder();

/**
 * RFC 8489 section 9.2.2: the long-term key, MD5 (16 bytes) or SHA-256 (32 bytes) of
 * `username ":" realm ":" password` in UTF-8. RFC 8656 section 6: a server stores this key, not the
 * password.
 *
 * @example
 * ```ts
 * const key = longTermKey({ username: "user", realm: "realm", password: "pass" });
 * // 8493fbc53ba582fb4c044c456bdc40eb
 * ```
 */
export function longTermKey(
  credentials: LongTermCredentials,
  algorithm: PasswordAlgorithm = "md5",
): Uint8Array {
  return createHash(algorithm)
    .update(`${credentials.username}:${credentials.realm}:${credentials.password}`, "utf8")
    .digest();
}

/**
 * RFC 8489 section 9.1.1: the short-term key is the (OpaqueString-processed) password itself.
 *
 * @example
 * ```ts
 * checkMessageIntegrity(message, shortTermKey("VOkJxbRl1RmTxUk/WvJxBt"));
 * ```
 */
export function shortTermKey(password: string): Uint8Array {
  return encoder.encode(password);
}

/**
 * HMAC-SHA1 for a MESSAGE-INTEGRITY attribute that will start right after `prefix` (RFC 8489
 * section 14.5): `prefix` is the header and the attributes before it; the length field is taken as
 * `prefix.length - 20 + 24`.
 *
 * @example
 * ```ts
 * const mac = computeMessageIntegrity(bytes.subarray(0, offsetOfIntegrityAttribute), key);
 * ```
 */
export function computeMessageIntegrity(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  return hmac(
    "sha1",
    key,
    prefix,
    prefix.length - STUN_HEADER_BYTES + STUN_ATTRIBUTE_HEADER_BYTES + MESSAGE_INTEGRITY_BYTES,
  );
}

/**
 * HMAC-SHA256 for a MESSAGE-INTEGRITY-SHA256 attribute of `length` bytes (32 unless the usage
 * truncates, RFC 8489 section 14.6) that will start right after `prefix`; returns `length` bytes.
 *
 * @example
 * ```ts
 * const mac = computeMessageIntegritySha256(bytes.subarray(0, offset), longTermKey(creds, "sha256"));
 * ```
 */
export function computeMessageIntegritySha256(
  prefix: Uint8Array,
  key: Uint8Array,
  options: { readonly length?: number } = FULL_LENGTH,
): Uint8Array {
  const length = options.length ?? MESSAGE_INTEGRITY_SHA256_BYTES;
  if (
    length < MIN_MESSAGE_INTEGRITY_SHA256_BYTES || length > MESSAGE_INTEGRITY_SHA256_BYTES ||
    length % 4 !== 0
  ) {
    throw new RangeError(`Cannot compute MESSAGE-INTEGRITY-SHA256: length ${length}`);
  }
  const mac = hmac(
    "sha256",
    key,
    prefix,
    prefix.length - STUN_HEADER_BYTES + STUN_ATTRIBUTE_HEADER_BYTES + length,
  );
  return length === MESSAGE_INTEGRITY_SHA256_BYTES ? mac : mac.subarray(0, length);
}

/**
 * The FINGERPRINT value for an attribute that will start right after `prefix` (RFC 8489 section
 * 14.7): CRC-32 of the prefix, with the length field covering the 8-byte attribute, XOR 0x5354554E.
 *
 * @example
 * ```ts
 * const value = computeFingerprint(bytes.subarray(0, offsetOfFingerprintAttribute));
 * ```
 */
export function computeFingerprint(prefix: Uint8Array): number {
  if (prefix.length < STUN_HEADER_BYTES) {
    throw new RangeError(
      `Cannot compute FINGERPRINT: a prefix of ${prefix.length} bytes has no header`,
    );
  }
  const length = prefix.length - STUN_HEADER_BYTES + STUN_ATTRIBUTE_HEADER_BYTES +
    FINGERPRINT_BYTES;
  LENGTH_FIELD[0] = length >>> 8;
  LENGTH_FIELD[1] = length;
  let crc = crc32(prefix.subarray(0, 2));
  crc = crc32(LENGTH_FIELD, crc);
  crc = crc32(prefix.subarray(4), crc);
  return (crc ^ FINGERPRINT_XOR) >>> 0;
}

/**
 * Whether the message's MESSAGE-INTEGRITY is the HMAC-SHA1 of its raw bytes under `key` (RFC 8489
 * section 14.5); false when it has none. Constant-time compare.
 *
 * @example
 * ```ts
 * if (!checkMessageIntegrity(message, longTermKey(credentials))) answer401();
 * ```
 */
export function checkMessageIntegrity(message: StunMessage, key: Uint8Array): boolean {
  const at = message.integrityIndex;
  if (at < 0) return false;
  const offset = message.valueOffset(at);
  const expected = computeMessageIntegrity(
    message.bytes.subarray(0, offset - STUN_ATTRIBUTE_HEADER_BYTES),
    key,
  );
  return timingSafeEqual(
    expected,
    message.bytes.subarray(offset, offset + MESSAGE_INTEGRITY_BYTES),
  );
}

/**
 * Whether the message's MESSAGE-INTEGRITY-SHA256 (full or truncated) is the HMAC-SHA256 of its raw
 * bytes under `key` (RFC 8489 section 14.6); false when it has none. Constant-time compare.
 *
 * @example
 * ```ts
 * checkMessageIntegritySha256(message, longTermKey(credentials, "sha256"));
 * ```
 */
export function checkMessageIntegritySha256(message: StunMessage, key: Uint8Array): boolean {
  const at = message.integritySha256Index;
  if (at < 0) return false;
  const offset = message.valueOffset(at);
  const length = message.valueLength(at);
  const expected = computeMessageIntegritySha256(
    message.bytes.subarray(0, offset - STUN_ATTRIBUTE_HEADER_BYTES),
    key,
    { length },
  );
  return timingSafeEqual(expected, message.bytes.subarray(offset, offset + length));
}

/**
 * Whether the message's FINGERPRINT matches its raw bytes (RFC 8489 section 14.7); false when it
 * has none. decodeStunMessage() has already made sure it is the last attribute.
 *
 * @example
 * ```ts
 * if (message.fingerprintIndex >= 0 && !checkFingerprint(message)) return; // silently discard
 * ```
 */
export function checkFingerprint(message: StunMessage): boolean {
  const at = message.fingerprintIndex;
  if (at < 0) return false;
  const offset = message.valueOffset(at);
  const bytes = message.bytes;
  const received = ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) |
    (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
  return computeFingerprint(bytes.subarray(0, offset - STUN_ATTRIBUTE_HEADER_BYTES)) === received;
}

function hmac(
  algorithm: "sha1" | "sha256",
  key: Uint8Array,
  prefix: Uint8Array,
  length: number,
): Uint8Array {
  if (prefix.length < STUN_HEADER_BYTES) {
    throw new RangeError(
      `Cannot compute an HMAC: a prefix of ${prefix.length} bytes has no header`,
    );
  }
  LENGTH_FIELD[0] = length >>> 8;
  LENGTH_FIELD[1] = length;
  return createHmac(algorithm, key)
    .update(prefix.subarray(0, 2))
    .update(LENGTH_FIELD)
    .update(prefix.subarray(4))
    .digest();
}
