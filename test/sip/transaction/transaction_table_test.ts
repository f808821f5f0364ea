import { test } from "uvu";
import * as assert from "uvu/assert";
import { SipMessage } from "../../../src/codec/sip/mod.ts";
import { buildCancel, DeadlineQueue, TransactionTable } from "../../../src/sip/transaction/mod.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import { MetricsRegistry } from "../../../src/core/metrics.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import type {
  DatagramAddress,
  DatagramHandler,
  DatagramTransport,
} from "../../../src/core/transport.ts";
import { SipTransportLayer } from "../../../src/sip/sip_transport_layer.ts";
import { createResponse } from "../../../src/sip/sip_response.ts";
import { responseDestination } from "../../../src/sip/via_handling.ts";
import type { ServerTransaction, TransactionSend } from "../../../src/sip/transaction/mod.ts";
import { VirtualScheduler } from "../../../src/transport/virtual_scheduler.ts";
import { harness, recordingUser, request, response, TCP_PEER, UDP_PEER } from "./helpers.ts";

test("TransactionTable.receiveRequest() matches by branch, sent-by and method: a copy is absorbed, another sent-by or method is new", () => {
  const h = harness();
  const invite = request("INVITE");
  const first = h.table.receiveRequest(invite, UDP_PEER);
  assert.is(first.kind, "request");
  assert.is(h.table.receiveRequest(request("INVITE"), UDP_PEER).kind, "absorbed");
  // Same branch from another sent-by: another client's transaction (section 17.2.3).
  assert.is(
    h.table.receiveRequest(request("INVITE", { sentBy: "192.0.2.99:5060" }), UDP_PEER).kind,
    "request",
  );
  // Host names in sent-by compare without case.
  assert.is(
    h.table.receiveRequest(request("OPTIONS", { sentBy: "Phone.Example.com" }), UDP_PEER).kind,
    "request",
  );
  assert.is(
    h.table.receiveRequest(request("OPTIONS", { sentBy: "phone.example.COM" }), UDP_PEER).kind,
    "absorbed",
  );
  // Same branch, another method (not ACK, not the INVITE's CANCEL): a transaction of its own.
  assert.is(h.table.receiveRequest(request("INFO"), UDP_PEER).kind, "request");
  assert.is(h.table.serverCount, 4);
  assert.equal(h.table.counters.created, {
    "invite-client": 0,
    "non-invite-client": 0,
    "invite-server": 2,
    "non-invite-server": 2,
  });
});

test("TransactionTable.receiveRequest() gives a CANCEL its own transaction and the INVITE server transaction it cancels (section 9.2)", () => {
  const h = harness();
  const invite = request("INVITE");
  const r = h.table.receiveRequest(invite, UDP_PEER);
  assert.is(r.kind, "request");
  const inviteTx = r.kind === "request" ? r.transaction : undefined;
  const cancel = buildCancel(invite);
  const c = h.table.receiveRequest(cancel, UDP_PEER);
  assert.is(c.kind, "request");
  if (c.kind !== "request") return;
  assert.is(c.cancels, inviteTx);
  assert.is.not(c.transaction, inviteTx);
  assert.is(c.transaction.kind, "non-invite-server");
  assert.is(h.table.findCancelTarget(cancel), inviteTx);
  // A CANCEL for nothing: the TU answers 481.
  const orphan = buildCancel(request("INVITE", { branch: "z9hG4bK-none" }));
  const o = h.table.receiveRequest(orphan, UDP_PEER);
  assert.is(o.kind === "request" ? o.cancels : "wrong kind", undefined);
  // The CANCEL's retransmission is absorbed by the CANCEL's transaction.
  assert.equal(h.table.receiveRequest(cancel, UDP_PEER), {
    kind: "absorbed",
    transaction: c.transaction,
  });
});

test("TransactionTable.receiveRequest() sends the ACK of a 2xx (own branch) to the TU and never makes a transaction for an ACK", () => {
  const h = harness();
  const invite = request("INVITE");
  const r = h.table.receiveRequest(invite, UDP_PEER);
  if (r.kind !== "request") throw new Error(r.kind);
  r.transaction.respond(response(invite, 200, "t1"));
  const ack = request("ACK", { branch: "z9hG4bK-ack-2xx", toTag: "t1" });
  assert.equal(h.table.receiveRequest(ack, UDP_PEER), { kind: "ack", transaction: undefined });
  assert.equal(h.table.receiveRequest(request("ACK", { branch: "z9hG4bK-x" }), UDP_PEER), {
    kind: "ack",
    transaction: undefined,
  });
  assert.is(h.table.serverCount, 1);
});

