// RFC 6940 section 7.4.1 Store: writes values of one or more kinds at a resource. The responsible
// peer answers with each kind's new generation counter and the peers it replicated to; a peer
// storing replicas sends the same request with replica-number 1, 2, ... (RFC 6940 7.4.1.1).
import type { BodyCodec } from "../body_codec.ts";
import { MessageCode } from "../constants.ts";
import { asArray, asList, asUint } from "../shape.ts";
import { asId, checkId, checkUint, encodeList } from "./field_checks.ts";
import { decodeKindData, encodeKindData, type KindData } from "./stored_data.ts";

/** Most kinds written or answered in one Store. */
export const MAX_STORE_KINDS = 16;
/** Most replica peers listed per kind in a StoreAns. */
export const MAX_STORE_REPLICAS = 8;

export interface StoreReq {
  readonly code: typeof MessageCode.StoreReq;
  readonly resourceId: Uint8Array;
  /** 0 for the original store, n for the n-th replica (RFC 6940 replica_number, uint8). */
  readonly replicaNumber: number;
  readonly kindData: readonly KindData[];
}

/** RFC 6940 StoreKindResponse. */
export interface StoreKindResponse {
  readonly kind: number;
  /** The kind's generation counter after the store. */
  readonly generation: number;
  /** Node ids of the peers holding replicas. */
  readonly replicas: readonly Uint8Array[];
}

export interface StoreAns {
  readonly code: typeof MessageCode.StoreAns;
  readonly kindResponses: readonly StoreKindResponse[];
}

/**
 * `[7, resource-id, replica-number, [* kind-data]]`.
 *
 * @example
 * ```ts
 * encodeMessageBody({ code: MessageCode.StoreReq, resourceId, replicaNumber: 0, kindData: [{ kind: 20, generation: 0, values }] });
 * ```
 */
export const storeReqCodec: BodyCodec<StoreReq> = {
  code: MessageCode.StoreReq,
  name: "StoreReq",
  encodeFields: (message) => [
    checkId(message.resourceId, "StoreReq.resourceId"),
    checkUint(message.replicaNumber, "StoreReq.replicaNumber", 0xff),
    encodeList(message.kindData, "StoreReq.kindData", MAX_STORE_KINDS, encodeKindData),
  ],
  decodeFields(fields, place) {
    asArray(fields, place, 3, 3);
    return {
      code: MessageCode.StoreReq,
      resourceId: asId(fields[0], `${place}.resourceId`),
      replicaNumber: asUint(fields[1], `${place}.replicaNumber`, 0xff),
      kindData: asList(fields[2], `${place}.kindData`, MAX_STORE_KINDS, decodeKindData),
    };
  },
};

/** `[8, [* [kind, generation, [* node-id]]]]`. */
export const storeAnsCodec: BodyCodec<StoreAns> = {
  code: MessageCode.StoreAns,
  name: "StoreAns",
  encodeFields: (message) => [
    encodeList(
      message.kindResponses,
      "StoreAns.kindResponses",
      MAX_STORE_KINDS,
      (response, place) => [
        checkUint(response.kind, `${place}.kind`),
        checkUint(response.generation, `${place}.generation`),
        encodeList(response.replicas, `${place}.replicas`, MAX_STORE_REPLICAS, checkId),
      ],
    ),
  ],
  decodeFields(fields, place) {
    asArray(fields, place, 1, 1);
    return {
      code: MessageCode.StoreAns,
      kindResponses: asList(fields[0], `${place}.kindResponses`, MAX_STORE_KINDS, (value, at) => {
        const [kind, generation, replicas] = asArray(value, at, 3, 3);
        return {
          kind: asUint(kind, `${at}.kind`),
          generation: asUint(generation, `${at}.generation`),
          replicas: asList(replicas, `${at}.replicas`, MAX_STORE_REPLICAS, asId),
        };
      }),
    };
  },
};
