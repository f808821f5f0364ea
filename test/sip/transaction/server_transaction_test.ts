import { test } from "uvu";
import * as assert from "uvu/assert";
import type { SipMessage } from "../../../src/codec/sip/mod.ts";
import type { ServerTransaction } from "../../../src/sip/transaction/mod.ts";
import { harness, request, response, TCP_PEER, UDP_PEER } from "./helpers.ts";

type Harness = ReturnType<typeof harness>;

/** Receives `req` as new and returns its server transaction, with a log of its TU callbacks. */
function serve(h: Harness, req: SipMessage, source = UDP_PEER) {
  const r = h.table.receiveRequest(req, source);
  if (r.kind !== "request") throw new Error(`expected a new transaction, got ${r.kind}`);
  const events: string[] = [];
  r.transaction.setUser({
    onTimeout: (_tx, timer) => events.push(`timeout ${timer} at ${h.clock.monotonic()}`),
    onTransportError: () => events.push("transport error"),
    onTerminated: () => events.push(`terminated at ${h.clock.monotonic()}`),
  });
  return { tx: r.transaction as ServerTransaction, events };
}

const statuses = (h: Harness) => h.sent.map((s) => s.message.status);

test("ServerTransaction (INVITE) sends 100 Trying after 200 ms of TU silence, without a To tag, and replays it for retransmissions", () => {
  const h = harness();
  const invite = request("INVITE", { extra: ["Timestamp: 54"] });
  const { tx } = serve(h, invite);
  h.runUntil(199);
  assert.equal(h.sent, []);
  h.runUntil(200);
  assert.is(h.sent.length, 1);
  const trying = h.sent[0]!.message;
  assert.is(trying.status, 100);
  assert.equal(h.sent[0]!.to, UDP_PEER);
  assert.equal(trying.headers.getAll("via"), invite.headers.getAll("via"));
  assert.is(trying.headers.get("to"), "Bob <sip:bob@example.com>");
  assert.is(trying.headers.get("from"), invite.headers.get("from"));
  assert.is(trying.headers.get("call-id"), invite.headers.get("call-id"));
  assert.is(trying.headers.get("cseq"), "1 INVITE");
  assert.is(trying.headers.get("timestamp"), "54");
  h.runUntil(900);
  const again = h.table.receiveRequest(invite, UDP_PEER);
  assert.is(again.kind, "absorbed");
  assert.equal(h.sent.map((s) => [s.at, s.message.status, s.context.retransmission]), [
    [200, 100, false],
    [900, 100, true],
  ]);
  assert.is(tx.state, "proceeding");
});

test("ServerTransaction (INVITE) sends no 100 Trying when the TU answers within 200 ms; tryingDelayMs 0 sends it at once, null never", () => {
  const h = harness();
  const invite = request("INVITE");
  const { tx } = serve(h, invite);
  h.runUntil(150);
  assert.ok(tx.respond(response(invite, 180, "t1")));
  h.runUntil(10_000);
  assert.equal(statuses(h), [180]);
  // The latest provisional is what a retransmission gets.
  h.table.receiveRequest(invite, UDP_PEER);
  assert.equal(statuses(h), [180, 180]);

  const now = harness({ tryingDelayMs: 0 });
  serve(now, request("INVITE"));
  assert.equal(statuses(now), [100]);

  const never = harness({ tryingDelayMs: null });
  serve(never, request("INVITE"));
  never.runUntil(10_000);
  assert.equal(statuses(never), []);
});

test("ServerTransaction (INVITE, UDP) retransmits a 486 with Timer G doubling up to T2 and gives up at 32 s (Timer H)", () => {
  const h = harness({ tryingDelayMs: null });
  const invite = request("INVITE");
  const { tx, events } = serve(h, invite);
  assert.ok(tx.respond(response(invite, 486, "t1")));
  assert.is(tx.state, "completed");
  h.runUntil(120_000);
  assert.equal(h.sent.map((s) => s.at), [
    0,
    500,
    1500,
    3500,
    7500,
    11500,
    15500,
    19500,
    23500,
    27500,
    31500,
  ]);
  assert.equal(events, ["timeout H at 32000", "terminated at 32000"]);
  assert.is(h.table.serverCount, 0);
});

test("ServerTransaction (INVITE) moves to Confirmed on the ACK, stops Timer G, absorbs ACK copies and ends after T4 (Timer I)", () => {
  const h = harness({ tryingDelayMs: null });
  const invite = request("INVITE");
  const { tx, events } = serve(h, invite);
  tx.respond(response(invite, 486, "t1"));
  h.runUntil(700);
  const ack = request("ACK", { toTag: "t1" });
  const r = h.table.receiveRequest(ack, UDP_PEER);
  assert.is(r.kind, "absorbed");
  assert.is(tx.state, "confirmed");
  h.runUntil(1_000);
  assert.is(h.table.receiveRequest(ack, UDP_PEER).kind, "absorbed");
  assert.is(h.table.receiveRequest(invite, UDP_PEER).kind, "absorbed");
  h.runUntil(5_699);
  assert.is(tx.state, "confirmed");
  h.runUntil(5_700);
  assert.is(tx.state, "terminated");
  assert.equal(h.sent.map((s) => s.at), [0, 500], "no 486 after the ACK, none for the INVITE copy");
  assert.equal(events, ["terminated at 5700"]);
});

