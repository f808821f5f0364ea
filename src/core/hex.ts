// Lower-case hex of small byte strings (node ids, transaction ids): map keys on hot paths. A table
// lookup per byte allocates only the result, where Buffer.from(bytes).toString("hex") copies the
// bytes into a new Buffer first.

const BYTE_HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/**
 * Lower-case hex of `bytes`.
 *
 * @example
 * ```ts
 * bytesToHex(new Uint8Array([0, 171, 255])); // "00abff"
 * ```
 */
export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += BYTE_HEX[bytes[i]!]!;
  return out;
}
