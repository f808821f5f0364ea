// RFC 6940 section 7.2 data models and section 7.4.1 StoredData: one stored value with its
// storage time, lifetime and the storing user's signature, and the kind-data list that groups
// stored values by kind. Unlike RELOAD, each value names its data model (single, array,
// dictionary) on the wire, so a value decodes without the kind's configuration at hand; the
// storage layer checks that the model matches the kind.
import { type CborValue, encodeCbor } from "../../cbor/cbor_codec.ts";
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from "../constants.ts";
import { asArray, asBool, asBytes, asCode, asList, asUint } from "../shape.ts";
import { OverlayEncodeError } from "../overlay_errors.ts";
import { checkBool, checkBytes, checkId, checkUint, encodeList } from "./field_checks.ts";

/** Largest stored value (RFC 6940 leaves this to the kind's max-size; this caps every kind). */
export const MAX_STORED_DATA_BYTES = 8192;
/** Longest dictionary key (RFC 6940 DictionaryKey is opaque<0..2^16-1>; ours is 1 to 255 bytes). */
export const MAX_DICTIONARY_KEY_BYTES = 255;
/** Most stored values of one kind in one message. */
export const MAX_STORED_DATA_PER_KIND = 256;

/** Data model codes on the wire (RFC 6940 section 7.2). */
export const DataModel = {
  Single: 1,
  Array: 2,
  Dictionary: 3,
} as const;
export type DataModel = (typeof DataModel)[keyof typeof DataModel];
export const DATA_MODELS: readonly DataModel[] = [
  DataModel.Single,
  DataModel.Array,
  DataModel.Dictionary,
];

/**
 * A stored value in one of RFC 6940's data models. `exists: false` marks a deleted value (RFC 6940
 * section 7.2.1: nonexistence, as opposed to emptiness).
 */
export type StoredValue =
  | { readonly model: "single"; readonly exists: boolean; readonly data: Uint8Array }
  | {
    readonly model: "array";
    readonly index: number;
    readonly exists: boolean;
    readonly data: Uint8Array;
  }
  | {
    readonly model: "dictionary";
    readonly key: Uint8Array;
    readonly exists: boolean;
    readonly data: Uint8Array;
  };

/** Ed25519 signature by the storing user over encodeStoredDataToBeSigned(). */
export interface StoredDataSignature {
  /** The signer's raw Ed25519 public key. */
  readonly signerKey: Uint8Array;
  readonly sig: Uint8Array;
}

export interface StoredData {
  /** When the value was stored, seconds since the Unix epoch; newer replaces older. */
  readonly storageTime: number;
  /** Seconds the value has left to live; decreases as copies move between peers. */
  readonly lifetime: number;
  readonly value: StoredValue;
  readonly signature: StoredDataSignature;
}

/** RFC 6940 StoreKindData / FetchKindResponse: the values of one kind at a resource. */
export interface KindData {
  readonly kind: number;
  /** RFC 6940 generation_counter. */
  readonly generation: number;
  readonly values: readonly StoredData[];
}

/** Encodes a value as `[1, exists, data]`, `[2, index, exists, data]` or `[3, key, exists, data]`. */
export function encodeStoredValue(value: StoredValue, place: string): CborValue {
  const exists = checkBool(value.exists, `${place}.exists`);
  const data = checkBytes(value.data, `${place}.data`, 0, MAX_STORED_DATA_BYTES);
  switch (value.model) {
    case "single":
      return [DataModel.Single, exists, data];
    case "array":
      return [DataModel.Array, checkUint(value.index, `${place}.index`), exists, data];
    case "dictionary":
      return [
        DataModel.Dictionary,
        checkBytes(value.key, `${place}.key`, 1, MAX_DICTIONARY_KEY_BYTES),
        exists,
        data,
      ];
    default:
      throw new OverlayEncodeError(
        `${place}.model: unknown data model ${String((value as { model: unknown }).model)}`,
      );
  }
}

