/**
 * Character classes and small scanners of the RFC 3261 section 25.1 grammar shared by the header
 * parsers. Internal to the codec: positions in, positions out, no allocation on the way.
 *
 * @module
 */

/** Bit flags per ASCII code: which grammar sets a character belongs to. */
const TOKEN = 1;
const WORD = 2;
const UNRESERVED = 4;
const USER = 8;
const PASSWORD = 16;
const PARAM = 32;
const HNV = 64;
const HOST = 128;

const CLASSES = new Uint8Array(128);
function mark(chars: string, flags: number): void {
  for (let i = 0; i < chars.length; i++) CLASSES[chars.charCodeAt(i)]! |= flags;
}
const ALPHANUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" )
mark(ALPHANUM + "-.!%*_+`'~", TOKEN | WORD);
// word adds ( ) < > : \ DQUOTE / [ ] ? { }
mark('()<>:\\"/[]?{}', WORD);
// unreserved = alphanum / mark, mark = - _ . ! ~ * ' ( )
mark(ALPHANUM + "-_.!~*'()", UNRESERVED | USER | PASSWORD | PARAM | HNV);
mark("&=+$,;?/", USER); // user-unreserved
mark("&=+$,", PASSWORD);
mark("[]/:&+$", PARAM); // param-unreserved
mark("[]/?:+$", HNV); // hnv-unreserved
mark(ALPHANUM + "-.", HOST);

const has = (code: number, flag: number) => code < 128 && (CLASSES[code]! & flag) !== 0;

export const isTokenChar = (code: number): boolean => has(code, TOKEN);
export const isWordChar = (code: number): boolean => has(code, WORD);
export const isUserChar = (code: number): boolean => has(code, USER);
export const isPasswordChar = (code: number): boolean => has(code, PASSWORD);
export const isParamChar = (code: number): boolean => has(code, PARAM);
export const isHeaderChar = (code: number): boolean => has(code, HNV);

const SP = 0x20;
const HTAB = 0x09;
export const isWs = (code: number): boolean => code === SP || code === HTAB;

/**
 * `text` without leading and trailing SP and HTAB. Not String.prototype.trim(): that also strips
 * U+FEFF, NBSP and other characters that are content in SIP (RFC 4475 section 3.1.1.2).
 */
export function trimWs(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isWs(text.charCodeAt(start))) start++;
  while (end > start && isWs(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** True when `text` is a non-empty token. */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (!has(text.charCodeAt(i), TOKEN)) return false;
  return true;
}

/** Index of the first character at or after `i` that is not SP or HTAB. */
export function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the token starting at `i` (== i when there is none). */
export function tokenEnd(text: string, i: number): number {
  while (i < text.length && has(text.charCodeAt(i), TOKEN)) i++;
  return i;
}

/**
 * Index just past the closing quote of the quoted-string whose opening quote is at `i`, or -1 when
 * it is unterminated. quoted-pair = "\" followed by any character but CR and LF (section 25.1).
 */
export function quotedEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c === 0x5c) j++;
  }
  return -1;
}

/** The content of a quoted-string (with its quotes) with quoted-pairs resolved. */
export function unquote(quoted: string): string {
  const inner = quoted.slice(1, -1);
  return inner.indexOf("\\") < 0 ? inner : inner.replace(/\\([\s\S])/g, "$1");
}

/** A quoted-string holding `text`: quotes and backslashes escaped (section 25.1 quoted-pair). */
export function quote(text: string): string {
  return `"${text.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * Splits a comma-separated header value into its elements (section 7.3.1), trimmed, ignoring
 * commas inside quoted strings and inside <...>. Returns undefined when a quote or angle bracket
 * is left open, so the caller can report where.
 */
export function splitCommaList(value: string): string[] | undefined {
  if (value.indexOf(",") < 0) return [value];
  const parts: string[] = [];
  let start = 0;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) {
      const end = quotedEnd(value, i);
      if (end < 0) return undefined;
      i = end - 1;
    } else if (c === 0x3c) {
      angle = true;
    } else if (c === 0x3e) {
      angle = false;
    } else if (c === 0x2c && !angle) {
      parts.push(trimWs(value.slice(start, i)));
      start = i + 1;
    }
  }
  if (angle) return undefined;
  parts.push(trimWs(value.slice(start)));
  return parts;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** IPv4address of section 25.1: four decimal octets of at most three digits, each at most 255. */
export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/** IPv6address of section 25.1 (RFC 4291 text form, optionally ending in an IPv4 address). */
export function isIpv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  let groups = 0;
  let doubleColon = false;
  const parts = text.split(":");
  if (parts.length < 3 || parts.length > 9) return false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === "") {
      // only "::" may produce empty parts: at the start, the end, or once in the middle
      const edge = (i === 0 && parts[1] === "") || (i === parts.length - 1 && parts[i - 1] === "");
      if (edge) continue;
      if (doubleColon) return false;
      doubleColon = true;
      continue;
    }
    if (i === parts.length - 1 && part.indexOf(".") >= 0) {
      if (!isIpv4(part)) return false;
      groups += 2;
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return false;
    groups++;
  }
  if (text.startsWith(":") && !text.startsWith("::")) return false;
  if (text.endsWith(":") && !text.endsWith("::")) return false;
  return doubleColon ? groups < 8 : groups === 8;
}

/**
 * host of section 25.1: hostname (labels of alphanum and "-", optional final dot), IPv4address or
 * IPv6reference ("[" IPv6address "]").
 */
export function isHost(text: string): boolean {
  const n = text.length;
  if (n === 0) return false;
  if (text.charCodeAt(0) === 0x5b) {
    return text.charCodeAt(n - 1) === 0x5d && isIpv6(text.slice(1, -1));
  }
  // toplabel starts with ALPHA, so a name ending in a digit label can only be an IPv4 address
  const end = text.charCodeAt(n - 1) === 0x2e ? n - 1 : n;
  const top = text.lastIndexOf(".", end - 1) + 1;
  const first = text.charCodeAt(top);
  if (first >= 0x30 && first <= 0x39) return isIpv4(text);
  let labelStart = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (i === labelStart) return i === n && n > 1; // empty label: only a trailing dot
      // a label neither starts nor ends with "-"
      if (text.charCodeAt(labelStart) === 0x2d || text.charCodeAt(i - 1) === 0x2d) return false;
      labelStart = i + 1;
    } else if (!has(c, HOST)) {
      return false;
    }
  }
  return true;
}

/** port = 1*DIGIT, as a number 0-65535, or -1. */
export function parsePort(text: string): number {
  if (text.length === 0 || text.length > 5 || !/^\d+$/.test(text)) return -1;
  const port = Number(text);
  return port <= 65535 ? port : -1;
}

/** 1*DIGIT of at most `maxDigits` digits as a number, or -1. */
export function parseDigits(text: string, maxDigits: number): number {
  const n = text.length;
  if (n === 0 || n > maxDigits) return -1;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}
