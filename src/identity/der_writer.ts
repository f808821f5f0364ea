// A small DER writer (ITU-T X.690 section 10): just the universal types an X.509 certificate
// needs, each returning a complete encoding (tag, definite length, contents) that nests by
// concatenation. Pure: no I/O, no clock. Read-side parsing is node:crypto's X509Certificate.

/** Universal tag numbers used here (X.680 section 8.6); constructed types carry bit 0x20. */
export const DerTag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  ObjectIdentifier: 0x06,
  Utf8String: 0x0c,
  PrintableString: 0x13,
  Ia5String: 0x16,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  Sequence: 0x30,
  Set: 0x31,
} as const;

/** The largest tag number written in the one-byte form (X.690 section 8.1.2.3). */
export const MAX_LOW_TAG_NUMBER = 30;

/**
 * Encodes a definite length (X.690 section 8.1.3): one byte below 128, else 0x80 | n followed by
 * n big-endian bytes with no leading zero (DER: the shortest form, section 10.1).
 *
 * @example
 * ```ts
 * encodeDerLength(0x100); // Uint8Array [0x82, 0x01, 0x00]
 * ```
 */
export function encodeDerLength(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`Cannot encode a DER length: ${length} is not a non-negative integer`);
  }
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  // Division, not shifts: lengths past 2^32 must not wrap.
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/**
 * Wraps `contents` in an identifier byte and a definite length. `tag` is the whole identifier
 * octet (class, constructed bit and a tag number up to 30).
 *
 * @example
 * ```ts
 * encodeDerTlv(DerTag.OctetString, Uint8Array.of(1, 2)); // 04 02 01 02
 * ```
 */
export function encodeDerTlv(tag: number, contents: Uint8Array): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw new RangeError(`Cannot encode a DER tag: 0x${tag.toString(16)} is not a low-form tag`);
  }
  const length = encodeDerLength(contents.length);
  const out = new Uint8Array(1 + length.length + contents.length);
  out[0] = tag;
  out.set(length, 1);
  out.set(contents, 1 + length.length);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * A SEQUENCE of already-encoded elements, in the order given.
 *
 * @example
 * ```ts
 * encodeDerSequence(encodeDerInteger(1), encodeDerBoolean(true));
 * ```
 */
export function encodeDerSequence(...elements: readonly Uint8Array[]): Uint8Array {
  return encodeDerTlv(DerTag.Sequence, concat(elements));
}

/**
 * A SET OF already-encoded elements, sorted as DER requires (X.690 section 11.6: ascending
 * order of the encodings, a shorter one first when it is a prefix of a longer one).
 *
 * @example
 * ```ts
 * encodeDerSet(encodeDerSequence(encodeDerOid("2.5.4.3"), encodeDerUtf8String("ap-1")));
 * ```
 */
export function encodeDerSet(...elements: readonly Uint8Array[]): Uint8Array {
  const sorted = [...elements].sort(compareBytes);
  return encodeDerTlv(DerTag.Set, concat(sorted));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/**
 * An INTEGER in minimal two's complement (X.690 section 8.3.2). A number or bigint may be
 * negative; a byte array is read as an unsigned big-endian magnitude (a serial number), so a
 * leading 0x00 is added when its top bit is set and surplus leading zeros are dropped.
 *
 * @example
 * ```ts
 * encodeDerInteger(2);                   // 02 01 02
 * encodeDerInteger(Uint8Array.of(0x80)); // 02 02 00 80
 * ```
 */
export function encodeDerInteger(value: number | bigint | Uint8Array): Uint8Array {
  if (value instanceof Uint8Array) {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    const magnitude = value.length === 0 ? Uint8Array.of(0) : value.subarray(start);
    const signByte = (magnitude[0]! & 0x80) !== 0 ? 1 : 0;
    const contents = new Uint8Array(signByte + magnitude.length);
    contents.set(magnitude, signByte);
    return encodeDerTlv(DerTag.Integer, contents);
  }
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new RangeError(`Cannot encode a DER INTEGER: ${value} is not a safe integer`);
  }
  let rest = BigInt(value);
  const bytes: number[] = [];
  // Emit low bytes until the rest is pure sign extension of the byte last written.
  for (;;) {
    const byte = Number(rest & 0xffn);
    bytes.unshift(byte);
    rest >>= 8n;
    if ((rest === 0n && (byte & 0x80) === 0) || (rest === -1n && (byte & 0x80) !== 0)) break;
  }
  return encodeDerTlv(DerTag.Integer, Uint8Array.from(bytes));
}

