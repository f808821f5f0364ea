/**
 * The single-number and single-word headers: Content-Length, Max-Forwards, Expires (and the
 * expires= parameter), Call-ID (RFC 3261 sections 20.8, 20.14, 20.19, 20.22 and 25.1). Each is a
 * one-line grammar, so they share a file.
 *
 * @module
 */
import { MAX_DELTA_SECONDS, MAX_MAX_FORWARDS } from "./constants.ts";
import { SipParseError } from "./sip_errors.ts";
import { isWordChar, parseDigits } from "./sip_syntax.ts";

/** Digits beyond this in a Content-Length cannot describe a body this codec would accept. */
const MAX_CONTENT_LENGTH_DIGITS = 9;

/**
 * Content-Length = 1*DIGIT. Throws SipParseError ("CONTENT_LENGTH") on a sign, spaces inside,
 * other characters (RFC 4475 section 3.1.2.3) or more than 9 digits.
 *
 * @example
 * ```ts
 * parseContentLength("150"); // 150
 * ```
 */
export function parseContentLength(value: string): number {
  const length = parseDigits(value, MAX_CONTENT_LENGTH_DIGITS);
  if (length < 0) {
    throw new SipParseError("CONTENT_LENGTH", "Content-Length", `bad value "${value}"`);
  }
  return length;
}

/**
 * Max-Forwards = 1*DIGIT, 0-255 (leading zeros allowed: "0068" is 68). Throws SipParseError
 * ("VALUE") otherwise (RFC 4475 section 3.1.2.4: 300).
 *
 * @example
 * ```ts
 * parseMaxForwards("70"); // 70
 * ```
 */
export function parseMaxForwards(value: string): number {
  const hops = value.length <= 10 ? parseDigits(value.replace(/^0+(?=\d)/, ""), 3) : -1;
  if (hops < 0 || hops > MAX_MAX_FORWARDS) {
    throw new SipParseError("VALUE", "Max-Forwards", `bad value "${value.slice(0, 20)}"`);
  }
  return hops;
}

/**
 * delta-seconds = 1*DIGIT, for Expires, Min-Expires, Retry-After's number and the expires=
 * parameter. Values past 2**32-1 are clamped to it (RFC 4475 section 3.1.2.4 leaves an element free
 * to be lenient there; a registrar caps them far lower). Throws SipParseError ("VALUE") on
 * anything but digits.
 *
 * @example
 * ```ts
 * parseDeltaSeconds("3600"); // 3600
 * ```
 */
export function parseDeltaSeconds(value: string, place = "Expires"): number {
  if (value.length === 0 || !/^\d+$/.test(value)) {
    throw new SipParseError("VALUE", place, `bad delta-seconds "${value.slice(0, 20)}"`);
  }
  const digits = value.replace(/^0+(?=\d)/, "");
  return digits.length > 10 ? MAX_DELTA_SECONDS : Math.min(Number(digits), MAX_DELTA_SECONDS);
}

/**
 * Call-ID = word [ "@" word ] (section 25.1), returned as is. Throws SipParseError ("VALUE")
 * otherwise.
 *
 * @example
 * ```ts
 * parseCallId("f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com");
 * ```
 */
export function parseCallId(value: string): string {
  const at = value.indexOf("@");
  const ok = at < 0 ? isWord(value, 0, value.length) : (isWord(value, 0, at) &&
    isWord(value, at + 1, value.length));
  if (!ok) throw new SipParseError("VALUE", "Call-ID", `bad value "${value.slice(0, 40)}"`);
  return value;
}

function isWord(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) if (!isWordChar(text.charCodeAt(i))) return false;
  return true;
}

const SIP_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d\d):(\d\d):(\d\d) GMT$/;
const MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";

/**
 * SIP-date (section 20.17 and 25.1: RFC 1123 date, always "GMT") as milliseconds since the epoch.
 * Throws SipParseError ("VALUE") on another form or time zone (RFC 4475 section 3.1.2.12: "EST").
 *
 * @example
 * ```ts
 * parseSipDate("Sat, 13 Nov 2010 23:29:00 GMT"); // 1289690940000
 * ```
 */
export function parseSipDate(value: string): number {
  const m = SIP_DATE.exec(value);
  if (m === null) throw new SipParseError("VALUE", "Date", `not an RFC 1123 GMT date: "${value}"`);
  const [, , day, month, year, hh, mm, ss] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const ms = Date.UTC(
    Number(year),
    MONTHS.indexOf(month) / 3,
    Number(day),
    Number(hh),
    Number(mm),
    Number(ss),
  );
  if (
    new Date(ms).getUTCDate() !== Number(day) || Number(hh) > 23 || Number(mm) > 59 ||
    Number(ss) > 60
  ) {
    throw new SipParseError("VALUE", "Date", `no such date: "${value}"`);
  }
  return ms;
}
