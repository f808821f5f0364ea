/**
 * The CSeq header (RFC 3261 sections 8.1.1.5, 20.16 and 25.1): a sequence number and a method.
 *
 * @module
 */
import { MAX_CSEQ } from "./constants.ts";
import { SipParseError } from "./sip_errors.ts";
import { isToken, isWs, skipWs, trimWs } from "./sip_syntax.ts";

/** A parsed CSeq value. */
export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/**
 * Parses `1*DIGIT LWS Method`. Leading zeros are allowed ("0009", RFC 4475 section 3.1.1.1).
 * Throws SipParseError ("VALUE") on anything else, and on a number of 2**31 or more (section
 * 8.1.1.5; RFC 4475 sections 3.1.2.4 and 3.1.2.5).
 *
 * @example
 * ```ts
 * parseCSeq("0009\r\n INVITE".replace("\r\n", "")); // { seq: 9, method: "INVITE" }
 * ```
 */
export function parseCSeq(value: string): CSeq {
  let i = skipWs(value, 0);
  const start = i;
  let seq = 0;
  while (i < value.length) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) break;
    seq = seq * 10 + d;
    // RFC 3261 section 8.1.1.5: the sequence number MUST be less than 2**31
    if (seq > MAX_CSEQ) {
      throw new SipParseError("VALUE", "CSeq", "sequence number of 2**31 or more");
    }
    i++;
  }
  if (i === start || !isWs(value.charCodeAt(i))) {
    throw new SipParseError("VALUE", "CSeq", "expected digits, space, method");
  }
  const method = trimWs(value.slice(skipWs(value, i)));
  if (!isToken(method)) throw new SipParseError("VALUE", "CSeq", "method is not a token");
  return { seq, method };
}

/** `seq SP method`. */
export function serializeCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}
