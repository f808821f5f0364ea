import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  STUN_REASON_PHRASES,
  StunAttribute,
  StunErrorCode,
  StunMessageType,
} from "../../../src/codec/stun/constants.ts";
import { decodeErrorCode, encodeErrorCode } from "../../../src/codec/stun/error_code.ts";
import { decodeStunMessage } from "../../../src/codec/stun/message.ts";
import { StunDecodeError, StunEncodeError } from "../../../src/codec/stun/stun_errors.ts";
import { built, hex, rawMessage, thrown, toHex } from "./rfc5769_vectors.ts";

const ERR = StunMessageType.AllocateError;

test("encodeErrorCode() / decodeErrorCode() round-trip every code with its recommended phrase", () => {
  for (const code of Object.values(StunErrorCode)) {
    const message = built((b) => encodeErrorCode(b, { code }), ERR);
    assert.equal(decodeErrorCode(message, 0), { code, reason: STUN_REASON_PHRASES.get(code) });
  }
  assert.is(STUN_REASON_PHRASES.get(401), "Unauthenticated");
});

test("encodeErrorCode() writes class and number in separate bytes after 21 zero bits", () => {
  const message = built((b) => encodeErrorCode(b, { code: 438, reason: "" }), ERR);
  assert.is(toHex(message.value(0)), "00000426");
  assert.equal(decodeErrorCode(message, 0), { code: 438, reason: "" });
});

test("encodeErrorCode() keeps a caller's reason, any code in 300-699, and UTF-8 text", () => {
  for (
    const [code, reason] of [[300, "Try Alternate"], [699, "x"], [
      420,
      "Attribut inconnu \u00e9\u{1F600}",
    ]] as const
  ) {
    const message = built((b) => encodeErrorCode(b, { code, reason }), ERR);
    assert.equal(decodeErrorCode(message, message.indexOf(StunAttribute.ErrorCode)), {
      code,
      reason,
    });
  }
  const unknown = built((b) => encodeErrorCode(b, { code: 599 }), ERR);
  assert.equal(decodeErrorCode(unknown, 0), { code: 599, reason: "" });
});

test("encodeErrorCode() refuses a code outside 300-699 and a reason phrase over the RFC limits", () => {
  for (const code of [299, 700, 0, 400.5]) {
    assert.instance(thrown(() => built((b) => encodeErrorCode(b, { code }), ERR)), StunEncodeError);
  }
  const ok127 = "a".repeat(127);
  assert.is(
    decodeErrorCode(built((b) => encodeErrorCode(b, { code: 400, reason: ok127 }), ERR), 0).reason,
    ok127,
  );
  const emoji127 = "\u{1F600}".repeat(127); // 508 bytes, 127 characters
  assert.is(
    decodeErrorCode(built((b) => encodeErrorCode(b, { code: 400, reason: emoji127 }), ERR), 0)
      .reason,
    emoji127,
  );
  for (const reason of ["a".repeat(128), "\u00e9".repeat(128), "\u{1F600}".repeat(128)]) {
    const error = thrown(() => built((b) => encodeErrorCode(b, { code: 400, reason }), ERR));
    assert.instance(error, StunEncodeError);
    assert.match((error as Error).message, /reason phrase of/);
  }
});

test("decodeErrorCode() ignores the reserved bits", () => {
  const message = decodeStunMessage(rawMessage(ERR, [[StunAttribute.ErrorCode, hex("fffffc04")]]));
  assert.equal(decodeErrorCode(message, 0), { code: 404, reason: "" });
});

test("decodeErrorCode() rejects a short value, a bad class or number, a long or broken phrase", () => {
  const cases: Array<[Uint8Array, RegExp]> = [
    [hex("000004"), /3 bytes, at least 4/],
    [hex("00000200"), /error class 2/],
    [hex("00000700"), /error class 7/],
    [hex("00000464"), /error number 100/],
    [
      new Uint8Array([0, 0, 4, 0, ...new Uint8Array(764).fill(0x61)]),
      /reason phrase of 764 bytes exceeds 763/,
    ],
    [hex("00000400c328"), /not valid UTF-8/],
  ];
  for (const [value, pattern] of cases) {
    const message = decodeStunMessage(rawMessage(ERR, [[StunAttribute.ErrorCode, value]]));
    const error = thrown(() => decodeErrorCode(message, 0));
    assert.instance(error, StunDecodeError);
    assert.is((error as StunDecodeError).place, "ERROR-CODE at byte 20");
    assert.match((error as Error).message, pattern);
  }
  const long763 = new Uint8Array([0, 0, 4, 0, ...new Uint8Array(763).fill(0x61)]);
  const message = decodeStunMessage(rawMessage(ERR, [[StunAttribute.ErrorCode, long763]]));
  assert.is(decodeErrorCode(message, 0).reason.length, 763);
});

test.run();
