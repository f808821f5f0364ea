/**
 * The attributes of RFC 8489's algorithm negotiation and username anonymity: PASSWORD-ALGORITHMS
 * (section 14.11), PASSWORD-ALGORITHM (14.12), USERHASH (14.4), and the nonce cookie that
 * announces them (section 9.2, bits per section 18.1 with erratum 6290: bit 0 is the least
 * significant bit of the 24).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { StunAttribute } from "./constants.ts";
import type { PasswordAlgorithm } from "./integrity.ts";
import { readUint16, type StunMessage } from "./message.ts";
import type { StunMessageBuilder } from "./message_builder.ts";
import { StunDecodeError } from "./stun_errors.ts";

/** RFC 8489 section 18.5: the password algorithm registry's numbers. */
export const PasswordAlgorithmNumber = {
  Md5: 0x0001,
  Sha256: 0x0002,
} as const;

/** RFC 8489 section 14.4: USERHASH is a SHA-256 hash, 32 bytes. */
export const USERHASH_BYTES = 32;

/** RFC 8489 section 9.2: a nonce that starts with this carries the security feature bits. */
export const NONCE_COOKIE = "obMatJos2";

/** The nonce cookie: the prefix and four base64 characters (24 bits). */
export const NONCE_COOKIE_LENGTH = NONCE_COOKIE.length + 4;

/** RFC 8489 section 18.1 (erratum 6290): the STUN security feature bits, bit 0 rightmost. */
export const SecurityFeature = {
  PasswordAlgorithms: 1 << 0,
  UsernameAnonymity: 1 << 1,
} as const;

const ALGORITHM_NAMES: ReadonlyMap<number, PasswordAlgorithm> = new Map([
  [PasswordAlgorithmNumber.Md5, "md5"],
  [PasswordAlgorithmNumber.Sha256, "sha256"],
]);
const ALGORITHM_NUMBERS: Readonly<Record<PasswordAlgorithm, number>> = {
  md5: PasswordAlgorithmNumber.Md5,
  sha256: PasswordAlgorithmNumber.Sha256,
};

/**
 * The value of PASSWORD-ALGORITHMS listing `algorithms` in order of preference, none with
 * parameters (MD5 and SHA-256 have none, RFC 8489 section 18.5); a receiver compares it byte for byte.
 *
 * @example
 * ```ts
 * passwordAlgorithmsValue(["sha256", "md5"]); // 00 02 00 00 00 01 00 00
 * ```
 */
export function passwordAlgorithmsValue(algorithms: readonly PasswordAlgorithm[]): Uint8Array {
  const value = new Uint8Array(4 * algorithms.length);
  algorithms.forEach((algorithm, i) => {
    const number = ALGORITHM_NUMBERS[algorithm];
    value[4 * i] = number >>> 8;
    value[4 * i + 1] = number & 0xff;
  });
  return value;
}

/**
 * Appends PASSWORD-ALGORITHMS (RFC 8489 section 14.11) with a value from passwordAlgorithmsValue().
 *
 * @example
 * ```ts
 * encodePasswordAlgorithms(builder, passwordAlgorithmsValue(["sha256", "md5"]));
 * ```
 */
export function encodePasswordAlgorithms(builder: StunMessageBuilder, value: Uint8Array): void {
  builder.addBytes(StunAttribute.PasswordAlgorithms, value);
}

/**
 * Appends PASSWORD-ALGORITHM (RFC 8489 section 14.12), without parameters.
 *
 * @example
 * ```ts
 * encodePasswordAlgorithm(builder, "sha256");
 * ```
 */
export function encodePasswordAlgorithm(
  builder: StunMessageBuilder,
  algorithm: PasswordAlgorithm,
): void {
  builder.addBytes(StunAttribute.PasswordAlgorithm, passwordAlgorithmsValue([algorithm]));
}

/**
 * Reads PASSWORD-ALGORITHM (RFC 8489 section 14.12): the algorithm, or undefined for a number this
 * codec does not know. Refuses a value whose parameter length runs past it.
 *
 * @example
 * ```ts
 * const algorithm = decodePasswordAlgorithm(message, message.indexOf(StunAttribute.PasswordAlgorithm));
 * ```
 */
export function decodePasswordAlgorithm(
  message: StunMessage,
  at: number,
): PasswordAlgorithm | undefined {
  const value = message.value(at);
  if (value.length < 4) {
    throw new StunDecodeError(message.attributePlace(at), `${value.length} bytes, need 4`);
  }
  const parameters = readUint16(value, 2);
  if (4 + parameters > value.length) {
    throw new StunDecodeError(
      message.attributePlace(at),
      `parameters of ${parameters} bytes run past the value`,
    );
  }
  return ALGORITHM_NAMES.get(readUint16(value, 0));
}

/**
 * Appends USERHASH (RFC 8489 section 14.4).
 *
 * @example
 * ```ts
 * encodeUserhash(builder, userhash("alice", "example.org"));
 * ```
 */
export function encodeUserhash(builder: StunMessageBuilder, hash: Uint8Array): void {
  builder.addBytes(StunAttribute.Userhash, hash);
}

/**
 * Reads USERHASH (RFC 8489 section 14.4): a view of its 32 bytes.
 *
 * @example
 * ```ts
 * const hash = decodeUserhash(message, message.indexOf(StunAttribute.Userhash));
 * ```
 */
export function decodeUserhash(message: StunMessage, at: number): Uint8Array {
  const value = message.value(at);
  if (value.length !== USERHASH_BYTES) {
    throw new StunDecodeError(
      message.attributePlace(at),
      `${value.length} bytes, not ${USERHASH_BYTES}`,
    );
  }
  return value;
}

/**
 * RFC 8489 section 14.4: USERHASH = SHA-256(username ":" realm), both OpaqueString-processed.
 *
 * @example
 * ```ts
 * userhash("alice", "example.org"); // 32 bytes
 * ```
 */
export function userhash(username: string, realm: string): Uint8Array {
  return createHash("sha256").update(`${username}:${realm}`, "utf8").digest();
}

/**
 * The nonce cookie announcing `features` (SecurityFeature bits): `obMatJos2` and the base64 of
 * the 24 bits in network order (RFC 8489 section 9.2).
 *
 * @example
 * ```ts
 * nonceCookie(SecurityFeature.PasswordAlgorithms); // "obMatJos2AAAB"
 * ```
 */
export function nonceCookie(features: number): string {
  const bits = Buffer.from([(features >>> 16) & 0xff, (features >>> 8) & 0xff, features & 0xff]);
  return NONCE_COOKIE + bits.toString("base64");
}

/**
 * The security feature bits of a nonce that starts with the cookie, or undefined when it does not
 * (a server that predates RFC 8489, or a nonce that is not well formed).
 *
 * @example
 * ```ts
 * nonceFeatures("obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"); // SecurityFeature.UsernameAnonymity
 * ```
 */
export function nonceFeatures(nonce: string): number | undefined {
  if (nonce.length < NONCE_COOKIE_LENGTH || !nonce.startsWith(NONCE_COOKIE)) return undefined;
  const encoded = nonce.slice(NONCE_COOKIE.length, NONCE_COOKIE_LENGTH);
  if (!/^[A-Za-z0-9+/]{4}$/.test(encoded)) return undefined;
  const bits = Buffer.from(encoded, "base64");
  return (bits[0]! << 16) | (bits[1]! << 8) | bits[2]!;
}
