/**
 * Encoding DNS messages (RFC 1035 section 4.1) the way multicast DNS needs them (RFC 6762 sections
 * 7.2, 17, 18): record by record into one preallocated buffer, each addition refused without a
 * trace when it does not fit, so a caller can spread records over several packets.
 *
 * @module
 */
import {
  CLASS_TOP_BIT,
  DEFAULT_ENCODE_MAX_BYTES,
  DNS_HEADER_BYTES,
  MAX_DNS_MESSAGE_BYTES,
  MAX_RDATA_BYTES,
  QUESTION_FIXED_BYTES,
  RECORD_FIXED_BYTES,
} from "./constants.ts";
import { DnsEncodeError } from "./dns_errors.ts";
import type { DnsFlags, DnsMessage, DnsQuestion, DnsRecord } from "./dns_types.ts";
import { DnsNameCompressor } from "./name_wire.ts";
import { writeRdata } from "./record_data.ts";

const QUESTIONS = 0;
const ANSWERS = 1;
const AUTHORITIES = 2;
const ADDITIONALS = 3;
const SECTION_NAMES = ["questions", "answers", "authorities", "additionals"] as const;

/**
 * Builds one DNS message at a time in a buffer of `maxBytes`, allocated once. Add questions, then
 * answers, then authority records, then additional records (adding to an earlier section than the
 * last one added to throws DnsEncodeError); each add returns false and leaves the writer as it was
 * when the entry does not fit in what is left of `maxBytes`. Names are compressed against every
 * name already in the message, rdata names of PTR, SRV and NSEC included (RFC 6762 section 18.14).
 * An entry that cannot be encoded at all (a label over 63 bytes, a port over 65535, a bad address)
 * throws DnsEncodeError and also leaves the writer as it was.
 *
 * finish() returns a view into the writer's buffer, valid until the next add or reset(): send it
 * at once or `.slice()` it. The writer allocates nothing per message.
 *
 * @example
 * ```ts
 * const writer = new DnsMessageWriter(1452);
 * for (const record of answers) if (!writer.addAnswer(record)) break; // the rest: next packet
 * socket.send(writer.finish(0, MDNS_RESPONSE_FLAGS), 5353, "224.0.0.251");
 * writer.reset();
 * ```
 */
export class DnsMessageWriter {
  readonly #buffer: Uint8Array;
  readonly #names: DnsNameCompressor;
  readonly #counts = [0, 0, 0, 0];
  #end = DNS_HEADER_BYTES;
  #section = QUESTIONS;

  /** `maxBytes`: the largest message, header included (12..65535). */
  constructor(maxBytes: number = DEFAULT_ENCODE_MAX_BYTES) {
    if (
      !Number.isInteger(maxBytes) || maxBytes < DNS_HEADER_BYTES || maxBytes > MAX_DNS_MESSAGE_BYTES
    ) {
      throw new RangeError(`Cannot create a DNS message writer: maxBytes ${maxBytes}`);
    }
    this.#buffer = new Uint8Array(maxBytes);
    this.#names = new DnsNameCompressor(maxBytes);
  }

  /** The largest message this writer builds. */
  get maxBytes(): number {
    return this.#buffer.length;
  }

  /** Bytes of the message so far, header included. */
  get byteLength(): number {
    return this.#end;
  }

  /** Entries added so far: questions, answers, authority and additional records. */
  get questionCount(): number {
    return this.#counts[QUESTIONS]!;
  }
  get answerCount(): number {
    return this.#counts[ANSWERS]!;
  }
  get authorityCount(): number {
    return this.#counts[AUTHORITIES]!;
  }
  get additionalCount(): number {
    return this.#counts[ADDITIONALS]!;
  }

  /** Whether nothing was added since the last reset(). */
  get isEmpty(): boolean {
    return this.#end === DNS_HEADER_BYTES;
  }

  /** Starts a new message (the buffer is reused). */
  reset(): void {
    this.#end = DNS_HEADER_BYTES;
    this.#section = QUESTIONS;
    this.#counts.fill(0);
    this.#names.reset();
  }

  /** Adds a question (RFC 1035 section 4.1.2; `unicastResponse` is the QU bit, RFC 6762 5.4). */
  addQuestion(question: DnsQuestion): boolean {
    this.#checkOrder(QUESTIONS);
    const buffer = this.#buffer;
    const mark = this.#names.mark();
    try {
      checkUint16(question.type, "question type");
      checkClass(question.class);
      const at = this.#names.write(buffer, this.#end, buffer.length, question.name, true);
      if (at < 0 || at + QUESTION_FIXED_BYTES > buffer.length) {
        this.#names.rollback(mark);
        return false;
      }
      writeUint16(buffer, at, question.type);
      writeUint16(buffer, at + 2, question.class | (question.unicastResponse ? CLASS_TOP_BIT : 0));
      this.#commit(QUESTIONS, at + QUESTION_FIXED_BYTES);
      return true;
    } catch (error) {
      this.#names.rollback(mark);
      throw error;
    }
  }

  /** Adds an answer record (RFC 1035 section 4.1.3). */
  addAnswer(record: DnsRecord): boolean {
    return this.#addRecord(ANSWERS, record);
  }

  /** Adds an authority record: in mDNS, a probe's proposed records (RFC 6762 section 8.2). */
  addAuthority(record: DnsRecord): boolean {
    return this.#addRecord(AUTHORITIES, record);
  }

  /** Adds an additional record (RFC 6762 section 6: records the receiver will probably need). */
  addAdditional(record: DnsRecord): boolean {
    return this.#addRecord(ADDITIONALS, record);
  }

