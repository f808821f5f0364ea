/**
 * Record data (rdata) of the types mDNS and DNS-SD use: A (RFC 1035 3.4.1), AAAA (RFC 3596 2.2),
 * PTR (RFC 1035 3.3.12), TXT (RFC 1035 3.3.14, RFC 6763 6), SRV (RFC 2782), NSEC (RFC 4034 4.1,
 * RFC 6762 6.1); every other type is kept as its rdata bytes.
 *
 * Names in rdata (RFC 6762 section 18.14): received names are decompressed in the rdata of the
 * types that section lists; PTR, SRV and NSEC become names, and NS, CNAME, SOA, MX, RP, AFSDB, RT,
 * PX, KX and DNAME are kept raw but with their names uncompressed, so their raw bytes mean the same
 * in any message. When writing, names in PTR, SRV and NSEC rdata are compressed (the section's
 * SHOULD); raw rdata goes out verbatim.
 *
 * Decoded values share no memory with the message bytes: raw rdata is a copy, and a record's TXT
 * strings are views into one copy of its rdata (so their `.buffer` holds the whole rdata).
 *
 * @module
 */
import { formatIpv4Bytes, formatIpv6Bytes, parseIpInto } from "../../core/ip_address.ts";
import { MAX_CHARACTER_STRING_BYTES, MAX_NSEC_WINDOW_BYTES, MAX_RDATA_BYTES } from "./constants.ts";
import { MAX_NAME_BYTES } from "./dns_name.ts";
import { DnsDecodeError, DnsEncodeError } from "./dns_errors.ts";
import { type DnsName, type DnsRecordData, DnsType } from "./dns_types.ts";
import { type DnsCursor, type DnsLabelCache, DnsNameCompressor, readDnsName } from "./name_wire.ts";

/**
 * Raw rdata types whose names RFC 6762 section 18.14 lets a sender compress: the bytes before the
 * names, the number of names, the bytes after them.
 */
const NAMES_IN_RAW_RDATA: ReadonlyMap<number, readonly [number, number, number]> = new Map([
  [2, [0, 1, 0]], // NS
  [5, [0, 1, 0]], // CNAME
  [6, [0, 2, 20]], // SOA: MNAME, RNAME, five 32-bit numbers
  [15, [2, 1, 0]], // MX
  [17, [0, 2, 0]], // RP
  [18, [2, 1, 0]], // AFSDB
  [21, [2, 1, 0]], // RT
  [26, [2, 2, 0]], // PX
  [36, [2, 1, 0]], // KX
  [39, [0, 1, 0]], // DNAME
]);

const IPV4_BYTES = 4;
const IPV6_BYTES = 16;
const SRV_FIXED_BYTES = 6;

const cursor: DnsCursor = { offset: 0 };
const words = new Uint32Array(4);

/**
 * Decodes the `length` bytes of rdata at `offset` of a whole message as type `type`. Throws
 * DnsDecodeError when they do not hold what the type says: A not 4 bytes, AAAA not 16, a name not
 * ending exactly at the end of the rdata, a TXT string running past it, SRV shorter than 7 bytes,
 * an NSEC type bitmap window out of order or of a wrong length. Zero-length TXT rdata decodes as
 * one empty string (RFC 6763 section 6.1 treats the two alike).
 *
 * @example
 * ```ts
 * const rdata = new Uint8Array([192, 0, 2, 1]);
 * decodeRdata(rdata, 0, 4, DnsType.A); // { type: 1, address: "192.0.2.1" }
 * ```
 */
