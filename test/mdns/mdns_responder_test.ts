import { test } from "uvu";
import * as assert from "uvu/assert";
import { DnsType } from "../../src/codec/dns/dns_types.ts";
import { dnsNameText } from "../../src/codec/dns/dns_name.ts";
import {
  hostLabelForAttempt,
  hostName,
  hostRecords,
  instanceForAttempt,
  serviceRecords,
} from "../../src/mdns/dns_sd_records.ts";
import {
  counterValue,
  PEER,
  queryMessage,
  question,
  responderHarness,
  responseMessage,
} from "./responder_harness.ts";

const HOST = (attempt: number) =>
  hostRecords(hostName(hostLabelForAttempt("ap1", attempt)), ["10.77.0.2"], ["fe80::2"]);
const SIP = { instance: "superpeer ap1", type: ["_sip", "_udp"] as const, port: 5060, txt: [] };
const SERVICE = (attempt: number) =>
  serviceRecords(SIP, instanceForAttempt(SIP.instance, attempt), hostName("ap1"));
const SIP_TYPE = ["_sip", "_udp", "local"];

/** Registers the host and the SIP service and runs until both are announced. */
function announced() {
  const h = responderHarness();
  const host = h.responder.register({ records: HOST });
  const service = h.responder.register({ records: SERVICE });
  h.scheduler.runFor(5_000);
  h.sent.length = 0;
  return { ...h, host, service };
}

test("MdnsResponder.register() probes three times 250 ms apart, QU on the first, then announces twice 1 s apart", () => {
  const h = responderHarness();
  const registration = h.responder.register({ records: HOST });
  assert.is(registration.state, "probing");
  h.scheduler.runFor(10_000);
  const probes = h.sent.filter((s) => !s.message.flags.response);
  assert.is(probes.length, 3);
  assert.is(probes[1]!.at - probes[0]!.at, 250);
  assert.is(probes[2]!.at - probes[1]!.at, 250);
  assert.equal(probes.map((p) => p.message.questions[0]!.unicastResponse), [true, false, false]);
  for (const probe of probes) {
    assert.is(probe.message.questions[0]!.type, DnsType.ANY);
    assert.equal(probe.message.questions[0]!.name, ["ap1", "local"]);
    assert.is(probe.message.authorities.length, 2);
    assert.ok(probe.message.authorities.every((r) => !r.cacheFlush));
  }
  const announcements = h.sent.filter((s) => s.message.flags.response);
  assert.is(announcements.length, 2);
  assert.is(announcements[0]!.at - probes[2]!.at, 250);
  assert.is(announcements[1]!.at - announcements[0]!.at, 1_000);
  assert.ok(announcements[0]!.message.answers.every((r) => r.cacheFlush && r.ttl === 120));
  assert.is(announcements[0]!.message.questions.length, 0);
  assert.is(registration.state, "announced");
  assert.is(counterValue(h.metrics, "superpeer_mdns_probes_sent_total"), 3);
});

test("MdnsResponder renames to 'Name (2)' when a probe is answered, and probes the new name", () => {
  const h = responderHarness();
  const renames: number[] = [];
  const registration = h.responder.register({
    records: SERVICE,
    onRenamed: (attempt) => renames.push(attempt),
  });
  h.scheduler.runFor(200); // the first probe is out
  assert.is(h.sent.length, 1);
  const theirs = serviceRecords(SIP, "superpeer ap1", hostName("other")).filter((r) =>
    r.cacheFlush
  );
  h.responder.handle({ message: responseMessage(theirs), from: PEER });
  assert.equal(renames, [2]);
  h.scheduler.runFor(10_000);
  assert.is(registration.state, "announced");
  assert.is(registration.attempt, 2);
  const last = h.sent.at(-1)!.message;
  assert.ok(
    last.answers.some((r) => dnsNameText(r.name) === "superpeer ap1 (2)._sip._udp.local"),
  );
  const probedNames = h.sent.filter((s) => !s.message.flags.response).map((s) =>
    dnsNameText(s.message.questions[0]!.name)
  );
  assert.equal(probedNames, [
    "superpeer ap1._sip._udp.local",
    "superpeer ap1 (2)._sip._udp.local",
    "superpeer ap1 (2)._sip._udp.local",
    "superpeer ap1 (2)._sip._udp.local",
  ]);
  assert.is(counterValue(h.metrics, "superpeer_mdns_conflicts_total"), 1);
});