  /**
   * Writes the header and returns the message: a view into the writer's buffer, valid until the
   * next add or reset(). The Z, AD and CD bits go out as zero (RFC 6762 sections 18.8-18.10).
   */
  finish(id: number, flags: DnsFlags): Uint8Array {
    checkUint16(id, "message id");
    if (!Number.isInteger(flags.opcode) || flags.opcode < 0 || flags.opcode > 15) {
      throw new DnsEncodeError(`opcode ${flags.opcode} is not 0..15`);
    }
    if (!Number.isInteger(flags.rcode) || flags.rcode < 0 || flags.rcode > 15) {
      throw new DnsEncodeError(`rcode ${flags.rcode} is not 0..15`);
    }
    const buffer = this.#buffer;
    writeUint16(buffer, 0, id);
    writeUint16(
      buffer,
      2,
      (flags.response ? 0x8000 : 0) | (flags.opcode << 11) | (flags.authoritative ? 0x0400 : 0) |
        (flags.truncated ? 0x0200 : 0) | (flags.recursionDesired ? 0x0100 : 0) |
        (flags.recursionAvailable ? 0x0080 : 0) | flags.rcode,
    );
    for (let s = 0; s < 4; s++) writeUint16(buffer, 4 + 2 * s, this.#counts[s]!);
    return buffer.subarray(0, this.#end);
  }

  #checkOrder(section: number): void {
    if (section < this.#section) {
      throw new DnsEncodeError(
        `${SECTION_NAMES[section]} added after ${SECTION_NAMES[this.#section]}: ` +
          "add questions, answers, authorities, additionals in that order",
      );
    }
  }

  #commit(section: number, end: number): void {
    this.#end = end;
    this.#section = section;
    this.#counts[section]!++;
  }

  #addRecord(section: number, record: DnsRecord): boolean {
    this.#checkOrder(section);
    const buffer = this.#buffer;
    const limit = buffer.length;
    const names = this.#names;
    const mark = names.mark();
    try {
      const type = record.data.type;
      checkUint16(type, "record type");
      checkClass(record.class);
      if (!Number.isInteger(record.ttl) || record.ttl < 0 || record.ttl > 0xffffffff) {
        throw new DnsEncodeError(`TTL ${record.ttl} is not 0..4294967295`);
      }
      const at = names.write(buffer, this.#end, limit, record.name, true);
      const rdata = at + RECORD_FIXED_BYTES;
      const end = at < 0 || rdata > limit
        ? -1
        : writeRdata(buffer, rdata, limit, record.data, names);
      if (end < 0) {
        names.rollback(mark);
        return false;
      }
      if (end - rdata > MAX_RDATA_BYTES) {
        throw new DnsEncodeError(`rdata of ${end - rdata} bytes, at most ${MAX_RDATA_BYTES}`);
      }
      writeUint16(buffer, at, type);
      writeUint16(buffer, at + 2, record.class | (record.cacheFlush ? CLASS_TOP_BIT : 0));
      writeUint16(buffer, at + 4, record.ttl >>> 16);
      writeUint16(buffer, at + 6, record.ttl & 0xffff);
      writeUint16(buffer, at + 8, end - rdata);
      this.#commit(section, end);
      return true;
    } catch (error) {
      names.rollback(mark);
      throw error;
    }
  }
}

function checkUint16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new DnsEncodeError(`${what} ${value} is not 0..65535`);
  }
}

/** The class without its top bit, which is QU or cache-flush (RFC 6762 sections 5.4, 10.2). */
function checkClass(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= CLASS_TOP_BIT) {
    throw new DnsEncodeError(`class ${value} is not 0..32767`);
  }
}

function writeUint16(buffer: Uint8Array, at: number, value: number): void {
  buffer[at] = value >>> 8;
  buffer[at + 1] = value & 0xff;
}

let shared: DnsMessageWriter | undefined;

/**
 * Encodes a whole message into one packet of at most `maxBytes` (RFC 6762 section 17: 9000), names
 * compressed. Throws DnsEncodeError when it does not fit (mdns_packets.ts splits a message over
 * packets instead) or when an entry cannot be encoded. Returns a new array.
 *
 * @example
 * ```ts
 * const bytes = encodeDnsMessage({
 *   id: 0, flags: MDNS_QUERY_FLAGS, answers: [], authorities: [], additionals: [],
 *   questions: [{ name: ["_sip", "_udp", "local"], type: 12, class: 1, unicastResponse: false }],
 * });
 * ```
 */
export function encodeDnsMessage(
  message: DnsMessage,
  maxBytes: number = DEFAULT_ENCODE_MAX_BYTES,
): Uint8Array {
  const writer = maxBytes === DEFAULT_ENCODE_MAX_BYTES
    ? (shared ??= new DnsMessageWriter())
    : new DnsMessageWriter(maxBytes);
  writer.reset();
  const full = (what: string, index: number, of: number) =>
    new DnsEncodeError(`message over ${maxBytes} bytes at ${what} ${index + 1} of ${of}`);
  const { questions, answers, authorities, additionals } = message;
  for (let i = 0; i < questions.length; i++) {
    if (!writer.addQuestion(questions[i]!)) throw full("question", i, questions.length);
  }
  for (let i = 0; i < answers.length; i++) {
    if (!writer.addAnswer(answers[i]!)) throw full("answer", i, answers.length);
  }
  for (let i = 0; i < authorities.length; i++) {
    if (!writer.addAuthority(authorities[i]!)) throw full("authority", i, authorities.length);
  }
  for (let i = 0; i < additionals.length; i++) {
    if (!writer.addAdditional(additionals[i]!)) throw full("additional", i, additionals.length);
  }
  return writer.finish(message.id, message.flags).slice();
}
