import { Buffer } from "node:buffer";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MAX_RECORDS_PER_MESSAGE, MDNS_RESPONSE_FLAGS } from "../../../src/codec/dns/constants.ts";
import { encodeDnsMessage } from "../../../src/codec/dns/dns_writer.ts";
import { decodeDnsMessage } from "../../../src/codec/dns/dns_message.ts";
import { DnsDecodeError } from "../../../src/codec/dns/dns_errors.ts";
import {
  decodeErrorOf,
  hex,
  message,
  SAMPLE_RESPONSE,
  SAMPLE_RESPONSE_MESSAGE,
} from "./dns_vectors.ts";

test("decodeDnsMessage() reads a hand-assembled mDNS response with compression pointers", () => {
  assert.equal(decodeDnsMessage(SAMPLE_RESPONSE), SAMPLE_RESPONSE_MESSAGE);
});

test("decodeDnsMessage() reads the header flags and counts (RFC 1035 section 4.1.1)", () => {
  const bytes = hex("beef 7f8f 0000 0000 0000 0000");
  assert.equal(decodeDnsMessage(bytes).flags, {
    response: false,
    opcode: 15,
    authoritative: true,
    truncated: true,
    recursionDesired: true,
    recursionAvailable: true,
    rcode: 15,
  });
  assert.is(decodeDnsMessage(bytes).id, 0xbeef);
  assert.is(decodeDnsMessage(hex("0000 8000 0000 0000 0000 0000")).flags.response, true);
});

test("decodeDnsMessage() reads the QU bit of questions (RFC 6762 section 5.4)", () => {
  const bytes = message([2, 0, 0, 0], "05 6c6f63616c 00 000c 8001  c00c 00ff 0001");
  const { questions } = decodeDnsMessage(bytes);
  assert.equal(questions, [
    { name: ["local"], type: 12, class: 1, unicastResponse: true },
    { name: ["local"], type: 255, class: 1, unicastResponse: false },
  ]);
});

test("decodeDnsMessage() reads the cache-flush bit of records (RFC 6762 section 10.2)", () => {
  const bytes = message(
    [0, 2, 0, 0],
    "00 0001 8001 00000078 0004 c0000201  00 0001 00ff 00000000 0004 c0000202",
  );
  const { answers } = decodeDnsMessage(bytes);
  assert.is(answers[0]!.cacheFlush, true);
  assert.is(answers[0]!.class, 1);
  assert.is(answers[1]!.cacheFlush, false);
  assert.is(answers[1]!.class, 255);
  assert.is(answers[1]!.ttl, 0);
});

test("decodeDnsMessage() reads a TTL with the top bit set as an unsigned number", () => {
  const bytes = message([0, 1, 0, 0], "00 0001 0001 ffffffff 0004 c0000201");
  assert.is(decodeDnsMessage(bytes).answers[0]!.ttl, 0xffffffff);
});

test("decodeDnsMessage() reads RFC 1035 section 4.1.4's example names as questions", () => {
  // F.ISI.ARPA, FOO.F.ISI.ARPA, ARPA and the root as four questions, compressed as in the RFC
  const bytes = message(
    [4, 0, 0, 0],
    "01 46 03 495349 04 41525041 00 0001 0001  03 464f4f c00c 0001 0001  c012 0001 0001  00 0001 0001",
  );
  assert.equal(decodeDnsMessage(bytes).questions.map((q) => q.name), [
    ["F", "ISI", "ARPA"],
    ["FOO", "F", "ISI", "ARPA"],
    ["ARPA"],
    [],
  ]);
});

test("decodeDnsMessage() refuses a truncated header", () => {
  for (let length = 0; length < 12; length++) {
    const error = decodeErrorOf(() => decodeDnsMessage(new Uint8Array(length)));
    assert.is(error.section, "header");
    assert.is(error.offset, 0);
  }
});

test("decodeDnsMessage() refuses counts past the end before reading a record", () => {
  const error = decodeErrorOf(() => decodeDnsMessage(hex("0000 8400 0000 0001 0000 0000")));
  assert.is(error.section, "header");
  assert.match(error.reason, /counts need at least 23 bytes/);
  // 65535 of each: refused at once by the cap, not by reading
  const many = decodeErrorOf(() => decodeDnsMessage(hex("0000 8400 ffff ffff ffff ffff")));
  assert.match(many.reason, /at most 1024/);
});

test("decodeDnsMessage() refuses more questions and records than maxRecords", () => {
  const bytes = message([2, 0, 0, 0], "00 0001 0001 00 0001 0001");
  assert.is(decodeDnsMessage(bytes).questions.length, 2);
  assert.ok(
    decodeErrorOf(() => decodeDnsMessage(bytes, { maxRecords: 1 })) instanceof DnsDecodeError,
  );
  assert.is(MAX_RECORDS_PER_MESSAGE, 1024);
});

test("decodeDnsMessage() refuses an entry cut short where the counts fit", () => {
  // the count check passes (5 bytes per question), the name is longer than what is left
  const error = decodeErrorOf(() => decodeDnsMessage(message([1, 0, 0, 0], "05 6c6f63616c")));
  assert.is(error.section, "question");
  assert.is(error.index, 0);
  // a record whose fixed part is cut short
  const record = decodeErrorOf(() =>
    decodeDnsMessage(message([0, 1, 0, 0], "05 6c6f63616c 00 0001 0001 0000"))
  );
  assert.is(record.section, "answer");
  assert.match(record.reason, /run past the end/);
});

