// MdnsQuerier in virtual time with a recording output: the continuous query schedule (RFC 6762
// 5.2), QU on the first query (5.4), known answers (7.1), duplicate question suppression (7.3),
// refresh and reconfirm queries (5.2, 10.4), passive observation (10.5) and response intake.
import { mdnsMessage, type MessageParts } from "./mdns_messages.ts";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  DNS_CLASS_IN,
  type DnsMessage,
  type DnsName,
  type DnsQuestion,
  type DnsRecord,
  DnsType,
} from "../../src/codec/dns/dns_types.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type { DatagramAddress } from "../../src/core/transport.ts";
import { MdnsQuerier } from "../../src/mdns/mdns_querier.ts";
import { VirtualScheduler } from "../../src/transport/virtual_scheduler.ts";

const SERVICE: DnsName = ["_p2psip", "_udp", "local"];
const HOST: DnsName = ["ap2", "local"];
const PEER: DatagramAddress = { host: "10.0.0.9", port: 5353 };

function q(name: DnsName, type: number, unicastResponse = false): DnsQuestion {
  return { name, type, class: DNS_CLASS_IN, unicastResponse };
}

function ptr(instance: string, ttl: number): DnsRecord {
  return {
    name: SERVICE,
    class: DNS_CLASS_IN,
    cacheFlush: false,
    ttl,
    data: { type: DnsType.PTR, target: [instance, ...SERVICE] },
  };
}

function a(address: string, ttl: number): DnsRecord {
  return {
    name: HOST,
    class: DNS_CLASS_IN,
    cacheFlush: true,
    ttl,
    data: { type: DnsType.A, address },
  };
}

function message(response: boolean, sections: MessageParts): DnsMessage {
  return mdnsMessage(response, sections);
}

interface Sent {
  readonly at: number;
  readonly message: DnsMessage;
}

function setup(options: { random?: () => number; maxQuestions?: number } = {}) {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  const metrics = new MetricsRegistry();
  const sent: Sent[] = [];
  const querier = new MdnsQuerier(
    options.maxQuestions === undefined ? {} : { maxQuestions: options.maxQuestions },
    {
      output: { send: (m) => sent.push({ at: clock.monotonic(), message: m }) },
      clock,
      scheduler,
      random: options.random ?? (() => 0),
      logger: silentLogger(),
      metrics,
    },
  );
  querier.start();
  const respond = (records: DnsRecord[], from = PEER) =>
    querier.handleMessage({ message: message(true, { answers: records }), from });
  return { clock, scheduler, metrics, sent, querier, respond };
}

/** Times of sent messages asking `question`. */
function timesAsking(sent: readonly Sent[], name: DnsName, type: number): number[] {
  return sent.filter((s) =>
    s.message.questions.some((x) => x.type === type && x.name.join(".") === name.join("."))
  ).map((s) => Math.round(s.at));
}

test("MdnsQuerier.startQuery() asks after 20-120 ms, then after 1, 2, 4 ... s, capped at one hour", () => {
  const { querier, scheduler, sent } = setup({ random: () => 0 });
  querier.startQuery(q(SERVICE, DnsType.PTR));
  scheduler.runUntil(20_000_000);
  const times = timesAsking(sent, SERVICE, DnsType.PTR);
  assert.is(times[0], 20);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  const expected = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048].map((s) => s * 1000);
  assert.equal(gaps.slice(0, expected.length), expected);
  assert.ok(gaps.length > expected.length + 2);
  for (const gap of gaps.slice(expected.length)) assert.is(gap, 3_600_000);
  // Each query is a plain mDNS query: ID 0, QR clear, one QM question.
  const first = sent[0]!.message;
  assert.is(first.id, 0);
  assert.is(first.flags.response, false);
  assert.equal(first.questions, [q(SERVICE, DnsType.PTR)]);
});

