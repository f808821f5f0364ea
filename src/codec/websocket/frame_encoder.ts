/**
 * Writes WebSocket frames (RFC 6455 section 5.2). A server sends them unmasked (section 5.1); the
 * mask option exists for clients and tests.
 *
 * @module
 */
import {
  isValidCloseCode,
  MAX_CLOSE_REASON_BYTES,
  MAX_CONTROL_PAYLOAD_BYTES,
  WebSocketOpcode,
} from "./constants.ts";

/** Options of encodeWebSocketFrame(). */
export interface EncodeWebSocketFrameOptions {
  /** False for every fragment of a message but the last. @default true */
  readonly fin?: boolean;
  /** Four bytes to mask the payload with (client frames); unmasked when absent (server frames). */
  readonly maskKey?: Uint8Array;
}

const OPCODES: ReadonlySet<number> = new Set(Object.values(WebSocketOpcode));
const encoder = new TextEncoder();

/**
 * One frame: header (with the shortest length form, RFC 6455 section 5.2) and payload, in a new
 * array the caller owns. A string payload is written as UTF-8.
 *
 * @throws {RangeError} for an unknown opcode, a control frame that is fragmented or longer than
 *   125 bytes (section 5.5), or a mask key that is not 4 bytes
 *
 * @example
 * ```ts
 * socket.write(encodeWebSocketFrame(WebSocketOpcode.Text, "SIP/2.0 200 OK\r\n..."));
 * ```
 */
export function encodeWebSocketFrame(
  opcode: WebSocketOpcode,
  payload: Uint8Array | string,
  options: EncodeWebSocketFrameOptions = {},
): Uint8Array {
  if (!OPCODES.has(opcode)) {
    throw new RangeError(`Cannot encode a WebSocket frame: opcode ${opcode} is not defined`);
  }
  const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
  const fin = options.fin ?? true;
  if ((opcode & 0x8) !== 0 && (!fin || bytes.length > MAX_CONTROL_PAYLOAD_BYTES)) {
    throw new RangeError(
      `Cannot encode a WebSocket control frame: it must be unfragmented and at most ${MAX_CONTROL_PAYLOAD_BYTES} bytes`,
    );
  }
  const mask = options.maskKey;
  if (mask !== undefined && mask.length !== 4) {
    throw new RangeError(
      `Cannot encode a WebSocket frame: mask key of ${mask.length} bytes, not 4`,
    );
  }
  const length = bytes.length;
  const extended = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const headerBytes = 2 + extended + (mask === undefined ? 0 : 4);
  const frame = new Uint8Array(headerBytes + length);
  frame[0] = (fin ? 0x80 : 0) | opcode;
  const maskBit = mask === undefined ? 0 : 0x80;
  if (extended === 0) {
    frame[1] = maskBit | length;
  } else if (extended === 2) {
    frame[1] = maskBit | 126;
    frame[2] = length >>> 8;
    frame[3] = length & 0xff;
  } else {
    frame[1] = maskBit | 127;
    const view = new DataView(frame.buffer);
    view.setUint32(2, Math.floor(length / 2 ** 32));
    view.setUint32(6, length >>> 0);
  }
  if (mask === undefined) {
    frame.set(bytes, headerBytes);
  } else {
    frame.set(mask, headerBytes - 4);
    for (let i = 0; i < length; i++) frame[headerBytes + i] = bytes[i]! ^ mask[i & 3]!;
  }
  return frame;
}

/**
 * A close frame (RFC 6455 section 5.5.1): no payload when `code` is absent, otherwise the status
 * code and an optional UTF-8 reason of at most 123 bytes.
 *
 * @throws {RangeError} for a code that may not be sent (1005, 1006, 1015, out of range) or a reason
 *   that is too long or given without a code
 *
 * @example
 * ```ts
 * socket.end(encodeWebSocketClose(WebSocketCloseCode.GoingAway, "server shutting down"));
 * ```
 */
export function encodeWebSocketClose(
  code?: number,
  reason = "",
  options: Pick<EncodeWebSocketFrameOptions, "maskKey"> = {},
): Uint8Array {
  if (code === undefined) {
    if (reason !== "") {
      throw new RangeError("Cannot encode a WebSocket close frame: a reason needs a status code");
    }
    return encodeWebSocketFrame(WebSocketOpcode.Close, new Uint8Array(0), options);
  }
  // RFC 6455 section 7.4.1: 1005, 1006 and 1015 MUST NOT be set as a status code in a close frame.
  if (!Number.isInteger(code) || !isValidCloseCode(code)) {
    throw new RangeError(
      `Cannot encode a WebSocket close frame: status code ${code} may not be sent`,
    );
  }
  const text = encoder.encode(reason);
  if (text.length > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(
      `Cannot encode a WebSocket close frame: reason of ${text.length} bytes, over ${MAX_CLOSE_REASON_BYTES}`,
    );
  }
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return encodeWebSocketFrame(WebSocketOpcode.Close, payload, options);
}
