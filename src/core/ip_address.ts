/**
 * IP address text to 32-bit words without allocating: what the relay's peer policy and the SIP
 * peering policy match address blocks with.
 *
 * @module
 */

/**
 * Parses an IPv4 dotted quad (into words[0]) or an IPv6 address (RFC 4291 section 2.2, with "::",
 * a dotted-quad tail and a "%zone" that is ignored) into `words`; returns 4, 6, or 0 if invalid.
 * Allocates nothing.
 *
 * @example
 * ```ts
 * const words = new Uint32Array(4);
 * parseIpInto("2001:db8::1", words); // 6
 * ```
 */
export function parseIpInto(text: string, words: Uint32Array): 0 | 4 | 6 {
  if (text.indexOf(":") < 0) {
    const v4 = parseIpv4(text, 0, text.length);
    if (v4 < 0) return 0;
    words[0] = v4;
    words[1] = 0;
    words[2] = 0;
    words[3] = 0;
    return 4;
  }
  return parseIpv6(text, words) ? 6 : 0;
}

/** A dotted quad in text[start, end) as an unsigned 32-bit number, or -1. */
function parseIpv4(text: string, start: number, end: number): number {
  let value = 0;
  let part = 0;
  let parts = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 0x2e;
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && part === 0) return -1; // a leading zero (octal in some parsers)
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 0x2e) {
      if (digits === 0 || parts === 4) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

const groups = new Uint16Array(8);

function parseIpv6(text: string, words: Uint32Array): boolean {
  let end = text.indexOf("%");
  if (end < 0) end = text.length;
  let head = 0; // groups before "::"
  let tail = -1; // groups after "::", -1 while none seen
  let i = 0;
  if (end < 2) return false;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return false;
    tail = 0;
    i = 2;
  }
  while (i < end) {
    const start = i;
    let value = 0;
    while (i < end && i - start < 5) {
      const d = hexDigit(text.charCodeAt(i));
      if (d < 0) break;
      value = (value << 4) | d;
      i++;
    }
    const count = head + (tail < 0 ? 0 : tail);
    if (i < end && text.charCodeAt(i) === 0x2e) {
      const v4 = count <= 6 ? parseIpv4(text, start, end) : -1;
      if (v4 < 0) return false;
      groups[count] = v4 >>> 16;
      groups[count + 1] = v4 & 0xffff;
      if (tail < 0) head += 2;
      else tail += 2;
      i = end;
      break;
    }
    if (i === start || i - start > 4 || count >= 8) return false;
    groups[count] = value;
    if (tail < 0) head++;
    else tail++;
    if (i === end) break;
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < end && text.charCodeAt(i) === 0x3a) {
      if (tail >= 0) return false;
      tail = 0;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  const total = head + (tail < 0 ? 0 : tail);
  if (tail < 0 ? total !== 8 : total > 7) return false;
  // move the tail groups to the end, zero the gap
  if (tail > 0) {
    for (let g = tail - 1; g >= 0; g--) groups[8 - tail + g] = groups[head + g]!;
  }
  if (tail >= 0) { for (let g = head; g < 8 - tail; g++) groups[g] = 0; }
  for (let w = 0; w < 4; w++) words[w] = ((groups[2 * w]! << 16) | groups[2 * w + 1]!) >>> 0;
  return true;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16));
const HEX2 = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
const textGroups = new Uint16Array(8);

/** The dotted quad of the 4 bytes at `bytes[offset]`. */
export function formatIpv4Bytes(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/**
 * RFC 5952 text of the 16 bytes at `bytes[offset]`: lower case, no leading zeros, the longest
 * run of two or more zero groups (the first of equal runs) as "::", IPv4-mapped addresses ending
 * in a dotted quad (as node:net prints them).
 *
 * @example
 * ```ts
 * formatIpv6Bytes(new Uint8Array([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1])); // "2001:db8::1"
 * ```
 */
export function formatIpv6Bytes(bytes: Uint8Array, offset = 0): string {
  for (let i = 0; i < 8; i++) {
    textGroups[i] = (bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!;
  }
  if (
    textGroups[0] === 0 && textGroups[1] === 0 && textGroups[2] === 0 && textGroups[3] === 0 &&
    textGroups[4] === 0 && textGroups[5] === 0xffff
  ) {
    return `::ffff:${formatIpv4Bytes(bytes, offset + 12)}`; // RFC 5952 section 5
  }
  let bestStart = -1;
  let bestLength = 1; // RFC 5952 section 4.2.2: "::" never stands for one zero group
  for (let i = 0; i < 8;) {
    if (textGroups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && textGroups[j] === 0) j++;
    if (j - i > bestLength) { // RFC 5952 section 4.2.3: the longest run, the first of equals
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += "::";
      i += bestLength - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLength) text += ":";
    const group = textGroups[i]!;
    // RFC 5952 section 4.1: no leading zeros; 4.3: lower case
    text += group > 0xff ? HEX[group >>> 8]! + HEX2[group & 0xff]! : HEX[group]!;
  }
  return text;
}