test("MdnsQuerier.startQuery() delays the first query by at most 120 ms", () => {
  const { querier, scheduler, sent } = setup({ random: () => 0.999_999 });
  querier.startQuery(q(SERVICE, DnsType.PTR));
  scheduler.runUntil(119);
  assert.is(sent.length, 0);
  scheduler.runUntil(120);
  assert.is(sent.length, 1);
});

test("MdnsQuerier.startQuery() with unicastResponse sets QU on the first query only", () => {
  const { querier, scheduler, sent } = setup();
  querier.startQuery(q(SERVICE, DnsType.PTR), { unicastResponse: true });
  scheduler.runUntil(5_000);
  assert.equal(sent.map((s) => s.message.questions[0]!.unicastResponse), [true, false, false]);
});

test("MdnsQuerier.startQuery() puts questions due together in one message", () => {
  const { querier, scheduler, sent } = setup();
  querier.startQuery(q(HOST, DnsType.A));
  querier.startQuery(q(HOST, DnsType.AAAA));
  scheduler.runUntil(100);
  assert.is(sent.length, 1);
  assert.equal(sent[0]!.message.questions.map((x) => x.type), [DnsType.A, DnsType.AAAA]);
});

test("MdnsQuerier.startQuery() refuses a question beyond maxQuestions and counts it", () => {
  const { querier, metrics } = setup({ maxQuestions: 2 });
  assert.ok(querier.startQuery(q(HOST, DnsType.A)));
  assert.ok(querier.startQuery(q(HOST, DnsType.AAAA)));
  assert.ok(querier.startQuery(q(HOST, DnsType.A))); // the same question again: no new slot
  assert.not.ok(querier.startQuery(q(SERVICE, DnsType.PTR)));
  assert.is(querier.activeQuestions, 2);
  assert.is(metrics.value("superpeer_mdns_querier_refused_total"), 1);
});

test("MdnsQuerier.stopQuery() ends a question once each startQuery() is matched", () => {
  const { querier, scheduler, sent } = setup();
  querier.startQuery(q(SERVICE, DnsType.PTR));
  querier.startQuery(q(SERVICE, DnsType.PTR));
  scheduler.runUntil(100);
  assert.ok(querier.stopQuery(q(SERVICE, DnsType.PTR)));
  scheduler.runUntil(1_100);
  assert.is(sent.length, 2);
  querier.stopQuery(q(SERVICE, DnsType.PTR));
  assert.not.ok(querier.isQuerying(q(SERVICE, DnsType.PTR)));
  scheduler.runUntil(100_000);
  assert.is(sent.length, 2);
  assert.not.ok(querier.stopQuery(q(SERVICE, DnsType.PTR)));
});

test("MdnsQuerier queries carry known answers above half their TTL, TTL set to the remaining seconds", () => {
  const { querier, scheduler, sent, respond } = setup();
  respond([ptr("long", 4500), ptr("short", 10)]); // t = 0
  querier.startQuery(q(SERVICE, DnsType.PTR)); // queries at 20, 1020, 3020, 7020 ms
  scheduler.runUntil(7_500); // (at 8 s comes the refresh of "short", at 80 % of its TTL)
  const known = sent.map((s) =>
    s.message.answers.map((r) => `${"target" in r.data ? r.data.target[0] : "?"}:${r.ttl}`)
  );
  assert.equal(known, [
    ["long:4499", "short:9"],
    ["long:4498", "short:8"],
    ["long:4496", "short:6"],
    ["long:4492"], // short has 2.98 s of 10 left: below half
  ]);
});

test("MdnsQuerier.handleMessage() caches answers and additionals of a response from port 5353", () => {
  const { querier, metrics } = setup();
  querier.handleMessage({
    message: message(true, { answers: [ptr("one", 4500)], additionals: [a("10.0.0.2", 120)] }),
    from: { host: "fe80::9", port: 5353 },
  });
  assert.is(querier.cache.lookup(SERVICE, DnsType.PTR).length, 1);
  assert.is(querier.cache.lookup(HOST, DnsType.A).length, 1);
  assert.is(metrics.value("superpeer_mdns_querier_responses_total"), 1);
});