export function decodeRdata(
  bytes: Uint8Array,
  offset: number,
  length: number,
  type: number,
  cache?: DnsLabelCache,
): DnsRecordData {
  const end = offset + length;
  if (end > bytes.length) throw new DnsDecodeError(offset, "rdata runs past the message");
  switch (type) {
    case DnsType.A:
      if (length !== IPV4_BYTES) throw wrongLength(offset, "A", length, IPV4_BYTES);
      return {
        type,
        address: formatIpv4Bytes(bytes, offset),
      };
    case DnsType.AAAA:
      if (length !== IPV6_BYTES) throw wrongLength(offset, "AAAA", length, IPV6_BYTES);
      return { type, address: formatIpv6Bytes(bytes, offset) };
    case DnsType.PTR:
      return { type, target: readWholeName(bytes, offset, end, cache, "PTR") };
    case DnsType.TXT:
      return { type, strings: readStrings(bytes, offset, end) };
    case DnsType.SRV: {
      if (length < SRV_FIXED_BYTES + 1) {
        throw new DnsDecodeError(offset, `SRV rdata of ${length} bytes, at least 7 needed`);
      }
      const priority = (bytes[offset]! << 8) | bytes[offset + 1]!;
      const weight = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
      const port = (bytes[offset + 4]! << 8) | bytes[offset + 5]!;
      const target = readWholeName(bytes, offset + SRV_FIXED_BYTES, end, cache, "SRV");
      return { type, priority, weight, port, target };
    }
    case DnsType.NSEC: {
      cursor.offset = offset;
      const nextName = readDnsName(bytes, cursor, end, cache);
      return { type, nextName, types: readTypeBitmaps(bytes, cursor.offset, end) };
    }
    default: {
      const layout = NAMES_IN_RAW_RDATA.get(type);
      return {
        type,
        raw: layout === undefined
          ? copyOf(bytes, offset, end)
          : decompressRaw(bytes, offset, end, layout, cache),
      };
    }
  }
}

function wrongLength(offset: number, type: string, length: number, expected: number) {
  return new DnsDecodeError(offset, `${type} rdata of ${length} bytes, not ${expected}`);
}

function readWholeName(
  bytes: Uint8Array,
  offset: number,
  end: number,
  cache: DnsLabelCache | undefined,
  type: string,
): DnsName {
  cursor.offset = offset;
  const name = readDnsName(bytes, cursor, end, cache);
  if (cursor.offset !== end) {
    throw new DnsDecodeError(cursor.offset, `${end - cursor.offset} bytes after the ${type} name`);
  }
  return name;
}

/**
 * A fresh copy of `bytes[start, end)`. Not `bytes.slice()`: on a Node Buffer (what node:dgram
 * hands us) slice() is a view into the socket's pool, not a copy.
 */
function copyOf(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(bytes.subarray(start, end));
  return out;
}

function readStrings(bytes: Uint8Array, offset: number, end: number): Uint8Array[] {
  if (offset === end) return [new Uint8Array(0)];
  // one copy of the rdata and a view per string: a typed array allocation costs far more than a
  // view (bench: 3 strings in 1 us instead of 3)
  const copy = copyOf(bytes, offset, end);
  const strings: Uint8Array[] = [];
  const length = end - offset;
  let pos = 0;
  while (pos < length) {
    const size = copy[pos]!;
    if (pos + 1 + size > length) {
      throw new DnsDecodeError(offset + pos, `TXT string of ${size} bytes runs past the rdata`);
    }
    strings.push(copy.subarray(pos + 1, pos + 1 + size));
    pos += 1 + size;
  }
  return strings;
}

/** RFC 4034 section 4.1.2: windows in increasing order, each 1..32 bytes, bit 0 the window's 0. */
function readTypeBitmaps(bytes: Uint8Array, offset: number, end: number): number[] {
  const types: number[] = [];
  let pos = offset;
  let lastWindow = -1;
  while (pos < end) {
    if (pos + 2 > end) throw new DnsDecodeError(pos, "NSEC type bitmap window cut short");
    const window = bytes[pos]!;
    const length = bytes[pos + 1]!;
    if (window <= lastWindow) {
      // RFC 4034 section 4.1.2: blocks are present in increasing numerical order
      throw new DnsDecodeError(pos, `NSEC window ${window} after window ${lastWindow}`);
    }
    if (length === 0 || length > MAX_NSEC_WINDOW_BYTES) {
      throw new DnsDecodeError(pos, `NSEC window of ${length} bytes, not 1 to 32`);
    }
    if (pos + 2 + length > end) {
      throw new DnsDecodeError(pos, "NSEC type bitmap window runs past the rdata");
    }
    for (let i = 0; i < length; i++) {
      const bits = bytes[pos + 2 + i]!;
      if (bits === 0) continue;
      for (let bit = 0; bit < 8; bit++) {
        if (bits & (0x80 >>> bit)) types.push((window << 8) | (i << 3) | bit);
      }
    }
    lastWindow = window;
    pos += 2 + length;
  }
  return types;
}