test("TransactionTable matches RFC 2543 requests (no z9hG4bK) by Request-URI, Call-ID, tags, CSeq number and top Via; an ACK by the To tag of the response", () => {
  const h = harness({ tryingDelayMs: null });
  const old = { branch: "" };
  const invite = request("INVITE", old);
  const r = h.table.receiveRequest(invite, UDP_PEER);
  if (r.kind !== "request") throw new Error(r.kind);
  assert.is(h.table.receiveRequest(request("INVITE", old), UDP_PEER).kind, "absorbed");
  assert.is(
    h.table.receiveRequest(request("INVITE", { ...old, cseq: 2 }), UDP_PEER).kind,
    "request",
  );
  assert.is(
    h.table.receiveRequest(request("INVITE", { ...old, fromTag: "zz" }), UDP_PEER).kind,
    "request",
  );
  assert.is(
    h.table.receiveRequest(request("INVITE", { ...old, branch: "1234" }), UDP_PEER).kind,
    "request",
  );
  // "z9hG4bK" alone is no RFC 3261 branch (RFC 4475 section 3.2.1).
  assert.is(
    h.table.receiveRequest(request("INVITE", { branch: "z9hG4bK" }), UDP_PEER).kind,
    "request",
  );
  assert.is(h.table.findCancelTarget(buildCancel(invite)), r.transaction);

  r.transaction.respond(response(invite, 404, "t9"));
  assert.equal(h.table.receiveRequest(request("ACK", { ...old, toTag: "other" }), UDP_PEER), {
    kind: "ack",
    transaction: undefined,
  });
  assert.is(r.transaction.state, "completed");
  assert.is(
    h.table.receiveRequest(request("ACK", { ...old, toTag: "t9" }), UDP_PEER).kind,
    "absorbed",
  );
  assert.is(r.transaction.state, "confirmed");
});

test("TransactionTable refuses new server transactions at maxServerTransactions with Retry-After seconds, counted, while copies are still absorbed", () => {
  const h = harness({ maxServerTransactions: 2, overloadRetryAfterS: 7 });
  const a = request("REGISTER", { branch: "z9hG4bK-a" });
  h.table.receiveRequest(a, UDP_PEER);
  h.table.receiveRequest(request("REGISTER", { branch: "z9hG4bK-b" }), UDP_PEER);
  const refused = h.table.receiveRequest(request("REGISTER", { branch: "z9hG4bK-c" }), UDP_PEER);
  assert.equal(refused, { kind: "refused", reason: "capacity", retryAfterS: 7 });
  assert.is(h.table.receiveRequest(a, UDP_PEER).kind, "absorbed");
  assert.equal(h.table.counters.refused, { server: 1, client: 0 });
  assert.is(h.metrics.value("superpeer_sip_transactions_refused_total", { side: "server" }), 1);
  assert.is(h.metrics.value("superpeer_sip_transactions", { kind: "non-invite-server" }), 2);
  // Once one ends there is room again.
  const tx = h.table.server(
    (h.table.receiveRequest(a, UDP_PEER) as { transaction: { key: string } }).transaction.key,
  )!;
  tx.respond(response(a, 200, "r"));
  h.runUntil(32_000);
  assert.is(h.table.serverCount, 1);
  assert.is(
    h.table.receiveRequest(request("REGISTER", { branch: "z9hG4bK-c" }), UDP_PEER).kind,
    "request",
  );
});

test("TransactionTable at maxServerTransactions ends the oldest transaction that only waits for retransmissions to admit a new one, counted; it refuses when all are at work", () => {
  const h = harness({ maxServerTransactions: 2 });
  const a = request("BYE", { branch: "z9hG4bK-a" });
  const b = request("INVITE", { branch: "z9hG4bK-b" });
  const txA =
    (h.table.receiveRequest(a, UDP_PEER) as { transaction: ServerTransaction }).transaction;
  h.table.receiveRequest(b, UDP_PEER);
  txA.respond(response(a, 200, "r")); // Completed: waits 32 s (Timer J) for copies of the BYE
  const c = request("OPTIONS", { branch: "z9hG4bK-c" });
  const admitted = h.table.receiveRequest(c, UDP_PEER);
  assert.is(admitted.kind, "request");
  assert.is(txA.state, "terminated");
  assert.is(h.table.serverCount, 2);
  assert.equal(h.table.counters.evicted, { server: 1, client: 0 });
  assert.is(h.metrics.value("superpeer_sip_transactions_evicted_total", { side: "server" }), 1);
  // b (an INVITE still proceeding) and c (trying) are at work: the next is refused.
  const d = h.table.receiveRequest(request("OPTIONS", { branch: "z9hG4bK-d" }), UDP_PEER);
  assert.is(d.kind, "refused");
  assert.equal(h.table.counters.refused, { server: 1, client: 0 });
});

