// RFC 6940 section 7.4.3 Stat: like Fetch, but answers with metadata (length and SHA-256 hash of
// each value) instead of the values, so a peer can check which replicas it already holds without
// moving the data. The hash is computed by the storage layer, not here.
import type { CborValue } from "../../cbor/cbor_codec.ts";
import type { BodyCodec } from "../body_codec.ts";
import { MessageCode } from "../constants.ts";
import { OverlayEncodeError } from "../overlay_errors.ts";
import { asArray, asBool, asBytes, asCode, asList, asUint } from "../shape.ts";
import { checkBool, checkBytes, checkUint, encodeList } from "./field_checks.ts";
import { type SpecifierRequest, specifierRequestCodec } from "./specifier.ts";
import {
  DATA_MODELS,
  DataModel,
  MAX_DICTIONARY_KEY_BYTES,
  MAX_STORED_DATA_PER_KIND,
} from "./stored_data.ts";

/** Most kinds in one StatAns. */
export const MAX_STAT_KINDS = 16;
/** SHA-256, the only hash the overlay uses (RFC 6940 leaves the algorithm to a field). */
export const STAT_HASH_BYTES = 32;

/** RFC 6940 MetaData of one value in its data model: whether it exists, its length and hash. */
export type StoredValueMeta =
  | {
    readonly model: "single";
    readonly exists: boolean;
    readonly length: number;
    readonly hash: Uint8Array;
  }
  | {
    readonly model: "array";
    readonly index: number;
    readonly exists: boolean;
    readonly length: number;
    readonly hash: Uint8Array;
  }
  | {
    readonly model: "dictionary";
    readonly key: Uint8Array;
    readonly exists: boolean;
    readonly length: number;
    readonly hash: Uint8Array;
  };

/** RFC 6940 StoredMetaData. */
export interface StoredMeta {
  readonly storageTime: number;
  readonly lifetime: number;
  readonly meta: StoredValueMeta;
}

/** RFC 6940 StatKindResponse. */
export interface StatKindResponse {
  readonly kind: number;
  readonly generation: number;
  readonly values: readonly StoredMeta[];
}

export type StatReq = SpecifierRequest<typeof MessageCode.StatReq>;

export interface StatAns {
  readonly code: typeof MessageCode.StatAns;
  readonly kindResponses: readonly StatKindResponse[];
}

function encodeMeta(meta: StoredValueMeta, place: string): CborValue {
  const tail = [
    checkBool(meta.exists, `${place}.exists`),
    checkUint(meta.length, `${place}.length`),
    checkBytes(meta.hash, `${place}.hash`, STAT_HASH_BYTES, STAT_HASH_BYTES),
  ];
  switch (meta.model) {
    case "single":
      return [DataModel.Single, ...tail];
    case "array":
      return [DataModel.Array, checkUint(meta.index, `${place}.index`), ...tail];
    case "dictionary":
      return [
        DataModel.Dictionary,
        checkBytes(meta.key, `${place}.key`, 1, MAX_DICTIONARY_KEY_BYTES),
        ...tail,
      ];
    default:
      throw new OverlayEncodeError(
        `${place}.model: unknown data model ${String((meta as { model: unknown }).model)}`,
      );
  }
}

function decodeMeta(value: CborValue | undefined, place: string): StoredValueMeta {
  const fields = asArray(value, place, 4, 5);
  const model = asCode(fields[0], `${place}.model`, DATA_MODELS);
  asArray(value, place, model === DataModel.Single ? 4 : 5, model === DataModel.Single ? 4 : 5);
  const at = model === DataModel.Single ? 1 : 2;
  const exists = asBool(fields[at], `${place}.exists`);
  const length = asUint(fields[at + 1], `${place}.length`);
  const hash = asBytes(fields[at + 2], `${place}.hash`, STAT_HASH_BYTES, STAT_HASH_BYTES);
  switch (model) {
    case DataModel.Single:
      return { model: "single", exists, length, hash };
    case DataModel.Array:
      return { model: "array", index: asUint(fields[1], `${place}.index`), exists, length, hash };
    case DataModel.Dictionary:
      return {
        model: "dictionary",
        key: asBytes(fields[1], `${place}.key`, 1, MAX_DICTIONARY_KEY_BYTES),
        exists,
        length,
        hash,
      };
  }
}

function encodeStoredMeta(stored: StoredMeta, place: string): CborValue {
  return [
    checkUint(stored.storageTime, `${place}.storageTime`),
    checkUint(stored.lifetime, `${place}.lifetime`),
    encodeMeta(stored.meta, `${place}.meta`),
  ];
}

function decodeStoredMeta(value: CborValue, place: string): StoredMeta {
  const [storageTime, lifetime, meta] = asArray(value, place, 3, 3);
  return {
    storageTime: asUint(storageTime, `${place}.storageTime`),
    lifetime: asUint(lifetime, `${place}.lifetime`),
    meta: decodeMeta(meta, `${place}.meta`),
  };
}

/**
 * `[25, resource-id, [* specifier]]`.
 *
 * @example
 * ```ts
 * encodeMessageBody({ code: MessageCode.StatReq, resourceId, specifiers: [{ kind: 20, generation: 0, selector: { model: "single" } }] });
 * ```
 */
export const statReqCodec: BodyCodec<StatReq> = specifierRequestCodec(
  MessageCode.StatReq,
  "StatReq",
);

/** `[26, [* [kind, generation, [* stored-meta]]]]`. */
export const statAnsCodec: BodyCodec<StatAns> = {
  code: MessageCode.StatAns,
  name: "StatAns",
  encodeFields: (message) => [
    encodeList(
      message.kindResponses,
      "StatAns.kindResponses",
      MAX_STAT_KINDS,
      (response, place) => [
        checkUint(response.kind, `${place}.kind`),
        checkUint(response.generation, `${place}.generation`),
        encodeList(response.values, `${place}.values`, MAX_STORED_DATA_PER_KIND, encodeStoredMeta),
      ],
    ),
  ],
  decodeFields(fields, place) {
    asArray(fields, place, 1, 1);
    return {
      code: MessageCode.StatAns,
      kindResponses: asList(fields[0], `${place}.kindResponses`, MAX_STAT_KINDS, (value, at) => {
        const [kind, generation, values] = asArray(value, at, 3, 3);
        return {
          kind: asUint(kind, `${at}.kind`),
          generation: asUint(generation, `${at}.generation`),
          values: asList(values, `${at}.values`, MAX_STORED_DATA_PER_KIND, decodeStoredMeta),
        };
      }),
    };
  },
};
