import type { CborValue } from "../../src/codec/cbor/cbor_codec.ts";

/**
 * CBOR diagnostic notation (RFC 8949 section 8) of a value of our subset: integers in decimal,
 * h'hex' byte strings, JSON-quoted text, [a, b] arrays, true/false/null. test/interop/cbor2_check.py
 * renders the same notation from Python's independent decoder, so the two can be compared as text.
 */
export function cborDiagnostic(value: CborValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Uint8Array) return `h'${Buffer.from(value).toString("hex")}'`;
  return `[${value.map(cborDiagnostic).join(", ")}]`;
}