/**
 * A BOOLEAN: DER writes TRUE as 0xff (X.690 section 11.1).
 *
 * @example
 * ```ts
 * encodeDerBoolean(true); // 01 01 ff
 * ```
 */
export function encodeDerBoolean(value: boolean): Uint8Array {
  return encodeDerTlv(DerTag.Boolean, Uint8Array.of(value ? 0xff : 0x00));
}

/**
 * A NULL (05 00).
 *
 * @example
 * ```ts
 * encodeDerNull(); // 05 00
 * ```
 */
export function encodeDerNull(): Uint8Array {
  return Uint8Array.of(DerTag.Null, 0);
}

const OID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/;

/**
 * An OBJECT IDENTIFIER from dotted text (X.690 section 8.19): the first two arcs joined as
 * 40 * a + b, every arc in base 128 with the high bit marking continuation. Arcs of any size.
 *
 * @example
 * ```ts
 * encodeDerOid("1.2.840.10045.4.3.2"); // ecdsa-with-SHA256: 06 08 2a 86 48 ce 3d 04 03 02
 * ```
 */
export function encodeDerOid(dotted: string): Uint8Array {
  if (!OID_PATTERN.test(dotted)) {
    throw new RangeError(`Cannot encode an OID: "${dotted}" is not dotted decimal arcs`);
  }
  const arcs = dotted.split(".").map((arc) => BigInt(arc));
  const [first, second] = arcs as [bigint, bigint];
  // X.660: the first arc is 0, 1 or 2; under 0 and 1 the second arc is below 40.
  if (first > 2n || (first < 2n && second >= 40n)) {
    throw new RangeError(`Cannot encode an OID: "${dotted}" has invalid first arcs`);
  }
  const bytes: number[] = [];
  for (const arc of [first * 40n + second, ...arcs.slice(2)]) {
    const group: number[] = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) group.unshift(Number(rest & 0x7fn) | 0x80);
    bytes.push(...group);
  }
  return encodeDerTlv(DerTag.ObjectIdentifier, Uint8Array.from(bytes));
}

/**
 * A BIT STRING: a leading byte counting the unused bits of the last byte (X.690 section 8.6).
 * DER wants those unused bits zero (section 11.2.1); they are checked, not silently cleared.
 *
 * @example
 * ```ts
 * encodeDerBitString(Uint8Array.of(0x80), 7); // keyUsage digitalSignature: 03 02 07 80
 * ```
 */
export function encodeDerBitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) {
    throw new RangeError(`Cannot encode a BIT STRING: ${unusedBits} unused bits is not 0-7`);
  }
  if (bytes.length === 0 && unusedBits !== 0) {
    throw new RangeError("Cannot encode a BIT STRING: an empty string has no unused bits");
  }
  if (bytes.length > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    throw new RangeError("Cannot encode a BIT STRING: its unused bits are not zero");
  }
  const contents = new Uint8Array(1 + bytes.length);
  contents[0] = unusedBits;
  contents.set(bytes, 1);
  return encodeDerTlv(DerTag.BitString, contents);
}

/**
 * An OCTET STRING.
 *
 * @example
 * ```ts
 * encodeDerOctetString(Uint8Array.of(127, 0, 0, 1));
 * ```
 */
export function encodeDerOctetString(bytes: Uint8Array): Uint8Array {
  return encodeDerTlv(DerTag.OctetString, bytes);
}

/**
 * A UTF8String.
 *
 * @example
 * ```ts
 * encodeDerUtf8String("Café AP");
 * ```
 */
