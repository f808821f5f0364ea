// Two superpeers (SipElement on a memory network, virtual time) and scripted phones: REGISTER at
// each, a call from alice at A to bob at B found through the overlay's registrations
// (INVITE/180/200/ACK/BYE through both proxies' Record-Routes), 404 for an unknown user, CANCEL,
// forking to two phones, and a timed-out branch.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { SipMessage } from "../../../src/codec/sip/mod.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { MetricsRegistry } from "../../../src/core/metrics.ts";
import type { DatagramAddress } from "../../../src/core/transport.ts";
import { SipElement } from "../../../src/sip/sip_element.ts";
import { MemoryNetwork } from "../../../src/transport/memory_network.ts";
import { VirtualScheduler } from "../../../src/transport/virtual_scheduler.ts";
import { DOMAIN, FakeOverlay, Phone } from "./scripted_phones.ts";

function setup(seed = 1) {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  let state = seed;
  const random = () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
  const network = new MemoryNetwork({ scheduler, random });
  const overlay = new FakeOverlay();
  const element = (name: string, host: string) => {
    const metrics = new MetricsRegistry();
    const sip = new SipElement({
      domains: [DOMAIN],
      advertised: { host, port: 5060 },
    }, {
      udp: network.attach({ host, port: 5060 }),
      overlay: overlay.peer(name),
      clock,
      scheduler,
      logger: silentLogger(),
      metrics,
    });
    sip.start();
    return { sip, metrics, address: { host, port: 5060 } };
  };
  const a = element("A", "10.0.0.1");
  const b = element("B", "10.0.0.2");
  const alice = new Phone(network, { host: "10.0.1.1", port: 5060 }, "alice");
  const bob = new Phone(network, { host: "10.0.2.1", port: 5060 }, "bob");
  // target resolution is asynchronous (the overlay): let promise callbacks run between 5 ms steps
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 5) {
      scheduler.runFor(5);
      for (let i = 0; i < 4; i++) await Promise.resolve();
    }
  };
  return { clock, scheduler, network, overlay, a, b, alice, bob, run };
}

function invite(from: Phone, to: string, branch: string, proxy: DatagramAddress, cseq = 1): void {
  from.send([
    `INVITE sip:${to}@${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/UDP ${from.address.host}:5060;branch=${branch};rport`,
    "Max-Forwards: 70",
    `To: <sip:${to}@${DOMAIN}>`,
    `From: <sip:${from.user}@${DOMAIN}>;tag=caller`,
    `Call-ID: call-${branch}`,
    `CSeq: ${cseq} INVITE`,
    `Contact: <${from.contact}>`,
  ], proxy);
}

/** An in-dialog request from the caller along the route set (reversed Record-Route). */
function inDialog(from: Phone, ok: SipMessage, method: string, branch: string, cseq: number): void {
  const routes = ok.headers.getAll("record-route").flatMap((v) => v.split(/\s*,\s*/)).reverse();
  const target = ok.contacts();
  if (target === "*") throw new Error("no contact");
  const firstRoute = /sip:([\d.]+):(\d+)/.exec(routes[0]!)!;
  from.send([
    `${method} ${target[0]!.uri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${from.address.host}:5060;branch=${branch};rport`,
    "Max-Forwards: 70",
    ...routes.map((r) => `Route: ${r}`),
    `To: ${ok.headers.get("to")}`,
    `From: ${ok.headers.get("from")}`,
    `Call-ID: ${ok.callId()}`,
    `CSeq: ${cseq} ${method}`,
  ], { host: firstRoute[1]!, port: Number(firstRoute[2]) });
}

test("SipElement: alice at A calls bob at B through the overlay: INVITE/180/200/ACK/BYE", async () => {
  const { a, b, alice, bob, run, overlay } = setup();
  alice.register(a.address);
  bob.register(b.address);
  await run(500);
  assert.is(alice.responses("REGISTER")[0]?.status, 200);
  assert.is(bob.responses("REGISTER")[0]?.status, 200);
  assert.equal([...overlay.entries.get(`sip:bob@${DOMAIN}`)!], [["B", "sip:bob@10.0.0.2:5060"]]);

  invite(alice, "bob", "z9hG4bKinv1", a.address);
  await run(2_000);
  const invites = bob.requests("INVITE");
  assert.is(invites.length, 1, "bob rings once");
  assert.is(invites[0]!.uri, bob.contact, "B retargets to bob's contact");
  assert.is(invites[0]!.headers.getAll("record-route").length, 2, "both proxies Record-Route");
  assert.is(invites[0]!.via().length, 3, "alice's Via and both proxies'");
  assert.is(invites[0]!.maxForwards(), 68);
  const statuses = alice.responses("INVITE").map((r) => r.status);
  assert.equal(statuses.filter((s) => s !== 100), [180, 200]);
  const ok = alice.responses("INVITE").find((r) => r.status === 200)!;
  assert.is(ok.via().length, 1, "only alice's Via comes back");

  inDialog(alice, ok, "ACK", "z9hG4bKack1", 1);
  await run(500);
  assert.is(bob.requests("ACK").length, 1, "the 2xx ACK crosses both proxies statelessly");
  inDialog(alice, ok, "BYE", "z9hG4bKbye1", 2);
  await run(1_000);
  assert.is(bob.requests("BYE").length, 1);
  assert.equal(alice.responses("BYE").map((r) => r.status), [200]);
  assert.is(
    a.metrics.value("superpeer_sip_proxy_requests_total", { outcome: "forwarded" }),
    2,
  );
});

