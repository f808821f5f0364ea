import { SuperpeerError } from "../../core/errors.ts";
import type { SipMessage } from "./sip_message.ts";

/**
 * Why bytes are not a usable SIP message, as a stable string for metrics and tests:
 * - `TOO_LARGE`: the message, a line or the header count passes a limit;
 * - `START_LINE`: the Request-Line or Status-Line does not follow RFC 3261 section 7.1 / 7.2;
 * - `VERSION`: a well-formed start line with a version other than SIP/2.0 (answer 505);
 * - `HEADER`: a header line without a name and colon, a bad line ending, or text that is not UTF-8;
 * - `CONTENT_LENGTH`: Content-Length missing where required, malformed, or past the bytes received;
 * - `MISSING_HEADER` / `DUPLICATE_HEADER`: a mandatory header absent, a single header repeated;
 * - `VALUE`: a header value that breaks its grammar (Via, CSeq, To/From, Max-Forwards, ...);
 * - `URI`: a malformed SIP, SIPS or tel URI; `URI_SCHEME`: a scheme this codec does not parse
 *   (a proxy answers 416);
 * - `MISMATCH`: the CSeq method differs from the request method;
 * - `STREAM`: a stream that is out of step for good (close the connection).
 */
export type SipParseErrorReason =
  | "TOO_LARGE"
  | "START_LINE"
  | "VERSION"
  | "HEADER"
  | "CONTENT_LENGTH"
  | "MISSING_HEADER"
  | "DUPLICATE_HEADER"
  | "VALUE"
  | "URI"
  | "URI_SCHEME"
  | "MISMATCH"
  | "STREAM";

/** Options of a SipParseError beyond reason, place and text. */
export interface SipParseErrorOptions {
  /**
   * The message as far as it was parsed: present when the start line and header fields were read,
   * so a server can still build its error response from Via, From, To, Call-ID and CSeq.
   */
  readonly parsed?: SipMessage;
}

/**
 * Bytes or text that are not valid SIP. `reason` says what kind of fault, `place` where ("start
 * line", "Via", "header 7", "Contact value 2"), `status` which response a server sends for it when
 * it can answer at all (400, 416, 505, or 513 Message Too Large); responses that fail are dropped.
 *
 * @example
 * ```ts
 * try { parseSipMessage(datagram); }
 * catch (e) {
 *   if (!(e instanceof SipParseError)) throw e;
 *   metrics.drop(e.reason);
 *   if (e.parsed?.isRequest) answer(e.parsed, e.status);
 * }
 * ```
 */
export class SipParseError extends SuperpeerError {
  readonly reason: SipParseErrorReason;
  readonly place: string;
  readonly status: number;
  readonly parsed: SipMessage | undefined;

  constructor(
    reason: SipParseErrorReason,
    place: string,
    message: string,
    options: SipParseErrorOptions = {},
  ) {
    super("SIP_PARSE", `Cannot parse SIP message: ${place}: ${message}`);
    this.reason = reason;
    this.place = place;
    this.status = statusFor(reason);
    this.parsed = options.parsed;
  }
}

function statusFor(reason: SipParseErrorReason): number {
  switch (reason) {
    case "VERSION":
      return 505; // RFC 3261 section 21.5.7 Version Not Supported
    case "URI_SCHEME":
      return 416; // RFC 3261 section 21.4.17 Unsupported URI Scheme
    case "TOO_LARGE":
      return 513; // RFC 3261 section 21.5.8 Message Too Large
    default:
      return 400;
  }
}
