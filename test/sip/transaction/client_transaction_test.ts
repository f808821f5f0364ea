import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildCancel } from "../../../src/sip/transaction/mod.ts";
import { harness, recordingUser, request, response, sip, TCP_PEER, UDP_PEER } from "./helpers.ts";

const isInvite = (m: { method: string }) => m.method === "INVITE";
const isAck = (m: { method: string }) => m.method === "ACK";

test("ClientTransaction (INVITE, UDP) retransmits at 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s (Timer A doubling) and times out at 32 s (Timer B)", () => {
  const h = harness();
  const log = recordingUser();
  const tx = h.table.createClient(request("INVITE"), UDP_PEER, log.user)!;
  assert.is(tx.state, "calling");
  let timedOutAt = -1;
  const events = log.events;
  const original = log.user.onTimeout!;
  log.user.onTimeout = (t, timer) => {
    timedOutAt = h.clock.monotonic();
    original(t, timer);
  };
  h.runUntil(120_000);
  assert.equal(h.timesOf(isInvite), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.equal(h.sent.map((s) => s.context.retransmission), [
    false,
    true,
    true,
    true,
    true,
    true,
    true,
  ]);
  assert.is(timedOutAt, 32_000);
  assert.equal(events, ["timeout B", "terminated"]);
  assert.is(tx.state, "terminated");
  assert.is(h.table.clientCount, 0);
  assert.is(h.table.counters.timeouts, 1);
  assert.is(h.table.counters.retransmissions, 6);
});

test("ClientTransaction (non-INVITE, UDP) retransmits with Timer E doubling up to T2 and times out at 32 s (Timer F)", () => {
  const h = harness();
  const log = recordingUser();
  h.table.createClient(request("OPTIONS"), UDP_PEER, log.user);
  h.runUntil(31_999);
  assert.equal(log.events, []);
  h.runUntil(120_000);
  assert.equal(h.timesOf(() => true), [
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
  assert.equal(log.events, ["timeout F", "terminated"]);
});

test("ClientTransaction (non-INVITE) in Proceeding retransmits every T2", () => {
  const h = harness();
  const log = recordingUser();
  const req = request("REGISTER");
  const tx = h.table.createClient(req, UDP_PEER, log.user)!;
  h.runUntil(600);
  h.table.receiveResponse(response(req, 100));
  assert.is(tx.state, "proceeding");
  h.runUntil(14_000);
  // E was armed for 1.5 s (1 s after the 0.5 s retransmission); from then on T2 apart.
  assert.equal(h.timesOf(() => true), [0, 500, 1500, 5500, 9500, 13500]);
  assert.equal(log.events, ["response 100"]);
});

test("ClientTransaction (INVITE) stops retransmitting on a provisional and leaves the timeout to the TU (no Timer B in Proceeding)", () => {
  const h = harness();
  const log = recordingUser();
  const req = request("INVITE");
  const tx = h.table.createClient(req, UDP_PEER, log.user)!;
  assert.is(tx.cancellable, false);
  h.runUntil(700);
  h.table.receiveResponse(response(req, 180, "b1"));
  assert.is(tx.state, "proceeding");
  assert.is(tx.cancellable, true);
  h.runUntil(200_000);
  assert.equal(h.timesOf(isInvite), [0, 500]);
  assert.equal(log.events, ["response 180"]);
  assert.is(tx.state, "proceeding");
});

test("ClientTransaction (INVITE) acknowledges a 486 as section 17.1.1.3 says, re-ACKs its retransmissions without the TU, and ends after Timer D (32 s)", () => {
  const h = harness();
  const log = recordingUser();
  const invite = sip(
    "INVITE sip:bob@192.0.2.20:5070 SIP/2.0",
    "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK-proxy-1",
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-phone-1",
    "Route: <sip:p1.example.com;lr>",
    "Route: <sip:p2.example.com;lr>",
    "Max-Forwards: 69",
    "From: Alice <sip:alice@example.com>;tag=a1",
    "To: Bob <sip:bob@example.com>",
    "Call-ID: call-7@192.0.2.10",
    "CSeq: 4711 INVITE",
    "Contact: <sip:alice@192.0.2.10>",
    "Subject: lunch",
  );
  const tx = h.table.createClient(invite, UDP_PEER, log.user)!;
  h.runUntil(100);
  const busy = response(invite, 486, "b9");
  h.table.receiveResponse(busy);
  assert.is(tx.state, "completed");
  const acks = h.sent.filter((s) => isAck(s.message));
  assert.is(acks.length, 1);
  const ack = acks[0]!.message;
  assert.equal(acks[0]!.to, UDP_PEER);
  assert.is(ack.uri, "sip:bob@192.0.2.20:5070");
  assert.equal(ack.headers.getAll("via"), ["SIP/2.0/UDP proxy.example.com;branch=z9hG4bK-proxy-1"]);
  assert.equal(ack.headers.getAll("route"), ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]);
  assert.is(ack.headers.get("from"), "Alice <sip:alice@example.com>;tag=a1");
  assert.is(ack.headers.get("to"), "Bob <sip:bob@example.com>;tag=b9");
  assert.is(ack.headers.get("call-id"), "call-7@192.0.2.10");
  assert.is(ack.headers.get("cseq"), "4711 ACK");
  assert.is(ack.headers.get("max-forwards"), "69");
  assert.is(ack.headers.has("contact"), false);
  assert.is(ack.headers.has("subject"), false);
  assert.equal(tx.ack, ack);

  h.runUntil(2_000);
  assert.ok(tx.receiveResponse(busy) === false, "a retransmitted 486 is absorbed");
  assert.equal(h.timesOf(isAck), [100, 2000]);
  assert.equal(log.events, ["response 486"]);
  h.runUntil(32_099);
  assert.is(tx.state, "completed");
  h.runUntil(32_100);
  assert.is(tx.state, "terminated");
  assert.equal(log.events, ["response 486", "terminated"]);
  // No INVITE retransmission after the final response.
  assert.equal(h.timesOf(isInvite), [0]);
});

test("ClientTransaction (INVITE, TCP) never retransmits, still times out with Timer B, and ends at once after its ACK (Timer D zero)", () => {
  const h = harness();
  const log = recordingUser();
  h.table.createClient(request("INVITE"), TCP_PEER, log.user);
  h.runUntil(40_000);
  assert.equal(h.timesOf(isInvite), [0]);
  assert.equal(log.events, ["timeout B", "terminated"]);

  const h2 = harness();
  const log2 = recordingUser();
  const req = request("INVITE");
  const tx = h2.table.createClient(req, TCP_PEER, log2.user)!;
  h2.table.receiveResponse(response(req, 603, "d1"));
  assert.is(tx.state, "terminated");
  assert.equal(h2.sent.map((s) => s.message.method), ["INVITE", "ACK"]);
  assert.equal(h2.sent[1]!.to, TCP_PEER);
  assert.equal(log2.events, ["response 603", "terminated"]);
});

test("ClientTransaction (INVITE) enters RFC 6026 Accepted on a 2xx, passes every 2xx up without ACKing, and ends after Timer M (32 s)", () => {
  const h = harness();
  const log = recordingUser();
  const req = request("INVITE");
  const tx = h.table.createClient(req, UDP_PEER, log.user)!;
  h.runUntil(1_000);
  const ok = response(req, 200, "b1");
  h.table.receiveResponse(ok);
  assert.is(tx.state, "accepted");
  h.runUntil(2_000);
  assert.is(h.table.receiveResponse(ok), tx, "a 2xx retransmission still matches");
  h.table.receiveResponse(response(req, 200, "b2")); // another fork's 2xx
  assert.equal(log.events, ["response 200", "response 200", "response 200"]);
  assert.equal(log.responses.map((r) => r.headers.get("to")), [
    "Bob <sip:bob@example.com>;tag=b1",
    "Bob <sip:bob@example.com>;tag=b1",
    "Bob <sip:bob@example.com>;tag=b2",
  ]);
  assert.equal(h.sent.map((s) => s.message.method), ["INVITE", "INVITE"]); // 0 and 500 ms, no ACK
  h.runUntil(32_999);
  assert.is(tx.state, "accepted");
  h.runUntil(33_000);
  assert.is(tx.state, "terminated");
  assert.is(h.table.receiveResponse(ok), undefined, "a 2xx after Timer M is stray");
  assert.is(h.table.counters.strayResponses, 1);
});

test("ClientTransaction (non-INVITE) absorbs final-response retransmissions for T4 (Timer K), and over TCP ends at once", () => {
  const h = harness();
  const log = recordingUser();
  const req = request("BYE");
  const tx = h.table.createClient(req, UDP_PEER, log.user)!;
  h.runUntil(200);
  const ok = response(req, 200);
  h.table.receiveResponse(ok);
  assert.is(tx.state, "completed");
  h.runUntil(3_000);
  h.table.receiveResponse(ok);
  h.table.receiveResponse(response(req, 180));
  assert.equal(log.events, ["response 200"]);
  assert.is(h.table.counters.absorbed, 2);
  assert.equal(h.timesOf(() => true), [0], "no retransmission after the final response");
  h.runUntil(5_199);
  assert.is(tx.state, "completed");
  h.runUntil(5_200);
  assert.is(tx.state, "terminated");

  const h2 = harness();
  const log2 = recordingUser();
  const req2 = request("BYE");
  const tx2 = h2.table.createClient(req2, TCP_PEER, log2.user)!;
  h2.table.receiveResponse(response(req2, 481));
  assert.is(tx2.state, "terminated");
  assert.equal(log2.events, ["response 481", "terminated"]);
});

test("ClientTransaction reports a transport error to the TU and terminates", () => {
  let fail = false;
  const h = harness({}, { failSends: () => fail });
  const log = recordingUser();
  const tx = h.table.createClient(request("INVITE"), UDP_PEER, log.user)!;
  fail = true;
  h.runUntil(500);
  assert.is(tx.state, "terminated");
  assert.equal(log.events, ["transport error", "terminated"]);
  assert.is(h.table.clientCount, 0);
  assert.is(h.table.counters.transportErrors, 1);

  const h2 = harness();
  const log2 = recordingUser();
  const tx2 = h2.table.createClient(request("MESSAGE"), TCP_PEER, log2.user)!;
  tx2.transportError(new Error("connection reset"));
  assert.equal(log2.events, ["transport error", "terminated"]);
});

test("TransactionTable.receiveResponse() matches on branch and CSeq method: the CANCEL's 200 does not reach the INVITE", () => {
  const h = harness();
  const inviteLog = recordingUser();
  const cancelLog = recordingUser();
  const invite = request("INVITE");
  const inviteTx = h.table.createClient(invite, UDP_PEER, inviteLog.user)!;
  h.table.receiveResponse(response(invite, 180, "b1"));
  const cancel = buildCancel(invite);
  const cancelTx = h.table.createClient(cancel, UDP_PEER, cancelLog.user)!;
  assert.is.not(cancelTx.key, inviteTx.key);
  assert.is(h.table.receiveResponse(response(cancel, 200, "b1")), cancelTx);
  assert.equal(cancelLog.events, ["response 200"]);
  assert.equal(inviteLog.events, ["response 180"]);
  assert.is(inviteTx.state, "proceeding");
  assert.is(h.table.receiveResponse(response(invite, 487, "b1")), inviteTx);
  assert.is(inviteTx.state, "completed");
  // Another branch matches nothing.
  assert.is(
    h.table.receiveResponse(response(request("INVITE", { branch: "z9hG4bK-other" }), 200, "x")),
    undefined,
  );
});

test("TransactionTable.createClient() refuses an ACK, a branch without the cookie and a branch in use, and returns undefined at its cap (counted)", () => {
  const h = harness({ maxClientTransactions: 2 });
  const log = recordingUser();
  const isTypeError = (e: unknown) => e instanceof TypeError;
  assert.throws(() => h.table.createClient(request("ACK"), UDP_PEER, log.user), isTypeError);
  assert.throws(
    () => h.table.createClient(request("INVITE", { branch: "old-style-1" }), UDP_PEER, log.user),
    isTypeError,
  );
  assert.throws(
    () => h.table.createClient(request("INVITE", { branch: "z9hG4bK" }), UDP_PEER, log.user),
    isTypeError,
  );
  h.table.createClient(request("INVITE", { branch: "z9hG4bK-1" }), UDP_PEER, log.user);
  assert.throws(
    () => h.table.createClient(request("INVITE", { branch: "z9hG4bK-1" }), UDP_PEER, log.user),
    isTypeError,
  );
  assert.ok(h.table.createClient(request("INVITE", { branch: "z9hG4bK-2" }), UDP_PEER, log.user));
  assert.is(
    h.table.createClient(request("INVITE", { branch: "z9hG4bK-3" }), UDP_PEER, log.user),
    undefined,
  );
  assert.equal(h.table.counters.refused, { server: 0, client: 1 });
  assert.is(h.metrics.value("superpeer_sip_transactions_refused_total", { side: "client" }), 1);
  assert.is(h.table.clientCount, 2);
});

test("TransactionTable.createClient() at its cap ends the oldest client transaction that only waits (Completed, Timer K) to make room, counted", () => {
  const h = harness({ maxClientTransactions: 2 });
  const log = recordingUser();
  const options = request("OPTIONS", { branch: "z9hG4bK-o1" });
  const first = h.table.createClient(options, UDP_PEER, log.user)!;
  h.table.createClient(request("INVITE", { branch: "z9hG4bK-i1" }), UDP_PEER, log.user);
  h.table.receiveResponse(response(options, 200, "t1"));
  assert.is(first.state, "completed");
  assert.ok(h.table.createClient(request("OPTIONS", { branch: "z9hG4bK-o2" }), UDP_PEER, log.user));
  assert.is(first.state, "terminated");
  assert.equal(h.table.counters.evicted, { server: 0, client: 1 });
  assert.is(
    h.table.createClient(request("OPTIONS", { branch: "z9hG4bK-o3" }), UDP_PEER, log.user),
    undefined,
    "the INVITE (calling) and the new OPTIONS (trying) are at work",
  );
});

test.run();
