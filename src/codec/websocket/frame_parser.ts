/**
 * Reads WebSocket frames from a byte stream (RFC 6455 section 5) and hands out whole messages:
 * fragments are reassembled (section 5.4), control frames between them are handed out as they come
 * (section 5.5), masks are removed (section 5.3), and text is checked to be UTF-8 (section 8.1).
 *
 * Bounded: a message announcing more than `maxMessageBytes` in total is refused before any of its
 * payload is buffered; the message buffer grows to what the message needs (never past the cap) and
 * is dropped after a message larger than 8 KiB, so an idle connection holds at most that. Control
 * frames use a fixed 125-byte buffer, so a ping inside a fragmented message costs nothing.
 *
 * @module
 */
import {
  DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES,
  isValidCloseCode,
  MAX_CONTROL_PAYLOAD_BYTES,
  MAX_WEBSOCKET_HEADER_BYTES,
  MAX_WEBSOCKET_MESSAGE_BYTES,
  WebSocketOpcode,
} from "./constants.ts";
import { isUtf8 } from "./utf8.ts";
import { WebSocketProtocolError } from "./websocket_errors.ts";

/** Limits and role of a WebSocketFrameParser. */
export interface WebSocketFrameParserInit {
  /** Largest message (all its fragments) accepted. @default DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
  /**
   * Whether frames must be masked: true on a server, which reads client frames (RFC 6455 section
   * 5.1); false on a client. @default true
   */
  readonly masked?: boolean;
}

/**
 * Receives what the parser reads. Payloads are views valid only during the call (copy to keep).
 * A handler that throws stops the feed() call; the rest of that chunk is lost.
 */
export interface WebSocketFrameHandlers {
  /** A whole message; `kind` says whether it came as text (already checked to be UTF-8). */
  message(payload: Uint8Array, kind: "text" | "binary"): void;
  /** A ping: answer with a pong carrying the same payload (RFC 6455 section 5.5.2). */
  ping(payload: Uint8Array): void;
  pong(payload: Uint8Array): void;
  /**
   * A close frame, with its status code (undefined when it had none) and reason. The parser reads
   * nothing after it (RFC 6455 section 5.5.1: the close frame is the last one).
   */
  close(code: number | undefined, reason: string): void;
}

/** A message buffer over this size is released once its message is handed out. */
const RETAINED_BUFFER_BYTES = 8 * 1024;
/** The first allocation of the message buffer, unless a frame needs more. */
const INITIAL_BUFFER_BYTES = 1024;

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * One per connection.
 *
 * @example
 * ```ts
 * const parser = new WebSocketFrameParser({ maxMessageBytes: 64 * 1024 });
 * socket.on("data", (chunk) => {
 *   try {
 *     parser.feed(chunk, {
 *       message: (payload, kind) => onSipMessage(payload, kind),
 *       ping: (payload) => socket.write(encodeWebSocketFrame(WebSocketOpcode.Pong, payload)),
 *       pong: () => {},
 *       close: (code) => socket.end(encodeWebSocketClose(code)),
 *     });
 *   } catch (e) {
 *     if (e instanceof WebSocketProtocolError) socket.end(encodeWebSocketClose(e.closeCode));
 *     else throw e;
 *   }
 * });
 * ```
 */
export class WebSocketFrameParser {
  readonly maxMessageBytes: number;
  readonly #masked: boolean;
  readonly #header = new Uint8Array(MAX_WEBSOCKET_HEADER_BYTES);
  #headerFilled = 0;
  /** Header bytes of the frame being read: 2 until the second byte says how many. */
  #headerNeeded = 2;
  #inPayload = false;
  #fin = false;
  #opcode = 0;
  #payloadLength = 0;
  #payloadRead = 0;
  #maskAt = 0;
  readonly #control = new Uint8Array(MAX_CONTROL_PAYLOAD_BYTES);
  /** Text or Binary while a message is open (after its first frame), 0 otherwise. */
  #messageOpcode = 0;
  #messageLength = 0;
  #message: Uint8Array | undefined;
  #closed = false;
  #failure: WebSocketProtocolError | undefined;

  constructor(init: WebSocketFrameParserInit = {}) {
    const max = init.maxMessageBytes ?? DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES;
    if (!Number.isInteger(max) || max < 1 || max > MAX_WEBSOCKET_MESSAGE_BYTES) {
      throw new RangeError(
        `Cannot create a WebSocket frame parser: maxMessageBytes ${max} outside 1-${MAX_WEBSOCKET_MESSAGE_BYTES}`,
      );
    }
    this.maxMessageBytes = max;
    this.#masked = init.masked ?? true;
  }

  /** Bytes held for a message or frame not yet complete. */
  get buffered(): number {
    return this.#messageLength + this.#headerFilled + (this.#inPayload ? this.#payloadRead : 0);
  }

