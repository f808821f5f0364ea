import { test } from "uvu";
import * as assert from "uvu/assert";
import { MDNS_QUERY_FLAGS, MDNS_RESPONSE_FLAGS } from "../../src/codec/dns/constants.ts";
import { DnsEncodeError } from "../../src/codec/dns/dns_errors.ts";
import { decodeDnsMessage } from "../../src/codec/dns/dns_message.ts";
import { dnsNameKey } from "../../src/codec/dns/dns_name.ts";
import type { DnsMessage, DnsQuestion, DnsRecord } from "../../src/codec/dns/dns_types.ts";
import { encodeDnsMessage } from "../../src/codec/dns/dns_writer.ts";
import { DEFAULT_MAX_SEND_BYTES } from "../../src/mdns/mdns_constants.ts";
import {
  MAX_PACKET_PAYLOAD_BYTES,
  packDnsMessage,
  packDnsMessageDetailed,
} from "../../src/mdns/mdns_packets.ts";

const SERVICE = ["_sip", "_udp", "local"];
const ptrQuestion: DnsQuestion = { name: SERVICE, type: 12, class: 1, unicastResponse: false };

function ptr(i: number, ttl = 4500): DnsRecord {
  return {
    name: SERVICE,
    class: 1,
    cacheFlush: false,
    ttl,
    data: { type: 12, target: [`Phone number ${i} of the office`, ...SERVICE] },
  };
}

function a(i: number): DnsRecord {
  return {
    name: [`host-${i}`, "local"],
    class: 1,
    cacheFlush: true,
    ttl: 120,
    data: { type: 1, address: `192.0.2.${i % 256}` },
  };
}

function txt(name: string[], bytes: number): DnsRecord {
  const strings: Uint8Array[] = [];
  for (let left = bytes; left > 0; left -= 256) {
    strings.push(new Uint8Array(Math.min(255, left - 1)));
  }
  return { name, class: 1, cacheFlush: true, ttl: 4500, data: { type: 16, strings } };
}

function query(answers: DnsRecord[], authorities: DnsRecord[] = []): DnsMessage {
  return {
    id: 0,
    flags: MDNS_QUERY_FLAGS,
    questions: [ptrQuestion],
    answers,
    authorities,
    additionals: [],
  };
}

function response(answers: DnsRecord[], additionals: DnsRecord[] = []): DnsMessage {
  return {
    id: 0,
    flags: MDNS_RESPONSE_FLAGS,
    questions: [],
    answers,
    authorities: [],
    additionals,
  };
}

const key = (r: DnsRecord) => `${dnsNameKey(r.name)} ${JSON.stringify(r.data)}`;

test("packDnsMessage() splits a query with 100 known answers, TC on all but the last (RFC 6762 7.2)", () => {
  const answers = Array.from({ length: 100 }, (_, i) => ptr(i));
  const packets = packDnsMessage(query(answers));
  assert.ok(packets.length >= 3, `${packets.length} packets`);
  const decoded = packets.map((p) => decodeDnsMessage(p, { trailingBytes: "reject" }));
  decoded.forEach((m, i) => {
    assert.is(m.flags.truncated, i < decoded.length - 1, `packet ${i} TC`);
    assert.is(m.flags.response, false);
    assert.is(m.questions.length, i === 0 ? 1 : 0, `packet ${i} questions`);
    assert.ok(packets[i]!.length <= DEFAULT_MAX_SEND_BYTES, `packet ${i}: ${packets[i]!.length}`);
  });
  assert.equal(decoded.flatMap((m) => m.answers).map(key), answers.map(key));
  // every packet but the last is full: the next answer would not have fitted
  for (let i = 0; i < packets.length - 1; i++) {
    assert.ok(packets[i]!.length > DEFAULT_MAX_SEND_BYTES - 60);
  }
});

test("packDnsMessage() sends a query that fits as one packet without TC", () => {
  const packets = packDnsMessage(query([ptr(1), ptr(2)]));
  assert.is(packets.length, 1);
  assert.is(decodeDnsMessage(packets[0]!).flags.truncated, false);
  assert.equal(packets[0], encodeDnsMessage(query([ptr(1), ptr(2)])));
});

test("packDnsMessage() clears a TC bit the caller set on the last packet and on responses", () => {
  const truncated = { ...query([ptr(1)]), flags: { ...MDNS_QUERY_FLAGS, truncated: true } };
  assert.is(decodeDnsMessage(packDnsMessage(truncated)[0]!).flags.truncated, false);
  const many = Array.from({ length: 100 }, (_, i) => ptr(i));
  const answer = { ...response(many), flags: { ...MDNS_RESPONSE_FLAGS, truncated: true } };
  for (const packet of packDnsMessage(answer)) {
    assert.is(decodeDnsMessage(packet).flags.truncated, false);
  }
});

