/**
 * Domain names on the wire (RFC 1035 sections 3.1 and 4.1.4, RFC 6762 sections 16 and 18.14):
 * reading with compression pointers, writing with compression against the names already in the
 * message.
 *
 * Reading. A name is a run of labels (a length byte 1..63, then the label) ended by a zero byte or
 * by a two-byte pointer to an earlier place in the message where the name goes on. Hostile input is
 * bounded three ways:
 * - a pointer must point strictly before the run of labels it ends (the start of the name, or the
 *   target of the previous pointer), and the labels read after a jump must end before that place:
 *   every jump goes strictly backwards, so no loop is possible (a pointer to itself, a forward
 *   pointer and a loop through two names are refused alike). Real encoders only ever point at a
 *   name written earlier in the message, which meets this;
 * - at most MAX_POINTER_JUMPS pointers are followed;
 * - the decoded name, length bytes and root included, is at most 255 bytes (RFC 1035 2.3.4).
 * Labels with the top bits 01 or 10 (RFC 6891 extended label types, never used) are refused.
 *
 * UTF-8 policy: mDNS names are UTF-8 (RFC 6762 section 16), and this codec keeps labels as text. A
 * label whose bytes are not valid UTF-8 is refused (DnsDecodeError), so the whole message is: there
 * is no faithful text for it, and decoding it with U+FFFD would make two different names equal and
 * would not re-encode to the bytes received. A byte order mark is kept as a character. Writing a
 * label whose text has a lone surrogate is refused for the same reason.
 *
 * @module
 */
import { MAX_LABEL_BYTES, MAX_NAME_BYTES } from "./dns_name.ts";
import type { DnsName } from "./dns_types.ts";
import { DnsDecodeError, DnsEncodeError } from "./dns_errors.ts";
import { MAX_POINTER_JUMPS, MAX_POINTER_OFFSET, POINTER_TAG } from "./constants.ts";

/** A read position that the reading functions move past what they read. */
export interface DnsCursor {
  offset: number;
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const EMPTY_NAME: DnsName = Object.freeze([]);

/**
 * Labels already decoded in one message, by offset, so a suffix that many names point at
 * ("_udp.local") is decoded once per message. reset() before each message: entries of an earlier
 * message are never returned after it (a generation stamp per offset, so reset() is O(1)).
 *
 * @example
 * ```ts
 * const cache = new DnsLabelCache();
 * cache.reset(); // a new message
 * const name = readDnsName(bytes, { offset: 12 }, bytes.length, cache);
 * ```
 */
export class DnsLabelCache {
  #generation = 1;
  readonly #stamps = new Uint32Array(MAX_POINTER_OFFSET + 1);
  readonly #labels: string[] = [];

  /** Forgets every label (call before decoding another message). */
  reset(): void {
    this.#generation = (this.#generation + 1) >>> 0;
    if (this.#generation === 0) {
      this.#stamps.fill(0);
      this.#generation = 1;
    }
  }

  /** The label whose length byte is at `offset`, if decoded since the last reset(). */
  get(offset: number): string | undefined {
    return offset <= MAX_POINTER_OFFSET && this.#stamps[offset] === this.#generation
      ? this.#labels[offset]
      : undefined;
  }

