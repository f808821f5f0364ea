import { test } from "uvu";
import * as assert from "uvu/assert";
import { MDNS_QUERY_FLAGS, MDNS_RESPONSE_FLAGS } from "../../../src/codec/dns/constants.ts";
import { DnsEncodeError } from "../../../src/codec/dns/dns_errors.ts";
import { decodeDnsMessage } from "../../../src/codec/dns/dns_message.ts";
import type { DnsMessage, DnsQuestion } from "../../../src/codec/dns/dns_types.ts";
import { DnsMessageWriter, encodeDnsMessage } from "../../../src/codec/dns/dns_writer.ts";
import {
  ascii,
  HOST,
  INSTANCE,
  message,
  record,
  SAMPLE_RESPONSE,
  SAMPLE_RESPONSE_MESSAGE,
  SERVICE,
  thrown,
  toHex,
} from "./dns_vectors.ts";

const question = (name: string[], type = 12, unicastResponse = false): DnsQuestion => ({
  name,
  type,
  class: 1,
  unicastResponse,
});

test("encodeDnsMessage() writes the hand-assembled mDNS response byte for byte", () => {
  assert.is(toHex(encodeDnsMessage(SAMPLE_RESPONSE_MESSAGE)), toHex(SAMPLE_RESPONSE));
});

test("encodeDnsMessage() writes RFC 1035 section 4.1.4's names with the RFC's pointers", () => {
  const names = [["F", "ISI", "ARPA"], ["FOO", "F", "ISI", "ARPA"], ["ARPA"], []];
  const bytes = encodeDnsMessage({
    id: 0,
    flags: MDNS_QUERY_FLAGS,
    questions: names.map((name) => question(name, 1)),
    answers: [],
    authorities: [],
    additionals: [],
  });
  const expected = message(
    [4, 0, 0, 0],
    "01 46 03 495349 04 41525041 00 0001 0001  03 464f4f c00c 0001 0001  c012 0001 0001  00 0001 0001",
  );
  expected[2] = 0; // a query
  assert.is(toHex(bytes), toHex(expected));
});

test("encodeDnsMessage() round-trips every record type, the QU and cache-flush bits", () => {
  const original: DnsMessage = {
    id: 0x1234,
    flags: { ...MDNS_RESPONSE_FLAGS, opcode: 0, rcode: 0 },
    questions: [question(SERVICE, 12, true), question(INSTANCE, 255, false)],
    answers: [
      record(SERVICE, { type: 12, target: INSTANCE }, 4500),
      record(INSTANCE, { type: 33, priority: 10, weight: 20, port: 5061, target: HOST }, 120, true),
      record(INSTANCE, { type: 16, strings: [ascii("txtvers=1"), ascii("secure")] }, 4500, true),
    ],
    authorities: [record(HOST, { type: 1, address: "192.0.2.7" }, 120)],
    additionals: [
      record(HOST, { type: 28, address: "fe80::1:2" }, 120, true),
      record(HOST, { type: 47, nextName: HOST, types: [1, 28] }, 120, true),
      record(HOST, { type: 13, raw: ascii("\x03CPU\x02OS") }, 120, false), // HINFO kept raw
      record(["x", "local"], { type: 5, raw: Uint8Array.of(1, 0x79, 5, ...ascii("local"), 0) }),
    ],
  };
  const bytes = encodeDnsMessage(original);
  assert.equal(decodeDnsMessage(bytes), original);
  assert.is(toHex(encodeDnsMessage(decodeDnsMessage(bytes))), toHex(bytes));
});

test("encodeDnsMessage() writes the header flags of RFC 1035 section 4.1.1", () => {
  const bytes = encodeDnsMessage({
    id: 0xbeef,
    flags: {
      response: false,
      opcode: 15,
      authoritative: true,
      truncated: true,
      recursionDesired: true,
      recursionAvailable: true,
      rcode: 15,
    },
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  });
  assert.is(toHex(bytes), "beef7f8f0000000000000000");
  assert.is(
    toHex(encodeDnsMessage({ ...SAMPLE_RESPONSE_MESSAGE, additionals: [], answers: [] })),
    "000084000000000000000000",
  );
});

