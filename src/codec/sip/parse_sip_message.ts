/**
 * Parses one whole SIP message from bytes: a UDP datagram, or a frame cut by SipStreamFramer
 * (RFC 3261 sections 7 and 18.3). Checks sizes before reading, reads the start line and header
 * fields (unfolded, names normalised), takes the body by Content-Length, then checks what any
 * element needs before acting on a message: the mandatory headers, single headers not repeated,
 * every Via, From, To, CSeq (and its method against the request's), Call-ID and Max-Forwards.
 * Other headers are parsed on demand through SipMessage.
 *
 * @module
 */
import {
  DEFAULT_MAX_SIP_HEADERS,
  DEFAULT_MAX_SIP_LINE_BYTES,
  DEFAULT_MAX_SIP_MESSAGE_BYTES,
  MAX_STATUS_CODE,
  MIN_STATUS_CODE,
  SINGLE_HEADERS,
  SIP_VERSION,
} from "./constants.ts";
import { parseContentLength } from "./scalar_headers.ts";
import { SipParseError } from "./sip_errors.ts";
import { SipHeaders } from "./sip_headers.ts";
import { SipMessage } from "./sip_message.ts";
import { isToken, isWs, tokenEnd, trimWs } from "./sip_syntax.ts";
import { uriScheme } from "./sip_uri.ts";

