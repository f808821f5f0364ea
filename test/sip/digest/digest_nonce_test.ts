import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../../src/core/clock.ts";
import {
  DIGEST_NONCE_LENGTH,
  DigestNonces,
  NonceCountTracker,
} from "../../../src/sip/digest/mod.ts";

const SECRET = new Uint8Array(32).fill(3);
const isRangeError = (e: unknown): boolean => e instanceof RangeError;

test("DigestNonces.check() accepts its own nonce until the lifetime, then calls it stale", () => {
  const clock = new ManualClock();
  const nonces = new DigestNonces({ secret: SECRET, lifetimeSeconds: 300 }, { clock });
  const nonce = nonces.issue("example.org", "192.0.2.1");
  assert.is(nonce.length, DIGEST_NONCE_LENGTH);
  assert.match(nonce, /^[0-9a-f]+$/);
  assert.equal(nonces.check(nonce, "example.org", "192.0.2.1"), {
    verdict: "valid",
    issuedAt: clock.now(),
  });
  clock.advance(300_000);
  assert.is(nonces.check(nonce, "example.org", "192.0.2.1").verdict, "valid");
  clock.advance(1);
  assert.is(nonces.check(nonce, "example.org", "192.0.2.1").verdict, "stale");
  assert.is.not(nonces.issue("example.org", "192.0.2.1"), nonce);
});

test("DigestNonces.check() refuses another source, realm or secret, tampering and the future", () => {
  const clock = new ManualClock();
  const nonces = new DigestNonces({ secret: SECRET }, { clock });
  const nonce = nonces.issue("example.org", "192.0.2.1");
  assert.is(nonces.check(nonce, "example.org", "192.0.2.2").verdict, "invalid");
  assert.is(nonces.check(nonce, "example.net", "192.0.2.1").verdict, "invalid");
  const other = new DigestNonces({ secret: new Uint8Array(32).fill(4) }, { clock });
  assert.is(other.check(nonce, "example.org", "192.0.2.1").verdict, "invalid");
  const last = nonce.at(-1) === "0" ? "1" : "0";
  assert.is(nonces.check(nonce.slice(0, -1) + last, "example.org", "192.0.2.1").verdict, "invalid");
  assert.is(nonces.check(nonce.toUpperCase(), "example.org", "192.0.2.1").verdict, "invalid");
  assert.is(nonces.check("abc", "example.org", "192.0.2.1").verdict, "invalid");
  const ahead = new DigestNonces({ secret: SECRET }, {
    clock: new ManualClock(clock.now() + 60_000),
  });
  assert.is(
    nonces.check(ahead.issue("example.org", "192.0.2.1"), "example.org", "192.0.2.1").verdict,
    "invalid",
  );
  const unbound = new DigestNonces({ secret: SECRET, bindToSource: false }, { clock });
  assert.is(unbound.check(unbound.issue("r", "192.0.2.1"), "r", "198.51.100.1").verdict, "valid");
  assert.throws(() => new DigestNonces({ secret: new Uint8Array(8) }, { clock }), isRangeError);
  assert.throws(() => new DigestNonces({ lifetimeSeconds: 0 }, { clock }), isRangeError);
});

test("DigestNonces survive a restart with the same secret", () => {
  const clock = new ManualClock();
  const before = new DigestNonces({ secret: SECRET }, { clock });
  const nonce = before.issue("r", "192.0.2.1");
  const after = new DigestNonces({ secret: SECRET }, { clock });
  assert.is(after.check(nonce, "r", "192.0.2.1").verdict, "valid");
});

test("NonceCountTracker.accept() takes each count once, in any order within the window", () => {
  const tracker = new NonceCountTracker({ window: 4 });
  assert.is(tracker.accept("n", 1000, 1), "fresh");
  assert.is(tracker.accept("n", 1000, 1), "replay");
  assert.is(tracker.accept("n", 1000, 3), "fresh");
  assert.is(tracker.accept("n", 1000, 2), "fresh");
  assert.is(tracker.accept("n", 1000, 2), "replay");
  assert.is(tracker.accept("n", 1000, 7), "fresh");
  // Window 4 below 7: 4, 5, 6 still acceptable once; 3 and below too old.
  assert.is(tracker.accept("n", 1000, 3), "too-old");
  assert.is(tracker.accept("n", 1000, 4), "fresh");
  assert.is(tracker.accept("n", 1000, 4), "replay");
  assert.is(tracker.accept("n", 1000, 0), "too-old");
  // A jump beyond 32 clears the mask but still remembers the new highest.
  assert.is(tracker.accept("n", 1000, 100), "fresh");
  assert.is(tracker.accept("n", 1000, 100), "replay");
  assert.is(tracker.accept("n", 1000, 99), "fresh");
  // Other nonces are independent.
  assert.is(tracker.accept("m", 1000, 1), "fresh");
  assert.is(tracker.size, 2);
});

test("NonceCountTracker at its cap drops the oldest, counts it, and calls older nonces forgotten", () => {
  let evicted = 0;
  const tracker = new NonceCountTracker({ maxNonces: 2, onEvict: () => evicted++ });
  assert.is(tracker.accept("a", 100, 1), "fresh");
  assert.is(tracker.accept("b", 200, 1), "fresh");
  assert.is(tracker.accept("c", 300, 1), "fresh");
  assert.is(tracker.size, 2);
  assert.is(tracker.evictedCount, 1);
  assert.is(evicted, 1);
  // "a" was dropped: its replay must not pass as a first use.
  assert.is(tracker.accept("a", 100, 1), "forgotten");
  // A never-seen nonce issued at or before the dropped one's time is forgotten too (safe side).
  assert.is(tracker.accept("z", 100, 1), "forgotten");
  // Newer nonces are still welcome.
  assert.is(tracker.accept("d", 400, 1), "fresh");
});

test("NonceCountTracker.sweep() drops nonces issued before the cut and forgets them safely", () => {
  const tracker = new NonceCountTracker();
  tracker.accept("old", 1000, 1);
  tracker.accept("new", 5000, 1);
  assert.is(tracker.sweep(2000), 1);
  assert.is(tracker.size, 1);
  assert.is(tracker.accept("old", 1000, 1), "forgotten");
  assert.is(tracker.accept("new", 5000, 1), "replay");
  assert.throws(() => new NonceCountTracker({ window: 33 }), isRangeError);
  assert.throws(() => new NonceCountTracker({ window: 0 }), isRangeError);
});

test.run();
