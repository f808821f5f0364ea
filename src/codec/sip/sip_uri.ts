/**
 * SIP, SIPS (RFC 3261 section 19.1, grammar in section 25.1) and tel (RFC 3966) URIs: parse into
 * unescaped parts and serialize back with the escaping each part needs. A pure function of text;
 * the message parser keeps URIs as raw strings and callers parse them on demand.
 *
 * @module
 */
import type { SipParam } from "./header_params.ts";
import { SipParseError } from "./sip_errors.ts";
import {
  isHeaderChar,
  isHost,
  isParamChar,
  isPasswordChar,
  isUserChar,
  parsePort,
} from "./sip_syntax.ts";

/** A sip: or sips: URI with every escape resolved (RFC 3261 section 19.1.1). */
export interface SipUri {
  readonly scheme: "sip" | "sips";
  /** The user part, unescaped ("sips:user@example.com" for RFC 4475's esc01), or undefined. */
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Hostname, IPv4 address, or IPv6 reference with its brackets, as written. */
  readonly host: string;
  readonly port: number | undefined;
  /** uri-parameters, names and values unescaped; value undefined for a name alone ("lr"). */
  readonly params: readonly SipParam[];
  /** headers after "?", unescaped. */
  readonly headers: readonly SipParam[];
}

/** A tel: URI (RFC 3966): the number as written (visual separators kept) and its parameters. */
export interface TelUri {
  readonly scheme: "tel";
  readonly number: string;
  readonly params: readonly SipParam[];
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * The scheme of an absolute URI, lower-cased ("sip", "tel", "nobodyknowsthisscheme"), or undefined
 * when `text` does not start with `scheme ":"`.
 */
export function uriScheme(text: string): string | undefined {
  const m = SCHEME.exec(text);
  return m === null ? undefined : m[0].slice(0, -1).toLowerCase();
}

/**
 * Parses a sip:, sips: or tel: URI. Throws SipParseError: "URI_SCHEME" for any other scheme (a
 * proxy answers 416, RFC 4475 section 3.3.1), "URI" for bad syntax or escapes.
 *
 * @example
 * ```ts
 * const uri = parseSipUri("sip:alice@[2001:db8::1]:5061;transport=tls");
 * if (uri.scheme !== "tel") console.log(uri.host, uri.port); // "[2001:db8::1]" 5061
 * ```
 */
export function parseSipUri(text: string): SipUri | TelUri {
  const scheme = uriScheme(text);
  if (scheme === "sip" || scheme === "sips") return parseSip(text, scheme);
  if (scheme === "tel") return parseTel(text);
  if (scheme === undefined) throw new SipParseError("URI", "URI", `no scheme in "${text}"`);
  throw new SipParseError("URI_SCHEME", "URI", `unsupported scheme ${scheme}`);
}

function parseSip(text: string, scheme: "sip" | "sips"): SipUri {
  let i = scheme.length + 1;
  let user: string | undefined;
  let password: string | undefined;
  const at = text.indexOf("@", i);
  if (at >= 0) {
    const colon = text.indexOf(":", i);
    const userEnd = colon >= 0 && colon < at ? colon : at;
    user = unescapePart(text, i, userEnd, isUserChar, "user");
    if (user.length === 0) throw new SipParseError("URI", "URI", "empty user before @");
    if (userEnd < at) password = unescapePart(text, userEnd + 1, at, isPasswordChar, "password");
    i = at + 1;
  }
  let end = i;
  const n = text.length;
  if (text.charCodeAt(i) === 0x5b) {
    end = text.indexOf("]", i);
    if (end < 0) throw new SipParseError("URI", "URI", "unterminated IPv6 reference");
    end++;
  }
  while (end < n) {
    const c = text.charCodeAt(end);
    if (c === 0x3a || c === 0x3b || c === 0x3f) break;
    end++;
  }
  const host = text.slice(i, end);
  if (!isHost(host)) throw new SipParseError("URI", "URI", `bad host "${host}"`);
  let port: number | undefined;
  i = end;
  if (i < n && text.charCodeAt(i) === 0x3a) {
    let portEnd = i + 1;
    while (portEnd < n && text.charCodeAt(portEnd) !== 0x3b && text.charCodeAt(portEnd) !== 0x3f) {
      portEnd++;
    }
    const p = parsePort(text.slice(i + 1, portEnd));
    if (p < 0) throw new SipParseError("URI", "URI", `bad port "${text.slice(i + 1, portEnd)}"`);
    port = p;
    i = portEnd;
  }
  const query = text.indexOf("?", i);
  const paramsEnd = query >= 0 ? query : n;
  const params = parseUriParams(text, i, paramsEnd);
  const headers = query >= 0 ? parseUriHeaders(text, query + 1) : [];
  return { scheme, user, password, host, port, params, headers };
}

function parseUriParams(text: string, start: number, end: number): SipParam[] {
  const params: SipParam[] = [];
  let i = start;
  while (i < end) {
    // text[i] is ";" here: the host and port loops stop only at ":", ";" or "?"
    let next = text.indexOf(";", i + 1);
    if (next < 0 || next > end) next = end;
    const eq = text.indexOf("=", i + 1);
    const nameEnd = eq >= 0 && eq < next ? eq : next;
    const name = unescapePart(text, i + 1, nameEnd, isParamChar, "parameter name");
    if (name.length === 0) throw new SipParseError("URI", "URI", "empty parameter");
    let value: string | undefined;
    if (nameEnd < next) {
      value = unescapePart(text, nameEnd + 1, next, isParamChar, "parameter value");
      if (value.length === 0) throw new SipParseError("URI", "URI", `empty ${name} value`);
    }
    params.push({ name, value });
    i = next;
  }
  return params;
}

function parseUriHeaders(text: string, start: number): SipParam[] {
  const headers: SipParam[] = [];
  for (const pair of text.slice(start).split("&")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new SipParseError("URI", "URI", `bad header "${pair}"`);
    headers.push({
      name: unescapePart(pair, 0, eq, isHeaderChar, "header name"),
      value: unescapePart(pair, eq + 1, pair.length, isHeaderChar, "header value"),
    });
  }
  return headers;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * text[start, end) with %HH escapes resolved, after checking that every other character belongs to
 * the part's set. Escaped bytes decode as UTF-8; bytes that are not UTF-8 map one to one onto
 * U+0000-U+00FF, so nothing is lost.
 */
function unescapePart(
  text: string,
  start: number,
  end: number,
  allowed: (code: number) => boolean,
  part: string,
): string {
  let escaped = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      if (!isHex(text.charCodeAt(i + 1)) || !isHex(text.charCodeAt(i + 2)) || i + 2 >= end) {
        throw new SipParseError("URI", "URI", `bad escape in ${part} at column ${i + 1}`);
      }
      escaped = true;
      i += 2;
    } else if (!allowed(c)) {
      throw new SipParseError("URI", "URI", `character "${text[i]}" not allowed in ${part}`);
    }
  }
  if (!escaped) return text.slice(start, end);
  const bytes: number[] = [];
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c);
    }
  }
  try {
    return utf8.decode(new Uint8Array(bytes));
  } catch {
    return String.fromCharCode(...bytes);
  }
}

