/**
 * DNS-SD key/value pairs in TXT records (RFC 6763 section 6): each character-string is "key=value",
 * or a key alone for a boolean attribute.
 *
 * @module
 */
import { MAX_CHARACTER_STRING_BYTES } from "./constants.ts";
import { DnsEncodeError } from "./dns_errors.ts";

/** A value: text (sent as UTF-8), bytes, or true for a key without "=" (RFC 6763 6.4). */
export type TxtValue = string | Uint8Array | true;

/** Pairs to encode, in the order they go out (RFC 6763 section 6.7: "txtvers" first, if any). */
export type TxtPairs = ReadonlyMap<string, TxtValue> | Readonly<Record<string, TxtValue>>;

const EQUALS = 0x3d;
const utf8 = new TextEncoder();

/**
 * The character-strings of a DNS-SD TXT record (RFC 6763 section 6). Keys are 1 or more printable
 * US-ASCII characters 0x20-0x7E other than "=" (6.4; the SHOULD of at most 9 characters is not
 * enforced), each key at most once, case-insensitively (6.4 SHOULD NOT repeat one; enforced here);
 * a string is at most 255 bytes (6.1).
 * Anything else throws DnsEncodeError. No pairs give one empty string: an empty TXT record is a
 * single zero byte on the wire (6.1).
 *
 * @example
 * ```ts
 * encodeTxtPairs({ txtvers: "1", path: "/sip", secure: true }); // "txtvers=1", "path=/sip", "secure"
 * encodeTxtPairs(new Map()); // [Uint8Array []]
 * ```
 */
export function encodeTxtPairs(pairs: TxtPairs): Uint8Array[] {
  const entries: Iterable<readonly [string, TxtValue]> = pairs instanceof Map
    ? pairs.entries()
    : Object.entries(pairs);
  const strings: Uint8Array[] = [];
  const seen = new Set<string>();
  for (const [key, value] of entries) {
    checkKey(key);
    const folded = key.toLowerCase(); // keys are ASCII here
    if (seen.has(folded)) {
      // RFC 6763 section 6.4: a given key SHOULD NOT appear more than once
      throw new DnsEncodeError(`TXT key ${JSON.stringify(key)} given twice (keys ignore case)`);
    }
    seen.add(folded);
    const valueBytes = value === true
      ? undefined
      : typeof value === "string"
      ? utf8.encode(value)
      : value instanceof Uint8Array
      ? value
      : badValue(key, value);
    const size = key.length + (valueBytes === undefined ? 0 : 1 + valueBytes.length);
    if (size > MAX_CHARACTER_STRING_BYTES) {
      // RFC 6763 section 6.1: each string is at most 255 bytes
      throw new DnsEncodeError(`TXT pair ${key} of ${size} bytes, at most 255`);
    }
    const out = new Uint8Array(size);
    for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
    if (valueBytes !== undefined) {
      out[key.length] = EQUALS;
      out.set(valueBytes, key.length + 1);
    }
    strings.push(out);
  }
  // RFC 6763 section 6.1: an empty TXT record MUST contain a single zero byte
  if (strings.length === 0) strings.push(new Uint8Array(0));
  return strings;
}

function checkKey(key: string): void {
  if (key.length === 0) throw new DnsEncodeError("empty TXT key"); // RFC 6763 6.4: at least one
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    // RFC 6763 section 6.4: printable US-ASCII 0x20-0x7E, excluding "="
    if (c < 0x20 || c > 0x7e || c === EQUALS) {
      throw new DnsEncodeError(
        `TXT key ${JSON.stringify(key)} has a character outside 0x20-0x7E or "="`,
      );
    }
  }
}

function badValue(key: string, value: unknown): never {
  throw new DnsEncodeError(`TXT value of ${key} is a ${typeof value}, not text, bytes or true`);
}

/**
 * The pairs of a DNS-SD TXT record's strings (RFC 6763 section 6): keys lower-cased (6.4: keys are
 * case-insensitive), the first occurrence of a key kept and later ones ignored (6.4), a key
 * without "=" mapped to true (a boolean attribute, 6.4), "key=" to an empty value (6.4), the value
 * being everything after the first "=" (6.5). Skipped:
 * empty strings (the empty TXT record, 6.1), strings starting with "=" (6.4: no key), and strings
 * whose key has a byte outside 0x20-0x7E (not a key RFC 6763 allows). Values are views into
 * `strings`, not copies.
 *
 * @example
 * ```ts
 * const pairs = decodeTxtPairs(record.data.strings);
 * const path = pairs.get("path"); // Uint8Array, true, or undefined
 * ```
 */
export function decodeTxtPairs(strings: readonly Uint8Array[]): Map<string, Uint8Array | true> {
  const pairs = new Map<string, Uint8Array | true>();
  for (const string of strings) {
    if (string.length === 0 || string[0] === EQUALS) continue;
    let keyEnd = string.indexOf(EQUALS);
    if (keyEnd < 0) keyEnd = string.length;
    let key = "";
    let valid = true;
    for (let i = 0; i < keyEnd; i++) {
      const c = string[i]!;
      if (c < 0x20 || c > 0x7e) {
        valid = false;
        break;
      }
      key += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
    }
    if (!valid || pairs.has(key)) continue;
    pairs.set(key, keyEnd === string.length ? true : string.subarray(keyEnd + 1));
  }
  return pairs;
}
