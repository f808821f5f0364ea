/**
 * name-addr / addr-spec values of To, From, Contact, Route, Record-Route, Reply-To and the like
 * (RFC 3261 sections 20.10 and 25.1): an optional display name, a URI kept as raw text, and header
 * parameters (tag, q, expires, ...).
 *
 * @module
 */
import { parseHeaderParams, serializeHeaderParams, type SipParam } from "./header_params.ts";
import { SipParseError } from "./sip_errors.ts";
import {
  isToken,
  isTokenChar,
  isWs,
  quote,
  quotedEnd,
  skipWs,
  trimWs,
  unquote,
} from "./sip_syntax.ts";
import { uriScheme } from "./sip_uri.ts";

/** One parsed name-addr or addr-spec with its header parameters. */
export interface NameAddr {
  /**
   * The display name: unquoted with quoted-pairs resolved, or the tokens of an unquoted one with
   * LWS between them collapsed to one space; undefined when there is none.
   */
  readonly displayName: string | undefined;
  /** The URI as written (inside <> or the bare addr-spec); parse it with parseSipUri(). */
  readonly uri: string;
  /** Header parameters after the URI (tag, q, expires, ...). */
  readonly params: readonly SipParam[];
}

/**
 * Parses one name-addr or addr-spec (one element of a comma list, already split). Throws
 * SipParseError ("VALUE"): unterminated quoted display name (RFC 4475 section 3.1.2.6), a display
 * name of non-tokens that is not quoted (3.1.2.15), whitespace inside <> (3.1.2.14), a bare
 * addr-spec holding "?" or "," (section 20: such URIs MUST be enclosed in <>; RFC 4475 3.1.2.13),
 * or a missing scheme.
 *
 * @example
 * ```ts
 * const to = parseNameAddr('"Bob \\"B\\"" <sip:bob@example.com>;tag=a6c85cf');
 * to.displayName; // 'Bob "B"'
 * ```
 */
export function parseNameAddr(value: string, place = "name-addr"): NameAddr {
  const n = value.length;
  let i = skipWs(value, 0);
  let displayName: string | undefined;
  if (value.charCodeAt(i) === 0x22) {
    const end = quotedEnd(value, i);
    if (end < 0) throw new SipParseError("VALUE", place, "unterminated quoted display name");
    displayName = unquote(value.slice(i, end));
    i = skipWs(value, end);
    if (value.charCodeAt(i) !== 0x3c) {
      throw new SipParseError("VALUE", place, "quoted display name not followed by <");
    }
  } else {
    // *(token LWS) "<" makes a display name; anything else starts an addr-spec
    let j = i;
    while (j < n && (isTokenChar(value.charCodeAt(j)) || isWs(value.charCodeAt(j)))) j++;
    if (j < n && value.charCodeAt(j) === 0x3c) {
      const words = trimWs(value.slice(i, j));
      if (words.length > 0) displayName = words.split(/[ \t]+/).join(" ");
      i = j;
    }
  }
  if (value.charCodeAt(i) === 0x3c) {
    const close = value.indexOf(">", i + 1);
    if (close < 0) throw new SipParseError("VALUE", place, "< without >");
    const uri = value.slice(i + 1, close);
    checkUri(uri, place);
    return { displayName, uri, params: parseHeaderParams(value, close + 1, place) };
  }
  // addr-spec: the URI runs to the first ";"; what follows are header parameters
  let end = value.indexOf(";", i);
  if (end < 0) end = n;
  const uri = trimWs(value.slice(i, end));
  if (uri.indexOf("<") >= 0) {
    throw new SipParseError("VALUE", place, "display name with non-token characters not quoted");
  }
  if (uri.indexOf("?") >= 0 || uri.indexOf(",") >= 0) {
    // RFC 3261 section 20: a URI with a comma, question mark or semicolon MUST be in <>
    throw new SipParseError("VALUE", place, "URI with ? or , outside <>");
  }
  checkUri(uri, place);
  return { displayName: undefined, uri, params: parseHeaderParams(value, end, place) };
}

function checkUri(uri: string, place: string): void {
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    // LWS, quotes and angle brackets cannot occur inside an absolute URI (section 25.1)
    if (c <= 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x7f) {
      throw new SipParseError("VALUE", place, `character 0x${c.toString(16)} inside the URI`);
    }
  }
  if (uriScheme(uri) === undefined) {
    throw new SipParseError("VALUE", place, `no URI scheme in "${uri}"`);
  }
}

/**
 * The canonical text of a NameAddr: always the name-addr form with <>, the display name quoted
 * unless it is a single token.
 *
 * @example
 * ```ts
 * serializeNameAddr({ displayName: "Alice", uri: "sip:alice@example.com",
 *   params: [{ name: "tag", value: "1928301774" }] }); // "Alice <sip:alice@example.com>;tag=1928301774"
 * ```
 */
export function serializeNameAddr(nameAddr: NameAddr): string {
  const dn = nameAddr.displayName;
  const name = dn === undefined ? "" : isToken(dn) ? `${dn} ` : `${quote(dn)} `;
  return `${name}<${nameAddr.uri}>${serializeHeaderParams(nameAddr.params)}`;
}