test("decodeDnsMessage() refuses an rdlength past the end and says where", () => {
  const bytes = message(
    [0, 1, 0, 1],
    "00 0001 0001 00000078 0004 c0000201  00 0001 0001 00000078 0005 c0000201",
  );
  const error = decodeErrorOf(() => decodeDnsMessage(bytes));
  assert.is(error.section, "additional");
  assert.is(error.index, 0);
  assert.is(error.offset, 12 + 15 + 9);
  assert.match(
    error.message,
    /^Cannot decode DNS message: additional 0 at byte 36: rdata of 5 bytes/,
  );
});

test("decodeDnsMessage() refuses malformed rdata inside a message and places the error", () => {
  const a3 = message([0, 0, 1, 0], "00 0001 0001 00000078 0003 c00002");
  const error = decodeErrorOf(() => decodeDnsMessage(a3));
  assert.is(error.section, "authority");
  assert.match(error.reason, /A rdata of 3 bytes/);
});

test("decodeDnsMessage() follows pointers from rdata to names earlier in the message", () => {
  // the PTR target points into the question's name; the SRV target at the PTR's rdata
  const bytes = message(
    [1, 2, 0, 0],
    "04 5f736970 05 6c6f63616c 00 000c 0001" +
      "c00c 000c 0001 00001194 0004 0161 c011" + // PTR a.local, "a" at 40
      "c028 0021 0001 00000078 0008 0000 0000 13c4 c028", // SRV target a.local
  );
  const { answers } = decodeDnsMessage(bytes);
  assert.equal(answers[0]!.data, { type: 12, target: ["a", "local"] });
  assert.equal(answers[1]!.name, ["a", "local"]);
  assert.equal(answers[1]!.data, {
    type: 33,
    priority: 0,
    weight: 0,
    port: 5060,
    target: ["a", "local"],
  });
});

test("decodeDnsMessage() ignores trailing bytes by default and refuses them when asked", () => {
  const bytes = message([1, 0, 0, 0], "00 0001 0001 deadbeef");
  assert.is(decodeDnsMessage(bytes).questions.length, 1);
  const error = decodeErrorOf(() => decodeDnsMessage(bytes, { trailingBytes: "reject" }));
  assert.match(error.reason, /4 bytes after the last record/);
  assert.is(error.offset, 17);
});

test("decodeDnsMessage() refuses a message over 65535 bytes", () => {
  assert.ok(decodeErrorOf(() => decodeDnsMessage(new Uint8Array(65536))) instanceof DnsDecodeError);
});

test("decodeDnsMessage() shares no memory with the bytes it read", () => {
  const bytes = SAMPLE_RESPONSE.slice();
  const decoded = decodeDnsMessage(bytes);
  bytes.fill(0);
  assert.equal(decoded, SAMPLE_RESPONSE_MESSAGE);
});

test("decodeDnsMessage() does not reuse labels of an earlier message at the same offsets", () => {
  const first = message([1, 0, 0, 0], "05 6c6f63616c 00 0001 0001");
  const second = message([1, 0, 0, 0], "05 6f74686572 00 0001 0001");
  assert.equal(decodeDnsMessage(first).questions[0]!.name, ["local"]);
  assert.equal(decodeDnsMessage(second).questions[0]!.name, ["other"]);
  first.set(second); // the same array, new contents: what a reused receive buffer does
  assert.equal(decodeDnsMessage(first).questions[0]!.name, ["other"]);
});

test("decodeDnsMessage() copies TXT and raw rdata out of a pooled Node Buffer (what node:dgram delivers)", () => {
  const txt = [new TextEncoder().encode("overlay=mesh"), new TextEncoder().encode("v=1")];
  const packet = encodeDnsMessage({
    id: 0,
    flags: MDNS_RESPONSE_FLAGS,
    questions: [],
    answers: [
      {
        name: ["x", "local"],
        class: 1,
        cacheFlush: true,
        ttl: 120,
        data: { type: 16, strings: txt },
      },
      {
        name: ["x", "local"],
        class: 1,
        cacheFlush: true,
        ttl: 120,
        data: { type: 99, raw: new Uint8Array([7, 8]) },
      },
    ],
    authorities: [],
    additionals: [],
  });
  // A Buffer at a non-zero offset of a larger pool, where Buffer#slice() is a view, not a copy.
  const pooled = Buffer.concat([Buffer.alloc(37, 0xee), Buffer.from(packet)]).subarray(37);
  const message = decodeDnsMessage(pooled);
  const data = message.answers[0]!.data;
  const strings = "strings" in data ? data.strings : [];
  assert.equal(strings.map((s) => new TextDecoder().decode(s)), ["overlay=mesh", "v=1"]);
  pooled.fill(0);
  assert.equal(strings.map((s) => new TextDecoder().decode(s)), ["overlay=mesh", "v=1"], "a copy");
  assert.equal([...(message.answers[1]!.data as { raw: Uint8Array }).raw], [7, 8]);
});

test.run();