test("ServerTransaction (INVITE, TCP) sends its 486 once, ends at once on the ACK (Timer I zero), and still gives up with Timer H", () => {
  const h = harness({ tryingDelayMs: null });
  const invite = request("INVITE");
  const { tx, events } = serve(h, invite, TCP_PEER);
  tx.respond(response(invite, 486, "t1"));
  h.runUntil(1_000);
  h.table.receiveRequest(request("ACK", { toTag: "t1" }), TCP_PEER);
  assert.is(tx.state, "terminated");
  assert.equal(events, ["terminated at 1000"]);
  assert.equal(h.sent.map((s) => [s.at, s.to]), [[0, TCP_PEER]]);

  const h2 = harness({ tryingDelayMs: null });
  const invite2 = request("INVITE");
  const served = serve(h2, invite2, TCP_PEER);
  served.tx.respond(response(invite2, 500, "t1"));
  h2.runUntil(100_000);
  assert.is(h2.sent.length, 1);
  assert.equal(served.events, ["timeout H at 32000", "terminated at 32000"]);
});

test("ServerTransaction (INVITE) in RFC 6026 Accepted absorbs INVITE copies without a reply, sends the TU's 2xx retransmissions, hands a matching ACK to the TU and ends after Timer L (32 s)", () => {
  const h = harness({ tryingDelayMs: null });
  const invite = request("INVITE");
  const { tx, events } = serve(h, invite);
  const ok = response(invite, 200, "t1");
  assert.ok(tx.respond(ok));
  assert.is(tx.state, "accepted");
  h.runUntil(500);
  assert.is(h.table.receiveRequest(invite, UDP_PEER).kind, "absorbed");
  assert.equal(h.sent.map((s) => s.at), [0], "no replay and no Timer G for a 2xx");
  assert.ok(tx.respond(ok), "the TU retransmits its 2xx through the transaction");
  assert.not.ok(tx.respond(response(invite, 486, "t1")), "no non-2xx after a 2xx");
  assert.not.ok(tx.respond(response(invite, 180, "t1")));
  const ack = h.table.receiveRequest(request("ACK", { toTag: "t1" }), UDP_PEER);
  assert.equal(ack, { kind: "ack", transaction: tx });
  assert.is(tx.state, "accepted");
  h.runUntil(31_999);
  assert.is(tx.state, "accepted");
  h.runUntil(32_000);
  assert.is(tx.state, "terminated");
  assert.equal(h.sent.map((s) => [s.at, s.message.status]), [[0, 200], [500, 200]]);
  assert.equal(events, ["terminated at 32000"]);
});

test("ServerTransaction (non-INVITE) absorbs copies silently in Trying, replays the provisional in Proceeding and the final in Completed, refuses a second final, and ends after Timer J (32 s)", () => {
  const h = harness();
  const register = request("REGISTER", { uri: "sip:example.com" });
  const { tx, events } = serve(h, register);
  assert.is(tx.state, "trying");
  h.runUntil(400);
  assert.is(h.table.receiveRequest(register, UDP_PEER).kind, "absorbed");
  assert.equal(h.sent, [], "no 100 Trying for non-INVITE and nothing to replay yet");
  tx.respond(response(register, 100));
  assert.is(tx.state, "proceeding");
  h.table.receiveRequest(register, UDP_PEER);
  h.runUntil(1_000);
  assert.ok(tx.respond(response(register, 200, "r1")));
  assert.is(tx.state, "completed");
  assert.not.ok(tx.respond(response(register, 500, "r1")));
  h.runUntil(9_000);
  h.table.receiveRequest(register, UDP_PEER);
  assert.equal(h.sent.map((s) => [s.at, s.message.status, s.context.retransmission]), [
    [400, 100, false],
    [400, 100, true],
    [1000, 200, false],
    [9000, 200, true],
  ]);
  h.runUntil(32_999);
  assert.is(tx.state, "completed");
  h.runUntil(33_000);
  assert.equal(events, ["terminated at 33000"]);
  assert.is(h.table.serverCount, 0);
});

test("ServerTransaction (non-INVITE, TCP) ends as soon as its final response is sent (Timer J zero)", () => {
  const h = harness();
  const options = request("OPTIONS");
  const { tx, events } = serve(h, options, TCP_PEER);
  tx.respond(response(options, 200, "o1"));
  assert.is(tx.state, "terminated");
  assert.equal(events, ["terminated at 0"]);
  assert.is(h.table.receiveRequest(options, TCP_PEER).kind, "request", "a late copy is new");
});

test("ServerTransaction reports transport errors: Proceeding and Completed end, RFC 6026 Accepted stays", () => {
  let fail = false;
  const h = harness({ tryingDelayMs: null }, { failSends: () => fail });
  const invite = request("INVITE");
  const { tx, events } = serve(h, invite);
  fail = true;
  tx.respond(response(invite, 486, "t1"));
  assert.is(tx.state, "terminated");
  assert.equal(events, ["transport error", "terminated at 0"]);

  fail = false;
  const invite2 = request("INVITE", { branch: "z9hG4bK-tx-2" });
  const second = serve(h, invite2);
  second.tx.respond(response(invite2, 200, "t2"));
  second.tx.transportError(new Error("flow closed"));
  assert.is(second.tx.state, "accepted");
  assert.equal(second.events, ["transport error"]);
});

test("ServerTransaction.respond() throws a TypeError for a request", () => {
  const h = harness();
  const invite = request("INVITE");
  const { tx } = serve(h, invite);
  assert.throws(() => tx.respond(invite), (e: unknown) => e instanceof TypeError);
});

test.run();