  /** Remembers the label whose length byte is at `offset` (only offsets a pointer can reach). */
  set(offset: number, label: string): void {
    if (offset > MAX_POINTER_OFFSET) return;
    this.#stamps[offset] = this.#generation;
    this.#labels[offset] = label;
  }
}

/**
 * Reads the name at `cursor.offset` of a whole message, following compression pointers (RFC 1035
 * section 4.1.4), and moves the cursor past the name's bytes in place (past the first pointer).
 * The bytes in place must end before `end` (a record's rdata end, or the message end); pointers
 * may lead anywhere earlier in `bytes`. Throws DnsDecodeError (see the module comment for the rules).
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array([5, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0, 0xc0, 0]);
 * const cursor = { offset: 7 };
 * readDnsName(bytes, cursor, bytes.length); // ["local"], cursor.offset === 9
 * ```
 */
export function readDnsName(
  bytes: Uint8Array,
  cursor: DnsCursor,
  end: number,
  cache?: DnsLabelCache,
): DnsName {
  let pos = cursor.offset;
  let limit = Math.min(end, bytes.length);
  let segmentStart = pos;
  let after = -1; // where the name's bytes in place end
  let jumps = 0;
  let total = 1; // the root label
  let labels: string[] | undefined;
  for (;;) {
    if (pos >= limit) throw new DnsDecodeError(pos, "name runs past its end");
    const length = bytes[pos]!;
    if (length === 0) {
      if (after < 0) after = pos + 1;
      break;
    }
    const tag = length & POINTER_TAG;
    if (tag === POINTER_TAG) {
      if (pos + 2 > limit) throw new DnsDecodeError(pos, "compression pointer cut short");
      const target = ((length & 0x3f) << 8) | bytes[pos + 1]!;
      if (after < 0) after = pos + 2;
      if (target >= segmentStart) {
        throw new DnsDecodeError(
          pos,
          `compression pointer to byte ${target}, not before byte ${segmentStart}`,
        );
      }
      if (++jumps > MAX_POINTER_JUMPS) {
        throw new DnsDecodeError(pos, `more than ${MAX_POINTER_JUMPS} compression pointers`);
      }
      // the name goes on at the target and must end before the run of labels that pointed there
      limit = segmentStart;
      segmentStart = target;
      pos = target;
      continue;
    }
    if (tag !== 0) {
      throw new DnsDecodeError(pos, `label type 0x${tag.toString(16)} is not supported`);
    }
    if (pos + 1 + length > limit) throw new DnsDecodeError(pos, "label runs past its end");
    total += 1 + length;
    if (total > MAX_NAME_BYTES) {
      throw new DnsDecodeError(pos, `name longer than ${MAX_NAME_BYTES} bytes`);
    }
    let label = cache?.get(pos);
    if (label === undefined) {
      label = decodeLabel(bytes, pos + 1, length);
      cache?.set(pos, label);
    }
    (labels ??= []).push(label);
    pos += 1 + length;
  }
  cursor.offset = after;
  return labels ?? EMPTY_NAME;
}

function decodeLabel(bytes: Uint8Array, start: number, length: number): string {
  const end = start + length;
  let text = "";
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b >= 0x80) return decodeUtf8Label(bytes, start, end);
    text += String.fromCharCode(b);
  }
  return text;
}

function decodeUtf8Label(bytes: Uint8Array, start: number, end: number): string {
  try {
    return utf8Decoder.decode(bytes.subarray(start, end));
  } catch {
    // see the module comment: no faithful text, so the message is refused
    throw new DnsDecodeError(start - 1, "label is not valid UTF-8");
  }
}

/**
 * Writes a name's labels as bytes (length byte, UTF-8 label) into `out` from 0, the root's zero
 * byte included; `starts` gets the offset of each label. Returns the byte count. Throws
 * DnsEncodeError for an empty label, a label over 63 bytes, a name over 255 bytes, lone surrogates.
 */
