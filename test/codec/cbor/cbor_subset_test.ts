import { test } from "uvu";
import * as assert from "uvu/assert";
import { type CborValue, decodeCbor, encodeCbor } from "../../../src/codec/cbor/cbor_codec.ts";
import { CborFormatError, scanCborSubset } from "../../../src/codec/cbor/cbor_subset.ts";

const LIMITS = { maxDepth: 8, maxArrayItems: 64, maxItems: 256 };
const hex = (s: string) => new Uint8Array(s.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

// RFC 8949 Appendix A examples inside our subset: each decodes to the value and encodes back to the
// same bytes (the examples are in preferred serialization, which for these is the deterministic one).
const ACCEPTED: Array<[string, CborValue]> = [
  ["00", 0],
  ["01", 1],
  ["0a", 10],
  ["17", 23],
  ["1818", 24],
  ["1819", 25],
  ["1864", 100],
  ["1903e8", 1000],
  ["1a000f4240", 1000000],
  ["f4", false],
  ["f5", true],
  ["f6", null],
  ["40", new Uint8Array(0)],
  ["4401020304", new Uint8Array([1, 2, 3, 4])],
  ["60", ""],
  ["6161", "a"],
  ["6449455446", "IETF"],
  ["62225c", '"\\'],
  ["62c3bc", "\u00fc"],
  ["63e6b0b4", "\u6c34"],
  ["64f0908591", "\ud800\udd51"],
  ["80", []],
  ["83010203", [1, 2, 3]],
  ["8301820203820405", [1, [2, 3], [4, 5]]],
  ["98190102030405060708090a0b0c0d0e0f101112131415161718181819", range(25)],
];

// RFC 8949 Appendix A examples outside the subset (and a few more hostile shapes): all refused.
const REFUSED: Array<[string, RegExp]> = [
  ["1b000000e8d4a51000", /larger than 2\^32-1/], // 1000000000000
  ["1bffffffffffffffff", /larger than 2\^53-1|larger than 2\^32-1/],
  ["20", /negative/], // -1
  ["3903e7", /negative/], // -1000
  ["c249010000000000000000", /tags/], // bignum 18446744073709551616
  ["f90000", /floats/], // 0.0
  ["fb3ff199999999999a", /floats/], // 1.1
  ["f7", /simple value/], // undefined
  ["f0", /simple value/], // simple(16)
  ["f818", /simple value/], // simple(24)
  ["c074323031332d30332d32315432303a30343a30305a", /tags/], // 0("2013-03-21T20:04:00Z")
  ["a0", /maps/], // {}
  ["a201020304", /maps/], // {1: 2, 3: 4}
  ["5f42010243030405ff", /indefinite/], // (_ h'0102', h'030405')
  ["9fff", /indefinite/], // [_ ]
  ["7f657374726561646d696e67ff", /indefinite/], // (_ "strea", "ming")
  ["1800", /shortest form/], // 0 in two bytes
  ["190017", /shortest form/],
  ["5800", /shortest form/],
  ["98020102", /shortest form/],
  ["83010203ff", /after the data item/],
  ["8301", /truncated/],
  ["44010203", /past the end/],
  ["62c3", /past the end/],
  ["62c328", /UTF-8/], // invalid continuation
  ["1c", /reserved/],
  ["", /truncated/],
];

for (const [bytes, value] of ACCEPTED) {
  test(`decodeCbor accepts RFC 8949 Appendix A ${bytes} and encodeCbor writes it back`, () => {
    assert.equal(decodeCbor(hex(bytes), LIMITS), value);
    assert.is(toHex(encodeCbor(value)), bytes);
  });
}

for (const [bytes, reason] of REFUSED) {
  test(`scanCborSubset refuses ${bytes || "empty input"}: ${reason.source}`, () => {
    try {
      scanCborSubset(hex(bytes), LIMITS);
      assert.unreachable();
    } catch (error) {
      assert.instance(error, CborFormatError);
      assert.match((error as Error).message, reason);
    }
  });
}

test("scanCborSubset enforces depth, array length and item count limits with the offset", () => {
  const nested = hex("81".repeat(9) + "00"); // nine arrays deep
  assert.throws(() => scanCborSubset(nested, LIMITS), /nested deeper than 8 at byte 8/);
  scanCborSubset(hex("81".repeat(8) + "00"), LIMITS);
  assert.throws(() => scanCborSubset(encodeCbor(range(65)), LIMITS), /array of 65 items/);
  const many = encodeCbor(Array.from({ length: 60 }, () => [1, 2, 3, 4]));
  assert.throws(() => scanCborSubset(many, LIMITS), /more than 256 data items/);
});

test("scanCborSubset refuses a huge declared length without allocating it", () => {
  assert.throws(() => scanCborSubset(hex("9affffffff"), LIMITS), /array of 4294967295 items/);
  assert.throws(() => scanCborSubset(hex("5affffffff00"), LIMITS), /past the end/);
});

test("encodeCbor refuses values outside the subset", () => {
  assert.throws(() => encodeCbor(-1), /unsigned/);
  assert.throws(() => encodeCbor(1.5), /unsigned/);
  assert.throws(() => encodeCbor(2 ** 32), /2\^32-1/);
  assert.throws(() => encodeCbor({} as unknown as CborValue), /not in the CBOR subset/);
  assert.throws(() => encodeCbor([1, [undefined as unknown as CborValue]]), /\$\[1\]\[0\]/);
});

test("encodeCbor returns bytes the caller owns (not a view into a reused slab)", () => {
  const kept = Array.from(
    { length: 200 },
    (_, i) => ({ bytes: encodeCbor([i, "x".repeat(i)]), i }),
  );
  for (const { bytes, i } of kept) assert.equal(decodeCbor(bytes, LIMITS), [i, "x".repeat(i)]);
  assert.is(kept[0]!.bytes.constructor, Uint8Array);
});

test("encodeCbor: values larger than the encoder's 8 KiB slab, between small ones, come out whole", () => {
  const big = new Uint8Array(40_000).map((_, i) => i & 0xff);
  const small = encodeCbor([1, "a"]);
  const large = encodeCbor([2, big]);
  const after = encodeCbor([3, "b"]);
  assert.equal(decodeCbor(small, LIMITS), [1, "a"]);
  assert.equal(decodeCbor(after, LIMITS), [3, "b"]);
  const decoded = decodeCbor(large, LIMITS) as [number, Uint8Array];
  assert.is(decoded[0], 2);
  assert.ok(Buffer.compare(decoded[1], big) === 0, "the 40,000 bytes intact");
});

test("decodeCbor: byte strings stay intact when the caller reuses its input buffer", () => {
  const input = encodeCbor([new Uint8Array([1, 2, 3]), [new Uint8Array([4, 5])]]);
  const decoded = decodeCbor(input, LIMITS) as [Uint8Array, [Uint8Array]];
  input.fill(0xee); // a transport reusing its receive buffer for the next datagram
  assert.equal([...decoded[0]], [1, 2, 3]);
  assert.equal([...decoded[1][0]], [4, 5]);
});

test("decodeCbor: a Node Buffer input is copied too (Buffer.slice would only make a view)", () => {
  const input = Buffer.from(encodeCbor([new Uint8Array([9, 8, 7])]));
  const decoded = decodeCbor(input, LIMITS) as [Uint8Array];
  input.fill(0);
  assert.equal([...decoded[0]], [9, 8, 7]);
});

test.run();
