// RFC 6940 section 6.4.2.4 Leave, with Chord's ChordLeaveData (section 10.9): a leaving peer tells
// each neighbour, so the ring closes at once instead of after a failure timeout. Its predecessor
// gets a from-successor Leave listing the leaving peer's successors; its successor gets a
// from-predecessor Leave listing the leaving peer's predecessors.
import type { BodyCodec } from "../body_codec.ts";
import { MessageCode } from "../constants.ts";
import { asArray, asCode, asList } from "../shape.ts";
import { asId, checkCode, checkId, encodeList } from "./field_checks.ts";
import { decodePeer, encodePeer, type PeerInfo } from "./peer.ts";

/** Most neighbours listed in one Leave. */
export const MAX_LEAVE_NEIGHBORS = 32;

/** RFC 6940 ChordLeaveType: which neighbour of the recipient the leaving peer is. */
export const LeaveType = {
  /** The leaving peer is the recipient's successor; `neighbors` are its successors. */
  FromSuccessor: 1,
  /** The leaving peer is the recipient's predecessor; `neighbors` are its predecessors. */
  FromPredecessor: 2,
} as const;
export type LeaveType = (typeof LeaveType)[keyof typeof LeaveType];
const LEAVE_TYPES: readonly LeaveType[] = [LeaveType.FromSuccessor, LeaveType.FromPredecessor];

export interface LeaveReq {
  readonly code: typeof MessageCode.LeaveReq;
  readonly leavingPeerId: Uint8Array;
  readonly leaveType: LeaveType;
  readonly neighbors: readonly PeerInfo[];
}

export interface LeaveAns {
  readonly code: typeof MessageCode.LeaveAns;
}

/**
 * `[17, leaving-peer-id, leave-type, [* peer]]`.
 *
 * @example
 * ```ts
 * encodeMessageBody({ code: MessageCode.LeaveReq, leavingPeerId: id, leaveType: LeaveType.FromPredecessor, neighbors: [] });
 * ```
 */
export const leaveReqCodec: BodyCodec<LeaveReq> = {
  code: MessageCode.LeaveReq,
  name: "LeaveReq",
  encodeFields: (message) => [
    checkId(message.leavingPeerId, "LeaveReq.leavingPeerId"),
    checkCode(message.leaveType, "LeaveReq.leaveType", LEAVE_TYPES),
    encodeList(message.neighbors, "LeaveReq.neighbors", MAX_LEAVE_NEIGHBORS, encodePeer),
  ],
  decodeFields(fields, place) {
    asArray(fields, place, 3, 3);
    return {
      code: MessageCode.LeaveReq,
      leavingPeerId: asId(fields[0], `${place}.leavingPeerId`),
      leaveType: asCode(fields[1], `${place}.leaveType`, LEAVE_TYPES),
      neighbors: asList(fields[2], `${place}.neighbors`, MAX_LEAVE_NEIGHBORS, decodePeer),
    };
  },
};

/** `[18]`. */
export const leaveAnsCodec: BodyCodec<LeaveAns> = {
  code: MessageCode.LeaveAns,
  name: "LeaveAns",
  encodeFields: () => [],
  decodeFields(fields, place) {
    asArray(fields, place, 0, 0);
    return { code: MessageCode.LeaveAns };
  },
};