function decompressRaw(
  bytes: Uint8Array,
  offset: number,
  end: number,
  [before, names, after]: readonly [number, number, number],
  cache: DnsLabelCache | undefined,
): Uint8Array {
  const fixedEnd = offset + before;
  if (fixedEnd > end) throw new DnsDecodeError(offset, "rdata shorter than its fixed part");
  cursor.offset = fixedEnd;
  const first = readDnsName(bytes, cursor, end, cache);
  const second = names === 2 ? readDnsName(bytes, cursor, end, cache) : undefined;
  const tail = cursor.offset;
  if (tail + after !== end) {
    throw new DnsDecodeError(tail, "rdata does not end after its names and fixed part");
  }
  const out = new Uint8Array(before + 2 * MAX_NAME_BYTES + after);
  out.set(bytes.subarray(offset, fixedEnd));
  let at = uncompressedNames().write(out, before, out.length, first, false);
  if (second !== undefined) at = uncompressedNames().write(out, at, out.length, second, false);
  out.set(bytes.subarray(tail, end), at);
  return out.slice(0, at + after);
}

let uncompressed: DnsNameCompressor | undefined;
/** A compressor used only to lay out names uncompressed (its table stays empty). */
function uncompressedNames(): DnsNameCompressor {
  return uncompressed ??= new DnsNameCompressor(0);
}

/**
 * Writes the rdata of `data` at `buffer[at]`, names compressed through `names` when given (RFC 6762
 * section 18.14: PTR, SRV, NSEC) and uncompressed otherwise; with `foldCase`, ASCII letters of
 * names are written lower case (for comparisons, never for the wire). Returns the offset after
 * it, or -1 when it does not fit before `limit`. Throws DnsEncodeError for a value out of range.
 */
export function writeRdata(
  buffer: Uint8Array,
  at: number,
  limit: number,
  data: DnsRecordData,
  names: DnsNameCompressor | undefined,
  foldCase = false,
): number {
  if ("raw" in data) {
    if (!(data.raw instanceof Uint8Array)) {
      throw new DnsEncodeError(`raw rdata of type ${data.type}`);
    }
    if (at + data.raw.length > limit) return -1;
    buffer.set(data.raw, at);
    return at + data.raw.length;
  }
  switch (data.type) {
    case DnsType.A: {
      if (data.address.indexOf(":") >= 0 || parseIpInto(data.address, words) !== 4) {
        throw new DnsEncodeError(`A record address is not a dotted quad: ${data.address}`);
      }
      if (at + IPV4_BYTES > limit) return -1;
      writeUint32(buffer, at, words[0]!);
      return at + IPV4_BYTES;
    }
    case DnsType.AAAA: {
      if (data.address.indexOf("%") >= 0 || parseIpInto(data.address, words) !== 6) {
        throw new DnsEncodeError(`AAAA record address is not IPv6 (no zone): ${data.address}`);
      }
      if (at + IPV6_BYTES > limit) return -1;
      for (let w = 0; w < 4; w++) writeUint32(buffer, at + 4 * w, words[w]!);
      return at + IPV6_BYTES;
    }
    case DnsType.PTR:
      return writeName(buffer, at, limit, data.target, names, foldCase);
    case DnsType.TXT:
      return writeStrings(buffer, at, limit, data.strings);
    case DnsType.SRV: {
      checkUint16(data.priority, "SRV priority");
      checkUint16(data.weight, "SRV weight");
      checkUint16(data.port, "SRV port");
      if (at + SRV_FIXED_BYTES > limit) return -1;
      writeUint16(buffer, at, data.priority);
      writeUint16(buffer, at + 2, data.weight);
      writeUint16(buffer, at + 4, data.port);
      return writeName(buffer, at + SRV_FIXED_BYTES, limit, data.target, names, foldCase);
    }
    case DnsType.NSEC: {
      const end = writeName(buffer, at, limit, data.nextName, names, foldCase);
      return end < 0 ? -1 : writeTypeBitmaps(buffer, end, limit, data.types);
    }
    default:
      throw new DnsEncodeError(`rdata of type ${(data as { type: unknown }).type} without raw`);
  }
}

function writeName(
  buffer: Uint8Array,
  at: number,
  limit: number,
  name: DnsName,
  names: DnsNameCompressor | undefined,
  foldCase: boolean,
): number {
  if (names !== undefined) return names.write(buffer, at, limit, name, true);
  const end = uncompressedNames().write(buffer, at, limit, name, false);
  // uncompressed: every byte below 0x40 is a length byte, so only label letters change
  if (foldCase && end > at) foldAscii(buffer, at, end);
  return end;
}

