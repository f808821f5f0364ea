import { Decoder, Encoder } from "cbor-x";
import { type CborSubsetLimits, MAX_UINT, scanCborSubset } from "./cbor_subset.ts";

/** The values of our CBOR subset as JavaScript sees them. */
export type CborValue = number | Uint8Array | string | boolean | null | readonly CborValue[];

// STYLE rule 4: one module-level encoder, no records, no shared structures; Uint8Array as a plain
// byte string (cbor-x would otherwise tag it as a typed array).
const encoder = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: true });
/**
 * cbor-x's encode mode that rewinds its slab after each call (encode.js RESET_BUFFER_MODE, not
 * exported; cbor-x is pinned in package-lock.json). Without it the encoder moves on through its
 * 8 KiB slab and allocates a fresh one every few messages, which on Deno (Buffer.allocUnsafeSlow)
 * cost 14 % of the simulator's time. Safe because encodeCbor copies the result out at once.
 */
const RESET_BUFFER_MODE = 1024;
const encodeInto = encoder.encode.bind(encoder) as (value: unknown, mode: number) => Uint8Array;
// No int64AsNumber: the subset scan refuses integers above 2^32-1, so cbor-x never sees a 64-bit one.
// No copyBuffers: decodeCbor copies the whole item once and byte strings are views into that copy
// (cbor-x's copyBuffers allocates one ArrayBuffer per byte string, ~0.8 us each on Deno: 12 % of
// the simulator's time).
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

/** A value that cannot be encoded in our subset (negative, fractional or too large a number, other types). */
export class CborValueError extends TypeError {}

function check(value: unknown, path: string): void {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0 || value > MAX_UINT) {
      throw new CborValueError(
        `Cannot encode ${value} at ${path}: only unsigned integers up to 2^32-1`,
      );
    }
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) check(value[i], `${path}[${i}]`);
  } else if (
    !(value instanceof Uint8Array) && typeof value !== "string" && typeof value !== "boolean" &&
    value !== null
  ) {
    throw new CborValueError(`Cannot encode ${typeof value} at ${path}: not in the CBOR subset`);
  }
}

/**
 * Encodes a value of the subset deterministically (shortest forms, definite lengths) and returns
 * bytes the caller owns.
 *
 * @example
 * ```ts
 * encodeCbor([23, new Uint8Array(0)]); // 82 17 40
 * ```
 */
export function encodeCbor(value: CborValue): Uint8Array {
  check(value, "$");
  // encode() returns a view into cbor-x's reused slab: copy it (STYLE rule 4). Not with .slice():
  // on a Node Buffer that is another view of the same memory, overwritten by the next encode.
  const view = encodeInto(value, RESET_BUFFER_MODE);
  const owned = new Uint8Array(view.length);
  owned.set(view);
  return owned;
}

/**
 * Decodes one data item after checking that it is well-formed CBOR of the subset within `limits`;
 * throws CborFormatError (with the byte offset) otherwise. Byte strings in the result are views
 * into one private copy of `bytes` (the caller may reuse `bytes`; a value kept for long should be
 * copied out so it does not hold the whole item).
 */
export function decodeCbor(bytes: Uint8Array, limits: CborSubsetLimits): CborValue {
  scanCborSubset(bytes, limits);
  // new Uint8Array(view) copies into a plain Uint8Array (Buffer.prototype.slice would not copy).
  return decoder.decode(new Uint8Array(bytes)) as CborValue;
}
