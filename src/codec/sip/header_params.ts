/**
 * Header parameters: the `*( SEMI generic-param )` tail of Via, To, From, Contact, Route and most
 * other structured headers (RFC 3261 section 25.1), with SWS allowed around ";" and "=".
 *
 * @module
 */
import { SipParseError } from "./sip_errors.ts";
import { isTokenChar, isWs, quotedEnd, skipWs, tokenEnd } from "./sip_syntax.ts";

/**
 * One parameter: its name as written, and its value as written (a token, host or quoted-string
 * with its quotes), or undefined for a parameter without "=". Names compare case-insensitively.
 */
export interface SipParam {
  readonly name: string;
  readonly value: string | undefined;
}

/**
 * The value of the first parameter named `name` (case-insensitive): a string, "" never (a value is
 * never empty), or undefined when the parameter is absent or has no value. Use hasParam() to tell
 * those two apart.
 *
 * @example
 * ```ts
 * getParam(parseNameAddr("<sip:a@b>;tag=x").params, "TAG"); // "x"
 * ```
 */
export function getParam(params: readonly SipParam[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const p of params) if (p.name.toLowerCase() === wanted) return p.value;
  return undefined;
}

/** True when a parameter named `name` (case-insensitive) is present, with or without a value. */
export function hasParam(params: readonly SipParam[], name: string): boolean {
  const wanted = name.toLowerCase();
  for (const p of params) if (p.name.toLowerCase() === wanted) return true;
  return false;
}

/**
 * Parses `;name[=value]` pairs from `text[start]` to the end. Throws SipParseError ("VALUE") at an
 * empty parameter (";;", RFC 4475 section 3.1.2.1), a name that is not a token, a missing value
 * after "=", an unterminated quoted string, or any other character left over.
 */
export function parseHeaderParams(text: string, start: number, place: string): SipParam[] {
  const params: SipParam[] = [];
  let i = skipWs(text, start);
  const n = text.length;
  while (i < n) {
    if (text.charCodeAt(i) !== 0x3b) {
      throw new SipParseError("VALUE", place, `expected ";" at column ${i + 1}`);
    }
    i = skipWs(text, i + 1);
    const nameEnd = tokenEnd(text, i);
    if (nameEnd === i) {
      throw new SipParseError("VALUE", place, `empty or non-token parameter at column ${i + 1}`);
    }
    const name = text.slice(i, nameEnd);
    i = skipWs(text, nameEnd);
    let value: string | undefined;
    if (i < n && text.charCodeAt(i) === 0x3d) {
      i = skipWs(text, i + 1);
      const valueStart = i;
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i = quotedEnd(text, i);
        if (i < 0) throw new SipParseError("VALUE", place, `unterminated quoted ${name} value`);
      } else if (c === 0x5b) {
        // gen-value may be a host, so an IPv6reference
        const close = text.indexOf("]", i);
        if (close < 0) throw new SipParseError("VALUE", place, `unterminated [ in ${name} value`);
        i = close + 1;
      } else {
        // via-received allows a bare IPv6address (RFC 3261 section 25.1), so ":" there too
        const colons = name.length === 8 && name.toLowerCase() === "received";
        while (
          i < n && (isTokenChar(text.charCodeAt(i)) || (colons && text.charCodeAt(i) === 0x3a))
        ) {
          i++;
        }
      }
      if (i === valueStart) throw new SipParseError("VALUE", place, `empty ${name} value`);
      value = text.slice(valueStart, i);
      i = skipWs(text, i);
    }
    params.push({ name, value });
    if (i < n && !isWs(text.charCodeAt(i)) && text.charCodeAt(i) !== 0x3b) {
      throw new SipParseError("VALUE", place, `unexpected "${text[i]}" after parameter ${name}`);
    }
  }
  return params;
}

/** `;name=value` text of a parameter list, in order, values as stored. */
export function serializeHeaderParams(params: readonly SipParam[]): string {
  let out = "";
  for (const p of params) out += p.value === undefined ? `;${p.name}` : `;${p.name}=${p.value}`;
  return out;
}
