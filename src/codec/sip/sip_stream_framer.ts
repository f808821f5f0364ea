/**
 * Cuts SIP messages out of a TCP, TLS or WebSocket-less stream (RFC 3261 section 18.3): the header
 * fields end at the first empty line, and Content-Length, which a stream message MUST carry, gives
 * the body. CRLFs between messages are skipped (section 7.5); each CRLF CRLF is reported as an
 * RFC 5626 section 4.4.1 keep-alive ping, which the caller answers with a single CRLF (pong).
 *
 * Bounded: a message (header fields and body) over `maxMessageBytes` is refused before its body is
 * buffered. A message wholly inside one chunk is handed out as a view of the chunk; only a message
 * split across chunks is copied into a buffer that starts at 4 KiB and doubles up to the limit.
 *
 * @module
 */
import {
  DEFAULT_MAX_SIP_MESSAGE_BYTES,
  DEFAULT_MAX_SIP_STREAM_MESSAGE_BYTES,
} from "./constants.ts";
import { SipParseError } from "./sip_errors.ts";

/** Limits of a SipStreamFramer. */
export interface SipStreamFramerInit {
  /** Largest message, header fields and body. @default DEFAULT_MAX_SIP_STREAM_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
}

/** Receives each whole message: a view valid only during the call (parse or copy it). */
export type SipMessageHandler = (message: Uint8Array) => void;

/** Called once per CRLF CRLF keep-alive ping received between messages. */
export type SipKeepAliveHandler = () => void;

const CR = 0x0d;
const LF = 0x0a;
const PLACE = "stream";
const INITIAL_BUFFER_BYTES = 4096;

/**
 * One per stream connection.
 *
 * @example
 * ```ts
 * const framer = new SipStreamFramer({ maxMessageBytes: 16384 });
 * socket.on("data", (chunk) => {
 *   try {
 *     framer.feed(chunk, (bytes) => onMessage(parseSipMessage(bytes)), () => socket.write("\r\n"));
 *   } catch (e) {
 *     if (e instanceof SipParseError) socket.destroy(); else throw e;
 *   }
 * });
 * ```
 */
export class SipStreamFramer {
  readonly maxMessageBytes: number;
  #buffer: Uint8Array | undefined;
  #filled = 0;
  /** Bytes of the buffer already searched for the end of the header fields. */
  #scanned = 0;
  /** CRLFs seen in a row between messages, not yet reported. */
  #crlfs = 0;
  /** A CR ended the last chunk between messages. */
  #pendingCr = false;
  #failure: SipParseError | undefined;

  constructor(init: SipStreamFramerInit = {}) {
    const max = init.maxMessageBytes ?? DEFAULT_MAX_SIP_STREAM_MESSAGE_BYTES;
    if (!Number.isInteger(max) || max < 64 || max > DEFAULT_MAX_SIP_MESSAGE_BYTES) {
      throw new RangeError(
        `Cannot create a SIP stream framer: maxMessageBytes ${max} outside 64-${DEFAULT_MAX_SIP_MESSAGE_BYTES}`,
      );
    }
    this.maxMessageBytes = max;
  }

  /** Bytes of an incomplete message held from earlier chunks. */
  get buffered(): number {
    return this.#filled;
  }

  /** Drops any partial message and a past refusal. */
  reset(): void {
    this.#filled = 0;
    this.#scanned = 0;
    this.#crlfs = 0;
    this.#pendingCr = false;
    this.#failure = undefined;
  }