export function decodeStoredValue(value: CborValue, place: string): StoredValue {
  const fields = asArray(value, place, 3, 4);
  const model = asCode(fields[0], `${place}.model`, DATA_MODELS);
  if (model === DataModel.Single) {
    asArray(value, place, 3, 3);
    return {
      model: "single",
      exists: asBool(fields[1], `${place}.exists`),
      data: asBytes(fields[2], `${place}.data`, 0, MAX_STORED_DATA_BYTES),
    };
  }
  asArray(value, place, 4, 4);
  const exists = asBool(fields[2], `${place}.exists`);
  const data = asBytes(fields[3], `${place}.data`, 0, MAX_STORED_DATA_BYTES);
  return model === DataModel.Array
    ? { model: "array", index: asUint(fields[1], `${place}.index`), exists, data }
    : {
      model: "dictionary",
      key: asBytes(fields[1], `${place}.key`, 1, MAX_DICTIONARY_KEY_BYTES),
      exists,
      data,
    };
}

/** Encodes `[storage-time, lifetime, value, [signer-key, sig]]`. */
export function encodeStoredData(stored: StoredData, place: string): CborValue {
  return [
    checkUint(stored.storageTime, `${place}.storageTime`),
    checkUint(stored.lifetime, `${place}.lifetime`),
    encodeStoredValue(stored.value, `${place}.value`),
    [
      checkBytes(
        stored.signature.signerKey,
        `${place}.signature.signerKey`,
        PUBLIC_KEY_BYTES,
        PUBLIC_KEY_BYTES,
      ),
      checkBytes(stored.signature.sig, `${place}.signature.sig`, SIGNATURE_BYTES, SIGNATURE_BYTES),
    ],
  ];
}

export function decodeStoredData(value: CborValue, place: string): StoredData {
  const [storageTime, lifetime, stored, signature] = asArray(value, place, 4, 4);
  const [signerKey, sig] = asArray(signature, `${place}.signature`, 2, 2);
  return {
    storageTime: asUint(storageTime, `${place}.storageTime`),
    lifetime: asUint(lifetime, `${place}.lifetime`),
    value: decodeStoredValue(stored!, `${place}.value`),
    signature: {
      signerKey: asBytes(
        signerKey,
        `${place}.signature.signerKey`,
        PUBLIC_KEY_BYTES,
        PUBLIC_KEY_BYTES,
      ),
      sig: asBytes(sig, `${place}.signature.sig`, SIGNATURE_BYTES, SIGNATURE_BYTES),
    },
  };
}

/** Encodes `[kind, generation, [* stored-data]]`. */
export function encodeKindData(kindData: KindData, place: string): CborValue {
  return [
    checkUint(kindData.kind, `${place}.kind`),
    checkUint(kindData.generation, `${place}.generation`),
    encodeList(kindData.values, `${place}.values`, MAX_STORED_DATA_PER_KIND, encodeStoredData),
  ];
}

export function decodeKindData(value: CborValue, place: string): KindData {
  const [kind, generation, values] = asArray(value, place, 3, 3);
  return {
    kind: asUint(kind, `${place}.kind`),
    generation: asUint(generation, `${place}.generation`),
    values: asList(values, `${place}.values`, MAX_STORED_DATA_PER_KIND, decodeStoredData),
  };
}

/**
 * The bytes the storing user signs for one stored value (RFC 6940 section 7.1: the signature
 * covers the resource id, kind, storage time and value): `[resource-id, kind, storage-time, value]`.
 * The lifetime is left out because it shrinks as copies move between peers. The signature domain
 * prefix is added by identity/signatures.ts (SignatureDomain.StoredData).
 *
 * @example
 * ```ts
 * const tbs = encodeStoredDataToBeSigned(resourceId, 20, now, { model: "single", exists: true, data });
 * const sig = signInDomain(privateKey, SignatureDomain.StoredData, tbs);
 * ```
 */
export function encodeStoredDataToBeSigned(
  resourceId: Uint8Array,
  kind: number,
  storageTime: number,
  value: StoredValue,
): Uint8Array {
  return encodeCbor([
    checkId(resourceId, "storedData.resourceId"),
    checkUint(kind, "storedData.kind"),
    checkUint(storageTime, "storedData.storageTime"),
    encodeStoredValue(value, "storedData.value"),
  ]);
}
