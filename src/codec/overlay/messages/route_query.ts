// RFC 6940 section 6.4.2.6 RouteQuery, with Chord's route query (section 10.8): asks a peer which
// peer it would forward a message for `destination` to, without sending the message; used for
// diagnostics and to fill finger tables. With send-update the answering peer also sends an Update.
import type { BodyCodec } from "../body_codec.ts";
import { MessageCode } from "../constants.ts";
import { decodeDestination, type Destination } from "../destination.ts";
import { asArray, asBool, asBytes } from "../shape.ts";
import { checkBool, checkBytes, encodeDestinationAt } from "./field_checks.ts";
import { MAX_OVERLAY_DATA_BYTES } from "./join.ts";
import { decodePeer, encodePeer, type PeerInfo } from "./peer.ts";

export interface RouteQueryReq {
  readonly code: typeof MessageCode.RouteQueryReq;
  /** Whether the answering peer should also send an Update to the requester. */
  readonly sendUpdate: boolean;
  readonly destination: Destination;
  readonly overlayData: Uint8Array;
}

export interface RouteQueryAns {
  readonly code: typeof MessageCode.RouteQueryAns;
  /** The peer the answering peer would forward to next. */
  readonly nextPeer: PeerInfo;
}

/**
 * `[21, send-update, destination, overlay-data]`.
 *
 * @example
 * ```ts
 * encodeMessageBody({ code: MessageCode.RouteQueryReq, sendUpdate: false, destination: { type: "resource", id }, overlayData: new Uint8Array(0) });
 * ```
 */
export const routeQueryReqCodec: BodyCodec<RouteQueryReq> = {
  code: MessageCode.RouteQueryReq,
  name: "RouteQueryReq",
  encodeFields: (message) => [
    checkBool(message.sendUpdate, "RouteQueryReq.sendUpdate"),
    encodeDestinationAt(message.destination, "RouteQueryReq.destination"),
    checkBytes(message.overlayData, "RouteQueryReq.overlayData", 0, MAX_OVERLAY_DATA_BYTES),
  ],
  decodeFields(fields, place) {
    asArray(fields, place, 3, 3);
    return {
      code: MessageCode.RouteQueryReq,
      sendUpdate: asBool(fields[0], `${place}.sendUpdate`),
      destination: decodeDestination(fields[1]!, `${place}.destination`),
      overlayData: asBytes(fields[2], `${place}.overlayData`, 0, MAX_OVERLAY_DATA_BYTES),
    };
  },
};

/** `[22, next-peer]`. */
export const routeQueryAnsCodec: BodyCodec<RouteQueryAns> = {
  code: MessageCode.RouteQueryAns,
  name: "RouteQueryAns",
  encodeFields: (message) => [encodePeer(message.nextPeer, "RouteQueryAns.nextPeer")],
  decodeFields(fields, place) {
    asArray(fields, place, 1, 1);
    return {
      code: MessageCode.RouteQueryAns,
      nextPeer: decodePeer(fields[0]!, `${place}.nextPeer`),
    };
  },
};