  /**
   * Takes the next chunk and calls `onMessage` once per completed message, in order, and
   * `onKeepAlive` per ping. Throws SipParseError ("STREAM" or "TOO_LARGE") when a message has no
   * usable Content-Length or exceeds the limit: the stream is out of step for good (close it), and
   * every later feed() throws the same error until reset().
   */
  feed(chunk: Uint8Array, onMessage: SipMessageHandler, onKeepAlive?: SipKeepAliveHandler): void {
    if (this.#failure !== undefined) throw this.#failure;
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      if (this.#filled === 0) {
        pos = this.#skipCrlfs(chunk, pos, n, onKeepAlive);
        if (pos >= n) return;
        const total = this.#messageLength(chunk, pos, n, 0);
        if (total > 0 && n - pos >= total) {
          const message = chunk.subarray(pos, pos + total);
          pos += total;
          this.#deliver(onMessage, message);
          continue;
        }
        this.#store(chunk.subarray(pos), total);
        return;
      }
      // Complete the buffered message with as much of the chunk as it can need.
      const buffer = this.#buffer!;
      const known = this.#messageLength(buffer, 0, this.#filled, this.#scanned);
      const room = (known > 0 ? known : this.maxMessageBytes) - this.#filled;
      const take = Math.min(room, n - pos);
      this.#append(chunk.subarray(pos, pos + take));
      pos += take;
      const total = known > 0
        ? known
        : this.#messageLength(this.#buffer!, 0, this.#filled, this.#scanned);
      if (total > 0 && this.#filled >= total) {
        // The buffer may hold bytes past this message: give them back to the chunk loop.
        const extra = this.#filled - total;
        pos -= extra;
        this.#filled = 0;
        this.#scanned = 0;
        this.#deliver(onMessage, this.#buffer!.subarray(0, total));
      } else if (total === 0) {
        if (this.#filled >= this.maxMessageBytes) {
          this.#fail("TOO_LARGE", `header fields longer than ${this.maxMessageBytes} bytes`);
        }
        this.#scanned = this.#filled;
      }
    }
  }

  /** Skips CRLFs before a message, reporting each CRLF CRLF pair as a ping. */
  #skipCrlfs(bytes: Uint8Array, pos: number, n: number, onKeepAlive?: SipKeepAliveHandler): number {
    while (pos < n) {
      const b = bytes[pos]!;
      if (this.#pendingCr) {
        if (b !== LF) this.#fail("STREAM", "CR without LF between messages");
        this.#pendingCr = false;
        pos++;
        if (++this.#crlfs === 2) {
          this.#crlfs = 0;
          onKeepAlive?.();
        }
      } else if (b === CR) {
        this.#pendingCr = true;
        pos++;
      } else if (b === LF) {
        this.#fail("STREAM", "LF without CR between messages");
      } else {
        this.#crlfs = 0;
        return pos;
      }
    }
    return pos;
  }

  /**
   * Length of the message starting at bytes[pos] (header fields, empty line, body), or 0 when its
   * header fields have not all arrived; throws (and poisons the framer) when they have and carry
   * no valid Content-Length, or when the message is over the limit.
   */
  #messageLength(bytes: Uint8Array, pos: number, end: number, scanFrom: number): number {
    let i = Math.max(pos, pos + scanFrom - 3);
    let headEnd = -1;
    for (i = bytes.indexOf(CR, i); i >= 0 && i + 3 < end; i = bytes.indexOf(CR, i + 1)) {
      if (bytes[i + 1] === LF && bytes[i + 2] === CR && bytes[i + 3] === LF) {
        headEnd = i;
        break;
      }
    }
    if (headEnd < 0) {
      if (end - pos > this.maxMessageBytes) {
        this.#fail("TOO_LARGE", `header fields longer than ${this.maxMessageBytes} bytes`);
      }
      return 0;
    }
    const length = contentLength(bytes, pos, headEnd);
    if (length === -1) {
      this.#fail("CONTENT_LENGTH", "no Content-Length on a stream (RFC 3261 18.3)");
    }
    if (length === -2) this.#fail("CONTENT_LENGTH", "malformed or repeated Content-Length");
    const total = headEnd + 4 - pos + length;
    if (total > this.maxMessageBytes) {
      this.#fail(
        "TOO_LARGE",
        `message of ${total} bytes exceeds the ${this.maxMessageBytes}-byte limit`,
      );
    }
    return total;
  }

  /** Starts buffering a partial message. */
  #store(bytes: Uint8Array, known: number): void {
    this.#filled = 0;
    this.#scanned = 0;
    this.#append(bytes);
    if (known === 0) this.#scanned = this.#filled;
  }

  #append(bytes: Uint8Array): void {
    const need = this.#filled + bytes.length;
    if (this.#buffer === undefined || this.#buffer.length < need) {
      let size = this.#buffer?.length ?? INITIAL_BUFFER_BYTES;
      while (size < need) size *= 2;
      const grown = new Uint8Array(Math.min(size, Math.max(need, this.maxMessageBytes)));
      if (this.#buffer !== undefined) grown.set(this.#buffer.subarray(0, this.#filled));
      this.#buffer = grown;
    }
    this.#buffer.set(bytes, this.#filled);
    this.#filled = need;
  }

  #deliver(onMessage: SipMessageHandler, message: Uint8Array): void {
    try {
      onMessage(message);
    } catch (error) {
      this.#filled = 0;
      this.#failure = new SipParseError(
        "STREAM",
        PLACE,
        "a message handler threw; the stream lost its place",
      );
      throw error;
    }
  }

  #fail(reason: "STREAM" | "TOO_LARGE" | "CONTENT_LENGTH", message: string): never {
    this.#filled = 0;
    this.#failure = new SipParseError(reason, PLACE, message);
    throw this.#failure;
  }
}

