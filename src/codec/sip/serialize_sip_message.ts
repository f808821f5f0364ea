/**
 * Writes a SipMessage as bytes in canonical form (RFC 3261 section 7): one field per line in the
 * stored order, known names in their long spelling ("v" becomes "Via"), "Name: value", and a
 * Content-Length equal to the body written last, whatever the message held.
 *
 * @module
 */
import { SIP_VERSION } from "./constants.ts";
import { canonicalHeaderName } from "./sip_headers.ts";
import type { SipMessage } from "./sip_message.ts";
import { isToken } from "./sip_syntax.ts";

const encoder = new TextEncoder();
const LINE_BREAK = /[\r\n]/;
const URI_FORBIDDEN = /[\s<>"]/;

/**
 * The bytes of `message`. Throws TypeError when a field would break the framing: a method or
 * header name that is not a token, a URI with whitespace, a value or reason with CR or LF (header
 * injection), a status outside 100-699.
 *
 * @example
 * ```ts
 * const bytes = serializeSipMessage(SipMessage.response({ status: 200, reason: "OK",
 *   headers: [["Via", via], ["From", from], ["To", to], ["Call-ID", id], ["CSeq", "1 OPTIONS"]] }));
 * ```
 */
export function serializeSipMessage(message: SipMessage): Uint8Array {
  let head: string;
  if (message.isRequest) {
    if (!isToken(message.method)) {
      throw new TypeError(`Cannot serialize SIP method: ${message.method}`);
    }
    if (message.uri.length === 0 || URI_FORBIDDEN.test(message.uri)) {
      throw new TypeError(`Cannot serialize Request-URI: ${message.uri}`);
    }
    head = `${message.method} ${message.uri} ${SIP_VERSION}\r\n`;
  } else {
    const status = message.status;
    if (!Number.isInteger(status) || status < 100 || status > 699) {
      throw new TypeError(`Cannot serialize status code: ${status}`);
    }
    if (LINE_BREAK.test(message.reason)) throw new TypeError("Cannot serialize reason: CR or LF");
    head = `${SIP_VERSION} ${status} ${message.reason}\r\n`;
  }
  const headers = message.headers;
  for (let i = 0; i < headers.length; i++) {
    if (headers.key(i) === "content-length") continue;
    const name = headers.name(i);
    const value = headers.value(i);
    if (!isToken(name)) throw new TypeError(`Cannot serialize header name: ${name}`);
    if (LINE_BREAK.test(value)) throw new TypeError(`Cannot serialize ${name}: CR or LF in value`);
    head += `${canonicalHeaderName(name)}: ${value}\r\n`;
  }
  const body = message.body;
  head += `Content-Length: ${body.length}\r\n\r\n`;
  // Mostly ASCII: try writing straight into a buffer sized for one byte per character.
  const out = new Uint8Array(head.length + body.length);
  const written = encoder.encodeInto(head, out);
  if (written.read === head.length && written.written === head.length) {
    out.set(body, head.length);
    return out;
  }
  const encoded = encoder.encode(head);
  const full = new Uint8Array(encoded.length + body.length);
  full.set(encoded, 0);
  full.set(body, encoded.length);
  return full;
}
