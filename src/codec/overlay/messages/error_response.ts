// RFC 6940 section 6.3.3.1 Error Response: the answer to any request that failed, with the
// reason as a section 14.9 error code, a phrase for people and optional machine-readable info
// (e.g. the generation counters for Error_Generation_Counter_Too_Low).
import type { BodyCodec } from "../body_codec.ts";
import { type ErrorCode, MessageCode } from "../constants.ts";
import { asArray, asBytes, asText, asUint } from "../shape.ts";
import { checkBytes, checkText, checkUint } from "./field_checks.ts";

export const MAX_REASON_PHRASE_BYTES = 128;
export const MAX_ERROR_INFO_BYTES = 256;

export interface ErrorResponse {
  readonly code: typeof MessageCode.Error;
  /**
   * One of ErrorCode when this node sends it; any 16-bit code on receipt (a newer peer may send
   * codes this one does not know).
   */
  readonly errorCode: ErrorCode | number;
  readonly reasonPhrase: string;
  readonly errorInfo: Uint8Array;
}

/**
 * `[65535, error-code, reason-phrase, error-info]`.
 *
 * @example
 * ```ts
 * encodeMessageBody({ code: MessageCode.Error, errorCode: ErrorCode.NotFound, reasonPhrase: "x", errorInfo: new Uint8Array(0) });
 * // 84 19 ff ff 03 61 78 40
 * ```
 */
export const errorResponseCodec: BodyCodec<ErrorResponse> = {
  code: MessageCode.Error,
  name: "Error",
  encodeFields: (message) => [
    checkUint(message.errorCode, "Error.errorCode", 0xffff),
    checkText(message.reasonPhrase, "Error.reasonPhrase", 0, MAX_REASON_PHRASE_BYTES),
    checkBytes(message.errorInfo, "Error.errorInfo", 0, MAX_ERROR_INFO_BYTES),
  ],
  decodeFields(fields, place) {
    asArray(fields, place, 3, 3);
    return {
      code: MessageCode.Error,
      errorCode: asUint(fields[0], `${place}.errorCode`, 0xffff),
      reasonPhrase: asText(fields[1], `${place}.reasonPhrase`, MAX_REASON_PHRASE_BYTES),
      errorInfo: asBytes(fields[2], `${place}.errorInfo`, 0, MAX_ERROR_INFO_BYTES),
    };
  },
};
