import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../src/core/clock.ts";
import { ReplayGuard } from "../../src/overlay/replay_guard.ts";

function guard(windowSeconds = 300, maxEntries?: number) {
  const clock = new ManualClock(1_764_000_000_000);
  const now = () => Math.floor(clock.now() / 1000);
  return {
    clock,
    now,
    g: new ReplayGuard({ windowSeconds, ...(maxEntries ? { maxEntries } : {}) }, { clock }),
  };
}

test("ReplayGuard accepts a message once and calls the second copy a duplicate", () => {
  const { g, now } = guard();
  assert.is(g.check("n1", "t1", true, now()), "fresh");
  assert.is(g.check("n1", "t1", true, now()), "duplicate");
  assert.is(
    g.check("n1", "t1", false, now()),
    "fresh",
    "the answer to that request is another message",
  );
  assert.is(
    g.check("n2", "t1", true, now()),
    "fresh",
    "another sender may use the same transaction id",
  );
});

test("ReplayGuard refuses messages outside the window in either direction", () => {
  const { g, now } = guard(300);
  assert.is(g.check("n", "a", true, now() - 301), "stale");
  assert.is(g.check("n", "b", true, now() + 301), "future");
  assert.is(g.check("n", "c", true, now() - 300), "fresh");
});

test("ReplayGuard forgets transactions as they leave the window, and a replay then is stale", () => {
  const { g, now, clock } = guard(300);
  const sentAt = now();
  g.check("n", "t", true, sentAt);
  clock.advance(301_000);
  assert.is(g.sweep(), 1);
  assert.is(g.size, 0);
  assert.is(g.check("n", "t", true, sentAt), "stale");
});

test("ReplayGuard holds at most maxEntries and counts early evictions", () => {
  const { g, now } = guard(300, 3);
  for (const t of ["a", "b", "c", "d"]) g.check("n", t, true, now());
  assert.is(g.size, 3);
  assert.is(g.evictedEarly, 1);
});

test.run();
