import { test } from "uvu";
import * as assert from "uvu/assert";
import { bigIntToId, clockwise, inArc, RING_SIZE } from "../../src/overlay/ring.ts";
import { type PeerRef, peerRef, RoutingTable } from "../../src/overlay/routing_table.ts";
import { prng } from "../../scripts/lib/overlay_fuzz.ts";

const addr = (n: number) => ({ host: `10.0.0.${n}`, port: 6084 });
const at = (position: bigint, n = 1) => peerRef(bigIntToId(position), addr(n));
const step = RING_SIZE / 100n;

test("RoutingTable keeps the closest successors and predecessors, in order", () => {
  const table = new RoutingTable(at(50n * step), { successors: 2, predecessors: 2 });
  for (const i of [10n, 60n, 52n, 90n, 49n, 40n]) table.addNeighbour(at(i * step, Number(i)));
  assert.equal(table.successors().map((p) => p.id / step), [52n, 60n]);
  assert.equal(table.predecessors().map((p) => p.id / step), [49n, 40n]);
});

test("RoutingTable successors wrap around zero", () => {
  const table = new RoutingTable(at(95n * step));
  for (const i of [97n, 3n, 1n, 50n]) table.addNeighbour(at(i * step));
  assert.equal(table.successors().map((p) => p.id / step), [97n, 1n, 3n]);
});

test("RoutingTable isResponsible is (predecessor, self]; alone it owns the ring", () => {
  const alone = new RoutingTable(at(50n * step));
  assert.ok(alone.isResponsible(7n));
  const table = new RoutingTable(at(50n * step));
  table.addNeighbour(at(40n * step));
  assert.ok(table.isResponsible(50n * step));
  assert.ok(table.isResponsible(41n * step));
  assert.not.ok(table.isResponsible(40n * step));
  assert.not.ok(table.isResponsible(51n * step));
});

test("RoutingTable nextHop: self, the successor, or the closest peer before the key", () => {
  const table = new RoutingTable(at(50n * step));
  table.addNeighbour(at(40n * step, 40));
  table.addNeighbour(at(55n * step, 55));
  table.setFinger(0, at(80n * step, 80));
  table.setFinger(1, at(70n * step, 70));
  assert.is(table.nextHop(45n * step), "self");
  assert.is((table.nextHop(53n * step) as PeerRef).id, 55n * step);
  assert.is((table.nextHop(75n * step) as PeerRef).id, 70n * step);
  assert.is((table.nextHop(99n * step) as PeerRef).id, 80n * step);
  assert.is(
    (table.nextHop(20n * step) as PeerRef).id,
    40n * step,
    "the predecessor just behind the key is nearer than any peer before it",
  );
  assert.is((table.nextHop(70n * step) as PeerRef).id, 70n * step, "a peer with exactly that id");
});

test("RoutingTable nextHop: a neighbour list that shows the responsible peer routes straight to it", () => {
  const table = new RoutingTable(at(50n * step));
  for (const i of [40n, 30n, 20n, 55n, 60n, 65n]) table.addNeighbour(at(i * step, Number(i)));
  table.setFinger(0, at(90n * step, 90));
  // Key 35: (30, 40] is the first predecessor's range, though 30 is the closest peer before it.
  assert.is((table.nextHop(35n * step) as PeerRef).id, 40n * step);
  assert.is((table.nextHop(25n * step) as PeerRef).id, 30n * step);
  // Key 58: (55, 60] belongs to the second successor.
  assert.is((table.nextHop(58n * step) as PeerRef).id, 60n * step);
  // An unresponsive second successor: its range falls to the third, which is where it goes.
  const silent = (p: PeerRef) => p.id === 60n * step;
  assert.is((table.nextHop(58n * step, silent) as PeerRef).id, 65n * step);
  // Beyond what the lists cover: the known peer nearest the key, before it (a finger) or just
  // behind it (the farthest predecessor).
  assert.is((table.nextHop(10n * step) as PeerRef).id, 20n * step);
  assert.is((table.nextHop(95n * step) as PeerRef).id, 90n * step);
});

