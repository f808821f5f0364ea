// RFC 6940 section 7.4.2 StoredDataSpecifier: which values of one kind a Fetch or Stat asks for.
// The selector names the kind's data model: a single value, ranges of array indices, or
// dictionary keys (no keys means all of them).
import type { CborValue } from "../../cbor/cbor_codec.ts";
import type { BodyCodec } from "../body_codec.ts";
import { OverlayDecodeError, OverlayEncodeError } from "../overlay_errors.ts";
import { asArray, asBytes, asCode, asList, asUint } from "../shape.ts";
import { asId, checkBytes, checkId, checkUint, encodeList } from "./field_checks.ts";
import { DATA_MODELS, DataModel, MAX_DICTIONARY_KEY_BYTES } from "./stored_data.ts";

/** Most specifiers (kinds) in one Fetch or Stat. */
export const MAX_SPECIFIERS = 16;
/** Most index ranges in one array selector. */
export const MAX_ARRAY_RANGES = 16;
/** Most keys in one dictionary selector. */
export const MAX_DICTIONARY_KEYS = 64;

/** An inclusive range of array indices (RFC 6940 ArrayRange); `first` is at most `last`. */
export interface ArrayRange {
  readonly first: number;
  readonly last: number;
}

export type DataSelector =
  | { readonly model: "single" }
  | { readonly model: "array"; readonly ranges: readonly ArrayRange[] }
  /** No keys selects every key. */
  | { readonly model: "dictionary"; readonly keys: readonly Uint8Array[] };

export interface StoredDataSpecifier {
  readonly kind: number;
  /** Return values only if the kind's generation differs from this; 0 means any generation. */
  readonly generation: number;
  readonly selector: DataSelector;
}

function encodeRange(range: ArrayRange, place: string): CborValue {
  const first = checkUint(range.first, `${place}.first`);
  const last = checkUint(range.last, `${place}.last`);
  if (first > last) throw new OverlayEncodeError(`${place}: first ${first} is after last ${last}`);
  return [first, last];
}

function decodeRange(value: CborValue, place: string): ArrayRange {
  const [first, last] = asArray(value, place, 2, 2);
  const range = { first: asUint(first, `${place}.first`), last: asUint(last, `${place}.last`) };
  if (range.first > range.last) {
    throw new OverlayDecodeError(place, `first ${range.first} is after last ${range.last}`);
  }
  return range;
}

function encodeKey(key: Uint8Array, place: string): CborValue {
  return checkBytes(key, place, 1, MAX_DICTIONARY_KEY_BYTES);
}

function decodeKey(value: CborValue, place: string): Uint8Array {
  return asBytes(value, place, 1, MAX_DICTIONARY_KEY_BYTES);
}

function encodeSelector(selector: DataSelector, place: string): CborValue {
  switch (selector.model) {
    case "single":
      return [DataModel.Single];
    case "array":
      return [
        DataModel.Array,
        encodeList(selector.ranges, `${place}.ranges`, MAX_ARRAY_RANGES, encodeRange),
      ];
    case "dictionary":
      return [
        DataModel.Dictionary,
        encodeList(selector.keys, `${place}.keys`, MAX_DICTIONARY_KEYS, encodeKey),
      ];
    default:
      throw new OverlayEncodeError(
        `${place}.model: unknown data model ${String((selector as { model: unknown }).model)}`,
      );
  }
}

function decodeSelector(value: CborValue | undefined, place: string): DataSelector {
  const fields = asArray(value, place, 1, 2);
  const model = asCode(fields[0], `${place}.model`, DATA_MODELS);
  if (model === DataModel.Single) {
    asArray(value, place, 1, 1);
    return { model: "single" };
  }
  asArray(value, place, 2, 2);
  return model === DataModel.Array
    ? {
      model: "array",
      ranges: asList(fields[1], `${place}.ranges`, MAX_ARRAY_RANGES, decodeRange),
    }
    : {
      model: "dictionary",
      keys: asList(fields[1], `${place}.keys`, MAX_DICTIONARY_KEYS, decodeKey),
    };
}

/**
 * Encodes `[kind, generation, selector]`, the selector being `[1]`, `[2, [* [first, last]]]` or
 * `[3, [* key]]`.
 *
 * @example
 * ```ts
 * encodeSpecifier({ kind: 20, generation: 0, selector: { model: "single" } }, "spec"); // [20, 0, [1]]
 * ```
 */
export function encodeSpecifier(specifier: StoredDataSpecifier, place: string): CborValue {
  return [
    checkUint(specifier.kind, `${place}.kind`),
    checkUint(specifier.generation, `${place}.generation`),
    encodeSelector(specifier.selector, `${place}.selector`),
  ];
}

export function decodeSpecifier(value: CborValue, place: string): StoredDataSpecifier {
  const [kind, generation, selector] = asArray(value, place, 3, 3);
  return {
    kind: asUint(kind, `${place}.kind`),
    generation: asUint(generation, `${place}.generation`),
    selector: decodeSelector(selector, `${place}.selector`),
  };
}

/** A request of the shape `[code, resource-id, [* specifier]]`: FetchReq and StatReq (RFC 6940 7.4.2, 7.4.3). */
export interface SpecifierRequest<C extends number> {
  readonly code: C;
  readonly resourceId: Uint8Array;
  readonly specifiers: readonly StoredDataSpecifier[];
}

/** The codec of a `[code, resource-id, [* specifier]]` request; FetchReq and StatReq share it. */
export function specifierRequestCodec<C extends number>(
  code: C,
  name: string,
): BodyCodec<SpecifierRequest<C>> {
  return {
    code,
    name,
    encodeFields: (message) => [
      checkId(message.resourceId, `${name}.resourceId`),
      encodeList(message.specifiers, `${name}.specifiers`, MAX_SPECIFIERS, encodeSpecifier),
    ],
    decodeFields(fields, place) {
      asArray(fields, place, 2, 2);
      return {
        code,
        resourceId: asId(fields[0], `${place}.resourceId`),
        specifiers: asList(fields[1], `${place}.specifiers`, MAX_SPECIFIERS, decodeSpecifier),
      };
    },
  };
}
