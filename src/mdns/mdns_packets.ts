/**
 * One logical mDNS message to the packets that carry it (RFC 6762 sections 7.2, 17 and 18.5).
 *
 * A query (QR clear): every question goes in the first packet, with the authority records (a
 * probe's proposed records, RFC 6762 section 8.2: they must travel with the questions they answer
 * for, so DnsEncodeError if they do not fit); known answers fill that packet and as many more as
 * needed, the TC bit set on every packet but the last (RFC 6762 section 7.2).
 *
 * A response (QR set): questions (legacy unicast, RFC 6762 section 6.7) in the first packet, then
 * answers and authority records spread over as many packets as needed; TC is never set (RFC 6762
 * section 18.5: it MUST be zero in multicast responses).
 *
 * Additional records, in either: each goes into the first packet with room for it, or is dropped
 * when none has (RFC 6763 section 12: clients MUST work without them); packDnsMessageDetailed()
 * counts the dropped ones. They never get a packet of their own unless the message has nothing
 * else.
 *
 * An answer or authority record too large for `maxBytes` on its own goes alone in a packet of up
 * to MAX_PACKET_PAYLOAD_BYTES (RFC 6762 section 17 allows IP fragmentation up to 9000 bytes); one
 * larger than that throws DnsEncodeError. Every packet is an independent copy.
 *
 * @module
 */
import { DnsEncodeError } from "../codec/dns/dns_errors.ts";
import type { DnsMessage, DnsRecord } from "../codec/dns/dns_types.ts";
import { DnsMessageWriter } from "../codec/dns/dns_writer.ts";
import { DEFAULT_MAX_SEND_BYTES, MAX_MDNS_MESSAGE_BYTES } from "./mdns_constants.ts";

/**
 * Largest DNS payload of one packet: RFC 6762 section 17 puts 9000 bytes on the whole packet, IP
 * and UDP headers included, so 9000 - 40 (IPv6) - 8 (UDP).
 */
export const MAX_PACKET_PAYLOAD_BYTES = MAX_MDNS_MESSAGE_BYTES - 48;

/** What packDnsMessageDetailed() produced. */
export interface PackedDnsMessage {
  /** The packets to send, in order; each an independent copy. */
  readonly packets: Uint8Array[];
  /** Additional records that fitted in no packet and were left out. */
  readonly droppedAdditionals: number;
}

const TC_BIT_IN_BYTE_2 = 0x02;

/**
 * Writers reused across calls, by packet size (one size per interface in practice): the packer runs
 * to completion, so one set per size serves every call.
 */
const pools = new Map<number, DnsMessageWriter[]>();
let used = 0;
let jumbo: DnsMessageWriter | undefined;

function take(maxBytes: number): DnsMessageWriter {
  let pool = pools.get(maxBytes);
  if (pool === undefined) pools.set(maxBytes, pool = []);
  const writer = pool[used] ?? (pool[used] = new DnsMessageWriter(maxBytes));
  used++;
  writer.reset();
  return writer;
}

function jumboWriter(): DnsMessageWriter {
  const writer = jumbo ??= new DnsMessageWriter(MAX_PACKET_PAYLOAD_BYTES);
  writer.reset();
  return writer;
}

/**
 * The packets of `message`, each at most `maxBytes` (but see the module comment for records too
 * large for that). Additional records that fit nowhere are dropped silently; use
 * packDnsMessageDetailed() to count them. Throws DnsEncodeError when an entry cannot be encoded,
 * a record is over MAX_PACKET_PAYLOAD_BYTES, or a query's questions and authority records do not
 * fit in one packet.
 *
 * @example
 * ```ts
 * for (const packet of packDnsMessage(response)) socket.send(packet, 5353, "224.0.0.251");
 * ```
 */
export function packDnsMessage(
  message: DnsMessage,
  maxBytes: number = DEFAULT_MAX_SEND_BYTES,
): Uint8Array[] {
  return packDnsMessageDetailed(message, maxBytes).packets;
}

/**
 * packDnsMessage(), also saying how many additional records were dropped.
 *
 * @example
 * ```ts
 * const { packets, droppedAdditionals } = packDnsMessageDetailed(response);
 * if (droppedAdditionals > 0) metrics.additionalsDropped.inc(droppedAdditionals);
 * ```
 */
