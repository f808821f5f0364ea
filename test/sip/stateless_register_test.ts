// The registrar's stateless path (RFC 3261 section 8.2.7): a REGISTER makes no server
// transaction, and its retransmission gets the kept answer byte for byte instead of a second
// processing (which would see its own CSeq again and fail with 500).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import { SipElement } from "../../src/sip/sip_element.ts";
import { StatelessAnswers } from "../../src/sip/stateless_answers.ts";
import { MemoryNetwork } from "../../src/transport/memory_network.ts";
import { VirtualScheduler } from "../../src/transport/virtual_scheduler.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

test("StatelessAnswers replays until the time is up and drops the oldest at its cap", () => {
  const answers = new StatelessAnswers({ maxEntries: 2, ttlMs: 1000 });
  answers.remember("a", encoder.encode("A"), 0);
  answers.remember("b", encoder.encode("B"), 10);
  assert.is(decoder.decode(answers.lookup("a", 999)!), "A");
  assert.is(answers.lookup("a", 1000), undefined, "lapsed");
  answers.remember("c", encoder.encode("C"), 20);
  assert.is(answers.lookup("a", 30), undefined, "dropped at the cap");
  assert.is(answers.evicted, 1);
  assert.is(decoder.decode(answers.lookup("c", 30)!), "C");
  answers.remember("d", encoder.encode("D"), 1015);
  assert.is(answers.size, 2, "lapsed answers are swept when a new one is kept");
  assert.is(answers.replayed, 2);
});

test("SipElement answers REGISTER without a transaction and replays it to a retransmission", () => {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  const network = new MemoryNetwork({ scheduler, random: () => 0.5 });
  const element = new SipElement({
    domains: ["mesh.example"],
    advertised: { host: "10.0.0.1", port: 5060 },
  }, {
    udp: network.attach({ host: "10.0.0.1", port: 5060 }),
    clock,
    scheduler,
    logger: silentLogger(),
    metrics: new MetricsRegistry(),
  });
  const phone = network.attach({ host: "10.0.1.1", port: 5060 });
  const received: string[] = [];
  phone.onDatagram((bytes) => void received.push(decoder.decode(bytes)));
  const register = (branch: string, cseq: number) =>
    encoder.encode([
      "REGISTER sip:mesh.example SIP/2.0",
      `Via: SIP/2.0/UDP 10.0.1.1:5060;branch=${branch};rport`,
      "Max-Forwards: 70",
      "To: <sip:alice@mesh.example>",
      "From: <sip:alice@mesh.example>;tag=s1",
      "Call-ID: stateless@10.0.1.1",
      `CSeq: ${cseq} REGISTER`,
      "Contact: <sip:alice@10.0.1.1:5060>",
      "Expires: 600",
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n"));
  const to = { host: "10.0.0.1", port: 5060 };
  phone.send(register("z9hG4bKs1", 1), to);
  scheduler.runFor(100);
  assert.is(received.length, 1);
  assert.ok(received[0]!.startsWith("SIP/2.0 200 OK"), received[0]);
  assert.is(element.transactions.serverCount, 0, "no server transaction");
  // the same request again (its 200 was lost): the same bytes, not a 500 for the old CSeq
  phone.send(register("z9hG4bKs1", 1), to);
  scheduler.runFor(100);
  assert.is(received.length, 2);
  assert.is(received[1], received[0]);
  assert.is(element.answers.replayed, 1);
  // a new request with the same CSeq but a new branch is a new request: 500 (section 10.3)
  phone.send(register("z9hG4bKs2", 1), to);
  scheduler.runFor(100);
  assert.ok(received[2]!.startsWith("SIP/2.0 500"), received[2]);
  assert.is(element.bindings.size, 1);
});

test.run();
