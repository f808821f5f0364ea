import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../src/core/clock.ts";
import {
  type DatagramAddress,
  type DatagramTransport,
  formatAddress,
} from "../../src/core/transport.ts";
import { type LinkModel, MemoryNetwork } from "../../src/transport/memory_network.ts";
import { TransportError } from "../../src/transport/transport_error.ts";
import { VirtualScheduler } from "../../src/transport/virtual_scheduler.ts";
import { prng } from "../../scripts/lib/overlay_fuzz.ts";

function setup(link?: LinkModel, seed = 1) {
  const clock = new ManualClock();
  const scheduler = new VirtualScheduler(clock);
  const network = new MemoryNetwork({
    scheduler,
    random: prng(seed),
    ...(link === undefined ? {} : { link: () => link }),
  });
  return { clock, scheduler, network };
}

/** Records arrival times and contents at a transport. */
function arrivals(transport: DatagramTransport, clock: ManualClock) {
  const got: { at: number; bytes: Uint8Array; from: DatagramAddress }[] = [];
  transport.onDatagram((bytes, from) => got.push({ at: clock.monotonic(), bytes, from }));
  return got;
}

test("MemoryNetwork.attach() hands out 10.0.x.y:6084 addresses and refuses a taken one", () => {
  const { network } = setup();
  const a = network.attach();
  const b = network.attach();
  assert.equal(a.local, { host: "10.0.0.1", port: 6084 });
  assert.equal(b.local, { host: "10.0.0.2", port: 6084 });
  const c = network.attach({ host: "10.0.0.3", port: 6084 });
  assert.equal(network.attach().local, { host: "10.0.0.4", port: 6084 }); // skips the taken one
  try {
    network.attach({ host: "10.0.0.3", port: 6084 });
    assert.unreachable("attached twice");
  } catch (error) {
    assert.instance(error, TransportError);
    assert.is((error as TransportError).osCode, "EADDRINUSE");
  }
  assert.equal(network.attach({ host: "10.0.0.3", port: 0 }).local, {
    host: "10.0.0.3",
    port: 49152,
  });
  assert.throws(
    () => network.attach({ host: "10.0.0.9", port: 70000 }),
    (e: unknown) => e instanceof RangeError,
  );
  assert.is(network.size, 5);
  void c.close();
  assert.is(network.size, 4);
});

test("MemoryNetwork delivers after the link latency in virtual time, with the sender's address", () => {
  const { clock, scheduler, network } = setup({ latencyMs: 25, jitterMs: 0, loss: 0 });
  const a = network.attach();
  const b = network.attach();
  const got = arrivals(b, clock);
  a.send(new Uint8Array([1]), b.local);
  scheduler.runUntil(24);
  assert.is(got.length, 0);
  scheduler.runUntil(25);
  assert.is(got.length, 1);
  assert.is(got[0]!.at, 25);
  assert.equal(got[0]!.from, a.local);
  assert.equal(network.stats, { sent: 1, delivered: 1, lost: 0, unroutable: 0, bytes: 1 });
});

test("MemoryNetwork uses 10 ms, no jitter, no loss without a link model", () => {
  const { clock, scheduler, network } = setup();
  const a = network.attach();
  const b = network.attach();
  const got = arrivals(b, clock);
  for (let i = 0; i < 100; i++) a.send(new Uint8Array([i]), b.local);
  scheduler.runFor(1000);
  assert.equal(got.map((g) => g.at), new Array(100).fill(10));
  assert.equal(got.map((g) => g.bytes[0]), Array.from({ length: 100 }, (_, i) => i));
});

test("MemoryNetwork jitter stays within latency ± jitter and never goes below 0", () => {
  const { clock, scheduler, network } = setup({ latencyMs: 50, jitterMs: 20, loss: 0 });
  const a = network.attach();
  const b = network.attach();
  const got = arrivals(b, clock);
  for (let i = 0; i < 2000; i++) a.send(new Uint8Array(1), b.local);
  scheduler.runFor(1000);
  const times = got.map((g) => g.at);
  assert.is(times.length, 2000);
  assert.ok(Math.min(...times) >= 30 && Math.max(...times) <= 70);
  assert.ok(Math.min(...times) < 32 && Math.max(...times) > 68, "jitter spans its range");

  const wide = setup({ latencyMs: 5, jitterMs: 20, loss: 0 });
  const c = wide.network.attach();
  const d = wide.network.attach();
  const early = arrivals(d, wide.clock);
  for (let i = 0; i < 500; i++) c.send(new Uint8Array(1), d.local);
  wide.scheduler.runFor(100);
  assert.is(early.length, 500);
  assert.ok(early.every((g) => g.at >= 0 && g.at <= 25));
  assert.ok(early.some((g) => g.at === 0), "negative delays clamp to 0");
});

