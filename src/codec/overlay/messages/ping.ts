// RFC 6940 section 6.5.3 Ping: reachability and liveness. PingAns carries a random response id
// and the answering node's clock, which lets peers notice clock skew (the replay window needs
// roughly synchronised clocks).
import type { BodyCodec } from "../body_codec.ts";
import { MessageCode } from "../constants.ts";
import { OverlayEncodeError } from "../overlay_errors.ts";
import { asArray, asBytes, asUint } from "../shape.ts";

/** Ping requests may be padded to probe the path MTU; no more than this. */
export const MAX_PING_PADDING_BYTES = 1024;

export interface PingReq {
  readonly code: typeof MessageCode.PingReq;
  readonly padding: Uint8Array;
}

export interface PingAns {
  readonly code: typeof MessageCode.PingAns;
  /** Random value chosen by the answering node (RFC 6940 response_id). */
  readonly responseId: number;
  /** The answering node's clock, seconds since the Unix epoch. */
  readonly time: number;
}

export const pingReqCodec: BodyCodec<PingReq> = {
  code: MessageCode.PingReq,
  name: "PingReq",
  encodeFields(message) {
    if (message.padding.length > MAX_PING_PADDING_BYTES) {
      throw new OverlayEncodeError("ping padding too long");
    }
    return [message.padding];
  },
  decodeFields(fields, place) {
    asArray(fields, place, 1, 1);
    return {
      code: MessageCode.PingReq,
      padding: asBytes(fields[0], `${place}.padding`, 0, MAX_PING_PADDING_BYTES),
    };
  },
};

export const pingAnsCodec: BodyCodec<PingAns> = {
  code: MessageCode.PingAns,
  name: "PingAns",
  encodeFields: (message) => [message.responseId, message.time],
  decodeFields(fields, place) {
    asArray(fields, place, 2, 2);
    return {
      code: MessageCode.PingAns,
      responseId: asUint(fields[0], `${place}.responseId`),
      time: asUint(fields[1], `${place}.time`),
    };
  },
};