test("MdnsResponder answers a unique question at once and a shared one after 20-120 ms with SRV, TXT, addresses and NSEC as additionals", () => {
  const h = announced();
  const t0 = h.clock.monotonic();
  h.responder.handle({
    message: queryMessage([question(["ap1", "local"], DnsType.A)]),
    from: PEER,
  });
  h.scheduler.runFor(0);
  assert.is(h.sent.length, 1);
  assert.is(h.sent[0]!.at, t0);
  assert.equal(h.sent[0]!.message.answers.map((r) => r.data.type), [DnsType.A]);
  assert.ok(h.sent[0]!.message.additionals.some((r) => r.data.type === DnsType.AAAA));
  h.sent.length = 0;
  h.clock.advance(2_000);
  const t1 = h.clock.monotonic();
  h.responder.handle({ message: queryMessage([question(SIP_TYPE, DnsType.PTR)]), from: PEER });
  h.scheduler.runFor(200);
  assert.is(h.sent.length, 1);
  const delay = h.sent[0]!.at - t1;
  assert.ok(delay >= 20 && delay <= 120, `delay ${delay}`);
  const reply = h.sent[0]!.message;
  assert.equal(reply.answers.map((r) => r.data.type), [DnsType.PTR]);
  const types = reply.additionals.map((r) => r.data.type).sort((a, b) => a - b);
  assert.equal(types, [
    DnsType.A,
    DnsType.TXT,
    DnsType.AAAA,
    DnsType.SRV,
    DnsType.NSEC,
    DnsType.NSEC,
  ]);
  assert.is(h.sent[0]!.to, undefined);
});

test("MdnsResponder does not answer what the querier already knows with at least half the TTL (RFC 6762 7.1)", () => {
  const h = announced();
  const ptr = SERVICE(1)[0]!;
  h.responder.handle({
    message: queryMessage([question(SIP_TYPE, DnsType.PTR)], { answers: [{ ...ptr, ttl: 2250 }] }),
    from: PEER,
  });
  h.scheduler.runFor(1_000);
  assert.is(h.sent.length, 0);
  assert.is(
    counterValue(h.metrics, "superpeer_mdns_answers_suppressed_total", { reason: "known-answer" }),
    1,
  );
  h.responder.handle({
    message: queryMessage([question(SIP_TYPE, DnsType.PTR)], { answers: [{ ...ptr, ttl: 2249 }] }),
    from: PEER,
  });
  h.scheduler.runFor(1_000);
  assert.is(h.sent.length, 1);
});

test("MdnsResponder multicasts a record at most once a second (RFC 6762 6)", () => {
  const h = announced();
  h.clock.advance(5_000);
  const ask = () =>
    h.responder.handle({
      message: queryMessage([question(["ap1", "local"], DnsType.A)]),
      from: PEER,
    });
  ask();
  h.scheduler.runFor(300);
  ask();
  h.scheduler.runFor(2_000);
  assert.is(h.sent.length, 2);
  assert.is(h.sent[1]!.at - h.sent[0]!.at, 1_000);
});

test("MdnsResponder answers a QU question by unicast when it multicast the record recently, else by multicast (RFC 6762 5.4)", () => {
  const h = announced();
  // Announced a moment ago: well within a quarter of the 120 s TTL.
  h.responder.handle({
    message: queryMessage([question(["ap1", "local"], DnsType.A, true)]),
    from: PEER,
  });
  h.scheduler.runFor(10);
  assert.is(h.sent.length, 1);
  assert.equal(h.sent[0]!.to, PEER);
  h.sent.length = 0;
  h.clock.advance(31_000); // more than 120 s / 4 since the last multicast
  h.responder.handle({
    message: queryMessage([question(["ap1", "local"], DnsType.A, true)]),
    from: PEER,
  });
  h.scheduler.runFor(10);
  assert.is(h.sent.length, 1);
  assert.is(h.sent[0]!.to, undefined);
});

