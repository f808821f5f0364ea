import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  INITIAL_TTL,
  MAX_DATAGRAM_BYTES,
  MAX_VIA_ENTRIES,
} from "../../../src/codec/overlay/constants.ts";
import {
  ackIdOf,
  decodeFrame,
  encodeFrame,
  isFrame,
  type MessageFrame,
} from "../../../src/codec/overlay/frame.ts";
import {
  OverlayDecodeError,
  OverlayEncodeError,
} from "../../../src/codec/overlay/overlay_errors.ts";

const hex = (s: string) =>
  new Uint8Array(s.replace(/\s+/g, "").match(/../g)!.map((b) => parseInt(b, 16)));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const node = (fill: number) => new Uint8Array(16).fill(fill);

function decodeError(bytes: Uint8Array): OverlayDecodeError {
  try {
    decodeFrame(bytes);
  } catch (error) {
    if (error instanceof OverlayDecodeError) return error;
    throw error;
  }
  throw new Error("expected an OverlayDecodeError");
}

const sample: MessageFrame = {
  type: "message",
  ttl: INITIAL_TTL,
  via: [{ type: "node", id: node(1) }, { type: "resource", id: node(2) }, {
    type: "opaque",
    id: 0x8001,
  }],
  envelope: new Uint8Array([0x80]),
  signature: new Uint8Array(64).fill(7),
};

test("encodeFrame writes a message frame byte for byte as overlay.cddl says", () => {
  // [1, 100, [h'01..', [2, h'02..'], 32769], h'80', h'07..']
  const expected = "85 01 1864 83 50" + "01".repeat(16) + "82 02 50" + "02".repeat(16) + "19 8001" +
    "41 80" +
    "58 40" + "07".repeat(64);
  assert.is(toHex(encodeFrame(sample)), toHex(hex(expected)));
});

test("decodeFrame round-trips message and fragment frames", () => {
  assert.equal(decodeFrame(encodeFrame(sample)), sample);
  const fragment = {
    type: "fragment" as const,
    transactionId: new Uint8Array(8).fill(9),
    offset: 1152,
    total: 3000,
    chunk: new Uint8Array(1152).fill(3),
  };
  assert.equal(decodeFrame(encodeFrame(fragment)), fragment);
});

test("encodeFrame writes an ack as [3, id, offset] and decodeFrame reads it back", () => {
  const ack = { type: "ack" as const, id: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), offset: 1152 };
  assert.is(toHex(encodeFrame(ack)), "8303480102030405060708190480");
  assert.equal(decodeFrame(encodeFrame(ack)), ack);
  assert.equal(ackIdOf(sample), sample.signature.subarray(0, 8));
});

test("isFrame sniffs the three frame types and nothing else", () => {
  assert.ok(isFrame(encodeFrame(sample)));
  assert.ok(isFrame(hex("8303480102030405060708 00")));
  assert.not.ok(isFrame(hex("0001")));
  assert.not.ok(isFrame(hex("8503")));
});

test("decodeFrame refuses datagrams over 1200 bytes before decoding", () => {
  const error = decodeError(new Uint8Array(MAX_DATAGRAM_BYTES + 1));
  assert.is(error.place, "frame");
  assert.match(error.message, /1201 bytes, at most 1200/);
});

test("decodeFrame names the place of each malformed field", () => {
  const cases: Array<[string, string]> = [
    ["84 01 00 80 40", "frame"], // 4 items
    ["85 04 00 80 40 40", "frame.type"],
    ["84 03 48 0000000000000000 00 00", "ack"], // an ack of 4 items
    ["83 03 47 00000000000000 00", "ack.id"],
    ["85 01 190100 80 41 80 5840" + "00".repeat(64), "frame.ttl"], // 256
    ["85 01 00 81 4f" + "00".repeat(15) + " 41 80 5840" + "00".repeat(64), "frame.via[0]"], // 15-byte node id
    ["85 01 00 81 82 03 50" + "00".repeat(16) + " 41 80 5840" + "00".repeat(64), "frame.via[0][0]"],
    ["85 01 00 80 41 80 583f" + "00".repeat(63), "frame.signature"],
    ["85 01 00 80 40 5840" + "00".repeat(64), "frame.envelope"], // empty envelope
    ["85 02 48 0000000000000000 0a 0a 41 00", "fragment.offset"], // offset 10 of 10
    ["85 02 48 0000000000000000 00 00 41 00", "fragment.total"],
    ["85 02 48 0000000000000000 00 0a 4b" + "00".repeat(11), "fragment.chunk"], // past total
    ["85 01 20", "frame byte 2"], // negative integer
  ];
  for (const [bytes, place] of cases) assert.is(decodeError(hex(bytes)).place, place, bytes);
});

test("decodeFrame refuses a via list longer than the cap, and encodeFrame will not write one", () => {
  const via = Array.from(
    { length: MAX_VIA_ENTRIES + 1 },
    () => ({ type: "opaque" as const, id: 1 }),
  );
  assert.throws(
    () => encodeFrame({ ...sample, via }),
    (e: unknown) => e instanceof OverlayEncodeError,
  );
  const bytes = hex("85 01 00 98 29" + "01".repeat(41) + " 41 80 5840" + "00".repeat(64));
  assert.is(decodeError(bytes).place, "frame.via");
});

test.run();