export function encodeDerUtf8String(text: string): Uint8Array {
  if (!text.isWellFormed()) {
    throw new RangeError("Cannot encode a UTF8String: the text has a lone surrogate");
  }
  return encodeDerTlv(DerTag.Utf8String, new TextEncoder().encode(text));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/**
 * A PrintableString; refuses characters outside its set (X.680 section 41.4).
 *
 * @example
 * ```ts
 * encodeDerPrintableString("DE");
 * ```
 */
export function encodeDerPrintableString(text: string): Uint8Array {
  if (!PRINTABLE.test(text)) {
    throw new RangeError(`Cannot encode a PrintableString: "${text}" has characters outside it`);
  }
  return encodeDerTlv(DerTag.PrintableString, new TextEncoder().encode(text));
}

/**
 * The contents of an IA5String (ASCII), for implicit tags such as a dNSName.
 *
 * @example
 * ```ts
 * encodeDerContext(2, ia5Bytes("ap.example"), { constructed: false });
 * ```
 */
export function ia5Bytes(text: string): Uint8Array {
  // deno-lint-ignore no-control-regex -- IA5 is exactly the 7-bit range
  if (!/^[\x00-\x7f]*$/.test(text)) {
    throw new RangeError(`Cannot encode an IA5String: "${text}" is not ASCII`);
  }
  return new TextEncoder().encode(text);
}

/**
 * An IA5String (ASCII).
 *
 * @example
 * ```ts
 * encodeDerIa5String("ap.example");
 * ```
 */
export function encodeDerIa5String(text: string): Uint8Array {
  return encodeDerTlv(DerTag.Ia5String, ia5Bytes(text));
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

function utcFields(time: Date): string {
  const ms = time.getTime();
  if (!Number.isFinite(ms)) throw new RangeError("Cannot encode a time: the date is invalid");
  return pad(time.getUTCMonth() + 1, 2) + pad(time.getUTCDate(), 2) +
    pad(time.getUTCHours(), 2) + pad(time.getUTCMinutes(), 2) + pad(time.getUTCSeconds(), 2) + "Z";
}

/**
 * A UTCTime `YYMMDDHHMMSSZ` for the years 1950-2049 (the RFC 5280 section 4.1.2.5.1 window);
 * milliseconds are dropped.
 *
 * @example
 * ```ts
 * encodeDerUtcTime(new Date("2049-12-31T23:59:59Z")); // "491231235959Z"
 * ```
 */
export function encodeDerUtcTime(time: Date): Uint8Array {
  const year = time.getUTCFullYear();
  if (!(year >= 1950 && year <= 2049)) {
    throw new RangeError(`Cannot encode a UTCTime: the year ${year} is outside 1950-2049`);
  }
  return encodeDerTlv(DerTag.UtcTime, ia5Bytes(pad(year % 100, 2) + utcFields(time)));
}

/**
 * A GeneralizedTime `YYYYMMDDHHMMSSZ` without fractional seconds (RFC 5280 section 4.1.2.5.2).
 *
 * @example
 * ```ts
 * encodeDerGeneralizedTime(new Date("2050-01-01T00:00:00Z")); // "20500101000000Z"
 * ```
 */
export function encodeDerGeneralizedTime(time: Date): Uint8Array {
  const year = time.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) {
    throw new RangeError(`Cannot encode a GeneralizedTime: the year ${year} is outside 0-9999`);
  }
  return encodeDerTlv(DerTag.GeneralizedTime, ia5Bytes(pad(year, 4) + utcFields(time)));
}

/**
 * A certificate Time: UTCTime through 2049, GeneralizedTime from 2050.
 *
 * @example
 * ```ts
 * encodeDerTime(new Date("2050-01-01T00:00:00Z"))[0]; // 0x18, GeneralizedTime
 * ```
 */
export function encodeDerTime(time: Date): Uint8Array {
  // RFC 5280 4.1.2.5: dates through 2049 MUST be UTCTime, 2050 or later MUST be GeneralizedTime.
  const year = time.getUTCFullYear();
  return year >= 1950 && year <= 2049 ? encodeDerUtcTime(time) : encodeDerGeneralizedTime(time);
}

/**
 * A context-specific tag `[number]` (X.690 section 8.1.2). Explicit tagging wraps a complete
 * encoding and is constructed; implicit tagging replaces the tag of the contents given, and is
 * constructed only when the underlying type is (a SEQUENCE, say).
 *
 * @example
 * ```ts
 * encodeDerContext(0, encodeDerInteger(2), { constructed: true }); // [0] EXPLICIT, version v3
 * encodeDerContext(7, Uint8Array.of(127, 0, 0, 1), { constructed: false }); // iPAddress
 * ```
 */
export function encodeDerContext(
  number: number,
  contents: Uint8Array,
  options: { constructed: boolean },
): Uint8Array {
  if (!Number.isInteger(number) || number < 0 || number > MAX_LOW_TAG_NUMBER) {
    throw new RangeError(`Cannot encode a context tag: [${number}] is not 0-30`);
  }
  return encodeDerTlv(0x80 | (options.constructed ? 0x20 : 0) | number, contents);
}