test("MdnsQuerier.handleMessage() ignores responses from another port, with an rcode or an opcode", () => {
  const { querier, metrics } = setup();
  const answers = [ptr("one", 4500)];
  querier.handleMessage({ message: message(true, { answers }), from: { ...PEER, port: 5300 } });
  querier.handleMessage({ message: message(true, { answers, rcode: 3 }), from: PEER });
  querier.handleMessage({ message: message(true, { answers, opcode: 1 }), from: PEER });
  assert.is(querier.cache.size, 0);
  for (const reason of ["source_port", "rcode", "opcode"]) {
    assert.is(metrics.value("superpeer_mdns_querier_ignored_total", { reason }), 1, reason);
  }
});

test("MdnsQuerier.handleMessage() never caches the known answers of another host's query", () => {
  const { querier } = setup();
  querier.handleMessage({
    message: message(false, { questions: [q(SERVICE, DnsType.PTR)], answers: [ptr("one", 4500)] }),
    from: PEER,
  });
  assert.is(querier.cache.size, 0);
});

test("MdnsQuerier treats another host's QM query as its own when our known answers cover theirs", () => {
  const { querier, scheduler, sent, respond, metrics } = setup(); // first query due at 20 ms
  respond([ptr("one", 4500)]);
  querier.startQuery(q(SERVICE, DnsType.PTR));
  scheduler.runUntil(10);
  querier.handleMessage({
    message: message(false, { questions: [q(SERVICE, DnsType.PTR)], answers: [ptr("one", 4400)] }),
    from: PEER,
  });
  scheduler.runUntil(4_000);
  // Ours counts as sent at 10 ms: the next goes 1 s later, then 2 s after that.
  assert.equal(timesAsking(sent, SERVICE, DnsType.PTR), [1_010, 3_010]);
  assert.is(metrics.value("superpeer_mdns_querier_suppressed_total"), 1);
});

test("MdnsQuerier sends its query anyway when the other query lists a known answer we lack", () => {
  const { querier, scheduler, sent } = setup();
  querier.startQuery(q(SERVICE, DnsType.PTR));
  scheduler.runUntil(10);
  // Responders will not answer with "other": we would not learn it from their answers.
  querier.handleMessage({
    message: message(false, {
      questions: [q(SERVICE, DnsType.PTR)],
      answers: [ptr("other", 4500)],
    }),
    from: PEER,
  });
  scheduler.runUntil(100);
  assert.equal(timesAsking(sent, SERVICE, DnsType.PTR), [20]);
});

test("MdnsQuerier sends its query anyway after another host's QU or truncated query", () => {
  const { querier, scheduler, sent } = setup();
  querier.startQuery(q(SERVICE, DnsType.PTR));
  scheduler.runUntil(10);
  querier.handleMessage({
    message: message(false, { questions: [q(SERVICE, DnsType.PTR, true)] }),
    from: PEER,
  });
  querier.handleMessage({
    message: message(false, { questions: [q(SERVICE, DnsType.PTR)], truncated: true }),
    from: PEER,
  });
  scheduler.runUntil(100);
  assert.equal(timesAsking(sent, SERVICE, DnsType.PTR), [20]);
});

test("MdnsQuerier suppresses only in the second half of the gap before its next query", () => {
  const { querier, scheduler, sent } = setup();
  querier.startQuery(q(SERVICE, DnsType.PTR)); // sent at 20 ms, next due at 1020 ms
  const other = () =>
    querier.handleMessage({
      message: message(false, { questions: [q(SERVICE, DnsType.PTR)] }),
      from: PEER,
    });
  scheduler.runUntil(300);
  other(); // 280 ms into a 1000 ms gap: ours still goes at 1020 ms (and our own loopback too)
  scheduler.runUntil(1_100);
  other(); // 80 ms into the next 2000 ms gap: too early
  scheduler.runUntil(2_500);
  other(); // 1480 ms in: counts as our query at 2500 ms, next gap 4000 ms
  scheduler.runUntil(7_000);
  assert.equal(timesAsking(sent, SERVICE, DnsType.PTR), [20, 1_020, 6_500]);
});

