/**
 * The WebSocket wire codec (RFC 6455) for SIP over WebSocket (RFC 7118): the server's opening
 * handshake, a bounded incremental frame parser, the frame encoder. Pure: no I/O, no timers.
 *
 * @example
 * ```ts
 * import { acceptWebSocketUpgrade, WebSocketFrameParser } from "../codec/websocket/mod.ts";
 * ```
 *
 * @module
 */
export * from "./constants.ts";
export {
  WebSocketHandshakeError,
  type WebSocketHandshakeErrorReason,
  WebSocketProtocolError,
  type WebSocketProtocolErrorReason,
} from "./websocket_errors.ts";
export {
  acceptWebSocketUpgrade,
  type AcceptWebSocketUpgradeOptions,
  computeWebSocketAccept,
  encodeWebSocketRefusal,
  encodeWebSocketUpgradeResponse,
  type WebSocketUpgrade,
  type WebSocketUpgradeRequest,
} from "./handshake.ts";
export {
  type WebSocketFrameHandlers,
  WebSocketFrameParser,
  type WebSocketFrameParserInit,
} from "./frame_parser.ts";
export {
  encodeWebSocketClose,
  encodeWebSocketFrame,
  type EncodeWebSocketFrameOptions,
} from "./frame_encoder.ts";
export { isUtf8 } from "./utf8.ts";
