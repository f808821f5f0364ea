/**
 * Reassembles STUN messages and ChannelData frames from a TCP or TLS byte stream (RFC 8489 section
 * 6.2.2, RFC 8656 section 12.5): the first two bits say which (00 STUN, 01 ChannelData); a STUN
 * frame is 20 + its length field, a ChannelData frame 4 + its length padded to a multiple of 4.
 *
 * Bounded: one buffer of `maxFrameBytes`, allocated the first time a frame is split across chunks
 * (many connections never split one, and then cost nothing); a frame announcing more is refused with
 * StunDecodeError before any of its body is buffered. Frames wholly inside a chunk are handed out as
 * views of the chunk without copying; only a frame split across chunks is copied into the buffer.
 * Lengths are computed in full precision (no 16-bit wraparound of 4 + 65535, coturn#1837), and the
 * loop runs until the chunk is used up, so several frames per chunk are all delivered (pjsip#999).
 *
 * @module
 */
import {
  CHANNEL_DATA_HEADER_BYTES,
  DEFAULT_MAX_STREAM_FRAME_BYTES,
  MAX_STUN_MESSAGE_BYTES,
  STUN_HEADER_BYTES,
  STUN_MAGIC_COOKIE,
} from "./constants.ts";
import { StunDecodeError } from "./stun_errors.ts";

/** Limits of a StunStreamFramer. */
export interface StunStreamFramerInit {
  /**
   * Largest frame accepted (STUN message or padded ChannelData frame), and the buffer size.
   * @default DEFAULT_MAX_STREAM_FRAME_BYTES
   */
  readonly maxFrameBytes?: number;
}

/**
 * Receives each whole frame: a view valid only during the call (copy it to keep it). It should not
 * throw; if it does, the rest of that chunk is lost and the framer refuses further input.
 */
export type StunFrameHandler = (frame: Uint8Array) => void;

const PLACE = "stream frame";
/** Both kinds carry their length in bytes 2-3. */
const LENGTH_FIELD_END = 4;

/**
 * One per stream connection.
 *
 * @example
 * ```ts
 * const framer = new StunStreamFramer({ maxFrameBytes: 4096 });
 * socket.on("data", (chunk) => {
 *   try {
 *     framer.feed(chunk, (frame) => isChannelData(frame) ? onChannelData(frame) : onStun(frame));
 *   } catch (e) {
 *     if (e instanceof StunDecodeError) socket.destroy(); else throw e;
 *   }
 * });
 * ```
 */
export class StunStreamFramer {
  readonly maxFrameBytes: number;
  /** Allocated on the first split frame, then kept. */
  #buffer: Uint8Array | undefined;
  #filled = 0;
  #failure: StunDecodeError | undefined;

  constructor(init: StunStreamFramerInit = {}) {
    const max = init.maxFrameBytes ?? DEFAULT_MAX_STREAM_FRAME_BYTES;
    if (!Number.isInteger(max) || max < STUN_HEADER_BYTES || max > MAX_STUN_MESSAGE_BYTES) {
      throw new RangeError(
        `Cannot create a stream framer: maxFrameBytes ${max} outside 20-${MAX_STUN_MESSAGE_BYTES}`,
      );
    }
    this.maxFrameBytes = max;
  }

  /** Bytes of an incomplete frame held from earlier chunks. */
  get buffered(): number {
    return this.#filled;
  }

  /** Drops any partial frame and a past refusal. */
  reset(): void {
    this.#filled = 0;
    this.#failure = undefined;
  }

  /**
   * Takes the next chunk of the stream and calls `onFrame` once per completed frame, in order.
   * Throws StunDecodeError when the stream is not STUN/ChannelData framing or announces a frame over
   * `maxFrameBytes`; the stream is then out of step for good (close the connection), and every
   * later feed() throws the same error until reset().
   */
  feed(chunk: Uint8Array, onFrame: StunFrameHandler): void {
    if (this.#failure !== undefined) throw this.#failure;
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      if (this.#filled === 0) {
        const need = this.#frameLength(chunk, pos, n);
        if (need > 0 && n - pos >= need) {
          const frame = chunk.subarray(pos, pos + need);
          pos += need;
          this.#deliver(onFrame, frame);
          continue;
        }
        // An incomplete frame: shorter than `need` (at most maxFrameBytes) or than its length field.
        this.#buffer ??= new Uint8Array(this.maxFrameBytes);
        this.#buffer.set(pos === 0 ? chunk : chunk.subarray(pos), 0);
        this.#filled = n - pos;
        return;
      }
      const buffer = this.#buffer!;
      const known = this.#frameLength(buffer, 0, this.#filled);
      const wanted = (known > 0 ? known : LENGTH_FIELD_END) - this.#filled;
      const take = Math.min(wanted, n - pos);
      buffer.set(chunk.subarray(pos, pos + take), this.#filled);
      this.#filled += take;
      pos += take;
      // Again with more bytes: the length field may have arrived, and the STUN cookie is checked.
      const need = this.#frameLength(buffer, 0, this.#filled);
      if (need > 0 && this.#filled === need) {
        this.#filled = 0;
        this.#deliver(onFrame, buffer.subarray(0, need));
      }
    }
  }

  /**
   * Length of the frame starting at `bytes[pos]`, or 0 when its length field has not arrived yet;
   * throws (and poisons the framer) on bytes that cannot start a frame.
   */
  #frameLength(bytes: Uint8Array, pos: number, end: number): number {
    const available = end - pos;
    const kind = bytes[pos]! & 0xc0;
    if (kind !== 0x00 && kind !== 0x40) {
      // RFC 8656 section 12.5: over a stream only STUN (00) and ChannelData (01) are framed
      this.#fail(`first byte 0x${bytes[pos]!.toString(16)} starts neither STUN nor ChannelData`);
    }
    if (available < LENGTH_FIELD_END) return 0;
    const length = (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
    let total: number;
    if (kind === 0x00) {
      if (length % 4 !== 0) {
        // RFC 8489 section 5: the message length is a multiple of 4
        this.#fail(`STUN length ${length} is not a multiple of 4`);
      }
      if (available >= 8) {
        const cookie = ((bytes[pos + 4]! << 24) | (bytes[pos + 5]! << 16) |
          (bytes[pos + 6]! << 8) | bytes[pos + 7]!) >>> 0;
        if (cookie !== STUN_MAGIC_COOKIE) this.#fail(`magic cookie 0x${cookie.toString(16)}`);
      }
      total = STUN_HEADER_BYTES + length;
    } else {
      // RFC 8656 section 12.5: over TCP and TLS the ChannelData frame is padded to 4 bytes
      total = CHANNEL_DATA_HEADER_BYTES + ((length + 3) & ~3);
    }
    if (total > this.maxFrameBytes) {
      this.#fail(`frame of ${total} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
    }
    return total;
  }

  #deliver(onFrame: StunFrameHandler, frame: Uint8Array): void {
    try {
      onFrame(frame);
    } catch (error) {
      this.#filled = 0;
      this.#failure = new StunDecodeError(
        PLACE,
        "a frame handler threw; the stream lost its place",
      );
      throw error;
    }
  }

  #fail(message: string): never {
    this.#filled = 0;
    this.#failure = new StunDecodeError(PLACE, message);
    throw this.#failure;
  }
}
