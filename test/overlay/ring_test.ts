import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  bigIntToId,
  clockwise,
  idToBigInt,
  inArc,
  inOpenArc,
  RING_SIZE,
} from "../../src/overlay/ring.ts";

test("idToBigInt and bigIntToId read 16 bytes big-endian and wrap modulo 2^128", () => {
  const id = new Uint8Array(16);
  id[15] = 1;
  id[0] = 0x80;
  assert.is(idToBigInt(id), (1n << 127n) + 1n);
  assert.equal(bigIntToId((1n << 127n) + 1n), id);
  assert.equal(bigIntToId(RING_SIZE + 5n), bigIntToId(5n));
  assert.equal(bigIntToId(-1n), new Uint8Array(16).fill(0xff));
});

test("clockwise measures distance around the ring", () => {
  assert.is(clockwise(10n, 15n), 5n);
  assert.is(clockwise(15n, 10n), RING_SIZE - 5n);
  assert.is(clockwise(7n, 7n), 0n);
});

test("inArc is (a, b] clockwise, including across zero; a === b is the whole ring", () => {
  assert.ok(inArc(5n, 1n, 5n));
  assert.not.ok(inArc(1n, 1n, 5n));
  assert.not.ok(inArc(6n, 1n, 5n));
  assert.ok(inArc(2n, RING_SIZE - 10n, 5n), "wraps past zero");
  assert.ok(inArc(RING_SIZE - 1n, RING_SIZE - 10n, 5n));
  assert.not.ok(inArc(6n, RING_SIZE - 10n, 5n));
  assert.ok(inArc(123n, 9n, 9n));
});

test("inOpenArc excludes both ends", () => {
  assert.ok(inOpenArc(3n, 1n, 5n));
  assert.not.ok(inOpenArc(5n, 1n, 5n));
  assert.not.ok(inOpenArc(1n, 1n, 5n));
});

test.run();
