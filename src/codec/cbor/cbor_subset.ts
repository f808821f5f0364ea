import { SuperpeerError } from "../../core/errors.ts";

/**
 * The deterministic CBOR subset our wire formats use (RFC 8949 section 4.2.1 core deterministic
 * encoding, restricted further): unsigned integers up to 2^32-1, byte strings, UTF-8 text strings,
 * definite-length arrays, false, true and null. No negative integers, maps, tags, floats,
 * undefined, other simple values or indefinite lengths: none of them occur in a valid message, and
 * each is a way for a hostile sender to reach code paths we do not need.
 */
export interface CborSubsetLimits {
  /** Deepest array nesting accepted (the top-level item is depth 1). */
  readonly maxDepth: number;
  /** Longest array accepted. */
  readonly maxArrayItems: number;
  /** Most data items in the whole message (bounds decoding work and memory). */
  readonly maxItems: number;
}

/** A byte string is not valid CBOR of our subset; `offset` is where the first problem starts. */
export class CborFormatError extends SuperpeerError {
  readonly offset: number;

  constructor(offset: number, message: string) {
    super("CBOR_FORMAT", `${message} at byte ${offset}`);
    this.offset = offset;
  }
}

/** Largest integer of the subset (cbor-x would decode larger ones as BigInt and encode them as floats). */
export const MAX_UINT = 0xffff_ffff;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Checks that `bytes` is exactly one well-formed data item of the subset, in shortest form and
 * within `limits`, without allocating per item. Run it before handing bytes to a general decoder.
 * Throws CborFormatError naming the byte offset of the first problem.
 *
 * @example
 * ```ts
 * scanCborSubset(new Uint8Array([0x82, 0x01, 0x40]), { maxDepth: 4, maxArrayItems: 8, maxItems: 16 }); // [1, h'']
 * ```
 */
export function scanCborSubset(bytes: Uint8Array, limits: CborSubsetLimits): void {
  let pos = 0;
  let items = 0;
  // Items still to read in each open array, innermost last.
  const remaining: number[] = [];

  const readArgument = (info: number, start: number): number => {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) {
      throw new CborFormatError(
        start,
        info === 31 ? "indefinite length is not allowed" : "reserved additional information",
      );
    }
    if (pos + size > bytes.length) throw new CborFormatError(start, "truncated argument");
    let value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + bytes[pos + i]!;
    pos += size;
    // RFC 8949 section 4.2.1: arguments use the shortest form.
    const min = size === 1 ? 24 : size === 2 ? 0x100 : size === 4 ? 0x10000 : 0x100000000;
    if (value < min) throw new CborFormatError(start, "argument not in shortest form");
    if (!Number.isSafeInteger(value)) {
      throw new CborFormatError(start, "integer larger than 2^53-1");
    }
    return value;
  };

  do {
    if (pos >= bytes.length) throw new CborFormatError(pos, "truncated: data item expected");
    const start = pos;
    const initial = bytes[pos++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    let arrayLength = 0;
    if (++items > limits.maxItems) {
      throw new CborFormatError(start, `more than ${limits.maxItems} data items`);
    }
    switch (major) {
      case 0:
        if (readArgument(info, start) > MAX_UINT) {
          throw new CborFormatError(start, "integer larger than 2^32-1");
        }
        break;
      case 2:
      case 3: {
        const length = readArgument(info, start);
        if (pos + length > bytes.length) {
          throw new CborFormatError(start, "string runs past the end");
        }
        if (major === 3) {
          try {
            utf8.decode(bytes.subarray(pos, pos + length));
          } catch {
            throw new CborFormatError(start, "text string is not valid UTF-8");
          }
        }
        pos += length;
        break;
      }
      case 4: {
        arrayLength = readArgument(info, start);
        if (arrayLength > limits.maxArrayItems) {
          throw new CborFormatError(
            start,
            `array of ${arrayLength} items (at most ${limits.maxArrayItems})`,
          );
        }
        // This array's depth is one more than the number of arrays still open around it.
        if (remaining.length + 1 > limits.maxDepth) {
          throw new CborFormatError(start, `arrays nested deeper than ${limits.maxDepth}`);
        }
        break;
      }
      case 7:
        if (info !== 20 && info !== 21 && info !== 22) {
          throw new CborFormatError(
            start,
            info >= 25 && info <= 27 ? "floats are not allowed" : "simple value not allowed",
          );
        }
        break;
      default:
        throw new CborFormatError(
          start,
          major === 1
            ? "negative integers are not allowed"
            : major === 5
            ? "maps are not allowed"
            : "tags are not allowed",
        );
    }
    // The item fills one slot of the array around it; a non-empty array opens a level of its own;
    // levels whose slots are all filled are closed.
    if (remaining.length > 0) remaining[remaining.length - 1]!--;
    if (major === 4 && arrayLength > 0) remaining.push(arrayLength);
    while (remaining.length > 0 && remaining[remaining.length - 1] === 0) remaining.pop();
  } while (remaining.length > 0);
  if (pos !== bytes.length) {
    throw new CborFormatError(pos, `${bytes.length - pos} bytes after the data item`);
  }
}
