import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../../src/core/clock.ts";
import {
  FRAGMENT_CHUNK_BYTES,
  MAX_DATAGRAM_BYTES,
  MAX_MESSAGE_BYTES,
} from "../../../src/codec/overlay/constants.ts";
import { fragmentFrame } from "../../../src/codec/overlay/fragmenter.ts";
import { decodeFrame, type FragmentFrame } from "../../../src/codec/overlay/frame.ts";
import { Reassembler, type ReassemblyDrop } from "../../../src/overlay/reassembler.ts";

const txid = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
const message = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);

function fragmentsOf(bytes: Uint8Array): FragmentFrame[] {
  return fragmentFrame(bytes, txid).map((d) => decodeFrame(d) as FragmentFrame);
}

function setup(init = {}) {
  const clock = new ManualClock();
  const drops: ReassemblyDrop[] = [];
  return { clock, drops, r: new Reassembler(init, { clock, onDrop: (d) => drops.push(d) }) };
}

test("fragmentFrame leaves a frame that fits one datagram alone", () => {
  const small = message(MAX_DATAGRAM_BYTES);
  assert.equal(fragmentFrame(small, txid), [small]);
});

test("fragmentFrame splits a large frame into datagrams of at most 1200 bytes", () => {
  const datagrams = fragmentFrame(message(5000), txid);
  assert.is(datagrams.length, Math.ceil(5000 / FRAGMENT_CHUNK_BYTES));
  for (const d of datagrams) assert.ok(d.length <= MAX_DATAGRAM_BYTES, `${d.length}`);
});

test("fragmentFrame refuses a message over the 16 KiB limit", () => {
  assert.throws(() => fragmentFrame(message(MAX_MESSAGE_BYTES + 1), txid), /exceeds 16384/);
});

test("Reassembler rebuilds a message from fragments in any order, exactly once", () => {
  const { r } = setup();
  const original = message(5000);
  const fragments = fragmentsOf(original).reverse();
  let whole: Uint8Array | undefined;
  for (const f of fragments) {
    assert.is(whole, undefined);
    whole = r.add("a", f);
  }
  assert.equal(whole, original);
  assert.is(r.pendingMessages, 0);
  assert.is(r.pendingBytes, 0);
});

test("Reassembler keeps messages from different sources apart", () => {
  const { r } = setup();
  const [a0, a1] = fragmentsOf(message(2000));
  const [b0, b1] = fragmentsOf(message(2000).fill(1));
  r.add("a", a0!);
  r.add("b", b0!);
  assert.equal(r.add("a", a1!), message(2000));
  assert.equal(r.add("b", b1!), message(2000).fill(1));
});

test("Reassembler drops a message on overlapping or inconsistent fragments", () => {
  const { r, drops } = setup();
  const [f0, f1] = fragmentsOf(message(2000));
  r.add("a", f0!);
  assert.is(r.add("a", f0!), undefined, "a duplicate fragment overlaps");
  assert.equal(drops, ["overlap"]);
  r.add("a", f0!);
  assert.is(r.add("a", { ...f1!, total: 1999 }), undefined);
  assert.equal(drops, ["overlap", "inconsistent"]);
  assert.is(r.pendingMessages, 0);
});

test("Reassembler sweep drops messages whose fragments stop arriving", () => {
  const { r, drops, clock } = setup({ timeoutMs: 5000 });
  r.add("a", fragmentsOf(message(3000))[0]!);
  clock.advance(4999);
  assert.is(r.sweep(), 0);
  clock.advance(1);
  assert.is(r.sweep(), 1);
  assert.equal(drops, ["timeout"]);
  assert.is(r.pendingBytes, 0);
});

test("Reassembler stays within its byte and message caps, dropping the oldest", () => {
  const { r, drops } = setup({ maxPendingMessages: 2, maxPendingBytes: 10_000 });
  for (const source of ["a", "b", "c"]) r.add(source, fragmentsOf(message(3000))[0]!);
  assert.is(r.pendingMessages, 2);
  assert.equal(drops, ["capacity"]);
  r.add("d", fragmentsOf(message(6000))[0]!); // needs a message slot: "b" goes
  assert.equal(drops, ["capacity", "capacity"]);
  assert.is(r.pendingBytes, 9000);
  r.add("e", fragmentsOf(message(8000))[0]!); // needs bytes: "c" and "d" go
  assert.equal(drops, ["capacity", "capacity", "capacity", "capacity"]);
  assert.is(r.pendingBytes, 8000);
  assert.is(
    r.add("f", { ...fragmentsOf(message(3000))[0]!, total: 20_000 }),
    undefined,
    "larger than the whole budget",
  );
});

test.run();
