import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeCbor } from "../../../src/codec/cbor/cbor_codec.ts";
import { ErrorCode } from "../../../src/codec/overlay/constants.ts";
import {
  decodeEnvelope,
  encodeEnvelope,
  type Envelope,
} from "../../../src/codec/overlay/envelope.ts";
import { OverlayDecodeError } from "../../../src/codec/overlay/overlay_errors.ts";

const envelope: Envelope = {
  overlayId: 0xdeadbeef,
  transactionId: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
  destinations: [{ type: "resource", id: new Uint8Array(16).fill(0xaa) }],
  options: [{ type: 1, flags: 0x01, data: new Uint8Array([5]) }],
  maxResponseLength: 0,
  sentAt: 1_764_000_000,
  senderKey: new Uint8Array(32).fill(0x11),
  admission: { type: "mac", mac: new Uint8Array(16).fill(0x22) },
  body: new Uint8Array([0x82, 0x17, 0x40]),
};

function placeOf(fields: unknown[]): string {
  try {
    decodeEnvelope(encodeCbor(fields as never));
  } catch (error) {
    if (error instanceof OverlayDecodeError) return error.place;
    throw error;
  }
  return "(accepted)";
}

const valid = () =>
  [
    1,
    0xdeadbeef,
    new Uint8Array(8),
    [new Uint8Array(16)],
    [],
    0,
    1_764_000_000,
    new Uint8Array(32),
    null,
    new Uint8Array([0x80]),
  ] as unknown[];

test("encodeEnvelope and decodeEnvelope round-trip every admission proof type", () => {
  for (
    const admission of [
      { type: "none" as const },
      { type: "mac" as const, mac: new Uint8Array(16).fill(3) },
      { type: "certificate" as const, certificate: new Uint8Array(120).fill(4) },
    ]
  ) {
    const e = { ...envelope, admission };
    assert.equal(decodeEnvelope(encodeEnvelope(e)), e);
  }
});

test("decodeEnvelope accepts the minimal valid envelope", () => {
  assert.is(placeOf(valid()), "(accepted)");
});

test("decodeEnvelope refuses another protocol version as IncompatibleWithOverlay", () => {
  const fields = valid();
  fields[0] = 2;
  try {
    decodeEnvelope(encodeCbor(fields as never));
    assert.unreachable();
  } catch (error) {
    assert.is((error as OverlayDecodeError).place, "envelope.version");
    assert.is((error as OverlayDecodeError).errorCode, ErrorCode.IncompatibleWithOverlay);
  }
});

test("decodeEnvelope names the place of each malformed field", () => {
  const cases: Array<[number, unknown, string]> = [
    [2, new Uint8Array(7), "envelope.transactionId"],
    [3, [], "envelope.destinations"],
    [3, Array(9).fill(new Uint8Array(16)), "envelope.destinations"],
    [4, [[1, 2]], "envelope.options[0]"],
    [4, [[256, 0, new Uint8Array(0)]], "envelope.options[0][0]"],
    [7, new Uint8Array(31), "envelope.senderKey"],
    [8, [3, new Uint8Array(16)], "envelope.admission[0]"],
    [8, [2, new Uint8Array(15)], "envelope.admission[1]"],
    [8, false, "envelope.admission"],
    [9, new Uint8Array(0), "envelope.body"],
  ];
  for (const [index, value, place] of cases) {
    const fields = valid();
    fields[index] = value;
    assert.is(placeOf(fields), place, `${index}`);
  }
  assert.is(placeOf(valid().slice(0, 9)), "envelope");
});

test("encodeEnvelope refuses out-of-range fields", () => {
  assert.throws(() => encodeEnvelope({ ...envelope, transactionId: new Uint8Array(4) }), /8 bytes/);
  assert.throws(() => encodeEnvelope({ ...envelope, destinations: [] }), /destinations/);
  assert.throws(() => encodeEnvelope({ ...envelope, sentAt: -1 }), /sent-at/);
  assert.throws(
    () => encodeEnvelope({ ...envelope, admission: { type: "mac", mac: new Uint8Array(3) } }),
    /MAC/,
  );
});

test.run();
