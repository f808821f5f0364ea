// RFC 6940 section 7.4.2 Fetch: reads values of one or more kinds at a resource. The answer
// carries, per kind, the generation counter and the selected values (a kind whose generation
// equals the requested one comes back without values).
import type { BodyCodec } from "../body_codec.ts";
import { MessageCode } from "../constants.ts";
import { asArray, asList } from "../shape.ts";
import { encodeList } from "./field_checks.ts";
import { type SpecifierRequest, specifierRequestCodec } from "./specifier.ts";
import { decodeKindData, encodeKindData, type KindData } from "./stored_data.ts";

/** Most kinds in one FetchAns. */
export const MAX_FETCH_KINDS = 16;

export type FetchReq = SpecifierRequest<typeof MessageCode.FetchReq>;

export interface FetchAns {
  readonly code: typeof MessageCode.FetchAns;
  /** RFC 6940 FetchKindResponse list. */
  readonly kindData: readonly KindData[];
}

/**
 * `[9, resource-id, [* specifier]]`.
 *
 * @example
 * ```ts
 * encodeMessageBody({ code: MessageCode.FetchReq, resourceId, specifiers: [{ kind: 20, generation: 0, selector: { model: "single" } }] });
 * ```
 */
export const fetchReqCodec: BodyCodec<FetchReq> = specifierRequestCodec(
  MessageCode.FetchReq,
  "FetchReq",
);

/** `[10, [* kind-data]]`. */
export const fetchAnsCodec: BodyCodec<FetchAns> = {
  code: MessageCode.FetchAns,
  name: "FetchAns",
  encodeFields: (
    message,
  ) => [encodeList(message.kindData, "FetchAns.kindData", MAX_FETCH_KINDS, encodeKindData)],
  decodeFields(fields, place) {
    asArray(fields, place, 1, 1);
    return {
      code: MessageCode.FetchAns,
      kindData: asList(fields[0], `${place}.kindData`, MAX_FETCH_KINDS, decodeKindData),
    };
  },
};