test("MemoryNetwork loses about the configured share over 10,000 sends (seeded)", () => {
  const { scheduler, network } = setup({ latencyMs: 10, jitterMs: 0, loss: 0.2 }, 42);
  const a = network.attach();
  const b = network.attach();
  let received = 0;
  b.onDatagram(() => received++);
  for (let i = 0; i < 10_000; i++) a.send(new Uint8Array(8), b.local);
  scheduler.runFor(100);
  const { sent, delivered, lost } = network.stats;
  assert.is(sent, 10_000);
  assert.is(delivered + lost, 10_000);
  assert.is(received, delivered);
  // Binomial(10,000, 0.2): sd 40, so ±200 is five standard deviations.
  assert.ok(Math.abs(lost - 2000) < 200, `lost ${lost}`);
});

test("MemoryNetwork.partition() cuts links both ways between the sets until heal()", () => {
  const { clock, scheduler, network } = setup();
  const [a, b, c] = [network.attach(), network.attach(), network.attach()];
  const atA = arrivals(a, clock);
  const atB = arrivals(b, clock);
  const atC = arrivals(c, clock);
  network.partition([formatAddress(a.local)], [formatAddress(b.local), c.local.host]);
  a.send(new Uint8Array([1]), b.local);
  b.send(new Uint8Array([2]), a.local);
  c.send(new Uint8Array([3]), a.local);
  b.send(new Uint8Array([4]), c.local); // same side: still up
  scheduler.runFor(50);
  assert.equal([atA.length, atB.length, atC.length], [0, 0, 1]);
  assert.is(network.stats.lost, 3);
  network.heal();
  a.send(new Uint8Array([5]), b.local);
  c.send(new Uint8Array([6]), a.local);
  scheduler.runFor(50);
  assert.equal([atA.length, atB.length], [1, 1]);
});

test("MemoryNetwork.partition() returns a function that heals only that cut", () => {
  const { clock, scheduler, network } = setup();
  const [a, b, c] = [network.attach(), network.attach(), network.attach()];
  const atB = arrivals(b, clock);
  const atC = arrivals(c, clock);
  const healAB = network.partition([a.local.host], [b.local.host]);
  network.partition([a.local.host], [c.local.host]);
  healAB();
  a.send(new Uint8Array([1]), b.local);
  a.send(new Uint8Array([1]), c.local);
  scheduler.runFor(50);
  assert.equal([atB.length, atC.length], [1, 0]);
});

test("MemoryNetwork copies on send: later changes to the buffer do not reach the receiver", () => {
  const { clock, scheduler, network } = setup();
  const a = network.attach();
  const b = network.attach();
  const got = arrivals(b, clock);
  const buffer = new Uint8Array([1, 2, 3]);
  a.send(buffer, b.local);
  buffer.fill(9);
  a.send(buffer, b.local);
  scheduler.runFor(50);
  assert.equal(got.map((g) => [...g.bytes]), [[1, 2, 3], [9, 9, 9]]);
});

test("MemoryNetwork drops datagrams to closed, detached or unknown addresses and counts them", async () => {
  const { clock, scheduler, network } = setup();
  const a = network.attach();
  const b = network.attach();
  const c = network.attach();
  const atC = arrivals(c, clock);
  a.send(new Uint8Array(1), b.local);
  await b.close(); // while the datagram is in flight
  await b.close();
  a.send(new Uint8Array(1), { host: "192.0.2.1", port: 9 });
  a.send(new Uint8Array(1), c.local);
  network.detach(c.local); // c loses power: its datagram in flight vanishes, it sends nothing
  c.send(new Uint8Array(1), a.local);
  scheduler.runFor(50);
  assert.is(atC.length, 0);
  assert.equal(network.stats, { sent: 3, delivered: 0, lost: 0, unroutable: 3, bytes: 3 });
  // The address is free again, and closing the old transport does not detach the new one.
  const again = network.attach(c.local);
  await c.close();
  const atAgain = arrivals(again, clock);
  a.send(new Uint8Array(1), again.local);
  scheduler.runFor(50);
  assert.is(atAgain.length, 1);
});

test("MemoryNetwork carries 1,000,000 datagrams among 10,000 transports (prints the rate)", () => {
  const random = prng(7);
  const { scheduler, network } = setup({ latencyMs: 10, jitterMs: 5, loss: 0.01 }, 7);
  const transports = Array.from({ length: 10_000 }, () => network.attach());
  let received = 0;
  for (const t of transports) t.onDatagram(() => received++);
  const payload = new Uint8Array(200);
  const start = performance.now();
  for (let round = 0; round < 100; round++) {
    for (const t of transports) {
      t.send(payload, transports[Math.floor(random() * transports.length)]!.local);
    }
    scheduler.runFor(1);
  }
  scheduler.runFor(100);
  const ms = performance.now() - start;
  assert.is(network.stats.sent, 1_000_000);
  assert.is(network.stats.delivered + network.stats.lost, 1_000_000);
  assert.is(received, network.stats.delivered);
  // deno-lint-ignore no-console -- a measurement, not an assertion
  console.log(
    `  MemoryNetwork: 1000000 datagrams among 10000 transports in ${ms.toFixed(0)} ms: ${
      Math.round(1_000_000 / (ms / 1000)).toLocaleString("en")
    } datagrams/s`,
  );
});

test.run();
