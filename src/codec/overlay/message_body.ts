import { type CborValue, CborValueError, decodeCbor, encodeCbor } from "../cbor/cbor_codec.ts";
import { CborFormatError } from "../cbor/cbor_subset.ts";
import type { BodyCodec } from "./body_codec.ts";
import { BODY_CBOR_LIMITS } from "./cbor_limits.ts";
import { ErrorCode } from "./constants.ts";
import {
  type AppAttachAns,
  appAttachAnsCodec,
  type AppAttachReq,
  appAttachReqCodec,
} from "./messages/app_attach.ts";
import {
  type ConfigUpdateAns,
  configUpdateAnsCodec,
  type ConfigUpdateReq,
  configUpdateReqCodec,
} from "./messages/config_update.ts";
import { type ErrorResponse, errorResponseCodec } from "./messages/error_response.ts";
import { type FetchAns, fetchAnsCodec, type FetchReq, fetchReqCodec } from "./messages/fetch.ts";
import { type FindAns, findAnsCodec, type FindReq, findReqCodec } from "./messages/find.ts";
import { type JoinAns, joinAnsCodec, type JoinReq, joinReqCodec } from "./messages/join.ts";
import { type LeaveAns, leaveAnsCodec, type LeaveReq, leaveReqCodec } from "./messages/leave.ts";
import { type PingAns, pingAnsCodec, type PingReq, pingReqCodec } from "./messages/ping.ts";
import {
  type RouteQueryAns,
  routeQueryAnsCodec,
  type RouteQueryReq,
  routeQueryReqCodec,
} from "./messages/route_query.ts";
import { type StatAns, statAnsCodec, type StatReq, statReqCodec } from "./messages/stat.ts";
import { type StoreAns, storeAnsCodec, type StoreReq, storeReqCodec } from "./messages/store.ts";
import {
  type UpdateAns,
  updateAnsCodec,
  type UpdateReq,
  updateReqCodec,
} from "./messages/update.ts";
import { OverlayDecodeError, OverlayEncodeError } from "./overlay_errors.ts";
import { asArray, asUint } from "./shape.ts";

/** Every overlay message body, discriminated by its RFC 6940 message code. */
export type MessageBody =
  | StoreReq
  | StoreAns
  | FetchReq
  | FetchAns
  | FindReq
  | FindAns
  | JoinReq
  | JoinAns
  | LeaveReq
  | LeaveAns
  | UpdateReq
  | UpdateAns
  | RouteQueryReq
  | RouteQueryAns
  | PingReq
  | PingAns
  | StatReq
  | StatAns
  | AppAttachReq
  | AppAttachAns
  | ConfigUpdateReq
  | ConfigUpdateAns
  | ErrorResponse;

// deno-lint-ignore no-explicit-any -- the map is keyed by code; each entry's type matches its code
const CODECS = new Map<number, BodyCodec<any>>();
function register<M extends MessageBody>(codec: BodyCodec<M>): void {
  CODECS.set(codec.code, codec);
}
register(storeReqCodec);
register(storeAnsCodec);
register(fetchReqCodec);
register(fetchAnsCodec);
register(findReqCodec);
register(findAnsCodec);
register(joinReqCodec);
register(joinAnsCodec);
register(leaveReqCodec);
register(leaveAnsCodec);
register(updateReqCodec);
register(updateAnsCodec);
register(routeQueryReqCodec);
register(routeQueryAnsCodec);
register(pingReqCodec);
register(pingAnsCodec);
register(statReqCodec);
register(statAnsCodec);
register(appAttachReqCodec);
register(appAttachAnsCodec);
register(configUpdateReqCodec);
register(configUpdateAnsCodec);
register(errorResponseCodec);

/** The codec for a message code, or undefined for a code this node does not know. */
export function bodyCodecFor(code: number): BodyCodec<MessageBody> | undefined {
  return CODECS.get(code);
}

/** Names of every known message, by code (for logs, metrics and the bench). */
export function messageName(code: number): string {
  return CODECS.get(code)?.name ?? `Unknown(${code})`;
}

/**
 * Encodes a message body as `[code, ...fields]`.
 *
 * @example
 * ```ts
 * encodeMessageBody({ code: MessageCode.PingReq, padding: new Uint8Array(0) }); // 82 17 40
 * ```
 */
export function encodeMessageBody(body: MessageBody): Uint8Array {
  const codec = CODECS.get(body.code);
  if (codec === undefined) throw new OverlayEncodeError(`unknown message code ${body.code}`);
  try {
    return encodeCbor([body.code, ...codec.encodeFields(body)]);
  } catch (error) {
    if (error instanceof CborValueError) throw new OverlayEncodeError(error.message);
    throw error;
  }
}

/** Decodes a message body; unknown codes and malformed fields are OverlayDecodeErrors. */
export function decodeMessageBody(bytes: Uint8Array): MessageBody {
  let value: CborValue;
  try {
    value = decodeCbor(bytes, BODY_CBOR_LIMITS);
  } catch (error) {
    if (error instanceof CborFormatError) {
      throw new OverlayDecodeError(`body byte ${error.offset}`, error.message);
    }
    throw error;
  }
  const array = asArray(value, "body", 1, BODY_CBOR_LIMITS.maxArrayItems);
  const code = asUint(array[0], "body.code", 0xffff);
  const codec = CODECS.get(code);
  if (codec === undefined) {
    throw new OverlayDecodeError(
      "body.code",
      `unknown message code ${code}`,
      ErrorCode.InvalidMessage,
    );
  }
  return codec.decodeFields(array.slice(1), codec.name) as MessageBody;
}

/**
 * The message code of encoded body bytes without decoding the body: routing needs to know whether a
 * message is a request or an answer before its signature is checked. Undefined when the bytes do
 * not start like a body (a full decode would refuse them anyway).
 */
export function peekMessageCode(body: Uint8Array): number | undefined {
  const head = body[0];
  if (head === undefined || head < 0x81 || head > 0x98) return undefined;
  const at = head === 0x98 ? 2 : 1;
  const first = body[at];
  if (first === undefined) return undefined;
  if (first < 0x18) return first;
  if (first === 0x18) return body[at + 1];
  if (first === 0x19 && body.length >= at + 3) return (body[at + 1]! << 8) | body[at + 2]!;
  return undefined;
}