test("MdnsQuerier refreshes an answer of a continuous question at 80-95 % of its TTL", () => {
  const { querier, scheduler, sent, respond, metrics } = setup({ random: () => 0.5 });
  querier.startQuery(q(HOST, DnsType.A)); // 70, 1070, 3070, ... 63070, 127070 ms
  scheduler.runUntil(1_000);
  respond([a("10.0.0.2", 120)]); // at 1 s: refresh at 81+1, 86+1, 91+1, 96+1 % of 120 s
  scheduler.runUntil(120_000);
  const refreshes = timesAsking(sent, HOST, DnsType.A).filter((t) => t > 64_000);
  assert.equal(refreshes, [98_200, 104_200, 110_200, 116_200]);
  for (const s of sent.filter((x) => x.at > 64_000)) assert.equal(s.message.answers, []);
  assert.is(metrics.value("superpeer_mdns_querier_queries_total", { kind: "maintenance" }), 4);
});

test("MdnsQuerier sends nothing for cached records nobody asks about", () => {
  const { scheduler, sent, respond } = setup();
  respond([a("10.0.0.2", 120), ptr("one", 4500)]);
  scheduler.runUntil(5_000_000);
  assert.equal(sent, []);
});

test("MdnsQuerier.query() sends one message now with known answers and nothing after", () => {
  const { querier, scheduler, sent, respond, metrics } = setup();
  respond([ptr("one", 4500)]);
  querier.query(q(SERVICE, DnsType.PTR, true));
  assert.is(sent.length, 1);
  assert.equal(sent[0]!.message.questions, [q(SERVICE, DnsType.PTR, true)]);
  assert.is(sent[0]!.message.answers.length, 1);
  scheduler.runUntil(100_000);
  assert.is(sent.length, 1);
  assert.is(metrics.value("superpeer_mdns_querier_queries_total", { kind: "one_shot" }), 1);
});

test("MdnsQuerier.reconfirm() queries twice without the record as known answer, then flushes it", () => {
  const { querier, scheduler, sent, respond } = setup();
  respond([a("10.0.0.2", 120)]);
  scheduler.runUntil(1_000);
  assert.ok(querier.reconfirm(a("10.0.0.2", 120)));
  scheduler.runUntil(10_999);
  assert.equal(timesAsking(sent, HOST, DnsType.A), [1_000, 3_000]);
  for (const s of sent) assert.equal(s.message.answers, []);
  assert.is(querier.cache.size, 1);
  scheduler.runUntil(11_000);
  assert.is(querier.cache.size, 0);
});

test("MdnsQuerier flushes a record two other hosts' queries drew no answer for (10.5)", () => {
  const { querier, scheduler, respond } = setup();
  respond([a("10.0.0.2", 120)]);
  const ask = () =>
    querier.handleMessage({
      message: message(false, { questions: [q(HOST, DnsType.A)] }),
      from: PEER,
    });
  scheduler.runUntil(5_000);
  ask();
  scheduler.runUntil(6_000);
  ask();
  scheduler.runUntil(14_999);
  assert.is(querier.cache.size, 1);
  scheduler.runUntil(15_000);
  assert.is(querier.cache.size, 0);
});

test("MdnsQuerier.stop() sends nothing more and start() begins again after 20-120 ms", () => {
  const { querier, scheduler, sent } = setup();
  querier.startQuery(q(SERVICE, DnsType.PTR));
  scheduler.runUntil(1_500);
  querier.stop();
  querier.stop();
  scheduler.runUntil(60_000);
  assert.equal(timesAsking(sent, SERVICE, DnsType.PTR), [20, 1_020]);
  querier.start();
  scheduler.runUntil(62_000);
  assert.equal(timesAsking(sent, SERVICE, DnsType.PTR), [20, 1_020, 60_020, 61_020]);
});

test.run();