test("MdnsResponder answers a one-shot query from another port by unicast with its ID, its question, TTL <= 10 and no cache-flush (RFC 6762 6.7)", () => {
  const h = announced();
  const from = { host: "10.77.0.9", port: 40_000 };
  const q = question(["ap1", "local"], DnsType.A);
  h.responder.handle({ message: queryMessage([q], { id: 4242 }), from });
  assert.is(h.sent.length, 1);
  const reply = h.sent[0]!;
  assert.equal(reply.to, from);
  assert.is(reply.message.id, 4242);
  assert.equal(reply.message.questions, [q]);
  assert.ok(reply.message.answers.length === 1 && reply.message.answers[0]!.ttl === 10);
  assert.ok([...reply.message.answers, ...reply.message.additionals].every((r) => !r.cacheFlush));
});

test("MdnsResponder drops a pending shared answer that another responder just gave (RFC 6762 7.4)", () => {
  const h = announced();
  h.clock.advance(5_000);
  h.responder.handle({ message: queryMessage([question(SIP_TYPE, DnsType.PTR)]), from: PEER });
  h.scheduler.runFor(10); // still waiting 20-120 ms
  h.responder.handle({ message: responseMessage([SERVICE(1)[0]!]), from: PEER });
  h.scheduler.runFor(500);
  assert.is(h.sent.length, 0);
  assert.is(
    counterValue(h.metrics, "superpeer_mdns_answers_suppressed_total", { reason: "duplicate" }),
    1,
  );
});

test("MdnsResponder.stop() sends every announced record once more with TTL 0", () => {
  const h = announced();
  h.responder.stop();
  assert.is(h.sent.length, 1);
  const goodbye = h.sent[0]!.message;
  assert.is(goodbye.answers.length, HOST(1).length + SERVICE(1).length);
  assert.ok(goodbye.answers.every((r) => r.ttl === 0));
  h.responder.stop();
  assert.is(h.sent.length, 1);
});

test("MdnsResponder probes again after a conflicting answer for an announced name, and renames if the probe is answered (RFC 6762 9)", () => {
  const h = announced();
  const other = hostRecords(hostName("ap1"), ["10.77.0.3"], []);
  h.responder.handle({ message: responseMessage(other), from: PEER });
  assert.is(h.host.state, "probing");
  h.scheduler.runFor(100);
  assert.ok(!h.sent[0]!.message.flags.response);
  h.responder.handle({ message: responseMessage(other), from: PEER });
  h.scheduler.runFor(10_000);
  assert.is(h.host.attempt, 2);
  assert.is(h.host.state, "announced");
  assert.ok(h.host.records.every((r) => dnsNameText(r.name) === "ap1-2.local"));
});

test("MdnsResponder does not see a conflict in an answer identical to its own record", () => {
  const h = announced();
  h.responder.handle({ message: responseMessage(HOST(1)), from: PEER });
  assert.is(h.host.state, "announced");
});

test("MdnsResponder defends an announced name against another host's probe at once", () => {
  const h = announced();
  h.clock.advance(5_000);
  const theirs = hostRecords(hostName("ap1"), ["10.77.0.3"], []);
  h.responder.handle({
    message: queryMessage([question(["ap1", "local"], DnsType.ANY, true)], {
      authorities: theirs,
    }),
    from: PEER,
  });
  h.scheduler.runFor(0);
  const multicast = h.sent.filter((s) => s.to === undefined);
  assert.is(multicast.length, 1);
  assert.is(multicast[0]!.at, h.clock.monotonic());
  assert.ok(multicast[0]!.message.answers.some((r) => r.data.type === DnsType.A));
});

