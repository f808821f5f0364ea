// RFC 6940 section 7.4.4 Find: for each kind asked about, the resource id closest to the
// requested one (at or after it on the ring) for which the answering peer stores that kind, or
// null when it stores none. Lets a client enumerate resources of a kind.
import type { BodyCodec } from "../body_codec.ts";
import { MessageCode } from "../constants.ts";
import { asArray, asList, asUint } from "../shape.ts";
import { asId, checkId, checkUint, encodeList } from "./field_checks.ts";

/** Most kinds asked about (and answered) in one Find. */
export const MAX_FIND_KINDS = 16;

export interface FindReq {
  readonly code: typeof MessageCode.FindReq;
  readonly resourceId: Uint8Array;
  readonly kinds: readonly number[];
}

/** RFC 6940 FindKindData. */
export interface FindKindResult {
  readonly kind: number;
  /** The closest resource id holding this kind, or null when the peer stores none. */
  readonly closest: Uint8Array | null;
}

export interface FindAns {
  readonly code: typeof MessageCode.FindAns;
  readonly results: readonly FindKindResult[];
}

/**
 * `[13, resource-id, [* kind]]`.
 *
 * @example
 * ```ts
 * encodeMessageBody({ code: MessageCode.FindReq, resourceId, kinds: [20] });
 * ```
 */
export const findReqCodec: BodyCodec<FindReq> = {
  code: MessageCode.FindReq,
  name: "FindReq",
  encodeFields: (message) => [
    checkId(message.resourceId, "FindReq.resourceId"),
    encodeList(
      message.kinds,
      "FindReq.kinds",
      MAX_FIND_KINDS,
      (kind, place) => checkUint(kind, place),
    ),
  ],
  decodeFields(fields, place) {
    asArray(fields, place, 2, 2);
    return {
      code: MessageCode.FindReq,
      resourceId: asId(fields[0], `${place}.resourceId`),
      kinds: asList(fields[1], `${place}.kinds`, MAX_FIND_KINDS, (kind, at) => asUint(kind, at)),
    };
  },
};

/** `[14, [* [kind, resource-id / null]]]`. */
export const findAnsCodec: BodyCodec<FindAns> = {
  code: MessageCode.FindAns,
  name: "FindAns",
  encodeFields: (message) => [
    encodeList(message.results, "FindAns.results", MAX_FIND_KINDS, (result, place) => [
      checkUint(result.kind, `${place}.kind`),
      result.closest === null ? null : checkId(result.closest, `${place}.closest`),
    ]),
  ],
  decodeFields(fields, place) {
    asArray(fields, place, 1, 1);
    return {
      code: MessageCode.FindAns,
      results: asList(fields[0], `${place}.results`, MAX_FIND_KINDS, (value, at) => {
        const [kind, closest] = asArray(value, at, 2, 2);
        return {
          kind: asUint(kind, `${at}.kind`),
          closest: closest === null ? null : asId(closest, `${at}.closest`),
        };
      }),
    };
  },
};