/**
 * Content-Length (or "l") among the header lines in bytes[start, end): its value, -1 when absent,
 * -2 when malformed or repeated. Works on bytes: names are ASCII tokens, the value ASCII digits.
 */
function contentLength(bytes: Uint8Array, start: number, end: number): number {
  let found = -1;
  let line = bytes.indexOf(LF, start) + 1; // skip the start line
  while (line > 0 && line < end) {
    let next = bytes.indexOf(LF, line);
    if (next < 0 || next > end) next = end;
    const nameLength = matchName(bytes, line);
    if (nameLength > 0) {
      // the value may continue on folded lines
      let valueEnd = next;
      while (valueEnd + 1 < end && (bytes[valueEnd + 1] === 0x20 || bytes[valueEnd + 1] === 0x09)) {
        const more = bytes.indexOf(LF, valueEnd + 1);
        valueEnd = more < 0 || more > end ? end : more;
      }
      if (found !== -1) return -2;
      found = digitsBetween(bytes, line + nameLength, valueEnd);
      if (found < 0) return -2;
      next = valueEnd;
    }
    line = next + 1;
  }
  return found;
}

const NAME = [0x63, 0x6f, 0x6e, 0x74, 0x65, 0x6e, 0x74, 0x2d, 0x6c, 0x65, 0x6e, 0x67, 0x74, 0x68]; // content-length

/** Length of "Content-Length" or "l" plus whitespace and the colon at bytes[i], else 0. */
function matchName(bytes: Uint8Array, i: number): number {
  let j = i;
  if ((bytes[i]! | 0x20) === 0x6c) {
    j = i + 1;
  } else {
    for (let k = 0; k < NAME.length; k++) if ((bytes[i + k]! | 0x20) !== NAME[k]) return 0;
    j = i + NAME.length;
  }
  while (bytes[j] === 0x20 || bytes[j] === 0x09) j++;
  return bytes[j] === 0x3a ? j + 1 - i : 0;
}

/** The digits between whitespace (and CRLFs of folding) in bytes[from, to), or -1. */
function digitsBetween(bytes: Uint8Array, from: number, to: number): number {
  let value = -1;
  let done = false;
  for (let i = from; i < to; i++) {
    const b = bytes[i]!;
    if (b >= 0x30 && b <= 0x39) {
      if (done || value > 99_999_999) return -1;
      value = (value < 0 ? 0 : value * 10) + (b - 0x30);
    } else if (b === 0x20 || b === 0x09 || b === CR || b === LF) {
      if (value >= 0) done = true;
    } else {
      return -1;
    }
  }
  return value;
}
