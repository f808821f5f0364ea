// Shape checks for decoded CBOR: each returns the typed value or throws OverlayDecodeError naming
// the place. The CBOR subset scan has already bounded sizes and depth; these check meaning.
import type { CborValue } from "../cbor/cbor_codec.ts";
import { OverlayDecodeError } from "./overlay_errors.ts";

export function asArray(
  value: CborValue | undefined,
  place: string,
  min: number,
  max: number,
): readonly CborValue[] {
  if (!Array.isArray(value)) throw new OverlayDecodeError(place, "expected an array");
  if (value.length < min || value.length > max) {
    throw new OverlayDecodeError(
      place,
      `expected ${min === max ? min : `${min} to ${max}`} items, got ${value.length}`,
    );
  }
  return value;
}

export function asUint(value: CborValue | undefined, place: string, max = 0xffff_ffff): number {
  if (typeof value !== "number") {
    throw new OverlayDecodeError(place, "expected an unsigned integer");
  }
  if (value > max) throw new OverlayDecodeError(place, `expected at most ${max}, got ${value}`);
  return value;
}

export function asBytes(
  value: CborValue | undefined,
  place: string,
  min: number,
  max: number,
): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new OverlayDecodeError(place, "expected a byte string");
  if (value.length < min || value.length > max) {
    throw new OverlayDecodeError(
      place,
      `expected ${min === max ? min : `${min} to ${max}`} bytes, got ${value.length}`,
    );
  }
  // Decoders may hand out Buffer subclasses; give callers plain Uint8Arrays.
  return value.constructor === Uint8Array
    ? value
    : new Uint8Array(value.buffer, value.byteOffset, value.length);
}

export function asText(value: CborValue | undefined, place: string, maxBytes: number): string {
  if (typeof value !== "string") throw new OverlayDecodeError(place, "expected a text string");
  // UTF-8 is at most 3 bytes per UTF-16 unit; measure exactly only when it could be over.
  if (value.length * 3 > maxBytes && new TextEncoder().encode(value).length > maxBytes) {
    throw new OverlayDecodeError(place, `text longer than ${maxBytes} bytes`);
  }
  return value;
}

export function asBool(value: CborValue | undefined, place: string): boolean {
  if (typeof value !== "boolean") throw new OverlayDecodeError(place, "expected true or false");
  return value;
}

/** One of the listed codes, as the type `T`. */
export function asCode<T extends number>(
  value: CborValue | undefined,
  place: string,
  codes: readonly T[],
): T {
  const code = asUint(value, place);
  if (!(codes as readonly number[]).includes(code)) {
    throw new OverlayDecodeError(place, `unknown code ${code} (expected ${codes.join(", ")})`);
  }
  return code as T;
}

/** Decodes each item of a bounded array with `item`. */
export function asList<T>(
  value: CborValue | undefined,
  place: string,
  max: number,
  item: (value: CborValue, place: string) => T,
): T[] {
  const array = asArray(value, place, 0, max);
  const out: T[] = new Array(array.length);
  for (let i = 0; i < array.length; i++) out[i] = item(array[i]!, `${place}[${i}]`);
  return out;
}
