import { test } from "uvu";
import * as assert from "uvu/assert";
import { BoundedMap } from "../../src/core/bounded_map.ts";

test("BoundedMap evicts the oldest entry at its cap and reports it", () => {
  const evicted: string[] = [];
  const map = new BoundedMap<string, number>({ maxEntries: 2, onEvict: (k) => evicted.push(k) });
  map.set("a", 1).set("b", 2).set("c", 3);
  assert.is(map.size, 2);
  assert.is(map.has("a"), false);
  assert.equal(evicted, ["a"]);
  assert.is(map.evictedCount, 1);
});

test("BoundedMap replacing an existing key evicts nothing", () => {
  const map = new BoundedMap<string, number>({ maxEntries: 2 });
  map.set("a", 1).set("b", 2).set("a", 3);
  assert.is(map.get("a"), 3);
  assert.is(map.evictedCount, 0);
});

test("BoundedMap rejects a non-positive cap", () => {
  assert.throws(() => new BoundedMap({ maxEntries: 0 }), /maxEntries/);
});

test.run();