test("SipElement answers 404 for an unknown user once the caller ACKs it", async () => {
  const { a, alice, run } = setup(2);
  alice.register(a.address);
  await run(500);
  invite(alice, "nobody", "z9hG4bKinv404", a.address);
  await run(1_000);
  assert.equal(alice.responses("INVITE").map((r) => r.status).filter((s) => s !== 100), [404]);
  // alice's ACK (section 17.1.1.3) stops A's retransmissions of the 404 (Timer G)
  await run(40_000);
  assert.is(alice.responses("INVITE").filter((r) => r.status === 404).length, 1);
  assert.is(
    a.metrics.value("superpeer_sip_proxy_requests_total", { outcome: "not_found" }),
    1,
  );
});

test("SipElement forwards CANCEL: bob's ringing branch gets CANCEL, alice gets 200 and 487", async () => {
  const { a, b, alice, bob, run } = setup(3);
  alice.register(a.address);
  bob.register(b.address);
  bob.answer = [180];
  await run(500);
  invite(alice, "bob", "z9hG4bKinvc", a.address);
  await run(1_000);
  assert.is(bob.requests("INVITE").length, 1);
  alice.send([
    `CANCEL sip:bob@${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/UDP 10.0.1.1:5060;branch=z9hG4bKinvc;rport`,
    "Max-Forwards: 70",
    `To: <sip:bob@${DOMAIN}>`,
    `From: <sip:alice@${DOMAIN}>;tag=caller`,
    "Call-ID: call-z9hG4bKinvc",
    "CSeq: 1 CANCEL",
  ], a.address);
  await run(1_000);
  assert.equal(alice.responses("CANCEL").map((r) => r.status), [200]);
  assert.is(bob.requests("CANCEL").length, 1, "the CANCEL reaches bob");
  // bob answered the CANCEL 200 (scripted); its INVITE never gets a final: B times the branch out
  // with Timer C, or bob's 487 would come; here we send bob's 487 by hand
  const inv = bob.requests("INVITE")[0]!;
  bob.send([
    "SIP/2.0 487 Request Terminated",
    ...inv.headers.getAll("via").map((v) => `Via: ${v}`),
    `From: ${inv.headers.get("from")}`,
    `To: ${inv.headers.get("to")};tag=callee`,
    `Call-ID: ${inv.callId()}`,
    "CSeq: 1 INVITE",
  ], b.address);
  await run(1_000);
  assert.ok(alice.responses("INVITE").some((r) => r.status === 487), "487 reaches alice");
});

test("SipElement forks to both of a user's phones and sends the first 2xx, cancelling the other", async () => {
  const { a, alice, run, network } = setup(4);
  const desk = new Phone(network, { host: "10.0.1.2", port: 5060 }, "carol");
  const mobile = new Phone(network, { host: "10.0.1.3", port: 5060 }, "carol");
  desk.register(a.address);
  mobile.register(a.address);
  mobile.answer = [180];
  await run(500);
  invite(alice, "carol", "z9hG4bKfork", a.address);
  await run(1_000);
  assert.is(desk.requests("INVITE").length, 1);
  assert.is(mobile.requests("INVITE").length, 1);
  const finals = alice.responses("INVITE").map((r) => r.status).filter((s) => s >= 200);
  assert.equal(finals, [200]);
  assert.is(mobile.requests("CANCEL").length, 1, "the still-ringing phone is cancelled");
});

test("SipElement times out a branch nobody answers: 408 to the caller", async () => {
  const { a, alice, run, network } = setup(5);
  const dead = new Phone(network, { host: "10.0.1.9", port: 5060 }, "dave");
  dead.register(a.address);
  await run(500);
  dead.transport.close();
  invite(alice, "dave", "z9hG4bKdead", a.address);
  await run(40_000);
  const finals = alice.responses("INVITE").map((r) => r.status).filter((s) => s >= 200);
  assert.equal([...new Set(finals)], [408]);
});

test("SipElement frees a proxy context at the final response, and a late CANCEL gets 200 without effect", async () => {
  const { a, b, alice, bob, run } = setup(6);
  alice.register(a.address);
  bob.register(b.address);
  await run(500);
  invite(alice, "bob", "z9hG4bKfree", a.address);
  await run(1_000);
  assert.is(alice.finals("INVITE")[0], 200);
  // the INVITE server transaction lingers (Timer L, 32 s) but the context is released
  assert.ok(a.sip.transactions.serverCount >= 1);
  assert.is(a.sip.proxy.contextCount, 0);
  alice.send([
    `CANCEL sip:bob@${DOMAIN} SIP/2.0`,
    "Via: SIP/2.0/UDP 10.0.1.1:5060;branch=z9hG4bKfree;rport",
    "Max-Forwards: 70",
    `To: <sip:bob@${DOMAIN}>`,
    `From: <sip:alice@${DOMAIN}>;tag=caller`,
    "Call-ID: call-z9hG4bKfree",
    "CSeq: 1 CANCEL",
  ], a.address);
  await run(500);
  assert.equal(alice.responses("CANCEL").map((r) => r.status), [200]);
  assert.is(bob.requests("CANCEL").length, 0, "nothing to cancel downstream");
});

test("SipElement cancels a branch that rang but never answered when Timer C (181 s) fires", async () => {
  const { a, b, alice, bob, run } = setup(7);
  alice.register(a.address);
  bob.register(b.address);
  bob.answer = [180];
  await run(500);
  invite(alice, "bob", "z9hG4bKtimerc", a.address);
  await run(170_000);
  assert.is(bob.requests("CANCEL").length, 0, "not before Timer C");
  await run(15_000);
  assert.ok(bob.requests("CANCEL").length >= 1, "B's branch to bob is cancelled at Timer C");
});

test.run();