  /** Capacity of the message buffer now allocated (0 when none is). */
  get capacity(): number {
    return this.#message?.length ?? 0;
  }

  /** Whether a close frame was read; later bytes are ignored. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Reads `chunk` (not modified, not kept), calling `handlers` for each message and control frame
   * completed in it.
   *
   * @throws {WebSocketProtocolError} when the frames break RFC 6455 or the cap; the parser then
   *   refuses all further input with the same error
   */
  feed(chunk: Uint8Array, handlers: WebSocketFrameHandlers): void {
    if (this.#failure !== undefined) throw this.#failure;
    let at = 0;
    while (at < chunk.length && !this.#closed) {
      if (!this.#inPayload) {
        const take = Math.min(this.#headerNeeded - this.#headerFilled, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + take), this.#headerFilled);
        this.#headerFilled += take;
        at += take;
        if (this.#headerFilled === 2 && this.#headerNeeded === 2) this.#readFirstBytes();
        if (this.#headerFilled < this.#headerNeeded) continue;
        this.#readLength();
        if (this.#payloadLength > 0) continue;
      } else {
        at = this.#readPayload(chunk, at);
        if (this.#payloadRead < this.#payloadLength) continue;
      }
      this.#finishFrame(handlers);
    }
  }

  #fail(error: WebSocketProtocolError): never {
    this.#failure = error;
    this.#message = undefined;
    throw error;
  }

  /** The first two header bytes: flags, opcode, mask bit, 7-bit length. */
  #readFirstBytes(): void {
    const b0 = this.#header[0]!;
    const b1 = this.#header[1]!;
    this.#fin = (b0 & 0x80) !== 0;
    this.#opcode = b0 & 0x0f;
    // RFC 6455 section 5.2: RSV1-3 MUST be 0 unless an extension says otherwise (none is offered).
    if ((b0 & 0x70) !== 0) {
      this.#fail(
        new WebSocketProtocolError(
          "RESERVED_BITS",
          `reserved bits 0x${(b0 & 0x70).toString(16)} set`,
        ),
      );
    }
    const opcode = this.#opcode;
    const control = (opcode & 0x8) !== 0;
    // RFC 6455 section 5.2: an unknown opcode MUST fail the connection.
    if (control ? opcode > WebSocketOpcode.Pong : opcode > WebSocketOpcode.Binary) {
      this.#fail(
        new WebSocketProtocolError("OPCODE", `opcode 0x${opcode.toString(16)} is reserved`),
      );
    }
    // RFC 6455 section 5.1: a server MUST close on an unmasked client frame (a client on a masked one).
    if (((b1 & 0x80) !== 0) !== this.#masked) {
      this.#fail(
        new WebSocketProtocolError(
          "MASK",
          this.#masked ? "frame is not masked" : "frame is masked",
        ),
      );
    }
    const length7 = b1 & 0x7f;
    if (control) {
      // RFC 6455 section 5.5: control frames MUST NOT be fragmented and carry at most 125 bytes.
      if (!this.#fin) {
        this.#fail(new WebSocketProtocolError("CONTROL_FRAME", "control frame is fragmented"));
      }
      if (length7 > MAX_CONTROL_PAYLOAD_BYTES) {
        this.#fail(
          new WebSocketProtocolError("CONTROL_FRAME", "control frame longer than 125 bytes"),
        );
      }
    } else if (opcode === WebSocketOpcode.Continuation) {
      // RFC 6455 section 5.4: a continuation belongs to a message whose first frame came before.
      if (this.#messageOpcode === 0) {
        this.#fail(new WebSocketProtocolError("FRAGMENT", "continuation frame without a message"));
      }
    } else if (this.#messageOpcode !== 0) {
      this.#fail(new WebSocketProtocolError("FRAGMENT", "new message before the last one ended"));
    }
    this.#headerNeeded = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) +
      (this.#masked ? 4 : 0);
  }

  /** The extended length and mask key, once the whole header is in. */
  #readLength(): void {
    const h = this.#header;
    const length7 = h[1]! & 0x7f;
    let length = length7;
    // RFC 6455 section 5.2: the minimal number of bytes MUST be used to encode the length.
    if (length7 === 126) {
      length = (h[2]! << 8) | h[3]!;
      if (length < 126) {
        this.#fail(new WebSocketProtocolError("LENGTH", `length ${length} in 16 bits`));
      }
    } else if (length7 === 127) {
      const high = ((h[2]! << 24) | (h[3]! << 16) | (h[4]! << 8) | h[5]!) >>> 0;
      const low = ((h[6]! << 24) | (h[7]! << 16) | (h[8]! << 8) | h[9]!) >>> 0;
      // RFC 6455 section 5.2: the most significant bit of a 64-bit length MUST be 0.
      if (high >= 0x80000000) {
        this.#fail(new WebSocketProtocolError("LENGTH", "64-bit length with its top bit set"));
      }
      length = high * 2 ** 32 + low; // may lose precision past 2^53, but is then past any cap
      if (length < 65536) {
        this.#fail(new WebSocketProtocolError("LENGTH", `length ${length} in 64 bits`));
      }
    }
    const control = (this.#opcode & 0x8) !== 0;
    if (!control) {
      const total = this.#messageLength + length;
      if (total > this.maxMessageBytes) {
        this.#fail(
          new WebSocketProtocolError(
            "TOO_BIG",
            `message of at least ${total} bytes is over the ${this.maxMessageBytes}-byte cap`,
          ),
        );
      }
      this.#reserve(total);
      if (this.#opcode !== WebSocketOpcode.Continuation) this.#messageOpcode = this.#opcode;
    }
    this.#maskAt = this.#headerNeeded - 4;
    this.#payloadLength = length;
    this.#payloadRead = 0;
    this.#inPayload = true;
  }

  #reserve(total: number): void {
    const current = this.#message;
    if (current !== undefined && current.length >= total) return;
    const grown = Math.min(
      this.maxMessageBytes,
      Math.max(total, INITIAL_BUFFER_BYTES, (current?.length ?? 0) * 2),
    );
    const next = new Uint8Array(grown);
    if (current !== undefined) next.set(current.subarray(0, this.#messageLength));
    this.#message = next;
  }

  /** Copies (unmasking) as much of the payload as `chunk` holds from `at`; returns the new offset. */
  #readPayload(chunk: Uint8Array, at: number): number {
    const take = Math.min(this.#payloadLength - this.#payloadRead, chunk.length - at);
    const control = (this.#opcode & 0x8) !== 0;
    const target = control ? this.#control : this.#message!;
    const offset = (control ? 0 : this.#messageLength) + this.#payloadRead;
    if (this.#masked) {
      // RFC 6455 section 5.3: octet i of the payload is XORed with octet i mod 4 of the key.
      const h = this.#header;
      const m = this.#maskAt;
      const start = this.#payloadRead;
      for (let i = 0; i < take; i++) {
        target[offset + i] = chunk[at + i]! ^ h[m + ((start + i) & 3)]!;
      }
    } else {
      target.set(chunk.subarray(at, at + take), offset);
    }
    this.#payloadRead += take;
    return at + take;
  }

  #finishFrame(handlers: WebSocketFrameHandlers): void {
    const opcode = this.#opcode;
    const length = this.#payloadLength;
    this.#inPayload = false;
    this.#headerFilled = 0;
    this.#headerNeeded = 2;
    this.#payloadRead = 0;
    if ((opcode & 0x8) !== 0) {
      const payload = this.#control.subarray(0, length);
      if (opcode === WebSocketOpcode.Ping) handlers.ping(payload);
      else if (opcode === WebSocketOpcode.Pong) handlers.pong(payload);
      else this.#readClose(payload, handlers);
      return;
    }
    this.#messageLength += length;
    if (!this.#fin) return;
    const kind = this.#messageOpcode === WebSocketOpcode.Text ? "text" : "binary";
    const message = this.#message!.subarray(0, this.#messageLength);
    this.#messageOpcode = 0;
    this.#messageLength = 0;
    if (this.#message!.length > RETAINED_BUFFER_BYTES) this.#message = undefined;
    // RFC 6455 section 8.1: text that is not UTF-8 MUST fail the connection (code 1007).
    if (kind === "text" && !isUtf8(message)) {
      this.#fail(new WebSocketProtocolError("UTF8", "text message is not UTF-8"));
    }
    handlers.message(message, kind);
  }

  #readClose(payload: Uint8Array, handlers: WebSocketFrameHandlers): void {
    this.#closed = true;
    if (payload.length === 0) {
      handlers.close(undefined, "");
      return;
    }
    // RFC 6455 section 5.5.1: a close body starts with a 2-byte status code.
    if (payload.length === 1) {
      this.#fail(new WebSocketProtocolError("CLOSE_PAYLOAD", "close frame of 1 byte"));
    }
    const code = (payload[0]! << 8) | payload[1]!;
    if (!isValidCloseCode(code)) {
      this.#fail(
        new WebSocketProtocolError("CLOSE_PAYLOAD", `close status code ${code} may not be sent`),
      );
    }
    const reasonBytes = payload.subarray(2);
    if (!isUtf8(reasonBytes)) {
      this.#fail(new WebSocketProtocolError("UTF8", "close reason is not UTF-8"));
    }
    handlers.close(code, decoder.decode(reasonBytes));
  }
}
