import { test } from "uvu";
import { MessageCode } from "../../../../src/codec/overlay/constants.ts";
import type { JoinAns, JoinReq } from "../../../../src/codec/overlay/messages/join.ts";
import {
  assertDecodeFails,
  assertEncodeFails,
  assertWire,
  id,
  roundTrip,
} from "./message_test_helpers.ts";

const req: JoinReq = {
  code: MessageCode.JoinReq,
  joiningPeerId: id(1),
  overlayData: new Uint8Array([9, 8, 7]),
};

test("joinReqCodec round-trips a JoinReq with overlay data", () => {
  roundTrip(req);
  roundTrip({ code: MessageCode.JoinAns, overlayData: new Uint8Array(1024).fill(3) });
});

test("joinReqCodec writes [15, id, h''] byte for byte", () => {
  // 83 (array 3), 0f (15), 50 (bstr 16) + 16 x 01, 40 (empty bstr)
  assertWire(
    { code: MessageCode.JoinReq, joiningPeerId: id(1), overlayData: new Uint8Array(0) },
    `830f50${"01".repeat(16)}40`,
  );
});

test("joinAnsCodec writes [16, h''] byte for byte", () => {
  const ans: JoinAns = { code: MessageCode.JoinAns, overlayData: new Uint8Array(0) };
  assertWire(ans, "821040");
});

test("joinReqCodec decode refuses a wrong item count, a 15-byte id and a wrong type", () => {
  assertDecodeFails([15, id(1)], "JoinReq");
  assertDecodeFails([15, id(1, 15), new Uint8Array(0)], "JoinReq.joiningPeerId");
  assertDecodeFails([15, id(1), "text"], "JoinReq.overlayData");
  assertDecodeFails([16, new Uint8Array(1025)], "JoinAns.overlayData");
  assertDecodeFails([16], "JoinAns");
});

test("joinReqCodec encode refuses a short id and oversized overlay data", () => {
  assertEncodeFails({ ...req, joiningPeerId: id(1, 15) }, "JoinReq.joiningPeerId");
  assertEncodeFails({ ...req, overlayData: new Uint8Array(1025) }, "JoinReq.overlayData");
  assertEncodeFails({ code: MessageCode.JoinAns, overlayData: "x" }, "JoinAns.overlayData");
});

test.run();
