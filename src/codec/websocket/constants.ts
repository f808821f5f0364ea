/**
 * Numbers of the WebSocket protocol (RFC 6455) as SIP uses it (RFC 7118): opcodes, close codes,
 * header sizes and the limits this codec enforces. Every file in this directory takes its numbers
 * from here.
 *
 * @module
 */

/** RFC 6455 section 1.3: appended to Sec-WebSocket-Key before hashing into Sec-WebSocket-Accept. */
export const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** RFC 6455 section 4.1: the only protocol version a server speaks (Sec-WebSocket-Version). */
export const WEBSOCKET_VERSION = "13";

/** RFC 7118 section 4.1: the subprotocol token of SIP over WebSocket. */
export const SIP_SUBPROTOCOL = "sip";

/** RFC 6455 section 4.1: a Sec-WebSocket-Key is the base64 of this many random bytes. */
export const WEBSOCKET_KEY_BYTES = 16;

/** RFC 6455 section 5.2 opcodes (the four bits in the low half of a frame's first byte). */
export const WebSocketOpcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;
export type WebSocketOpcode = (typeof WebSocketOpcode)[keyof typeof WebSocketOpcode];

/**
 * RFC 6455 section 7.4.1 status codes (and 1012-1014 from the IANA registry it set up) that this
 * codebase sends or names.
 */
export const WebSocketCloseCode = {
  /** The purpose of the connection was fulfilled. */
  Normal: 1000,
  /** The server is going down or the peer went away. */
  GoingAway: 1001,
  /** A frame broke the protocol. */
  ProtocolError: 1002,
  /** A message type the endpoint cannot accept. */
  UnsupportedData: 1003,
  /** Reserved: a close frame without a status code reports it as this (never on the wire). */
  NoStatus: 1005,
  /** Reserved: the connection ended without a close frame (never on the wire). */
  Abnormal: 1006,
  /** Text that is not UTF-8 (RFC 6455 section 8.1). */
  InvalidPayload: 1007,
  /** A message the endpoint's policy refuses. */
  PolicyViolation: 1008,
  /** A message larger than the endpoint accepts. */
  MessageTooBig: 1009,
  /** The server met a condition it did not expect (a handler threw). */
  InternalError: 1011,
} as const;
export type WebSocketCloseCode = (typeof WebSocketCloseCode)[keyof typeof WebSocketCloseCode];

/** RFC 6455 section 5.2: a frame header is 2 bytes, plus 2 or 8 for the length, plus 4 for a mask. */
export const MAX_WEBSOCKET_HEADER_BYTES = 14;

/** RFC 6455 section 5.5: a control frame's payload is at most 125 bytes. */
export const MAX_CONTROL_PAYLOAD_BYTES = 125;

/** A close frame's reason: the control payload minus its 2-byte status code (RFC 6455 section 5.5.1). */
export const MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD_BYTES - 2;

/**
 * Default cap on one reassembled message. RFC 7118 carries one SIP message per WebSocket message;
 * 64 KiB is the largest a SIP message over UDP could be, and well above what browsers send.
 */
export const DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES = 64 * 1024;

/** Largest cap the parser accepts: 16 MiB, far past any SIP message, and a safe integer. */
export const MAX_WEBSOCKET_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Whether `code` may appear in a close frame (RFC 6455 section 7.4): the defined codes other than
 * the three reserved for local use (1005, 1006, 1015), the IANA-registered 1012-1014, and the
 * ranges for libraries (3000-3999) and applications (4000-4999).
 *
 * @example
 * ```ts
 * isValidCloseCode(1000); // true
 * isValidCloseCode(1005); // false: reserved, never sent
 * ```
 */
export function isValidCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}
