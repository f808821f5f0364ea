// RFC 6940 section 6.4.2.3 Join, with the Chord rules of section 10.5: a joining peer asks the
// peer that will become its successor (the admitting peer) to take it into the ring. The
// overlay-specific data is opaque here; the topology plug-in gives it meaning.
import type { BodyCodec } from "../body_codec.ts";
import { MessageCode } from "../constants.ts";
import { asArray, asBytes } from "../shape.ts";
import { asId, checkBytes, checkId } from "./field_checks.ts";

/** Largest overlay-specific data in Join and RouteQuery messages. */
export const MAX_OVERLAY_DATA_BYTES = 1024;

export interface JoinReq {
  readonly code: typeof MessageCode.JoinReq;
  /** Node id of the peer asking to join (RFC 6940 joining_peer_id). */
  readonly joiningPeerId: Uint8Array;
  readonly overlayData: Uint8Array;
}

export interface JoinAns {
  readonly code: typeof MessageCode.JoinAns;
  readonly overlayData: Uint8Array;
}

/**
 * `[15, joining-peer-id, overlay-data]`.
 *
 * @example
 * ```ts
 * encodeMessageBody({ code: MessageCode.JoinReq, joiningPeerId: id, overlayData: new Uint8Array(0) });
 * ```
 */
export const joinReqCodec: BodyCodec<JoinReq> = {
  code: MessageCode.JoinReq,
  name: "JoinReq",
  encodeFields: (message) => [
    checkId(message.joiningPeerId, "JoinReq.joiningPeerId"),
    checkBytes(message.overlayData, "JoinReq.overlayData", 0, MAX_OVERLAY_DATA_BYTES),
  ],
  decodeFields(fields, place) {
    asArray(fields, place, 2, 2);
    return {
      code: MessageCode.JoinReq,
      joiningPeerId: asId(fields[0], `${place}.joiningPeerId`),
      overlayData: asBytes(fields[1], `${place}.overlayData`, 0, MAX_OVERLAY_DATA_BYTES),
    };
  },
};

/** `[16, overlay-data]`. */
export const joinAnsCodec: BodyCodec<JoinAns> = {
  code: MessageCode.JoinAns,
  name: "JoinAns",
  encodeFields: (
    message,
  ) => [checkBytes(message.overlayData, "JoinAns.overlayData", 0, MAX_OVERLAY_DATA_BYTES)],
  decodeFields(fields, place) {
    asArray(fields, place, 1, 1);
    return {
      code: MessageCode.JoinAns,
      overlayData: asBytes(fields[0], `${place}.overlayData`, 0, MAX_OVERLAY_DATA_BYTES),
    };
  },
};
