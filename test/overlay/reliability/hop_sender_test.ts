import { test } from "uvu";
import * as assert from "uvu/assert";
import type { DatagramAddress } from "../../../src/core/transport.ts";
import { HopSender } from "../../../src/overlay/reliability/hop_sender.ts";

const A: DatagramAddress = { host: "192.0.2.1", port: 6084 };
const B: DatagramAddress = { host: "192.0.2.2", port: 6084 };
const V6: DatagramAddress = { host: "2001:db8::1", port: 6084 };

function id(n: number): Uint8Array {
  return new Uint8Array([n, 0, 0, 0, 0, 0, 0, n]);
}

function datagram(n: number): Uint8Array {
  return new Uint8Array([0x85, 1, n]);
}

test("HopSender.due() retransmits at +500, +1500, +3500 and +7500 ms and fails at +15500 ms", () => {
  // RFC 6940 section 6.6.3.1: RTO 500 ms, doubled after each retransmission, 5 transmissions in all.
  // Sent at T; RTOs 500, 1000, 2000, 4000 between the 5 transmissions; the 5th waits 8000 ms.
  const T = 10_000;
  const retransmitAt = [10_500, 11_500, 13_500, 17_500];
  const failAt = 25_500;
  const hops = new HopSender();
  hops.track({ id: id(1), offset: 0 }, datagram(1), A, T);
  for (const at of retransmitAt) {
    assert.is(hops.nextDeadline(), at);
    const early = hops.due(at - 1);
    assert.equal(early, { retransmit: [], failed: [] }, `nothing due at ${at - 1}`);
    const due = hops.due(at);
    assert.is(due.retransmit.length, 1, `retransmission at ${at}`);
    assert.is(due.retransmit[0]!.to, A);
    assert.equal(due.retransmit[0]!.datagram, datagram(1));
    assert.is(due.failed.length, 0);
  }
  assert.is(hops.nextDeadline(), failAt);
  assert.equal(hops.due(failAt - 1), { retransmit: [], failed: [] });
  const last = hops.due(failAt);
  assert.is(last.retransmit.length, 0, "no 6th transmission");
  assert.equal(last.failed, [{ to: A, id: id(1), offset: 0, reason: "timeout" }]);
  assert.is(hops.size, 0);
  assert.is(hops.nextDeadline(), undefined);
  const counters = hops.counters;
  assert.is(counters.sent, 1);
  assert.is(counters.retransmitted, 4);
  assert.is(counters.failed, 1);
  assert.is(counters.failedByReason.timeout, 1);
});

test("HopSender initialRtoMs and maxTransmissions change the schedule", () => {
  const hops = new HopSender({ initialRtoMs: 100, maxTransmissions: 2 });
  hops.track({ id: id(1), offset: 0 }, datagram(1), A, 0);
  assert.is(hops.due(100).retransmit.length, 1);
  assert.is(hops.nextDeadline(), 300);
  assert.is(hops.due(300).failed.length, 1);
});

test("HopSender.due() late retransmits once and times the next RTO from then", () => {
  const hops = new HopSender();
  hops.track({ id: id(1), offset: 0 }, datagram(1), A, 0);
  const due = hops.due(2_000);
  assert.is(due.retransmit.length, 1, "one retransmission, not a burst of catch-up copies");
  assert.is(hops.nextDeadline(), 3_000, "RTO 1000 ms from the late retransmission");
});

test("HopSender.acknowledge() ignores an ACK from an address the datagram was not sent to", () => {
  const hops = new HopSender();
  hops.track({ id: id(1), offset: 0 }, datagram(1), A, 0);
  hops.track({ id: id(2), offset: 0 }, datagram(2), V6, 0);
  assert.is(hops.acknowledge(B, id(1), 0), false, "another host");
  assert.is(hops.acknowledge({ host: A.host, port: 6085 }, id(1), 0), false, "another port");
  assert.is(hops.acknowledge(V6, id(1), 0), false);
  assert.is(hops.size, 2);
  assert.is(hops.due(500).retransmit.length, 2, "still retransmitted");
  assert.is(hops.acknowledge(A, id(1), 0), true);
  assert.is(hops.acknowledge({ host: "2001:db8::1", port: 6084 }, id(2), 0), true);
  assert.is(hops.acknowledge(A, id(1), 0), false, "a duplicate ACK matches nothing");
  assert.is(hops.size, 0);
  assert.is(hops.nextDeadline(), undefined);
  assert.equal(hops.due(100_000), { retransmit: [], failed: [] });
  assert.is(hops.counters.acked, 2);
});