test("TransactionTable.receiveRequest() answers invalid for a message without Via or CSeq, and never throws", () => {
  const h = harness();
  const noVia = SipMessage.request({
    method: "OPTIONS",
    uri: "sip:example.com",
    headers: [
      ["From", "<sip:a@example.com>;tag=1"],
      ["To", "<sip:example.com>"],
      ["Call-ID", "x"],
      [
        "CSeq",
        "1 OPTIONS",
      ],
    ],
  });
  assert.is(h.table.receiveRequest(noVia, UDP_PEER).kind, "invalid");
  const noCseq = SipMessage.request({
    method: "OPTIONS",
    uri: "sip:example.com",
    headers: [["Via", "SIP/2.0/UDP h;branch=z9hG4bK-1"], ["From", "<sip:a@example.com>;tag=1"], [
      "To",
      "<sip:example.com>",
    ], ["Call-ID", "x"]],
  });
  assert.is(h.table.receiveRequest(noCseq, UDP_PEER).kind, "invalid");
  assert.is(h.table.receiveResponse(SipMessage.response({ status: 200, reason: "OK" })), undefined);
  assert.is(h.table.counters.invalid, 3);
  assert.is(h.table.serverCount, 0);
});

test("TransactionTable drives every transaction's timers with one scheduled callback", () => {
  const h = harness();
  for (let i = 0; i < 100; i++) {
    h.table.createClient(
      request("OPTIONS", { branch: `z9hG4bK-o${i}` }),
      UDP_PEER,
      recordingUser().user,
    );
    h.table.receiveRequest(request("INVITE", { branch: `z9hG4bK-i${i}` }), UDP_PEER);
  }
  assert.is(h.scheduler.pending, 1);
  h.runUntil(600);
  assert.is(h.scheduler.pending, 1);
  // 100 OPTIONS sent and retransmitted at 0.5 s, 100 Trying at 0.2 s.
  assert.is(h.sent.length, 300);
  h.runUntil(100_000);
  assert.is(h.table.clientCount, 0);
  assert.is(h.scheduler.pending, 0);
});

test("TransactionTable compacts its timer queue when transactions end before their timers (reliable transports)", () => {
  const h = harness();
  for (let i = 0; i < 2500; i++) {
    const req = request("MESSAGE", { branch: `z9hG4bK-m${i}` });
    h.table.createClient(req, TCP_PEER, recordingUser().user);
    h.table.receiveResponse(response(req, 202));
  }
  assert.is(h.table.clientCount, 0);
  assert.ok(h.table.queuedTimers <= 1024, `queue holds ${h.table.queuedTimers}`);
});

test("TransactionTable.stop() forgets everything, disarms its timer and refuses new work", () => {
  const h = harness();
  h.table.receiveRequest(request("INVITE"), UDP_PEER);
  const log = recordingUser();
  h.table.createClient(request("INVITE", { branch: "z9hG4bK-c1" }), UDP_PEER, log.user);
  h.table.stop();
  h.table.stop();
  assert.is(h.table.serverCount + h.table.clientCount, 0);
  const sends = h.sent.length;
  h.runUntil(100_000);
  assert.is(h.sent.length, sends);
  assert.equal(log.events, []);
  assert.is(
    h.table.receiveRequest(request("INVITE", { branch: "z9hG4bK-late" }), UDP_PEER).kind,
    "refused",
  );
});