test("packDnsMessage() keeps a probe's authority records in the first packet with the questions", () => {
  const proposed = [txt(["My Phone", ...SERVICE], 300), txt(["My Phone", ...SERVICE], 200)];
  const answers = Array.from({ length: 40 }, (_, i) => ptr(i));
  const packets = packDnsMessage(query(answers, proposed));
  const decoded = packets.map((p) => decodeDnsMessage(p));
  assert.is(decoded[0]!.questions.length, 1);
  assert.equal(decoded[0]!.authorities.map(key), proposed.map(key));
  for (const m of decoded.slice(1)) assert.is(m.authorities.length, 0);
  assert.equal(decoded.flatMap((m) => m.answers).map(key), answers.map(key));
  decoded.forEach((m, i) => assert.is(m.flags.truncated, i < decoded.length - 1));
  assert.ok(packets[0]!.length <= DEFAULT_MAX_SEND_BYTES);
});

test("packDnsMessage() throws when a query's questions and authorities cannot share a packet", () => {
  const huge = [txt(["a", "local"], 5_000), txt(["b", "local"], 5_000)];
  assert.throws(() => packDnsMessage(query([], huge)), (e: unknown) => e instanceof DnsEncodeError);
  // over maxBytes but within a 9000-byte packet: sent as one large first packet
  const large = [txt(["a", "local"], 2_000)];
  const packets = packDnsMessage(query([ptr(1)], large));
  assert.is(packets.length, 2);
  assert.ok(packets[0]!.length > DEFAULT_MAX_SEND_BYTES);
  const first = decodeDnsMessage(packets[0]!);
  assert.is(first.authorities.length, 1);
  assert.is(first.flags.truncated, true);
  assert.equal(decodeDnsMessage(packets[1]!).answers.map(key), [key(ptr(1))]);
});

test("packDnsMessage() spreads a response's answers over packets, each answer once, never TC", () => {
  const answers = Array.from({ length: 300 }, (_, i) => a(i));
  const packets = packDnsMessage(response(answers));
  assert.ok(packets.length >= 4, `${packets.length} packets`);
  const decoded = packets.map((p) => decodeDnsMessage(p, { trailingBytes: "reject" }));
  for (const m of decoded) {
    assert.is(m.flags.truncated, false);
    assert.is(m.flags.response, true);
    assert.is(m.flags.authoritative, true);
  }
  assert.equal(decoded.flatMap((m) => m.answers).map(key), answers.map(key));
  for (const p of packets) assert.ok(p.length <= DEFAULT_MAX_SEND_BYTES);
});

test("packDnsMessageDetailed() drops additionals that fit nowhere and counts them", () => {
  // 1 answer and 3 additionals of 500 bytes: the first packet holds the answer and two of them
  const answer = ptr(1);
  const additionals = [1, 2, 3].map((i) => txt([`Phone ${i}`, ...SERVICE], 500));
  const { packets, droppedAdditionals } = packDnsMessageDetailed(response([answer], additionals));
  assert.is(packets.length, 1);
  assert.is(droppedAdditionals, 1);
  const m = decodeDnsMessage(packets[0]!);
  assert.equal(m.answers.map(key), [key(answer)]);
  assert.equal(m.additionals.map(key), additionals.slice(0, 2).map(key));
  // packDnsMessage() drops the same, silently
  assert.equal(packDnsMessage(response([answer], additionals)), packets);
});

test("packDnsMessageDetailed() puts each additional in the first packet with room for it", () => {
  // two answers of 800 bytes: one per packet (833 bytes each), about 620 bytes free in each
  const answers = [txt(["one", "local"], 800), txt(["two", "local"], 800)];
  const small = a(7); // 23 bytes: packet 1
  const big = txt(["big", "local"], 700); // 716 bytes: no room anywhere
  const mid = txt(["mid", "local"], 500); // 516 bytes: still room in packet 1
  const more = txt(["more", "local"], 500); // 517 bytes: packet 1 is full now, packet 2
  const { packets, droppedAdditionals } = packDnsMessageDetailed(
    response(answers, [small, big, mid, more]),
  );
  const decoded = packets.map((p) => decodeDnsMessage(p));
  assert.is(packets.length, 2);
  assert.equal(decoded.map((m) => m.answers.map(key)), [[key(answers[0]!)], [key(answers[1]!)]]);
  assert.equal(decoded[0]!.additionals.map(key), [key(small), key(mid)]);
  assert.equal(decoded[1]!.additionals.map(key), [key(more)]);
  assert.is(droppedAdditionals, 1);
});