test("HopSender.has() tells whether a datagram still awaits its ACK from that neighbour", () => {
  const hops = new HopSender();
  hops.track({ id: id(1), offset: 0 }, datagram(1), A, 0);
  assert.ok(hops.has({ id: id(1), offset: 0 }, A));
  assert.not.ok(hops.has({ id: id(1), offset: 0 }, B), "another neighbour");
  assert.not.ok(hops.has({ id: id(1), offset: 1 }, A), "another fragment");
  hops.acknowledge(A, id(1), 0);
  assert.not.ok(hops.has({ id: id(1), offset: 0 }, A), "acknowledged");
});

test("HopSender.acknowledge() matches the fragment offset as well as the id", () => {
  const hops = new HopSender();
  hops.track({ id: id(7), offset: 0 }, datagram(1), A, 0);
  hops.track({ id: id(7), offset: 1152 }, datagram(2), A, 0);
  assert.is(hops.acknowledge(A, id(7), 2304), false);
  assert.is(hops.acknowledge(A, id(7), 1152), true);
  assert.is(hops.size, 1);
  assert.equal(hops.due(500).retransmit.map((r) => r.datagram), [datagram(1)]);
});

test("HopSender.acknowledge() ignores a malformed ack id", () => {
  const hops = new HopSender();
  hops.track({ id: id(1), offset: 0 }, datagram(1), A, 0);
  assert.is(hops.acknowledge(A, id(1).subarray(0, 4), 0), false);
  assert.is(hops.acknowledge(A, id(1), -1), false);
  assert.is(hops.size, 1);
});

test("HopSender.track() keeps its own copy of the ack id", () => {
  const hops = new HopSender();
  const signature = new Uint8Array(64).fill(9);
  hops.track({ id: signature.subarray(0, 8), offset: 0 }, datagram(1), A, 0);
  signature.fill(0);
  assert.is(hops.acknowledge(A, new Uint8Array(8).fill(9), 0), true);
});

test("HopSender.track() at maxPending gives up the oldest datagram with reason capacity", () => {
  const hops = new HopSender({ maxPending: 2 });
  assert.is(hops.track({ id: id(1), offset: 0 }, datagram(1), A, 0), undefined);
  assert.is(hops.track({ id: id(2), offset: 0 }, datagram(2), B, 10), undefined);
  const evicted = hops.track({ id: id(3), offset: 0 }, datagram(3), A, 20);
  assert.equal(evicted, { to: A, id: id(1), offset: 0, reason: "capacity" });
  assert.is(hops.size, 2);
  assert.is(hops.acknowledge(A, id(1), 0), false);
  assert.is(hops.nextDeadline(), 510);
  const counters = hops.counters;
  assert.is(counters.failed, 1);
  assert.is(counters.failedByReason.capacity, 1);
  assert.is(counters.failedByReason.timeout, 0);
});

test("HopSender.track() of a pending key restarts its schedule without evicting", () => {
  const hops = new HopSender({ maxPending: 1 });
  hops.track({ id: id(1), offset: 0 }, datagram(1), A, 0);
  hops.due(500);
  assert.is(hops.track({ id: id(1), offset: 0 }, datagram(9), A, 3_000), undefined);
  assert.is(hops.size, 1);
  assert.is(hops.nextDeadline(), 3_500);
  assert.equal(hops.due(3_500).retransmit.map((r) => r.datagram), [datagram(9)]);
  assert.is(hops.counters.failed, 0);
});

