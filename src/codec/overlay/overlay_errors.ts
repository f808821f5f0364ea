import { SuperpeerError } from "../../core/errors.ts";
import { ErrorCode } from "./constants.ts";

/**
 * Bytes that are not a valid overlay message. `place` names where: a byte offset for CBOR-level
 * faults ("frame byte 17"), a field path for shape faults ("envelope.destinations[2]").
 * `errorCode` is the RELOAD error to answer with, when an answer is possible.
 */
export class OverlayDecodeError extends SuperpeerError {
  readonly place: string;
  readonly errorCode: ErrorCode;

  constructor(place: string, message: string, errorCode: ErrorCode = ErrorCode.InvalidMessage) {
    super("OVERLAY_DECODE", `Cannot decode overlay message: ${place}: ${message}`);
    this.place = place;
    this.errorCode = errorCode;
  }
}

/** A message that cannot be encoded (a field out of range, too large for the format). */
export class OverlayEncodeError extends SuperpeerError {
  constructor(message: string) {
    super("OVERLAY_ENCODE", `Cannot encode overlay message: ${message}`);
  }
}