test("encodeDnsMessage() throws DnsEncodeError when the message does not fit", () => {
  const error = thrown(() => encodeDnsMessage(SAMPLE_RESPONSE_MESSAGE, 100));
  assert.ok(error instanceof DnsEncodeError);
  assert.match((error as Error).message, /over 100 bytes at additional 3 of 3/);
  assert.is(encodeDnsMessage(SAMPLE_RESPONSE_MESSAGE, SAMPLE_RESPONSE.length).length, 114);
});

test("encodeDnsMessage() refuses values out of range", () => {
  const base = SAMPLE_RESPONSE_MESSAGE;
  const bad: DnsMessage[] = [
    { ...base, id: 65536 },
    { ...base, flags: { ...base.flags, opcode: 16 } },
    { ...base, flags: { ...base.flags, rcode: -1 } },
    { ...base, answers: [{ ...base.answers[0]!, ttl: 2 ** 32 }] },
    { ...base, answers: [{ ...base.answers[0]!, ttl: -1 }] },
    { ...base, answers: [{ ...base.answers[0]!, class: 0x8001 }] },
    { ...base, answers: [{ ...base.answers[0]!, name: ["a".repeat(64)] }] },
    { ...base, answers: [{ ...base.answers[0]!, data: { type: 70000, raw: new Uint8Array(0) } }] },
    { ...base, questions: [{ ...question(SERVICE), type: -1 }] },
    { ...base, questions: [{ ...question(SERVICE), class: 0x8000 }] },
  ];
  for (const message of bad) {
    assert.ok(thrown(() => encodeDnsMessage(message)) instanceof DnsEncodeError);
  }
});

test("DnsMessageWriter add* returns false and leaves the writer unchanged when full", () => {
  const writer = new DnsMessageWriter(61);
  assert.ok(writer.addAnswer(SAMPLE_RESPONSE_MESSAGE.answers[0]!)); // 12 + 17 + 10 + 11 = 50
  const before = toHex(writer.finish(0, MDNS_RESPONSE_FLAGS));
  const srv = SAMPLE_RESPONSE_MESSAGE.additionals[0]!;
  assert.not.ok(writer.addAdditional(srv)); // 2 + 10 + 14 = 26 more
  assert.is(writer.byteLength, 50);
  assert.is(writer.additionalCount, 0);
  assert.is(toHex(writer.finish(0, MDNS_RESPONSE_FLAGS)), before);
  // still in the answer section: a refused additional did not move the section on
  assert.not.ok(writer.addAnswer(record(["a"], { type: 1, address: "192.0.2.1" }))); // 17 bytes
  assert.ok(writer.addAnswer(record([], { type: 99, raw: new Uint8Array(0) }))); // 11 bytes
  assert.is(writer.answerCount, 2);
  assert.is(writer.byteLength, 61);
});

test("DnsMessageWriter leaves no compression entry behind after a refused record", () => {
  // the owner name "phone.local" was written (and remembered) before the record's rdata was
  // refused; a later name must not point at those discarded bytes
  const writer = new DnsMessageWriter(80);
  assert.ok(writer.addAnswer(record(["local"], { type: 1, address: "192.0.2.1" }))); // 12+7+14=33
  const big = record(["phone", "local"], { type: 16, strings: [new Uint8Array(40)] });
  assert.not.ok(writer.addAnswer(big)); // 8 + 10 + 41: 92 > 80
  assert.ok(writer.addAnswer(record(["phone", "local"], { type: 1, address: "192.0.2.2" })));
  const decoded = decodeDnsMessage(writer.finish(0, MDNS_RESPONSE_FLAGS));
  assert.equal(decoded.answers.map((r) => r.name), [["local"], ["phone", "local"]]);
});

