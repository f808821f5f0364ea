import { test } from "uvu";
import { MessageCode } from "../../../../src/codec/overlay/constants.ts";
import type { StatAns, StatReq } from "../../../../src/codec/overlay/messages/stat.ts";
import {
  assertDecodeFails,
  assertEncodeFails,
  assertWire,
  id,
  roundTrip,
  times,
} from "./message_test_helpers.ts";

const hash = id(0xee, 32);
const req: StatReq = {
  code: MessageCode.StatReq,
  resourceId: id(0x11),
  specifiers: [
    { kind: 20, generation: 0, selector: { model: "single" } },
    { kind: 21, generation: 2, selector: { model: "dictionary", keys: [] } },
  ],
};
const ans: StatAns = {
  code: MessageCode.StatAns,
  kindResponses: [{
    kind: 20,
    generation: 3,
    values: [
      { storageTime: 1000, lifetime: 60, meta: { model: "single", exists: true, length: 3, hash } },
      {
        storageTime: 1001,
        lifetime: 61,
        meta: { model: "array", index: 7, exists: false, length: 0, hash },
      },
      {
        storageTime: 1002,
        lifetime: 62,
        meta: { model: "dictionary", key: id(1, 4), exists: true, length: 8192, hash },
      },
    ],
  }],
};

test("statReqCodec round-trips a StatReq and a StatAns of every data model", () => {
  roundTrip(req);
  roundTrip(ans);
});

test("statReqCodec writes [25, rid, []] byte for byte", () => {
  // 83, 18 19 (25), 50 + 16 x 11, 80
  assertWire(
    { code: MessageCode.StatReq, resourceId: id(0x11), specifiers: [] },
    `83181950${"11".repeat(16)}80`,
  );
});

test("statAnsCodec writes one single-value meta byte for byte", () => {
  // 82 18 1a, 81 83 14 01 81, 83 19 03 e8 18 3c, 84 01 f5 03 58 20 + 32 x ee
  assertWire(
    {
      code: MessageCode.StatAns,
      kindResponses: [{
        kind: 20,
        generation: 1,
        values: [{
          storageTime: 1000,
          lifetime: 60,
          meta: { model: "single", exists: true, length: 3, hash },
        }],
      }],
    },
    `82181a 8183140181 831903e8183c 8401f5035820${"ee".repeat(32)}`.replace(/\s/g, ""),
  );
});

test("statAnsCodec decode refuses bad metadata at their place", () => {
  const meta = (m: unknown[]) => [26, [[20, 1, [[1000, 60, m]]]]] as never;
  const at = "StatAns.kindResponses[0].values[0].meta";
  assertDecodeFails([25, id(0x11)], "StatReq");
  assertDecodeFails([25, id(0x11, 15), []], "StatReq.resourceId");
  assertDecodeFails([25, id(0x11), times(17, [20, 0, [1]])], "StatReq.specifiers");
  assertDecodeFails(meta([1, true, 3, id(0xee, 31)]), `${at}.hash`);
  assertDecodeFails(meta([1, true, 3]), at);
  assertDecodeFails(meta([2, true, 3, hash]), at);
  assertDecodeFails(meta([5, true, 3, hash]), `${at}.model`);
  assertDecodeFails(meta([2, 7, 1, 3, hash]), `${at}.exists`);
  assertDecodeFails(meta([3, new Uint8Array(0), true, 3, hash]), `${at}.key`);
  assertDecodeFails(meta([1, true, "3", hash]), `${at}.length`);
  assertDecodeFails(
    [26, [[20, 1, times(257, [1000, 60, [1, true, 3, hash]])]]],
    "StatAns.kindResponses[0].values",
  );
  assertDecodeFails([26, times(17, [20, 1, []])], "StatAns.kindResponses");
});

test("statAnsCodec encode refuses bad metadata naming their place", () => {
  const at = "StatAns.kindResponses[0].values[0]";
  const value = ans.kindResponses[0]!.values[0]!;
  const with_ = (v: unknown) => ({
    ...ans,
    kindResponses: [{ kind: 20, generation: 3, values: [v] }],
  });
  assertEncodeFails(
    with_({ ...value, meta: { ...value.meta, hash: id(1, 20) } }),
    `${at}.meta.hash`,
  );
  assertEncodeFails(
    with_({ ...value, meta: { ...value.meta, length: 2 ** 32 } }),
    `${at}.meta.length`,
  );
  assertEncodeFails(with_({ ...value, lifetime: -5 }), `${at}.lifetime`);
  assertEncodeFails(with_({ ...value, meta: { ...value.meta, model: "bag" } }), `${at}.meta.model`);
  assertEncodeFails({
    ...ans,
    kindResponses: [{ kind: 20, generation: 3, values: times(257, value) }],
  }, "StatAns.kindResponses[0].values");
  assertEncodeFails({
    ...req,
    specifiers: [{
      kind: 20,
      generation: 0,
      selector: { model: "array", ranges: [{ first: 2, last: 1 }] },
    }],
  }, "StatReq.specifiers[0].selector.ranges[0]");
});

test.run();
