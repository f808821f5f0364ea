/**
 * UTF-8 validity as RFC 6455 section 8.1 requires of text messages and close reasons: the
 * well-formed sequences of RFC 3629 section 4 (no overlong forms, no surrogates, nothing past
 * U+10FFFF). A loop over the bytes, so checking a message allocates nothing.
 *
 * @module
 */

/**
 * Whether `bytes` is well-formed UTF-8.
 *
 * @example
 * ```ts
 * isUtf8(new TextEncoder().encode("héllo")); // true
 * isUtf8(new Uint8Array([0xc0, 0xaf]));      // false: an overlong "/"
 * ```
 */
export function isUtf8(bytes: Uint8Array): boolean {
  const end = bytes.length;
  let i = 0;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // RFC 3629 section 4: the second byte's range depends on the first byte.
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) low = 0xa0; // overlong
      else if (b === 0xed) high = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) low = 0x90; // overlong
      else if (b === 0xf4) high = 0x8f; // past U+10FFFF
    } else return false;
    if (i + need >= end) return false; // truncated sequence
    const second = bytes[i + 1]!;
    if (second < low || second > high) return false;
    for (let k = 2; k <= need; k++) {
      const next = bytes[i + k]!;
      if (next < 0x80 || next > 0xbf) return false;
    }
    i += need + 1;
  }
  return true;
}