test("DnsMessageWriter leaves no trace after an entry that throws", () => {
  const writer = new DnsMessageWriter(200);
  assert.ok(writer.addAnswer(record(HOST, { type: 1, address: "192.0.2.1" })));
  const length = writer.byteLength;
  const bad = record(["other", "local"], {
    type: 33,
    priority: 0,
    weight: 0,
    port: 70000,
    target: HOST,
  });
  assert.ok(thrown(() => writer.addAnswer(bad)) instanceof DnsEncodeError);
  assert.is(writer.byteLength, length);
  assert.is(writer.answerCount, 1);
  assert.ok(writer.addAnswer(record(["other", "local"], { type: 1, address: "192.0.2.2" })));
  const decoded = decodeDnsMessage(writer.finish(0, MDNS_RESPONSE_FLAGS));
  assert.equal(decoded.answers[1]!.name, ["other", "local"]);
});

test("DnsMessageWriter throws when sections are added out of order", () => {
  const writer = new DnsMessageWriter();
  assert.ok(writer.addAuthority(record(HOST, { type: 1, address: "192.0.2.1" })));
  const error = thrown(() => writer.addAnswer(record(HOST, { type: 1, address: "192.0.2.2" })));
  assert.ok(error instanceof DnsEncodeError);
  assert.match((error as Error).message, /answers added after authorities/);
  assert.ok(thrown(() => writer.addQuestion(question(SERVICE))) instanceof DnsEncodeError);
  assert.ok(writer.addAuthority(record(HOST, { type: 1, address: "192.0.2.3" })));
  assert.ok(writer.addAdditional(record(HOST, { type: 1, address: "192.0.2.4" })));
  assert.ok(
    thrown(() => writer.addAuthority(record(HOST, { type: 1, address: "192.0.2.5" }))) instanceof
      DnsEncodeError,
  );
});

test("DnsMessageWriter finish() returns a view; reset() starts a new message in the same buffer", () => {
  const writer = new DnsMessageWriter(512);
  writer.addAnswer(SAMPLE_RESPONSE_MESSAGE.answers[0]!);
  const first = writer.finish(7, MDNS_RESPONSE_FLAGS);
  const copy = first.slice();
  writer.reset();
  assert.ok(writer.isEmpty);
  assert.is(writer.byteLength, 12);
  writer.addQuestion(question(["other", "local"]));
  writer.finish(8, MDNS_QUERY_FLAGS);
  assert.is.not(toHex(first), toHex(copy)); // the view saw the new message
  // after reset() nothing of the old message is pointed at
  const decoded = decodeDnsMessage(writer.finish(8, MDNS_QUERY_FLAGS));
  assert.equal(decoded.questions[0]!.name, ["other", "local"]);
  assert.is(decoded.answers.length, 0);
});

test("DnsMessageWriter compresses rdata names against owner names and the other way round", () => {
  const writer = new DnsMessageWriter(512);
  for (const r of SAMPLE_RESPONSE_MESSAGE.answers) writer.addAnswer(r);
  for (const r of SAMPLE_RESPONSE_MESSAGE.additionals) writer.addAdditional(r);
  assert.is(toHex(writer.finish(0, MDNS_RESPONSE_FLAGS)), toHex(SAMPLE_RESPONSE));
  assert.is(writer.answerCount + writer.additionalCount, 4);
});

test("DnsMessageWriter refuses a size outside 12..65535", () => {
  for (const size of [11, 65536, 1.5, NaN]) {
    assert.ok(thrown(() => new DnsMessageWriter(size)) instanceof RangeError, String(size));
  }
  assert.is(new DnsMessageWriter(12).maxBytes, 12);
});

test("DnsMessageWriter fills a 9000-byte message and every record decodes", () => {
  const writer = new DnsMessageWriter(9000);
  let added = 0;
  while (writer.addAnswer(record([`host-${added}`, "local"], { type: 1, address: "192.0.2.1" }))) {
    added++;
  }
  assert.ok(writer.byteLength <= 9000 && writer.byteLength > 9000 - 30);
  const decoded = decodeDnsMessage(writer.finish(0, MDNS_RESPONSE_FLAGS));
  assert.is(decoded.answers.length, added);
  assert.equal(decoded.answers[added - 1]!.name, [`host-${added - 1}`, "local"]);
});

test.run();