test("RoutingTable nextHop never returns an excluded peer (the via list), undefined when none is left", () => {
  const table = new RoutingTable(at(50n * step));
  table.addNeighbour(at(40n * step, 40));
  table.addNeighbour(at(55n * step, 55));
  table.setFinger(0, at(80n * step, 80));
  const via = new Set([80n * step]);
  const hop = table.nextHop(85n * step, undefined, (p) => via.has(p.id)) as PeerRef;
  assert.is(hop.id, 55n * step, "the next best peer before the key");
  via.add(55n * step);
  via.add(40n * step);
  assert.is(table.nextHop(99n * step, undefined, (p) => via.has(p.id)), undefined);
  assert.is(
    table.nextHop(99n * step, () => true, (p) => via.has(p.id)),
    undefined,
    "the fallback for avoided peers still honours the exclusion",
  );
});

test("RoutingTable remove drops a peer from every list", () => {
  const table = new RoutingTable(at(50n * step));
  const p = at(60n * step);
  table.addNeighbour(p);
  table.setFinger(3, p);
  assert.ok(table.remove(p.hex));
  assert.equal(table.peers(), []);
  assert.not.ok(table.remove(p.hex));
});

test("RoutingTable remove refills the neighbour lists from the fingers it still knows", () => {
  const table = new RoutingTable(at(50n * step), { successors: 2, predecessors: 2 });
  for (const i of [52n, 54n, 40n, 42n]) table.addNeighbour(at(i * step, Number(i)));
  table.setFinger(2, at(60n * step, 60)); // known only as a finger: the lists were full
  assert.equal(table.successors().map((p) => p.id / step), [52n, 54n]);
  table.remove(at(52n * step).hex);
  assert.equal(table.successors().map((p) => p.id / step), [54n, 60n]);
});

test("RoutingTable fingerArc i covers [self + 2^(127-i), self + 2^(128-i))", () => {
  const table = new RoutingTable(at(0n));
  assert.equal(table.fingerArc(0), { start: 1n << 127n, length: 1n << 127n });
  assert.equal(table.fingerArc(15), { start: 1n << 112n, length: 1n << 112n });
});

test("RoutingTable: greedy routing over full tables reaches the responsible node in O(log N) hops", () => {
  const random = prng(42);
  const randomId = () => {
    let v = 0n;
    for (let i = 0; i < 4; i++) v = (v << 32n) | BigInt(Math.floor(random() * 2 ** 32));
    return v;
  };
  const n = 500;
  const ids = Array.from({ length: n }, randomId).sort((a, b) => (a < b ? -1 : 1));
  const peers = ids.map((id, i) => at(id, i));
  const successorOf = (key: bigint) => peers.find((p) => p.id >= key) ?? peers[0]!;
  const tables = new Map<string, RoutingTable>();
  for (const [i, self] of peers.entries()) {
    const table = new RoutingTable(self);
    for (let k = 1; k <= 3; k++) {
      table.addNeighbour(peers[(i + k) % n]!);
      table.addNeighbour(peers[(i - k + n) % n]!);
    }
    for (let f = 0; f < 16; f++) {
      const arc = table.fingerArc(f);
      const target = successorOf((arc.start + (randomId() % arc.length)) % RING_SIZE);
      if (
        inArc(
          target.id,
          (arc.start - 1n + RING_SIZE) % RING_SIZE,
          (arc.start + arc.length - 1n) % RING_SIZE,
        )
      ) {
        table.setFinger(f, target);
      }
    }
    tables.set(self.hex, table);
  }
  let totalHops = 0;
  const lookups = 2000;
  for (let l = 0; l < lookups; l++) {
    const key = randomId();
    const owner = successorOf(key);
    let at = peers[Math.floor(random() * n)]!;
    let hops = 0;
    for (;;) {
      const next = tables.get(at.hex)!.nextHop(key);
      if (next === "self") break;
      if (next === undefined) throw new Error("no next hop in a full table");
      assert.ok(
        clockwise(next.id, key) < clockwise(at.id, key) || inArc(key, at.id, next.id),
        "progress",
      );
      at = next;
      hops++;
      assert.ok(hops <= 30, "no loops");
    }
    assert.is(at.hex, owner.hex, "ends at the responsible peer");
    totalHops += hops;
  }
  const mean = totalHops / lookups;
  assert.ok(mean <= 0.5 * Math.log2(n) + 1 + 1, `mean ${mean.toFixed(2)} hops`);
});

test.run();