function layOutName(name: DnsName, out: Uint8Array, starts: Int32Array): number {
  if (name.length > 127) throw new DnsEncodeError(`name of ${name.length} labels`);
  let pos = 0;
  for (let i = 0; i < name.length; i++) {
    const label = name[i]!;
    starts[i] = pos;
    let length = 0;
    let ascii = true;
    for (let c = 0; c < label.length; c++) {
      const code = label.charCodeAt(c);
      if (code >= 0x80) {
        ascii = false;
        break;
      }
      if (c >= MAX_LABEL_BYTES) break;
      out[pos + 1 + c] = code;
    }
    if (ascii) {
      length = label.length;
    } else {
      if (LONE_SURROGATE.test(label)) {
        throw new DnsEncodeError(`label is not well-formed Unicode: ${JSON.stringify(label)}`);
      }
      const result = utf8Encoder.encodeInto(
        label,
        out.subarray(pos + 1, pos + 2 + MAX_LABEL_BYTES),
      );
      length = result.read < label.length ? MAX_LABEL_BYTES + 1 : result.written;
    }
    if (length === 0) throw new DnsEncodeError("empty label in a name");
    if (length > MAX_LABEL_BYTES) {
      // RFC 1035 section 2.3.4: labels are 63 octets or less
      throw new DnsEncodeError(`label longer than ${MAX_LABEL_BYTES} bytes: ${label}`);
    }
    out[pos] = length;
    pos += 1 + length;
    if (pos + 1 > MAX_NAME_BYTES) {
      // RFC 1035 section 2.3.4: names are 255 octets or less
      throw new DnsEncodeError(`name longer than ${MAX_NAME_BYTES} bytes: ${name.join(".")}`);
    }
  }
  out[pos] = 0;
  return pos + 1;
}

/**
 * A name in its uncompressed wire form (RFC 1035 section 3.1), case as given: what RFC 6762
 * section 8.2 compares and what rdata in canonical form holds. Throws DnsEncodeError for a name
 * that cannot go on the wire.
 *
 * @example
 * ```ts
 * encodeDnsName(["local"]); // Uint8Array [5, 108, 111, 99, 97, 108, 0]
 * ```
 */
export function encodeDnsName(name: DnsName): Uint8Array {
  const out = new Uint8Array(MAX_NAME_BYTES + MAX_LABEL_BYTES + 1);
  return out.slice(0, layOutName(name, out, new Int32Array(128)));
}

const BUCKETS = 256;
const FNV_PRIME = 0x01000193;
const FNV_OFFSET = 0x811c9dc5;

/**
 * Writes names into one message, each compressed against the names written before it (RFC 1035
 * section 4.1.4; RFC 6762 section 18.14 asks for compression wherever possible). Every suffix
 * written at an offset a pointer can reach is remembered in a fixed-size hash table; a match is
 * checked byte for byte against the message, so a hash collision never corrupts a name. Matching is
 * exact (case-sensitive): a later "Local" is not pointed at an earlier "local", so each name goes
 * out in the case it was given.
 *
 * mark() and rollback() undo the names written since the mark, so a record that does not fit
 * leaves no trace. Allocates nothing after construction.
 *
 * @example
 * ```ts
 * const names = new DnsNameCompressor(1452);
 * const buffer = new Uint8Array(1452);
 * let at = names.write(buffer, 12, buffer.length, ["_sip", "_udp", "local"], true);
 * at = names.write(buffer, at, buffer.length, ["phone", "_sip", "_udp", "local"], true); // 6 + 2 bytes
 * ```
 */
export class DnsNameCompressor {
  readonly #heads = new Int32Array(BUCKETS).fill(-1);
  readonly #next: Int32Array;
  readonly #hashes: Int32Array;
  readonly #offsets: Int32Array;
  #count = 0;
  readonly #scratch = new Uint8Array(MAX_NAME_BYTES + MAX_LABEL_BYTES + 1);
  readonly #starts = new Int32Array(128);
  readonly #suffixHashes = new Int32Array(128);

  /** `maxBytes`: the largest message the names go into (bounds the table). */
  constructor(maxBytes: number) {
    // every remembered suffix starts a label of at least two bytes at a reachable offset
    const capacity = (Math.min(maxBytes, MAX_POINTER_OFFSET + 1) >>> 1) + 1;
    this.#next = new Int32Array(capacity);
    this.#hashes = new Int32Array(capacity);
    this.#offsets = new Int32Array(capacity);
  }

  /** Forgets every name (a new message). */
  reset(): void {
    this.#heads.fill(-1);
    this.#count = 0;
  }

  /** A point to roll back to. */
  mark(): number {
    return this.#count;
  }