test("packDnsMessageDetailed() never sends additionals in a packet of their own", () => {
  // the answers fill two packets (1447 and 1452 bytes); the additional fits in neither: dropped,
  // no third packet
  const answers = Array.from({ length: 119 }, (_, i) => a(i));
  const additionals = [txt(["big", "local"], 1_000)];
  const { packets, droppedAdditionals } = packDnsMessageDetailed(response(answers, additionals));
  const decoded = packets.map((p) => decodeDnsMessage(p));
  assert.equal(decoded.flatMap((m) => m.answers).map(key), answers.map(key));
  assert.is(droppedAdditionals, 1);
  assert.is(packets.length, 2);
});

test("packDnsMessage() sends a record over maxBytes alone in a larger packet (RFC 6762 17)", () => {
  const big = txt(["big", "local"], 4_000);
  const answers = [a(1), a(2), big, a(3)];
  const packets = packDnsMessage(response(answers));
  const decoded = packets.map((p) => decodeDnsMessage(p));
  assert.equal(decoded.flatMap((m) => m.answers).map(key), answers.map(key));
  assert.is(packets.length, 3);
  assert.equal(decoded[1]!.answers.map(key), [key(big)]);
  assert.ok(
    packets[1]!.length > DEFAULT_MAX_SEND_BYTES && packets[1]!.length <= MAX_PACKET_PAYLOAD_BYTES,
  );
  assert.ok(
    packets[0]!.length <= DEFAULT_MAX_SEND_BYTES && packets[2]!.length <= DEFAULT_MAX_SEND_BYTES,
  );
  // the same in a query's known answers, TC still on all but the last
  const q = packDnsMessage(query([ptr(1), big, ptr(2)])).map((p) => decodeDnsMessage(p));
  assert.equal(q.flatMap((m) => m.answers).map(key), [ptr(1), big, ptr(2)].map(key));
  q.forEach((m, i) => assert.is(m.flags.truncated, i < q.length - 1));
});

test("packDnsMessage() throws for a record over 8952 bytes", () => {
  assert.throws(
    () => packDnsMessage(response([txt(["huge", "local"], 9_000)])),
    (e: unknown) => e instanceof DnsEncodeError,
  );
  assert.is(MAX_PACKET_PAYLOAD_BYTES, 8952);
});

test("packDnsMessage() returns independent copies and one header for an empty message", () => {
  const first = packDnsMessage(response([a(1)]));
  const second = packDnsMessage(response([a(2)]));
  assert.equal(decodeDnsMessage(first[0]!).answers.map(key), [key(a(1))]);
  assert.is.not(first[0]!.buffer, second[0]!.buffer);
  const empty = packDnsMessage(response([]));
  assert.is(empty.length, 1);
  assert.is(empty[0]!.length, 12);
});

test("packDnsMessage() keeps a legacy unicast response's questions in the first packet", () => {
  const message: DnsMessage = {
    ...response(Array.from({ length: 100 }, (_, i) => ptr(i))),
    id: 0x1234,
    questions: [ptrQuestion],
  };
  const decoded = packDnsMessage(message).map((p) => decodeDnsMessage(p));
  assert.is(decoded[0]!.questions.length, 1);
  for (const m of decoded.slice(1)) assert.is(m.questions.length, 0);
  for (const m of decoded) assert.is(m.id, 0x1234);
});

test("packDnsMessage() packs for several packet sizes in turn (one writer pool per size)", () => {
  const answers = Array.from({ length: 60 }, (_, i) => a(i));
  for (const size of [512, 1452, 512, 9000 - 48, 512]) {
    const packets = packDnsMessage(response(answers), size);
    for (const p of packets) assert.ok(p.length <= size);
    const decoded = packets.map((p) => decodeDnsMessage(p));
    assert.equal(decoded.flatMap((m) => m.answers).map(key), answers.map(key), `size ${size}`);
  }
});

test("packDnsMessage() refuses a maxBytes outside 12..8952", () => {
  for (const size of [11, 9000, 1.5]) {
    assert.throws(
      () => packDnsMessage(response([]), size),
      (e: unknown) => e instanceof RangeError,
    );
  }
});

test.run();
