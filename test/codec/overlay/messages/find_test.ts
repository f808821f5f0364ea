import { test } from "uvu";
import { MessageCode } from "../../../../src/codec/overlay/constants.ts";
import {
  type FindAns,
  type FindReq,
  MAX_FIND_KINDS,
} from "../../../../src/codec/overlay/messages/find.ts";
import {
  assertDecodeFails,
  assertEncodeFails,
  assertWire,
  id,
  roundTrip,
  times,
} from "./message_test_helpers.ts";

const req: FindReq = {
  code: MessageCode.FindReq,
  resourceId: id(0x11),
  kinds: [20, 21, 0xffff_ffff],
};
const ans: FindAns = {
  code: MessageCode.FindAns,
  results: [{ kind: 20, closest: id(0x12) }, { kind: 21, closest: null }],
};

test("findReqCodec round-trips a FindReq and a FindAns with and without a closest id", () => {
  roundTrip(req);
  roundTrip(ans);
  roundTrip({ ...req, kinds: times(MAX_FIND_KINDS, 1) });
});

test("findReqCodec writes [13, rid, [20]] byte for byte", () => {
  // 83 0d, 50 + 16 x 11, 81 14
  assertWire(
    { code: MessageCode.FindReq, resourceId: id(0x11), kinds: [20] },
    `830d50${"11".repeat(16)}8114`,
  );
});

test("findAnsCodec writes [14, [[20, null]]] byte for byte", () => {
  assertWire({ code: MessageCode.FindAns, results: [{ kind: 20, closest: null }] }, "820e818214f6");
});

test("findReqCodec decode refuses bad fields at their place", () => {
  assertDecodeFails([13, id(0x11)], "FindReq");
  assertDecodeFails([13, id(0x11, 15), []], "FindReq.resourceId");
  assertDecodeFails([13, id(0x11), times(17, 1)], "FindReq.kinds");
  assertDecodeFails([13, id(0x11), [1, true]], "FindReq.kinds[1]");
  assertDecodeFails([14, times(17, [1, null])], "FindAns.results");
  assertDecodeFails([14, [[1, id(1, 15)]]], "FindAns.results[0].closest");
  assertDecodeFails([14, [[1, false]]], "FindAns.results[0].closest");
  assertDecodeFails([14, [[1]]], "FindAns.results[0]");
});

test("findReqCodec encode refuses bad fields naming their place", () => {
  assertEncodeFails({ ...req, kinds: times(17, 1) }, "FindReq.kinds");
  assertEncodeFails({ ...req, kinds: [1, 2 ** 32] }, "FindReq.kinds[1]");
  assertEncodeFails({ ...req, resourceId: id(1, 15) }, "FindReq.resourceId");
  assertEncodeFails(
    { ...ans, results: [{ kind: 1, closest: id(1, 15) }] },
    "FindAns.results[0].closest",
  );
  assertEncodeFails({ ...ans, results: times(17, { kind: 1, closest: null }) }, "FindAns.results");
});

test.run();
