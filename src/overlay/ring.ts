// Arithmetic on the 128-bit identifier ring of CHORD-RELOAD (RFC 6940 section 10.1): node and
// resource ids are 16-byte strings read as unsigned big-endian integers modulo 2^128.

/** Bits of a ring id. */
export const RING_BITS = 128;
/** Size of the ring, 2^128. */
export const RING_SIZE = 1n << 128n;

/** A 16-byte id as a ring position. */
export function idToBigInt(id: Uint8Array): bigint {
  let value = 0n;
  for (const byte of id) value = (value << 8n) | BigInt(byte);
  return value;
}

/** A ring position as a 16-byte id. */
export function bigIntToId(value: bigint): Uint8Array {
  const out = new Uint8Array(16);
  let v = ((value % RING_SIZE) + RING_SIZE) % RING_SIZE;
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Clockwise distance from `from` to `to` (0 when equal). */
export function clockwise(from: bigint, to: bigint): bigint {
  const d = to - from;
  return d >= 0n ? d : d + RING_SIZE;
}

/**
 * Whether `x` lies in the half-open arc (a, b] going clockwise. With a === b the arc is the whole
 * ring (a single peer is responsible for everything).
 */
export function inArc(x: bigint, a: bigint, b: bigint): boolean {
  if (a === b) return true;
  const dx = clockwise(a, x);
  return dx !== 0n && dx <= clockwise(a, b);
}

/** Whether `x` lies strictly between a and b clockwise, (a, b). */
export function inOpenArc(x: bigint, a: bigint, b: bigint): boolean {
  const dx = clockwise(a, x);
  return dx !== 0n && dx < clockwise(a, b);
}

/** A uniformly random ring position in [start, start + length), from a source of random bytes. */
export function randomInRange(
  start: bigint,
  length: bigint,
  randomBytes: (n: number) => Uint8Array,
): bigint {
  if (length <= 0n) return start;
  const offset = idToBigInt(randomBytes(16)) % length;
  return (start + offset) % RING_SIZE;
}