  /** Forgets the names remembered since `mark`. */
  rollback(mark: number): void {
    for (let e = this.#count - 1; e >= mark; e--) {
      this.#heads[this.#hashes[e]! & (BUCKETS - 1)] = this.#next[e]!;
    }
    this.#count = Math.min(this.#count, mark);
  }

  /**
   * Writes `name` at `buffer[at]`, ending with a pointer to the longest suffix already written when
   * `compress` is true (then remembering its new suffixes), uncompressed otherwise. Returns the
   * offset after the name, or -1 when it does not fit before `limit` (nothing remembered then).
   * Throws DnsEncodeError for a name that cannot go on the wire.
   */
  write(buffer: Uint8Array, at: number, limit: number, name: DnsName, compress: boolean): number {
    const scratch = this.#scratch;
    const starts = this.#starts;
    const size = layOutName(name, scratch, starts);
    const labels = name.length;
    if (!compress || labels === 0) {
      if (at + size > limit) return -1;
      copy(scratch, 0, buffer, at, size);
      return at + size;
    }
    const hashes = this.#suffixHashes;
    let hash = FNV_OFFSET;
    for (let i = labels - 1; i >= 0; i--) {
      const start = starts[i]!;
      const stop = start + 1 + scratch[start]!;
      for (let b = start; b < stop; b++) hash = Math.imul(hash ^ scratch[b]!, FNV_PRIME);
      hashes[i] = hash;
    }
    let matched = labels; // first label of the suffix found, labels when none
    let target = -1;
    for (let i = 0; i < labels; i++) {
      target = this.#find(hashes[i]!, buffer, starts[i]!);
      if (target >= 0) {
        matched = i;
        break;
      }
    }
    const literal = matched < labels ? starts[matched]! : size;
    const needed = literal + (matched < labels ? 2 : 0);
    if (at + needed > limit) return -1;
    copy(scratch, 0, buffer, at, literal);
    if (matched < labels) {
      buffer[at + literal] = POINTER_TAG | (target >>> 8);
      buffer[at + literal + 1] = target & 0xff;
    }
    for (let i = 0; i < matched; i++) this.#remember(hashes[i]!, at + starts[i]!);
    return at + needed;
  }

  #remember(hash: number, offset: number): void {
    if (offset > MAX_POINTER_OFFSET || this.#count >= this.#offsets.length) return;
    const e = this.#count++;
    const bucket = hash & (BUCKETS - 1);
    this.#hashes[e] = hash;
    this.#offsets[e] = offset;
    this.#next[e] = this.#heads[bucket]!;
    this.#heads[bucket] = e;
  }

  /** The offset of a written name equal to the scratch suffix at `start`, or -1. */
  #find(hash: number, buffer: Uint8Array, start: number): number {
    for (let e = this.#heads[hash & (BUCKETS - 1)]!; e >= 0; e = this.#next[e]!) {
      if (this.#hashes[e] === hash && this.#equalAt(buffer, this.#offsets[e]!, start)) {
        return this.#offsets[e]!;
      }
    }
    return -1;
  }

  /** Whether the name written at `buffer[offset]` (pointers followed) equals the scratch suffix. */
  #equalAt(buffer: Uint8Array, offset: number, start: number): boolean {
    const scratch = this.#scratch;
    let pos = offset;
    let s = start;
    for (;;) {
      let length = buffer[pos]!;
      // our own names: pointers go strictly backwards, so this ends
      while ((length & POINTER_TAG) === POINTER_TAG) {
        pos = ((length & 0x3f) << 8) | buffer[pos + 1]!;
        length = buffer[pos]!;
      }
      if (length !== scratch[s]) return false;
      if (length === 0) return true;
      for (let i = 1; i <= length; i++) {
        if (buffer[pos + i] !== scratch[s + i]) return false;
      }
      pos += 1 + length;
      s += 1 + length;
    }
  }
}

function copy(from: Uint8Array, start: number, to: Uint8Array, at: number, count: number): void {
  for (let i = 0; i < count; i++) to[at + i] = from[start + i]!;
}
