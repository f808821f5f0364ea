import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../src/core/clock.ts";
import { VirtualScheduler } from "../../src/transport/virtual_scheduler.ts";

function setup() {
  const clock = new ManualClock();
  return { clock, scheduler: new VirtualScheduler(clock) };
}

test("VirtualScheduler.runUntil() runs events in time order at their own times", () => {
  const { clock, scheduler } = setup();
  const seen: [string, number][] = [];
  for (const [name, delay] of [["c", 30], ["a", 10], ["d", 40], ["b", 20]] as const) {
    scheduler.schedule(delay, () => seen.push([name, clock.monotonic()]));
  }
  scheduler.runUntil(35);
  assert.equal(seen, [["a", 10], ["b", 20], ["c", 30]]);
  assert.is(clock.monotonic(), 35);
  assert.is(scheduler.pending, 1);
  assert.is(scheduler.nextTime, 40);
  scheduler.runFor(100);
  assert.equal(seen.at(-1), ["d", 40]);
  assert.is(clock.monotonic(), 135);
  assert.is(scheduler.pending, 0);
});

test("VirtualScheduler runs events due at the same time first-scheduled first", () => {
  const { scheduler } = setup();
  const seen: number[] = [];
  for (let i = 0; i < 100; i++) scheduler.schedule(5, () => seen.push(i));
  scheduler.runFor(5);
  assert.equal(seen, Array.from({ length: 100 }, (_, i) => i));
});

test("VirtualScheduler cancel stops an event, twice is harmless, after running does nothing", () => {
  const { scheduler } = setup();
  const seen: string[] = [];
  const cancelA = scheduler.schedule(10, () => seen.push("a"));
  const cancelB = scheduler.schedule(20, () => seen.push("b"));
  scheduler.schedule(30, () => seen.push("c"));
  cancelA();
  cancelA();
  assert.is(scheduler.pending, 2);
  assert.is(scheduler.nextTime, 20);
  scheduler.runFor(25);
  cancelB();
  assert.is(scheduler.pending, 1);
  scheduler.runFor(25);
  assert.equal(seen, ["b", "c"]);
});

test("VirtualScheduler runs zero-delay events scheduled from a callback after those already due", () => {
  const { clock, scheduler } = setup();
  const seen: string[] = [];
  scheduler.schedule(10, () => {
    seen.push("first");
    scheduler.schedule(0, () => seen.push(`nested@${clock.monotonic()}`));
    scheduler.schedule(5, () => seen.push(`later@${clock.monotonic()}`));
  });
  scheduler.schedule(10, () => seen.push("second"));
  scheduler.runUntil(10);
  assert.equal(seen, ["first", "second", "nested@10"]);
  scheduler.runUntil(20);
  assert.equal(seen.at(-1), "later@15");
});

test("VirtualScheduler.step() runs one event and reports when none is left", () => {
  const { clock, scheduler } = setup();
  let runs = 0;
  scheduler.schedule(7, () => runs++);
  scheduler.schedule(3, () => runs++)();
  assert.ok(scheduler.step());
  assert.is(runs, 1);
  assert.is(clock.monotonic(), 7);
  assert.not.ok(scheduler.step());
});

test("VirtualScheduler treats negative delays as 0 and rejects NaN", () => {
  const { clock, scheduler } = setup();
  let at = -1;
  scheduler.schedule(-50, () => (at = clock.monotonic()));
  scheduler.runFor(0);
  assert.is(at, 0);
  assert.throws(
    () => scheduler.schedule(Number.NaN, () => {}),
    (e: unknown) => e instanceof RangeError,
  );
});

test("VirtualScheduler stays ordered while most events are cancelled (heap compaction)", () => {
  const { clock, scheduler } = setup();
  const seen: number[] = [];
  const cancels: (() => void)[] = [];
  for (let i = 0; i < 10_000; i++) {
    const due = (i * 7919) % 10_000;
    cancels.push(scheduler.schedule(due, () => seen.push(clock.monotonic())));
  }
  for (let i = 0; i < 10_000; i++) if (i % 10 !== 0) cancels[i]!();
  assert.is(scheduler.pending, 1000);
  scheduler.runFor(10_000);
  assert.is(seen.length, 1000);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1]! <= seen[i]!);
});

test("VirtualScheduler runs 1,000,000 events in order (prints the rate)", () => {
  const { clock, scheduler } = setup();
  const n = 1_000_000;
  let ran = 0;
  let last = 0;
  let ordered = true;
  const fn = () => {
    const now = clock.monotonic();
    if (now < last) ordered = false;
    last = now;
    ran++;
  };
  // Pseudo-random due times (an LCG), so the heap does real work.
  let x = 12345;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    scheduler.schedule(x % 100_000, fn);
  }
  const scheduled = performance.now();
  scheduler.runUntil(100_000);
  const end = performance.now();
  assert.is(ran, n);
  assert.ok(ordered);
  assert.is(scheduler.pending, 0);
  const rate = Math.round(n / ((end - start) / 1000));
  // deno-lint-ignore no-console -- a measurement, not an assertion
  console.log(
    `  VirtualScheduler: ${n} events scheduled in ${(scheduled - start).toFixed(0)} ms, run in ${
      (end - scheduled).toFixed(0)
    } ms: ${rate.toLocaleString("en")} events/s end to end`,
  );
});

test.run();
