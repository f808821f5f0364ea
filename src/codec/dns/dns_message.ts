/**
 * Decoding a whole DNS message (RFC 1035 section 4.1) as multicast DNS sends it (RFC 6762
 * section 18): the header, then the questions and the three record sections.
 *
 * @module
 */
import {
  CLASS_TOP_BIT,
  DNS_HEADER_BYTES,
  MAX_DNS_MESSAGE_BYTES,
  MAX_RECORDS_PER_MESSAGE,
  MIN_QUESTION_BYTES,
  MIN_RECORD_BYTES,
  QUESTION_FIXED_BYTES,
  RECORD_FIXED_BYTES,
} from "./constants.ts";
import { DnsDecodeError, type DnsSection } from "./dns_errors.ts";
import type { DnsFlags, DnsMessage, DnsQuestion, DnsRecord } from "./dns_types.ts";
import { type DnsCursor, DnsLabelCache, readDnsName } from "./name_wire.ts";
import { decodeRdata } from "./record_data.ts";

/** What decodeDnsMessage() may be told. */
export interface DecodeDnsMessageOptions {
  /**
   * Most questions plus records accepted; a header that announces more is refused before anything
   * is allocated for them.
   * @default MAX_RECORDS_PER_MESSAGE
   */
  readonly maxRecords?: number;
  /**
   * What to do with bytes after the last record the header announces: "ignore" them (RFC 1035 and
   * RFC 6762 say nothing of them; some senders pad) or "reject" the message.
   * @default "ignore"
   */
  readonly trailingBytes?: "ignore" | "reject";
}

const DEFAULT_OPTIONS: DecodeDnsMessageOptions = Object.freeze({});
const cache = new DnsLabelCache();
const cursor: DnsCursor = { offset: 0 };
const RECORD_SECTIONS = ["answer", "authority", "additional"] as const;

/**
 * Decodes one DNS message. Refused with DnsDecodeError (and `offset`, `section`, `index` saying
 * where): fewer than 12 bytes; more than 65535; counts announcing more entries than `maxRecords`
 * or than the bytes could hold; a name breaking the rules of name_wire.ts (pointers strictly
 * backwards, at most 255 bytes, valid UTF-8 labels); an entry or rdata running past the end;
 * rdata that does not hold what its type says (record_data.ts); trailing bytes with
 * `trailingBytes: "reject"`. Opcode, rcode and the Z, AD, CD bits are not checked: RFC 6762
 * sections 18.3 and 18.11 have the receiver ignore such messages, which is the caller's choice.
 *
 * The message shares no memory with `bytes`. Allocation: the message, its arrays and records;
 * labels that several names share through pointers are decoded once.
 *
 * @example
 * ```ts
 * const message = decodeDnsMessage(datagram);
 * if (!message.flags.response) for (const q of message.questions) answer(q);
 * ```
 */
export function decodeDnsMessage(
  bytes: Uint8Array,
  options: DecodeDnsMessageOptions = DEFAULT_OPTIONS,
): DnsMessage {
  if (bytes.length < DNS_HEADER_BYTES) {
    throw new DnsDecodeError(0, `${bytes.length} bytes, a header needs 12`, "header");
  }
  if (bytes.length > MAX_DNS_MESSAGE_BYTES) {
    throw new DnsDecodeError(0, `${bytes.length} bytes, at most 65535`, "header");
  }
  const id = readUint16(bytes, 0);
  const flags = decodeFlags(readUint16(bytes, 2));
  const questionCount = readUint16(bytes, 4);
  const counts = [readUint16(bytes, 6), readUint16(bytes, 8), readUint16(bytes, 10)] as const;
  const records = counts[0] + counts[1] + counts[2];
  const maxRecords = options.maxRecords ?? MAX_RECORDS_PER_MESSAGE;
  if (questionCount + records > maxRecords) {
    throw new DnsDecodeError(
      4,
      `${questionCount + records} questions and records, at most ${maxRecords}`,
      "header",
    );
  }
  const least = DNS_HEADER_BYTES + questionCount * MIN_QUESTION_BYTES + records * MIN_RECORD_BYTES;
  if (least > bytes.length) {
    throw new DnsDecodeError(
      4,
      `counts need at least ${least} bytes, the message has ${bytes.length}`,
      "header",
    );
  }
  cache.reset();
  cursor.offset = DNS_HEADER_BYTES;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < questionCount; i++) questions.push(readQuestion(bytes, i));
  const sections: DnsRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    const section = sections[s]!;
    for (let i = 0; i < counts[s]!; i++) section.push(readRecord(bytes, RECORD_SECTIONS[s]!, i));
  }
  if (cursor.offset < bytes.length && options.trailingBytes === "reject") {
    throw new DnsDecodeError(
      cursor.offset,
      `${bytes.length - cursor.offset} bytes after the last record`,
    );
  }
  return {
    id,
    flags,
    questions,
    answers: sections[0]!,
    authorities: sections[1]!,
    additionals: sections[2]!,
  };
}

function readQuestion(bytes: Uint8Array, index: number): DnsQuestion {
  try {
    const name = readDnsName(bytes, cursor, bytes.length, cache);
    const at = cursor.offset;
    if (at + QUESTION_FIXED_BYTES > bytes.length) {
      throw new DnsDecodeError(at, "type and class run past the end");
    }
    const type = readUint16(bytes, at);
    const cls = readUint16(bytes, at + 2);
    cursor.offset = at + QUESTION_FIXED_BYTES;
    return {
      name,
      type,
      class: cls & ~CLASS_TOP_BIT,
      unicastResponse: (cls & CLASS_TOP_BIT) !== 0, // RFC 6762 section 5.4: the QU bit
    };
  } catch (error) {
    throw placed(error, "question", index);
  }
}

function readRecord(bytes: Uint8Array, section: DnsSection, index: number): DnsRecord {
  try {
    const name = readDnsName(bytes, cursor, bytes.length, cache);
    const at = cursor.offset;
    if (at + RECORD_FIXED_BYTES > bytes.length) {
      throw new DnsDecodeError(at, "type, class, TTL and length run past the end");
    }
    const type = readUint16(bytes, at);
    const cls = readUint16(bytes, at + 2);
    const ttl = readUint32(bytes, at + 4);
    const length = readUint16(bytes, at + 8);
    const rdata = at + RECORD_FIXED_BYTES;
    if (rdata + length > bytes.length) {
      throw new DnsDecodeError(at + 8, `rdata of ${length} bytes runs past the end`);
    }
    const data = decodeRdata(bytes, rdata, length, type, cache);
    cursor.offset = rdata + length;
    return {
      name,
      class: cls & ~CLASS_TOP_BIT,
      cacheFlush: (cls & CLASS_TOP_BIT) !== 0, // RFC 6762 section 10.2: the cache-flush bit
      ttl,
      data,
    };
  } catch (error) {
    throw placed(error, section, index);
  }
}

function placed(error: unknown, section: DnsSection, index: number): unknown {
  return error instanceof DnsDecodeError ? error.placedIn(section, index) : error;
}

/** RFC 1035 section 4.1.1: QR, Opcode (4 bits), AA, TC, RD, RA, Z (3 bits), RCODE (4 bits). */
function decodeFlags(word: number): DnsFlags {
  return {
    response: (word & 0x8000) !== 0,
    opcode: (word >>> 11) & 0xf,
    authoritative: (word & 0x0400) !== 0,
    truncated: (word & 0x0200) !== 0,
    recursionDesired: (word & 0x0100) !== 0,
    recursionAvailable: (word & 0x0080) !== 0,
    rcode: word & 0xf,
  };
}

function readUint16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>>
    0;
}
