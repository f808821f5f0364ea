// Byte helpers of the storage layer: hex map keys, comparisons, and the SHA-256 that Stat reports.
// node:crypto is used for computation only (no I/O), as in identity/.
import { createHash } from "node:crypto";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Lower-case hex of bytes: the map key of resource ids, dictionary keys and signers. For ids of
 * equal length, hex order is numeric order.
 *
 * @example
 * ```ts
 * toHex(new Uint8Array([0, 255])); // "00ff"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += HEX[byte]!;
  return out;
}

/** Whether two byte strings are equal (not constant-time: ids and public data only). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** SHA-256 of `bytes` (32 bytes): the hash RFC 6940 section 7.4.3 Stat reports for each value. */
export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}