function writeStrings(
  buffer: Uint8Array,
  at: number,
  limit: number,
  strings: readonly Uint8Array[],
): number {
  // RFC 6763 section 6.1: an empty TXT record holds one empty string (a single zero byte)
  if (strings.length === 0) {
    if (at + 1 > limit) return -1;
    buffer[at] = 0;
    return at + 1;
  }
  let pos = at;
  for (const string of strings) {
    if (string.length > MAX_CHARACTER_STRING_BYTES) {
      throw new DnsEncodeError(`TXT string of ${string.length} bytes, at most 255`);
    }
    if (pos + 1 + string.length > limit) return -1;
    buffer[pos] = string.length;
    buffer.set(string, pos + 1);
    pos += 1 + string.length;
  }
  return pos;
}

function writeTypeBitmaps(
  buffer: Uint8Array,
  at: number,
  limit: number,
  types: readonly number[],
): number {
  for (const type of types) checkUint16(type, "NSEC type");
  const sorted = Uint16Array.from(types).sort();
  let pos = at;
  let i = 0;
  while (i < sorted.length) {
    const window = sorted[i]! >>> 8;
    let j = i;
    while (j < sorted.length && sorted[j]! >>> 8 === window) j++;
    const length = ((sorted[j - 1]! & 0xff) >>> 3) + 1; // RFC 4034 4.1.2: no trailing zero bytes
    if (pos + 2 + length > limit) return -1;
    buffer[pos] = window;
    buffer[pos + 1] = length;
    buffer.fill(0, pos + 2, pos + 2 + length);
    for (let k = i; k < j; k++) {
      const low = sorted[k]! & 0xff;
      buffer[pos + 2 + (low >>> 3)]! |= 0x80 >>> (low & 7);
    }
    pos += 2 + length;
    i = j;
  }
  return pos;
}

function foldAscii(buffer: Uint8Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const b = buffer[i]!;
    if (b >= 0x41 && b <= 0x5a) buffer[i] = b + 0x20;
  }
}

function checkUint16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new DnsEncodeError(`${what} ${value} is not 0..65535`);
  }
}

function writeUint16(buffer: Uint8Array, at: number, value: number): void {
  buffer[at] = value >>> 8;
  buffer[at + 1] = value & 0xff;
}

function writeUint32(buffer: Uint8Array, at: number, value: number): void {
  buffer[at] = value >>> 24;
  buffer[at + 1] = (value >>> 16) & 0xff;
  buffer[at + 2] = (value >>> 8) & 0xff;
  buffer[at + 3] = value & 0xff;
}

/** Room for two rdata of the largest size, side by side (rdataEqual() compares two). */
const SCRATCH_CAP = 2 * MAX_RDATA_BYTES + 2;
let scratch = new Uint8Array(512);
let lastRdataLength = 0;

/**
 * The rdata of `data` in canonical form: names uncompressed and in the case given, addresses as
 * bytes, an empty TXT as one empty string. RFC 6762 section 8.2 compares rdata in this form when
 * breaking a probing tie; it is also a record's identity on the wire. Throws DnsEncodeError for a
 * value out of range or rdata over 65535 bytes.
 *
 * @example
 * ```ts
 * encodeRdata({ type: DnsType.A, address: "192.0.2.1" }); // Uint8Array [192, 0, 2, 1]
 * ```
 */
export function encodeRdata(data: DnsRecordData): Uint8Array {
  return scratchRdata(data, false, 0).slice(0, lastRdataLength);
}

/**
 * Writes `data` uncompressed (names lower-cased with `foldCase`) into a shared scratch buffer at
 * `at`, growing it when needed, and returns the buffer: bytes before `at` are kept, the rdata
 * length is scratchRdataLength(). Valid until the next call. Internal to the codec.
 */
export function scratchRdata(data: DnsRecordData, foldCase: boolean, at: number): Uint8Array {
  for (;;) {
    const end = writeRdata(
      scratch,
      at,
      Math.min(scratch.length, at + MAX_RDATA_BYTES),
      data,
      undefined,
      foldCase,
    );
    if (end >= 0) {
      lastRdataLength = end - at;
      return scratch;
    }
    if (at + MAX_RDATA_BYTES <= scratch.length) {
      throw new DnsEncodeError(`rdata over ${MAX_RDATA_BYTES} bytes`);
    }
    const grown = new Uint8Array(Math.min(scratch.length * 4, SCRATCH_CAP));
    grown.set(scratch.subarray(0, at));
    scratch = grown;
  }
}

/** Length of the rdata the last scratchRdata() call wrote. Internal to the codec. */
export function scratchRdataLength(): number {
  return lastRdataLength;
}
