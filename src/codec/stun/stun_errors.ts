import { SuperpeerError } from "../../core/errors.ts";

/**
 * Bytes that are not a valid STUN message, attribute or ChannelData frame. `place` names where:
 * "header", "attribute 3 at byte 44", "XOR-PEER-ADDRESS at byte 52", "channel data header",
 * "stream frame". RFC 8489 section 6.3: a message that fails these checks is silently discarded, so
 * callers count and drop; they never answer it.
 *
 * @example
 * ```ts
 * try { decodeStunMessage(datagram); }
 * catch (e) { if (e instanceof StunDecodeError) metrics.drop(e.place); else throw e; }
 * ```
 */
export class StunDecodeError extends SuperpeerError {
  readonly place: string;

  constructor(place: string, message: string) {
    super("STUN_DECODE", `Cannot decode STUN message: ${place}: ${message}`);
    this.place = place;
  }
}

/**
 * A message that cannot be encoded: a value out of range, text over an RFC limit, or a message
 * larger than the builder's buffer.
 *
 * @example
 * ```ts
 * try { encodeUsername(builder, "x".repeat(600)); }
 * catch (e) { if (e instanceof StunEncodeError) console.log(e.message); }
 * ```
 */
export class StunEncodeError extends SuperpeerError {
  constructor(message: string) {
    super("STUN_ENCODE", `Cannot encode STUN message: ${message}`);
  }
}
