import { test } from "uvu";
import * as assert from "uvu/assert";
import type { DatagramAddress } from "../../../src/core/transport.ts";
import { AnswerCache, type AnswerKey } from "../../../src/overlay/reliability/answer_cache.ts";

const HOP: DatagramAddress = { host: "192.0.2.9", port: 6084 };

function key(n: number, requesterId = "00112233445566778899aabbccddeeff"): AnswerKey {
  return { requesterId, transactionId: n.toString(16).padStart(16, "0") };
}

function bytes(length: number, fill = 1): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

test("AnswerCache.lookup() replays the answer remembered for a request", () => {
  const cache = new AnswerCache();
  const frame = bytes(1_500, 1);
  assert.is(cache.remember(key(1), { frame, to: HOP }, 0), true);
  const hit = cache.lookup(key(1), 1_000);
  assert.ok(hit);
  assert.is(hit.frame, frame);
  assert.is(hit.to, HOP);
  assert.is(cache.lookup(key(1), 2_000), hit, "every retransmission gets the same answer");
  assert.is(cache.bytes, 1_500);
  assert.is(cache.counters.hits, 2);
});

test("AnswerCache.lookup() keeps requesters and transactions apart", () => {
  const cache = new AnswerCache();
  cache.remember(key(1), { frame: bytes(10), to: HOP }, 0);
  assert.is(cache.lookup(key(2), 0), undefined, "another transaction");
  assert.is(cache.lookup(key(1, "ff".repeat(16)), 0), undefined, "another requester");
  assert.ok(
    cache.lookup({
      requesterId: "00112233445566778899AABBCCDDEEFF",
      transactionId: "0000000000000001",
    }, 0),
    "hex in either case",
  );
  assert.is(cache.counters.misses, 2);
});

test("AnswerCache.lookup() stops replaying an answer ttlMs after it was remembered", () => {
  const cache = new AnswerCache(); // ttlMs 15000: the request lifetime
  cache.remember(key(1), { frame: bytes(10), to: HOP }, 5_000);
  assert.ok(cache.lookup(key(1), 19_999));
  assert.is(cache.lookup(key(1), 20_000), undefined);
  assert.is(cache.size, 0);
  assert.is(cache.bytes, 0);
  assert.is(cache.counters.dropped.expired, 1);
});

test("AnswerCache.sweep() drops expired answers and nextDeadline() follows the oldest", () => {
  const cache = new AnswerCache({ ttlMs: 1_000 });
  assert.is(cache.nextDeadline(), undefined);
  cache.remember(key(1), { frame: bytes(10), to: HOP }, 0);
  cache.remember(key(2), { frame: bytes(20), to: HOP }, 400);
  cache.remember(key(3), { frame: bytes(30), to: HOP }, 900);
  assert.is(cache.nextDeadline(), 1_000);
  assert.is(cache.sweep(999), 0);
  assert.is(cache.sweep(1_400), 2);
  assert.is(cache.size, 1);
  assert.is(cache.bytes, 30);
  assert.is(cache.nextDeadline(), 1_900);
  assert.is(cache.sweep(1_900), 1);
  assert.is(cache.nextDeadline(), undefined);
  assert.is(cache.counters.dropped.expired, 3);
});

test("AnswerCache.remember() at maxBytes drops the oldest answers until the new one fits", () => {
  const cache = new AnswerCache({ maxBytes: 100 });
  cache.remember(key(1), { frame: bytes(40), to: HOP }, 0);
  cache.remember(key(2), { frame: bytes(40), to: HOP }, 1);
  assert.is(cache.bytes, 80);
  cache.remember(key(3), { frame: bytes(50), to: HOP }, 2);
  assert.is(cache.lookup(key(1), 3), undefined, "oldest dropped");
  assert.ok(cache.lookup(key(2), 3));
  assert.ok(cache.lookup(key(3), 3));
  assert.is(cache.bytes, 90);
  assert.is(cache.counters.dropped.capacity, 1);
  assert.is(cache.nextDeadline(), 15_001, "the oldest left is key 2");
});

test("AnswerCache.remember() refuses an answer larger than maxBytes on its own", () => {
  const cache = new AnswerCache({ maxBytes: 100 });
  cache.remember(key(1), { frame: bytes(60), to: HOP }, 0);
  assert.is(cache.remember(key(2), { frame: bytes(101), to: HOP }, 0), false);
  assert.ok(cache.lookup(key(1), 0), "nothing dropped for an answer that could never fit");
  assert.is(cache.lookup(key(2), 0), undefined);
  assert.is(cache.counters.dropped["too-large"], 1);
  assert.is(cache.counters.dropped.capacity, 0);
});

test("AnswerCache.remember() at maxEntries drops the oldest answer", () => {
  const cache = new AnswerCache({ maxEntries: 2 });
  for (const n of [1, 2, 3]) cache.remember(key(n), { frame: bytes(10), to: HOP }, n);
  assert.is(cache.size, 2);
  assert.is(cache.lookup(key(1), 3), undefined);
  assert.is(cache.bytes, 20);
  assert.is(cache.counters.dropped.capacity, 1);
});

test("AnswerCache.remember() of a known key replaces its answer and byte count", () => {
  const cache = new AnswerCache({ maxEntries: 2 });
  cache.remember(key(1), { frame: bytes(10), to: HOP }, 0);
  cache.remember(key(2), { frame: bytes(10), to: HOP }, 1);
  cache.remember(key(1), { frame: bytes(25, 7), to: HOP }, 2);
  assert.is(cache.size, 2);
  assert.is(cache.bytes, 35);
  assert.is(cache.counters.dropped.capacity, 0);
  assert.equal(cache.lookup(key(1), 3)?.frame, bytes(25, 7));
  assert.is(cache.nextDeadline(), 15_001, "the replaced entry is now the newest");
});

test("AnswerCache rejects options that are not positive integers", () => {
  assert.throws(() => new AnswerCache({ ttlMs: 0 }), /ttlMs/);
  assert.throws(() => new AnswerCache({ maxEntries: 0 }), /maxEntries/);
  assert.throws(() => new AnswerCache({ maxBytes: Number.NaN }), /maxBytes/);
});

test.run();
