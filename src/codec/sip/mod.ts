/**
 * The SIP wire codec (RFC 3261 sections 7, 18.3, 19, 20 and 25; RFC 3581 rport; RFC 5626 CRLF
 * keep-alives): pure functions and classes over bytes and text, no I/O, no timers. The internal
 * character classes (sip_syntax.ts) stay out of this list.
 *
 * @example
 * ```ts
 * import { parseSipMessage, serializeSipMessage, SipParseError } from "../codec/sip/mod.ts";
 * ```
 *
 * @module
 */
export * from "./constants.ts";
export {
  SipParseError,
  type SipParseErrorOptions,
  type SipParseErrorReason,
} from "./sip_errors.ts";
export { canonicalHeaderName, headerKey, SipHeaders } from "./sip_headers.ts";
export { SipMessage, type SipRequestInit, type SipResponseInit } from "./sip_message.ts";
export {
  isCrlfKeepAlive,
  isSipMessage,
  parseSipMessage,
  type ParseSipMessageOptions,
} from "./parse_sip_message.ts";
export { serializeSipMessage } from "./serialize_sip_message.ts";
export {
  type SipKeepAliveHandler,
  type SipMessageHandler,
  SipStreamFramer,
  type SipStreamFramerInit,
} from "./sip_stream_framer.ts";
export { parseSipUri, serializeSipUri, type SipUri, type TelUri, uriScheme } from "./sip_uri.ts";
export { type NameAddr, parseNameAddr, serializeNameAddr } from "./name_addr.ts";
export {
  getParam,
  hasParam,
  parseHeaderParams,
  serializeHeaderParams,
  type SipParam,
} from "./header_params.ts";
export { hasRfc3261Branch, parseVia, serializeVia, type Via } from "./via.ts";
export { type CSeq, parseCSeq, serializeCSeq } from "./cseq.ts";
export {
  parseCallId,
  parseContentLength,
  parseDeltaSeconds,
  parseMaxForwards,
  parseSipDate,
} from "./scalar_headers.ts";
export { quote, unquote } from "./sip_syntax.ts";
