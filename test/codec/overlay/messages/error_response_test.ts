import { test } from "uvu";
import { ErrorCode, MessageCode } from "../../../../src/codec/overlay/constants.ts";
import type { ErrorResponse } from "../../../../src/codec/overlay/messages/error_response.ts";
import {
  assertDecodeFails,
  assertEncodeFails,
  assertWire,
  roundTrip,
} from "./message_test_helpers.ts";

const error: ErrorResponse = {
  code: MessageCode.Error,
  errorCode: ErrorCode.GenerationCounterTooLow,
  reasonPhrase: "Generation counter too low: 7 < 9",
  errorInfo: new Uint8Array([0, 0, 0, 9]),
};

test("errorResponseCodec round-trips an error with info and one with an unknown code", () => {
  roundTrip(error);
  roundTrip({ ...error, errorCode: 0xfffe, reasonPhrase: "", errorInfo: new Uint8Array(256) });
  roundTrip({ ...error, reasonPhrase: "é".repeat(64) });
});

test('errorResponseCodec writes code 3, reason "x" and no info as 84 19 ff ff 03 61 78 40', () => {
  assertWire({
    code: MessageCode.Error,
    errorCode: ErrorCode.NotFound,
    reasonPhrase: "x",
    errorInfo: new Uint8Array(0),
  }, "8419ffff03617840");
});

test("errorResponseCodec decode refuses bad fields at their place", () => {
  assertDecodeFails([0xffff, 3, "x"], "Error");
  assertDecodeFails([0xffff, 0x10000, "x", new Uint8Array(0)], "Error.errorCode");
  assertDecodeFails([0xffff, 3, new Uint8Array(1), new Uint8Array(0)], "Error.reasonPhrase");
  assertDecodeFails([0xffff, 3, "x".repeat(129), new Uint8Array(0)], "Error.reasonPhrase");
  assertDecodeFails([0xffff, 3, "é".repeat(65), new Uint8Array(0)], "Error.reasonPhrase");
  assertDecodeFails([0xffff, 3, "x", new Uint8Array(257)], "Error.errorInfo");
});

test("errorResponseCodec encode refuses bad fields naming their place", () => {
  assertEncodeFails({ ...error, errorCode: 0x10000 }, "Error.errorCode");
  assertEncodeFails({ ...error, reasonPhrase: "é".repeat(65) }, "Error.reasonPhrase");
  assertEncodeFails({ ...error, errorInfo: new Uint8Array(257) }, "Error.errorInfo");
});

test.run();