/** Limits and checks of parseSipMessage(). */
export interface ParseSipMessageOptions {
  /** @default DEFAULT_MAX_SIP_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
  /** @default DEFAULT_MAX_SIP_HEADERS */
  readonly maxHeaders?: number;
  /** Longest start line or unfolded header field. @default DEFAULT_MAX_SIP_LINE_BYTES */
  readonly maxLineBytes?: number;
  /**
   * Run the checks on mandatory and structured headers after framing. Off only for tools that
   * want to look at broken messages.
   * @default true
   */
  readonly validate?: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const VERSION_LIKE = /^SIP\/\d+\.\d+$/;
const BARE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;

/**
 * True for bytes that can start a SIP message rather than STUN (first byte 0-3, RFC 7983) or a
 * CRLF keep-alive: the first byte is a printable ASCII character.
 */
export function isSipMessage(bytes: Uint8Array): boolean {
  const first = bytes[0];
  return first !== undefined && first > 0x20 && first < 0x7f;
}

/**
 * True for a datagram or stream gap made only of CR and LF: the RFC 5626 section 4.4.1 keep-alive
 * ping (CRLF CRLF) or pong (CRLF), which is not a message.
 */
export function isCrlfKeepAlive(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  for (const b of bytes) if (b !== CR && b !== LF) return false;
  return true;
}

/**
 * Parses a whole message. Throws SipParseError; its `parsed` holds the message when the start line
 * and header fields could be read, so a server can answer `status` (400, 505, 416, 513) to a
 * request, or drop it. The body is copied; every string is decoded, so `bytes` may be reused.
 *
 * Leading CRLFs are skipped (section 7.5). Without Content-Length the body is the rest of the
 * bytes (a datagram, section 18.3); with it, bytes past the body are dropped (RFC 4475 section
 * 3.1.1.8) and a Content-Length past the end is an error (3.1.2.2).
 *
 * @example
 * ```ts
 * const msg = parseSipMessage(new TextEncoder().encode(
 *   "OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n" +
 *   "From: <sip:a@example.com>;tag=1\r\nTo: <sip:example.com>\r\nCall-ID: c1\r\n" +
 *   "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
 * ));
 * msg.topVia().branch; // "z9hG4bK1"
 * ```
 */
export function parseSipMessage(
  bytes: Uint8Array,
  options: ParseSipMessageOptions = {},
): SipMessage {
  const maxMessage = options.maxMessageBytes ?? DEFAULT_MAX_SIP_MESSAGE_BYTES;
  const maxHeaders = options.maxHeaders ?? DEFAULT_MAX_SIP_HEADERS;
  const maxLine = options.maxLineBytes ?? DEFAULT_MAX_SIP_LINE_BYTES;
  const n = bytes.length;
  if (n > maxMessage) {
    throw new SipParseError(
      "TOO_LARGE",
      "message",
      `${n} bytes exceed the ${maxMessage}-byte limit`,
    );
  }
  let start = 0;
  while (start + 1 < n && bytes[start] === CR && bytes[start + 1] === LF) start += 2;
  const headEnd = findHeaderEnd(bytes, start);
  if (headEnd < 0) {
    throw new SipParseError("HEADER", "message", "no empty line ending the header fields");
  }
  let head: string;
  try {
    head = utf8.decode(bytes.subarray(start, headEnd));
  } catch {
    throw new SipParseError("HEADER", "message", "header fields are not UTF-8");
  }
  if (BARE_CR_OR_LF.test(head)) {
    // RFC 3261 section 7: lines end in CRLF
    throw new SipParseError("HEADER", "message", "CR or LF outside a CRLF line ending");
  }
  let lineEnd = head.indexOf("\r\n");
  if (lineEnd < 0) lineEnd = head.length;
  if (lineEnd > maxLine) {
    throw new SipParseError("TOO_LARGE", "start line", `longer than ${maxLine} bytes`);
  }
  const message = parseStartLine(head.slice(0, lineEnd));
  readHeaders(head, lineEnd, message.headers, maxHeaders, maxLine, message);

  const bodyStart = headEnd + 4;
  const lengths = message.headers.getAll("content-length");
  let bodyEnd = n;
  if (lengths.length > 1) {
    throw new SipParseError("DUPLICATE_HEADER", "Content-Length", "more than one", {
      parsed: message,
    });
  }
  if (lengths.length === 1) {
    let length: number;
    try {
      length = parseContentLength(lengths[0]!);
    } catch (error) {
      throw withParsed(error, message);
    }
    if (length > n - bodyStart) {
      throw new SipParseError(
        "CONTENT_LENGTH",
        "Content-Length",
        `${length} bytes announced, ${n - bodyStart} received`,
        { parsed: message },
      );
    }
    bodyEnd = bodyStart + length;
  }
  message.body = bytes.slice(bodyStart, bodyEnd);
  if (options.validate !== false) {
    try {
      validate(message);
    } catch (error) {
      throw withParsed(error, message);
    }
  }
  return message;
}

/** Index of the CRLFCRLF that ends the header fields, or -1. */
function findHeaderEnd(bytes: Uint8Array, from: number): number {
  const last = bytes.length - 4;
  for (let i = bytes.indexOf(CR, from); i >= 0 && i <= last; i = bytes.indexOf(CR, i + 1)) {
    if (bytes[i + 1] === LF && bytes[i + 2] === CR && bytes[i + 3] === LF) return i;
  }
  return -1;
}

function parseStartLine(line: string): SipMessage {
  if (line.startsWith("SIP/")) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    const sp = line.indexOf(" ");
    const version = sp < 0 ? line : line.slice(0, sp);
    checkVersion(version);
    const code = line.slice(sp + 1, sp + 4);
    const after = line.charCodeAt(sp + 4);
    if (sp < 0 || !/^\d{3}$/.test(code) || !(Number.isNaN(after) || after === 0x20)) {
      throw new SipParseError("START_LINE", "start line", "Status-Code is not three digits");
    }
    const status = Number(code);
    if (status < MIN_STATUS_CODE || status > MAX_STATUS_CODE) {
      throw new SipParseError("START_LINE", "start line", `Status-Code ${status} out of range`);
    }
    return SipMessage.response({ status, reason: line.slice(sp + 5), headers: new SipHeaders() });
  }
  // Request-Line = Method SP Request-URI SP SIP-Version: exactly one SP between (RFC 4475
  // sections 3.1.2.7-3.1.2.10)
  const parts = line.split(" ");
  if (parts.length !== 3) {
    throw new SipParseError("START_LINE", "start line", `${parts.length - 1} spaces, expected 2`);
  }
  const [method, uri, version] = parts as [string, string, string];
  if (!isToken(method)) {
    throw new SipParseError("START_LINE", "start line", "method is not a token");
  }
  const scheme = uriScheme(uri);
  // No white space or control character: the serializer refuses them too (found by fuzzing)
  // deno-lint-ignore no-control-regex -- the control characters are what the pattern refuses
  if (scheme === undefined || /[\s\0-\x1f\x7f<>"]/.test(uri)) {
    throw new SipParseError("START_LINE", "start line", "Request-URI is not an absolute URI");
  }
  checkVersion(version);
  // "?" may occur in the user part (RFC 4475 section 3.1.1.2); headers start after the host
  if ((scheme === "sip" || scheme === "sips") && uri.indexOf("?", uri.indexOf("@") + 1) >= 0) {
    // RFC 3261 section 19.1.1 table 1: headers are not allowed in a Request-URI (RFC 4475 3.1.2.11)
    throw new SipParseError("START_LINE", "start line", "Request-URI with headers");
  }
  return SipMessage.request({ method, uri, headers: new SipHeaders() });
}

function checkVersion(version: string): void {
  if (version === SIP_VERSION) return;
  if (VERSION_LIKE.test(version)) {
    throw new SipParseError("VERSION", "start line", `version ${version} not supported`);
  }
  throw new SipParseError("START_LINE", "start line", "no SIP-Version");
}

function readHeaders(
  head: string,
  from: number,
  headers: SipHeaders,
  maxHeaders: number,
  maxLine: number,
  message: SipMessage,
): void {
  let name = "";
  let value = "";
  let count = 0;
  let pos = from;
  const end = head.length;
  while (pos < end) {
    pos += 2; // the CRLF ending the previous line
    let next = head.indexOf("\r\n", pos);
    if (next < 0) next = end;
    const first = head.charCodeAt(pos);
    if (isWs(first)) {
      // RFC 3261 section 7.3.1: a line starting with whitespace continues the previous field
      if (count === 0) {
        throw new SipParseError("HEADER", "header 1", "continuation line before any header", {
          parsed: message,
        });
      }
      const more = trimWs(head.slice(pos, next));
      if (more.length > 0) value = value.length === 0 ? more : `${value} ${more}`;
    } else {
      if (count > 0) headers.append(name, value);
      count++;
      if (count > maxHeaders) {
        throw new SipParseError("TOO_LARGE", "message", `more than ${maxHeaders} header fields`, {
          parsed: message,
        });
      }
      const nameEnd = tokenEnd(head, pos);
      let colon = nameEnd;
      while (colon < next && isWs(head.charCodeAt(colon))) colon++;
      if (nameEnd === pos || head.charCodeAt(colon) !== 0x3a) {
        throw new SipParseError("HEADER", `header ${count}`, "no token name followed by a colon", {
          parsed: message,
        });
      }
      name = head.slice(pos, nameEnd);
      value = trimWs(head.slice(colon + 1, next));
    }
    if (value.length + name.length + 2 > maxLine) {
      throw new SipParseError("TOO_LARGE", `header ${count}`, `longer than ${maxLine} bytes`, {
        parsed: message,
      });
    }
    pos = next;
  }
  if (count > 0) headers.append(name, value);
}

/** The checks every element needs before acting on a message (RFC 3261 sections 8.1.1, 8.2.2, 16.3). */
function validate(message: SipMessage): void {
  const headers = message.headers;
  let via = 0;
  let from = 0;
  let to = 0;
  let callId = 0;
  let cseq = 0;
  for (let i = 0; i < headers.length; i++) {
    const key = headers.key(i);
    switch (key) {
      case "via":
        via++;
        break;
      case "from":
        from++;
        break;
      case "to":
        to++;
        break;
      case "call-id":
        callId++;
        break;
      case "cseq":
        cseq++;
        break;
      default:
        if (SINGLE_HEADERS.has(key) && headers.count(key) > 1) {
          // RFC 4475 sections 3.3.7 and 3.3.8: a single header repeated is a 400
          throw new SipParseError("DUPLICATE_HEADER", headers.name(i), "more than one");
        }
    }
  }
  const absent: string[] = [];
  if (via === 0) absent.push("Via");
  if (from === 0) absent.push("From");
  if (to === 0) absent.push("To");
  if (callId === 0) absent.push("Call-ID");
  if (cseq === 0) absent.push("CSeq");
  if (absent.length > 0) {
    // RFC 3261 section 8.1.1: the minimum every request carries (RFC 4475 section 3.3.1)
    throw new SipParseError("MISSING_HEADER", absent[0]!, `missing ${absent.join(", ")}`);
  }
  if (from > 1 || to > 1 || callId > 1 || cseq > 1) {
    const name = from > 1 ? "From" : to > 1 ? "To" : callId > 1 ? "Call-ID" : "CSeq";
    throw new SipParseError("DUPLICATE_HEADER", name, "more than one");
  }
  message.via();
  message.from();
  message.to();
  message.callId();
  const { method } = message.cseq();
  message.maxForwards();
  if (message.isRequest && method !== message.method) {
    // RFC 3261 section 8.1.1.5: the CSeq method MUST match the request's (RFC 4475 3.1.2.17)
    throw new SipParseError("MISMATCH", "CSeq", `method ${method} in a ${message.method} request`);
  }
}

/** Attaches the message to an error raised after the header fields were read. */
function withParsed(error: unknown, message: SipMessage): unknown {
  if (error instanceof SipParseError && error.parsed === undefined) {
    (error as { parsed: SipMessage | undefined }).parsed = message;
  }
  return error;
}