test("MdnsResponder waits for the rest of a truncated query's known answers (RFC 6762 7.2)", () => {
  const h = announced();
  h.clock.advance(5_000);
  const ptr = SERVICE(1)[0]!;
  h.responder.handle({
    message: queryMessage([question(SIP_TYPE, DnsType.PTR)], { truncated: true }),
    from: PEER,
  });
  h.scheduler.runFor(300);
  assert.is(h.sent.length, 0);
  h.responder.handle({ message: queryMessage([], { answers: [ptr] }), from: PEER });
  h.scheduler.runFor(1_000);
  assert.is(h.sent.length, 0, "the known answer in the second packet suppresses ours");
  h.responder.handle({
    message: queryMessage([question(SIP_TYPE, DnsType.PTR)], { truncated: true }),
    from: PEER,
  });
  h.scheduler.runFor(399);
  assert.is(h.sent.length, 0);
  h.scheduler.runFor(200);
  assert.is(h.sent.length, 1, "answered 400-500 ms later when no more packets come");
});

test("MdnsResponder answers a question for a type it lacks on its unique name with NSEC (RFC 6762 6.1)", () => {
  const h = responderHarness();
  h.responder.register({
    records: () => hostRecords(hostName("ap1"), ["10.77.0.2"], []),
  });
  h.scheduler.runFor(5_000);
  h.sent.length = 0;
  h.responder.handle({
    message: queryMessage([question(["ap1", "local"], DnsType.AAAA)]),
    from: PEER,
  });
  h.scheduler.runFor(10);
  assert.is(h.sent.length, 1);
  const nsec = h.sent[0]!.message.answers[0]!;
  assert.is(nsec.data.type, DnsType.NSEC);
  assert.ok("types" in nsec.data && nsec.data.types.includes(DnsType.A));
  h.sent.length = 0;
  h.responder.handle({
    message: queryMessage([question(["elsewhere", "local"], DnsType.AAAA)]),
    from: PEER,
  });
  h.scheduler.runFor(10);
  assert.is(h.sent.length, 0, "no answer for a name that is not ours");
});

test("Registration.update() says goodbye to a removed address and announces the new one", () => {
  const h = responderHarness();
  let addresses = ["10.77.0.2"];
  const host = h.responder.register({
    records: () => hostRecords(hostName("ap1"), addresses, []),
  });
  h.scheduler.runFor(5_000);
  h.sent.length = 0;
  addresses = ["10.77.0.5"];
  host.update();
  h.scheduler.runFor(5_000);
  const goodbye = h.sent[0]!.message.answers;
  assert.equal(goodbye.map((r) => [r.ttl, "address" in r.data && r.data.address]), [[
    0,
    "10.77.0.2",
  ]]);
  const announcements = h.sent.slice(1);
  assert.is(announcements.length, 2);
  assert.ok(
    announcements.every((s) =>
      s.message.answers.some((r) => "address" in r.data && r.data.address === "10.77.0.5")
    ),
  );
  assert.is(host.state, "announced");
});

test("Registration.withdraw() sends a goodbye for its records only", () => {
  const h = announced();
  h.service.withdraw();
  assert.is(h.sent.length, 1);
  assert.is(h.sent[0]!.message.answers.length, SERVICE(1).length);
  assert.ok(h.sent[0]!.message.answers.every((r) => r.ttl === 0));
  assert.is(h.responder.size, 1);
});

test("MdnsResponder waits five seconds between attempts after more than 15 conflicts in ten seconds (RFC 6762 8.1)", () => {
  const h = responderHarness();
  const registration = h.responder.register({ records: HOST });
  const other = (attempt: number) =>
    hostRecords(hostName(hostLabelForAttempt("ap1", attempt)), ["10.77.0.3"], []);
  const gaps: number[] = [];
  let lastProbeCount = 0;
  let lastAt = 0;
  for (let i = 0; i < 17; i++) {
    // Run until this attempt's first probe goes out, then answer it: a conflict every time.
    while (h.sent.filter((s) => !s.message.flags.response).length === lastProbeCount) {
      h.scheduler.step();
    }
    lastProbeCount = h.sent.filter((s) => !s.message.flags.response).length;
    gaps.push(h.clock.monotonic() - lastAt);
    lastAt = h.clock.monotonic();
    h.responder.handle({ message: responseMessage(other(registration.attempt)), from: PEER });
  }
  assert.ok(gaps.slice(1, 15).every((g) => g < 300), `early gaps ${gaps.slice(1, 15)}`);
  assert.is(gaps[16], 5_000);
});