test("HopSender.track() refuses an ack id that is not 8 bytes or a negative offset", () => {
  const hops = new HopSender();
  assert.throws(
    () => hops.track({ id: new Uint8Array(7), offset: 0 }, datagram(1), A, 0),
    (e: unknown) => e instanceof RangeError,
  );
  assert.throws(
    () => hops.track({ id: id(1), offset: -1 }, datagram(1), A, 0),
    (e: unknown) => e instanceof RangeError,
  );
  assert.is(hops.size, 0);
});

test("HopSender.nextDeadline() is the earliest deadline over all neighbours", () => {
  const hops = new HopSender();
  assert.is(hops.nextDeadline(), undefined);
  hops.track({ id: id(1), offset: 0 }, datagram(1), A, 0);
  hops.track({ id: id(2), offset: 0 }, datagram(2), B, 200);
  assert.is(hops.nextDeadline(), 500);
  hops.due(500); // A's next at 1500
  assert.is(hops.nextDeadline(), 700);
  hops.acknowledge(B, id(2), 0);
  assert.is(hops.nextDeadline(), 1_500);
});

test("HopSender.forget() drops everything pending to one neighbour without counting failures", () => {
  const hops = new HopSender();
  hops.track({ id: id(1), offset: 0 }, datagram(1), A, 0);
  hops.track({ id: id(2), offset: 0 }, datagram(2), B, 100);
  hops.track({ id: id(3), offset: 0 }, datagram(3), { host: "192.0.2.1", port: 6084 }, 0);
  assert.is(hops.forget(A), 2);
  assert.is(hops.size, 1);
  assert.is(hops.nextDeadline(), 600);
  assert.is(hops.counters.failed, 0);
  assert.is(hops.counters.forgotten, 2);
  assert.is(hops.forget(A), 0);
});

test("HopSender rejects options that are not positive integers", () => {
  assert.throws(() => new HopSender({ initialRtoMs: 0 }), /initialRtoMs/);
  assert.throws(() => new HopSender({ maxTransmissions: 1.5 }), /maxTransmissions/);
  assert.throws(() => new HopSender({ maxPending: -1 }), /maxPending/);
});

test.run();

test("HopSender: a silent neighbour is probed by its oldest datagram only; an ACK releases the rest", () => {
  const hops = new HopSender();
  hops.track({ id: id(1), offset: 0 }, datagram(1), A, 0);
  assert.is(hops.due(500).retransmit.length, 1, "the first datagram's first retransmission");
  hops.track({ id: id(2), offset: 0 }, datagram(2), A, 600);
  hops.track({ id: id(3), offset: 0 }, datagram(3), B, 600);
  // At 1100 both 600-datagrams are due: B's goes (B is not silent), A's second waits.
  const due = hops.due(1100);
  assert.equal(due.retransmit.map((r) => r.datagram), [datagram(3)]);
  assert.is(hops.counters.held, 1);
  // A answers the probe: the held datagram is retransmitted at its next deadline.
  assert.ok(hops.acknowledge(A, id(1), 0));
  const next = hops.nextDeadline()!;
  const released = hops.due(next).retransmit.map((r) => Array.from(r.datagram));
  assert.ok(released.some((d) => d[2] === 2), JSON.stringify(released));
});

test("HopSender: forgetting a neighbour whose probe failed drops what was held for it", () => {
  const hops = new HopSender();
  hops.track({ id: id(1), offset: 0 }, datagram(1), A, 0);
  hops.track({ id: id(2), offset: 0 }, datagram(2), A, 100);
  let failed = 0;
  let retransmitted: Uint8Array[] = [];
  for (let t = 0; t <= 16_000; t += 100) {
    const due = hops.due(t);
    failed += due.failed.length;
    retransmitted = retransmitted.concat(due.retransmit.map((r) => r.datagram));
    if (due.failed.length > 0) break;
  }
  assert.is(failed, 1, "the oldest fails after its 5 transmissions");
  assert.is(retransmitted.filter((d) => d[2] === 2).length, 0, "the second was held: sent once");
  assert.is(retransmitted.filter((d) => d[2] === 1).length, 4, "the probe's full schedule");
  assert.is(hops.forget(A), 1);
  assert.is(hops.size, 0);
});