export function packDnsMessageDetailed(
  message: DnsMessage,
  maxBytes: number = DEFAULT_MAX_SEND_BYTES,
): PackedDnsMessage {
  if (!Number.isInteger(maxBytes) || maxBytes < 12 || maxBytes > MAX_PACKET_PAYLOAD_BYTES) {
    throw new RangeError(`Cannot pack an mDNS message: maxBytes ${maxBytes}`);
  }
  used = 0;
  const query = !message.flags.response;
  // packets in order: writers still open, or finished bytes (packets that needed a jumbo writer)
  const slots: (DnsMessageWriter | Uint8Array)[] = [];
  let next = 0; // the first answer not placed yet
  if (query) {
    const first = firstQueryPacket(message, maxBytes);
    slots.push(first.packet);
    next = first.answers;
  }
  // a query's first packet may hold authority records: the known answers go on in a new packet
  let current = take(maxBytes);
  slots.push(current);
  if (!query) {
    for (const question of message.questions) {
      if (!current.addQuestion(question)) {
        throw new DnsEncodeError(`the questions do not fit in one packet of ${maxBytes} bytes`);
      }
    }
  }
  const place = (record: DnsRecord, authority: boolean): void => {
    const add = (writer: DnsMessageWriter) =>
      authority ? writer.addAuthority(record) : writer.addAnswer(record);
    if (add(current)) return;
    if (!current.isEmpty) {
      current = take(maxBytes);
      slots.push(current);
      if (add(current)) return;
    }
    // RFC 6762 section 17: a record larger than the MTU goes alone, fragmented by IP
    const alone = jumboWriter();
    if (!add(alone)) {
      throw new DnsEncodeError(
        `a record over ${MAX_PACKET_PAYLOAD_BYTES} bytes: ${record.name.join(".")}`,
      );
    }
    // before the empty writer that stays current
    slots.splice(slots.length - 1, 0, alone.finish(message.id, message.flags).slice());
  };
  for (let i = next; i < message.answers.length; i++) place(message.answers[i]!, false);
  if (!query) { for (const record of message.authorities) place(record, true); }
  const open = slots.filter((slot): slot is DnsMessageWriter =>
    slot instanceof DnsMessageWriter && !slot.isEmpty
  );
  // additional records ride in packets that are sent anyway, never in one of their own (unless
  // the message has nothing else)
  if (open.length === 0 && slots.every((slot) => slot instanceof DnsMessageWriter)) {
    open.push(current);
  }
  let droppedAdditionals = 0;
  for (const record of message.additionals) {
    if (!open.some((writer) => writer.addAdditional(record))) droppedAdditionals++;
  }
  const packets: Uint8Array[] = [];
  for (const slot of slots) {
    if (slot instanceof Uint8Array) packets.push(slot);
    else if (!slot.isEmpty) packets.push(slot.finish(message.id, message.flags).slice());
  }
  // a message with nothing in it is still one packet: a header
  if (packets.length === 0) packets.push(current.finish(message.id, message.flags).slice());
  for (let i = 0; i < packets.length; i++) {
    const packet = packets[i]!;
    // RFC 6762 7.2: a query's TC bit says more known answers follow; 18.5: responses never set it
    const truncated = query && i < packets.length - 1;
    packet[2] = truncated ? packet[2]! | TC_BIT_IN_BYTE_2 : packet[2]! & ~TC_BIT_IN_BYTE_2;
  }
  return { packets, droppedAdditionals };
}

/**
 * The first packet of a query: all questions, then as many known answers as leave room for all the
 * authority records. Returns the packet (a writer, or finished bytes when it needed a packet over
 * maxBytes) and how many answers it holds.
 */
function firstQueryPacket(
  message: DnsMessage,
  maxBytes: number,
): { packet: DnsMessageWriter | Uint8Array; answers: number } {
  const { questions, answers, authorities } = message;
  const fill = (writer: DnsMessageWriter, answerCount: number): boolean => {
    writer.reset();
    for (const question of questions) if (!writer.addQuestion(question)) return false;
    for (let i = 0; i < answerCount; i++) if (!writer.addAnswer(answers[i]!)) return false;
    for (const record of authorities) if (!writer.addAuthority(record)) return false;
    return true;
  };
  const writer = take(maxBytes);
  let fitting = 0;
  if (fill(writer, 0)) {
    // the known answers that fit after the questions...
    writer.reset();
    for (const question of questions) writer.addQuestion(question);
    while (fitting < answers.length && writer.addAnswer(answers[fitting]!)) fitting++;
    // ...then fewer until the authority records fit too. Not a binary search: dropping an answer
    // can make an authority record longer (a name it compressed against goes), so check each count
    for (; fitting >= 0; fitting--) {
      if (fill(writer, fitting)) return { packet: writer, answers: fitting };
    }
  }
  // the questions and authority records alone are over maxBytes: a packet of their own
  const alone = jumboWriter();
  if (!fill(alone, 0)) {
    throw new DnsEncodeError(
      `the questions and authority records do not fit in one packet of ${MAX_PACKET_PAYLOAD_BYTES} bytes`,
    );
  }
  return { packet: alone.finish(message.id, message.flags).slice(), answers: 0 };
}