test("MdnsResponder ignores messages with a non-zero opcode or rcode (RFC 6762 18.3, 18.11)", () => {
  const h = announced();
  const q = queryMessage([question(["ap1", "local"], DnsType.A)]);
  h.responder.handle({ message: { ...q, flags: { ...q.flags, opcode: 1 } }, from: PEER });
  const bad = responseMessage(hostRecords(hostName("ap1"), ["10.77.0.3"], []));
  h.responder.handle({ message: { ...bad, flags: { ...bad.flags, rcode: 3 } }, from: PEER });
  h.scheduler.runFor(1_000);
  assert.is(h.sent.length, 0);
  assert.is(h.host.state, "announced");
});

test("MdnsResponder loses a simultaneous probe tie-break to later data: waits one second and probes again (RFC 6762 8.2)", () => {
  const h = responderHarness();
  const registration = h.responder.register({ records: HOST });
  h.scheduler.runFor(200); // our first probe is out
  const before = h.sent.length;
  // Their address 10.77.0.3 is bytewise later than our 10.77.0.2 (A sorts before AAAA).
  const theirs = hostRecords(hostName("ap1"), ["10.77.0.3"], ["fe80::2"]);
  const at = h.clock.monotonic();
  h.responder.handle({
    message: queryMessage([question(["ap1", "local"], DnsType.ANY, true)], {
      authorities: theirs,
    }),
    from: PEER,
  });
  h.scheduler.runFor(999);
  assert.is(h.sent.length, before, "nothing for a second");
  h.scheduler.runFor(1);
  assert.is(h.sent.length, before + 1);
  assert.is(h.sent.at(-1)!.at - at, 1_000);
  assert.is(h.sent.at(-1)!.message.questions[0]!.unicastResponse, true, "probing restarts");
  assert.is(registration.attempt, 1, "no rename for a lost tie-break");
});

test("MdnsResponder wins a tie-break against earlier data and ignores its own probe reflected back", () => {
  for (const theirs of [hostRecords(hostName("ap1"), ["10.77.0.1"], []), HOST(1)]) {
    const h = responderHarness();
    h.responder.register({ records: HOST });
    h.scheduler.runFor(200);
    const probeTimes = () => h.sent.filter((s) => !s.message.flags.response).map((s) => s.at);
    h.responder.handle({
      message: queryMessage([question(["ap1", "local"], DnsType.ANY, true)], {
        authorities: theirs,
      }),
      from: PEER,
    });
    h.scheduler.runFor(10_000);
    const times = probeTimes();
    assert.is(times.length, 3);
    assert.is(times[2]! - times[0]!, 500, "probing went on undisturbed");
  }
});

test("MdnsResponder drops an answer it had queued for a name it then has to probe again and give up", () => {
  const h = announced();
  h.clock.advance(5_000);
  h.responder.handle({ message: queryMessage([question(SIP_TYPE, DnsType.PTR)]), from: PEER });
  h.scheduler.runFor(5); // the shared PTR answer waits 20-120 ms
  const theirs = serviceRecords(SIP, "superpeer ap1", hostName("other")).filter((r) =>
    r.cacheFlush
  );
  h.responder.handle({ message: responseMessage(theirs), from: PEER }); // conflict: probe again
  h.scheduler.runFor(1); // the first probe goes out
  h.responder.handle({ message: responseMessage(theirs), from: PEER }); // answered: rename
  h.scheduler.runFor(200);
  const answers = h.sent.filter((s) => s.message.flags.response).flatMap((s) => s.message.answers);
  assert.equal(answers.filter((r) => r.ttl > 0), [], "no answer naming the name given up");
  assert.is(h.service.attempt, 2);
});

test.run();