const isHex = (c: number) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

const TEL_NUMBER =
  /^(?:\+[0-9\-.()]*[0-9][0-9\-.()]*|[0-9A-Fa-f*#\-.()]*[0-9A-Fa-f*#][0-9A-Fa-f*#\-.()]*)$/;

function parseTel(text: string): TelUri {
  const semi = text.indexOf(";");
  const number = text.slice(4, semi >= 0 ? semi : text.length);
  if (!TEL_NUMBER.test(number)) throw new SipParseError("URI", "URI", `bad tel number "${number}"`);
  const params = semi >= 0 ? parseUriParams(text, semi, text.length) : [];
  if (!number.startsWith("+") && !params.some((p) => p.name.toLowerCase() === "phone-context")) {
    // RFC 3966 section 5.1.5: a local number MUST carry phone-context
    throw new SipParseError("URI", "URI", "local tel number without phone-context");
  }
  return { scheme: "tel", number, params };
}

const utf8Encoder = new TextEncoder();

/** Escapes every character of `text` outside the part's set as %HH of its UTF-8 bytes. */
function escapePart(text: string, allowed: (code: number) => boolean): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    if (!allowed(text.charCodeAt(i))) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = "";
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (ch.length === 1 && allowed(code)) {
      out += ch;
      continue;
    }
    const bytes = code < 0x100 && ch.length === 1 && code >= 0x80
      ? [code] // a byte kept from a non-UTF-8 escape (see unescapePart)
      : utf8Encoder.encode(ch);
    for (const b of bytes) out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * The text form of a URI: parts escaped as RFC 3261 section 25.1 requires, nothing else changed.
 * parseSipUri(serializeSipUri(u)) equals u.
 *
 * @example
 * ```ts
 * serializeSipUri({ scheme: "sip", user: "I have spaces", password: undefined, host: "example.net",
 *   port: undefined, params: [{ name: "lr", value: undefined }], headers: [] });
 * // "sip:I%20have%20spaces@example.net;lr"
 * ```
 */
export function serializeSipUri(uri: SipUri | TelUri): string {
  const params = serializeUriParams(uri.params);
  if (uri.scheme === "tel") return `tel:${uri.number}${params}`;
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined) {
    out += escapePart(uri.user, isUserChar);
    if (uri.password !== undefined) out += `:${escapePart(uri.password, isPasswordChar)}`;
    out += "@";
  }
  out += uri.host;
  if (uri.port !== undefined) out += `:${uri.port}`;
  out += params;
  if (uri.headers.length > 0) {
    out += "?" +
      uri.headers.map((h) =>
        `${escapePart(h.name, isHeaderChar)}=${escapePart(h.value ?? "", isHeaderChar)}`
      ).join("&");
  }
  return out;
}

function serializeUriParams(params: readonly SipParam[]): string {
  let out = "";
  for (const p of params) {
    out += `;${escapePart(p.name, isParamChar)}`;
    if (p.value !== undefined) out += `=${escapePart(p.value, isParamChar)}`;
  }
  return out;
}