test("TransactionTable checks its options", () => {
  const clock = new ManualClock();
  const components = { clock, scheduler: new VirtualScheduler(clock), send: () => {} };
  const isRangeError = (e: unknown) => e instanceof RangeError;
  assert.throws(() => new TransactionTable(components, { t1Ms: 0 }), isRangeError);
  assert.throws(() => new TransactionTable(components, { t1Ms: 5000, t2Ms: 4000 }), isRangeError);
  assert.throws(
    () => new TransactionTable(components, { maxServerTransactions: 1.5 }),
    isRangeError,
  );
  assert.throws(() => new TransactionTable(components, { tryingDelayMs: -1 }), isRangeError);
  const t = new TransactionTable(components, { t1Ms: 250 });
  assert.equal(t.timers, {
    t1Ms: 250,
    t2Ms: 4000,
    t4Ms: 5000,
    timerDMs: 32000,
    tryingDelayMs: 200,
  });
});

test("DeadlineQueue pops the earliest deadline first, ties in insertion order, and retain() keeps order", () => {
  const q = new DeadlineQueue<string>();
  const times = [500, 100, 300, 100, 900, 0, 300];
  times.forEach((t, i) => q.push(t, `${t}/${i}`));
  q.retain((t) => t !== 900);
  const out: string[] = [];
  for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e.item);
  assert.equal(out, ["0/5", "100/1", "100/3", "300/2", "300/6", "500/0"]);
});

test("TransactionTable on the SIP transport layer: an INVITE datagram gets 100 Trying at 200 ms and a 486 retransmitted to the rport address until the ACK", () => {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  const metrics = new MetricsRegistry();
  const layer = new SipTransportLayer({}, { logger: silentLogger(), metrics, clock });
  const out: { at: number; to: DatagramAddress; text: string }[] = [];
  let deliver: DatagramHandler = () => {};
  const udp: DatagramTransport = {
    local: { host: "192.0.2.1", port: 5060 },
    send: (bytes, to) =>
      out.push({ at: clock.monotonic(), to, text: new TextDecoder().decode(bytes) }),
    onDatagram: (handler) => {
      deliver = handler;
    },
    close: () => Promise.resolve(),
  };
  layer.attachDatagram(udp);
  // The transport layer's send fits TransactionSend as it is (SipAddress = TransactionAddress).
  const send: TransactionSend = (message, to) => layer.send(message, to);
  const table = new TransactionTable({ clock, scheduler, send });
  const served: string[] = [];
  layer.onMessage({
    request: (message, arrival) => {
      const r = table.receiveRequest(message, responseDestination(message.topVia(), arrival));
      served.push(r.kind);
      if (r.kind === "request") {
        scheduler.schedule(
          300,
          () => r.transaction.respond(createResponse(message, 486, "Busy Here", { toTag: "b1" })),
        );
      }
    },
    response: () => {},
  });
  const invite = [
    "INVITE sip:bob@192.0.2.1 SIP/2.0",
    "Via: SIP/2.0/UDP 10.0.0.7:5062;branch=z9hG4bK-nat-1;rport",
    "Max-Forwards: 70",
    "From: <sip:alice@example.com>;tag=a1",
    "To: <sip:bob@example.com>",
    "Call-ID: nat-call-1",
    "CSeq: 1 INVITE",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  const natted = { host: "198.51.100.4", port: 40000 };
  deliver(new TextEncoder().encode(invite), natted);
  scheduler.runUntil(1_000);
  deliver(new TextEncoder().encode(invite), natted);
  scheduler.runUntil(2_000);
  const ack = invite.replace("INVITE sip", "ACK sip").replace("1 INVITE", "1 ACK").replace(
    "To: <sip:bob@example.com>",
    "To: <sip:bob@example.com>;tag=b1",
  );
  deliver(new TextEncoder().encode(ack), natted);
  scheduler.runUntil(60_000);
  assert.equal(served, ["request", "absorbed", "absorbed"]);
  assert.equal(out.map((o) => [o.at, o.text.split("\r\n")[0]]), [
    [200, "SIP/2.0 100 Trying"],
    [300, "SIP/2.0 486 Busy Here"],
    [800, "SIP/2.0 486 Busy Here"],
    [1000, "SIP/2.0 486 Busy Here"], // the INVITE copy gets the final again
    [1800, "SIP/2.0 486 Busy Here"],
  ]);
  assert.ok(out.every((o) => o.to.host === "198.51.100.4" && o.to.port === 40000));
  // Responses carry the top Via as the transport layer stamped it (RFC 3581).
  assert.match(out[0]!.text, /z9hG4bK-nat-1;rport=40000;received=198\.51\.100\.4\r\n/);
  assert.is(table.serverCount, 0);
});

test.run();
