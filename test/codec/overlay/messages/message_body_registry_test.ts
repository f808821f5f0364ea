import { test } from "uvu";
import * as assert from "uvu/assert";
import { MessageCode } from "../../../../src/codec/overlay/constants.ts";
import {
  bodyCodecFor,
  encodeMessageBody,
  type MessageBody,
  messageName,
} from "../../../../src/codec/overlay/message_body.ts";
import { OverlayEncodeError } from "../../../../src/codec/overlay/overlay_errors.ts";
import { assertDecodeFails } from "./message_test_helpers.ts";

test("bodyCodecFor() knows every RFC 6940 message code this overlay uses, under its own name", () => {
  for (const [name, code] of Object.entries(MessageCode)) {
    const codec = bodyCodecFor(code);
    assert.ok(codec, `no codec for ${name}`);
    assert.is(codec.code, code);
    assert.is(messageName(code), name);
  }
});

test("decodeMessageBody() refuses an unknown code and encodeMessageBody() refuses one", () => {
  assertDecodeFails([11], "body.code");
  assert.throws(
    () => encodeMessageBody({ code: 11 } as unknown as MessageBody),
    (e: unknown) => e instanceof OverlayEncodeError && /unknown message code 11/.test(e.message),
  );
});

test.run();
