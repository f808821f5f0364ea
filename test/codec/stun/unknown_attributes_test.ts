import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  StunAttribute,
  StunErrorCode,
  StunMessageType,
} from "../../../src/codec/stun/constants.ts";
import { encodeErrorCode } from "../../../src/codec/stun/error_code.ts";
import { decodeStunMessage } from "../../../src/codec/stun/message.ts";
import { StunDecodeError, StunEncodeError } from "../../../src/codec/stun/stun_errors.ts";
import {
  decodeUnknownAttributes,
  encodeUnknownAttributes,
} from "../../../src/codec/stun/unknown_attributes.ts";
import { built, hex, rawMessage, thrown, toHex } from "./rfc5769_vectors.ts";

const ERR = StunMessageType.BindingError;

test("encodeUnknownAttributes() / decodeUnknownAttributes() round-trip even and odd counts", () => {
  for (const types of [[], [0x0024], [0x0024, 0x7001], [1, 2, 3], [0xffff, 0, 0x001a, 0x7fff]]) {
    const message = built((b) => encodeUnknownAttributes(b, types), ERR);
    assert.equal(decodeUnknownAttributes(message, 0), types);
  }
});

test("encodeUnknownAttributes() zero-pads an odd count (no RFC 3489 repeat padding)", () => {
  const message = built((b) => encodeUnknownAttributes(b, [0x0024]), ERR);
  assert.is(message.valueLength(0), 2);
  assert.is(toHex(message.bytes.subarray(20)), "000a000200240000");
});

test("encodeUnknownAttributes() answers a request's unknown list with 420", () => {
  const request = decodeStunMessage(rawMessage(1, [[0x7001, hex("00000000")]]));
  const response = built((b) => {
    encodeErrorCode(b, { code: StunErrorCode.UnknownAttribute });
    encodeUnknownAttributes(b, request.unknownAttributes);
  }, ERR);
  assert.equal(
    decodeUnknownAttributes(response, response.indexOf(StunAttribute.UnknownAttributes)),
    [0x7001],
  );
});

test("decodeUnknownAttributes() rejects an odd length", () => {
  const message = decodeStunMessage(
    rawMessage(ERR, [[StunAttribute.UnknownAttributes, hex("002400")]]),
  );
  const error = thrown(() => decodeUnknownAttributes(message, 0));
  assert.instance(error, StunDecodeError);
  assert.match((error as Error).message, /odd length 3/);
});

test("encodeUnknownAttributes() refuses a type that is not 16 bits", () => {
  for (const type of [-1, 0x10000, 1.5]) {
    assert.instance(
      thrown(() => built((b) => encodeUnknownAttributes(b, [type]), ERR)),
      StunEncodeError,
    );
  }
});

test.run();
