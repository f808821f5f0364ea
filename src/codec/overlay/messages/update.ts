// RFC 6940 section 6.4.2.5 Update, with Chord's ChordUpdate (section 10.7): a peer tells a
// neighbour it is ready to route (peer-ready), sends its neighbour table (neighbors), or its
// neighbour and finger tables (full). The uptime lets the recipient prefer long-lived peers.
import type { BodyCodec } from "../body_codec.ts";
import { MessageCode } from "../constants.ts";
import { OverlayDecodeError, OverlayEncodeError } from "../overlay_errors.ts";
import { asArray, asCode, asList, asUint } from "../shape.ts";
import { checkCode, checkUint, encodeList } from "./field_checks.ts";
import { decodePeer, encodePeer, type PeerInfo } from "./peer.ts";

export const MAX_UPDATE_PREDECESSORS = 32;
export const MAX_UPDATE_SUCCESSORS = 32;
/** Chord keeps one finger per bit of the id space: 128 for 16-byte node ids. */
export const MAX_UPDATE_FINGERS = 128;

/** RFC 6940 ChordUpdateType. */
export const UpdateType = {
  /** The sender is ready to receive messages; no tables. */
  PeerReady: 1,
  /** Predecessors and successors; no fingers. */
  Neighbors: 2,
  /** Predecessors, successors and fingers. */
  Full: 3,
} as const;
export type UpdateType = (typeof UpdateType)[keyof typeof UpdateType];
const UPDATE_TYPES: readonly UpdateType[] = [
  UpdateType.PeerReady,
  UpdateType.Neighbors,
  UpdateType.Full,
];

export interface UpdateReq {
  readonly code: typeof MessageCode.UpdateReq;
  /** Seconds the sender has been up. */
  readonly uptime: number;
  readonly updateType: UpdateType;
  /** Empty unless updateType is neighbors or full. */
  readonly predecessors: readonly PeerInfo[];
  /** Empty unless updateType is neighbors or full. */
  readonly successors: readonly PeerInfo[];
  /** Empty unless updateType is full. */
  readonly fingers: readonly PeerInfo[];
}

export interface UpdateAns {
  readonly code: typeof MessageCode.UpdateAns;
}

/** Which lists must be empty for an update type (RFC 6940 selects them by type). */
function mustBeEmpty(type: UpdateType): ReadonlyArray<"predecessors" | "successors" | "fingers"> {
  if (type === UpdateType.PeerReady) return ["predecessors", "successors", "fingers"];
  if (type === UpdateType.Neighbors) return ["fingers"];
  return [];
}

/**
 * `[19, uptime, update-type, [* peer], [* peer], [* peer]]`.
 *
 * @example
 * ```ts
 * encodeMessageBody({ code: MessageCode.UpdateReq, uptime: 60, updateType: UpdateType.PeerReady, predecessors: [], successors: [], fingers: [] });
 * ```
 */
export const updateReqCodec: BodyCodec<UpdateReq> = {
  code: MessageCode.UpdateReq,
  name: "UpdateReq",
  encodeFields(message) {
    const type = checkCode(message.updateType, "UpdateReq.updateType", UPDATE_TYPES);
    for (const list of mustBeEmpty(type)) {
      if (message[list].length > 0) {
        throw new OverlayEncodeError(`UpdateReq.${list}: must be empty for update type ${type}`);
      }
    }
    return [
      checkUint(message.uptime, "UpdateReq.uptime"),
      type,
      encodeList(
        message.predecessors,
        "UpdateReq.predecessors",
        MAX_UPDATE_PREDECESSORS,
        encodePeer,
      ),
      encodeList(message.successors, "UpdateReq.successors", MAX_UPDATE_SUCCESSORS, encodePeer),
      encodeList(message.fingers, "UpdateReq.fingers", MAX_UPDATE_FINGERS, encodePeer),
    ];
  },
  decodeFields(fields, place) {
    asArray(fields, place, 5, 5);
    const message: UpdateReq = {
      code: MessageCode.UpdateReq,
      uptime: asUint(fields[0], `${place}.uptime`),
      updateType: asCode(fields[1], `${place}.updateType`, UPDATE_TYPES),
      predecessors: asList(fields[2], `${place}.predecessors`, MAX_UPDATE_PREDECESSORS, decodePeer),
      successors: asList(fields[3], `${place}.successors`, MAX_UPDATE_SUCCESSORS, decodePeer),
      fingers: asList(fields[4], `${place}.fingers`, MAX_UPDATE_FINGERS, decodePeer),
    };
    for (const list of mustBeEmpty(message.updateType)) {
      if (message[list].length > 0) {
        throw new OverlayDecodeError(
          `${place}.${list}`,
          `must be empty for update type ${message.updateType}`,
        );
      }
    }
    return message;
  },
};

/** `[20]`. */
export const updateAnsCodec: BodyCodec<UpdateAns> = {
  code: MessageCode.UpdateAns,
  name: "UpdateAns",
  encodeFields: () => [],
  decodeFields(fields, place) {
    asArray(fields, place, 0, 0);
    return { code: MessageCode.UpdateAns };
  },
};
