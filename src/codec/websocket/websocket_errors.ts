import { SuperpeerError } from "../../core/errors.ts";
import { WebSocketCloseCode } from "./constants.ts";

/**
 * Why received frames break RFC 6455, as a stable string for metrics and tests:
 * - `MASK`: a client frame without a mask, or a server frame with one (section 5.1);
 * - `RESERVED_BITS`: RSV1-3 set without a negotiated extension (section 5.2);
 * - `OPCODE`: a reserved opcode (section 5.2);
 * - `LENGTH`: a length not in its minimal form, or a 64-bit length with its top bit set (5.2);
 * - `CONTROL_FRAME`: a fragmented control frame, or one with more than 125 bytes (section 5.5);
 * - `FRAGMENT`: a continuation with no message open, or a new message before the last one's end
 *   (section 5.4);
 * - `CLOSE_PAYLOAD`: a close frame of one byte or with a status code that may not be sent (7.4);
 * - `UTF8`: a text message or close reason that is not UTF-8 (section 8.1);
 * - `TOO_BIG`: a message past the configured cap.
 */
export type WebSocketProtocolErrorReason =
  | "MASK"
  | "RESERVED_BITS"
  | "OPCODE"
  | "LENGTH"
  | "CONTROL_FRAME"
  | "FRAGMENT"
  | "CLOSE_PAYLOAD"
  | "UTF8"
  | "TOO_BIG";

/**
 * Frames that break RFC 6455. The endpoint fails the connection (section 7.1.7): it sends a close
 * frame with `closeCode` (1002 protocol error, 1007 bad UTF-8, 1009 too big) and closes.
 *
 * @example
 * ```ts
 * try { parser.feed(chunk, handlers); }
 * catch (e) {
 *   if (!(e instanceof WebSocketProtocolError)) throw e;
 *   socket.end(encodeWebSocketClose(e.closeCode));
 * }
 * ```
 */
export class WebSocketProtocolError extends SuperpeerError {
  readonly reason: WebSocketProtocolErrorReason;
  readonly closeCode: WebSocketCloseCode;

  constructor(reason: WebSocketProtocolErrorReason, message: string) {
    super("WEBSOCKET_PROTOCOL", `Cannot read WebSocket frame: ${message}`);
    this.reason = reason;
    this.closeCode = closeCodeFor(reason);
  }
}

function closeCodeFor(reason: WebSocketProtocolErrorReason): WebSocketCloseCode {
  switch (reason) {
    case "UTF8":
      return WebSocketCloseCode.InvalidPayload;
    case "TOO_BIG":
      return WebSocketCloseCode.MessageTooBig;
    default:
      return WebSocketCloseCode.ProtocolError;
  }
}

/**
 * Why an upgrade request is refused, as a stable string for metrics and tests:
 * - `METHOD`: not a GET (RFC 6455 section 4.2.1 item 1);
 * - `HEADER`: HTTP older than 1.1, Host missing, or Upgrade / Connection without the websocket /
 *   Upgrade token (items 1-4);
 * - `KEY`: Sec-WebSocket-Key missing or not the base64 of 16 bytes;
 * - `VERSION`: Sec-WebSocket-Version missing or not 13 (answer 426 with the version we speak);
 * - `SUBPROTOCOL`: no subprotocol the server speaks was offered (RFC 7118 requires "sip");
 * - `ORIGIN`: an Origin outside the allowed list;
 * - `PATH`: a request target other than the listener's path.
 */
export type WebSocketHandshakeErrorReason =
  | "METHOD"
  | "HEADER"
  | "KEY"
  | "VERSION"
  | "SUBPROTOCOL"
  | "ORIGIN"
  | "PATH";

/**
 * An HTTP request that cannot be upgraded to a WebSocket. `status` is the HTTP response to send
 * (400, 403, 404, 405 or 426); `encodeWebSocketRefusal(error)` builds it.
 *
 * @example
 * ```ts
 * try { acceptWebSocketUpgrade(request, { subprotocols: ["sip"] }); }
 * catch (e) {
 *   if (e instanceof WebSocketHandshakeError) socket.end(encodeWebSocketRefusal(e));
 *   else throw e;
 * }
 * ```
 */
export class WebSocketHandshakeError extends SuperpeerError {
  readonly reason: WebSocketHandshakeErrorReason;
  readonly status: number;

  constructor(reason: WebSocketHandshakeErrorReason, message: string) {
    super("WEBSOCKET_HANDSHAKE", `Cannot upgrade to WebSocket: ${message}`);
    this.reason = reason;
    this.status = statusFor(reason);
  }
}

function statusFor(reason: WebSocketHandshakeErrorReason): number {
  switch (reason) {
    case "METHOD":
      return 405;
    case "VERSION":
      return 426; // RFC 6455 section 4.4: Upgrade Required, with the versions we speak
    case "ORIGIN":
      return 403; // RFC 6455 section 4.2.2 item 4
    case "PATH":
      return 404;
    default:
      return 400;
  }
}
