/**
 * CRC-32 as RFC 8489 section 14.7 asks for FINGERPRINT: ITU-T V.42 / IEEE 802.3, the one zlib and
 * PNG use (reflected polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF). A different
 * CRC makes every peer drop our messages (webrtc-rs#75), so the test checks the standard check value.
 *
 * @module
 */

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 of `bytes`, continuing from `previous` (the result of an earlier call over the bytes before
 * these; 0 to start), like zlib's `crc32(data, value)`. Allocates nothing.
 *
 * @example
 * ```ts
 * crc32(new TextEncoder().encode("123456789")); // 0xcbf43926
 * crc32(tail, crc32(head)) === crc32(whole);
 * ```
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < bytes.length; i++) {
    crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return ~crc >>> 0;
}
