import { test } from "uvu";
import { MessageCode } from "../../../../src/codec/overlay/constants.ts";
import type { FetchAns, FetchReq } from "../../../../src/codec/overlay/messages/fetch.ts";
import {
  MAX_ARRAY_RANGES,
  MAX_DICTIONARY_KEYS,
} from "../../../../src/codec/overlay/messages/specifier.ts";
import {
  assertDecodeFails,
  assertEncodeFails,
  assertWire,
  id,
  roundTrip,
  times,
} from "./message_test_helpers.ts";

const req: FetchReq = {
  code: MessageCode.FetchReq,
  resourceId: id(0x11),
  specifiers: [
    { kind: 20, generation: 0, selector: { model: "single" } },
    {
      kind: 21,
      generation: 5,
      selector: { model: "array", ranges: [{ first: 0, last: 9 }, { first: 12, last: 12 }] },
    },
    {
      kind: 22,
      generation: 0,
      selector: { model: "dictionary", keys: [new Uint8Array([1]), id(2, 255)] },
    },
    { kind: 23, generation: 0, selector: { model: "dictionary", keys: [] } },
  ],
};
const ans: FetchAns = {
  code: MessageCode.FetchAns,
  kindData: [{
    kind: 20,
    generation: 9,
    values: [{
      storageTime: 1000,
      lifetime: 60,
      value: { model: "single", exists: true, data: new Uint8Array([1, 2, 3]) },
      signature: { signerKey: id(0x33, 32), sig: id(0x44, 64) },
    }],
  }, { kind: 21, generation: 5, values: [] }],
};

test("fetchReqCodec round-trips specifiers of every data model and the FetchAns", () => {
  roundTrip(req);
  roundTrip(ans);
  roundTrip({
    ...req,
    specifiers: [
      {
        kind: 1,
        generation: 1,
        selector: { model: "array", ranges: times(MAX_ARRAY_RANGES, { first: 1, last: 2 }) },
      },
      {
        kind: 2,
        generation: 1,
        selector: { model: "dictionary", keys: times(MAX_DICTIONARY_KEYS, id(7, 8)) },
      },
    ],
  });
});

test("fetchReqCodec writes a single-value fetch byte for byte", () => {
  // 83 09, 50 + 16 x 11, 81 [83 14 00 [81 01]]
  assertWire(
    {
      code: MessageCode.FetchReq,
      resourceId: id(0x11),
      specifiers: [{ kind: 20, generation: 0, selector: { model: "single" } }],
    },
    `830950${"11".repeat(16)}8183140081 01`.replace(/\s/g, ""),
  );
});

test("fetchAnsCodec writes [10, []] byte for byte", () => {
  assertWire({ code: MessageCode.FetchAns, kindData: [] }, "820a80");
});

test("fetchReqCodec decode refuses bad specifiers at their place", () => {
  const spec = [20, 0, [1]];
  assertDecodeFails([9, id(0x11)], "FetchReq");
  assertDecodeFails([9, id(0x11, 15), []], "FetchReq.resourceId");
  assertDecodeFails([9, id(0x11), times(17, spec)], "FetchReq.specifiers");
  assertDecodeFails([9, id(0x11), [spec, [20, 0, [4]]]], "FetchReq.specifiers[1].selector.model");
  assertDecodeFails([9, id(0x11), [[20, 0, [1, []]]]], "FetchReq.specifiers[0].selector");
  assertDecodeFails([9, id(0x11), [[20, 0, [2]]]], "FetchReq.specifiers[0].selector");
  assertDecodeFails(
    [9, id(0x11), [[20, 0, [2, [[1, 2], [5, 4]]]]]],
    "FetchReq.specifiers[0].selector.ranges[1]",
  );
  assertDecodeFails(
    [9, id(0x11), [[20, 0, [2, times(17, [1, 2])]]]],
    "FetchReq.specifiers[0].selector.ranges",
  );
  assertDecodeFails(
    [9, id(0x11), [[20, 0, [2, [[1, "2"]]]]]],
    "FetchReq.specifiers[0].selector.ranges[0].last",
  );
  assertDecodeFails(
    [9, id(0x11), [[20, 0, [3, times(65, new Uint8Array([1]))]]]],
    "FetchReq.specifiers[0].selector.keys",
  );
  assertDecodeFails(
    [9, id(0x11), [[20, 0, [3, [new Uint8Array(0)]]]]],
    "FetchReq.specifiers[0].selector.keys[0]",
  );
  assertDecodeFails([9, id(0x11), [[20, 0]]], "FetchReq.specifiers[0]");
  assertDecodeFails([10, times(17, [20, 0, []])], "FetchAns.kindData");
  assertDecodeFails([10, [[20, 0, [[
    1000,
    60,
    [1, true, new Uint8Array(0)],
    [id(3, 32), id(4, 64)],
    5,
  ]]]]], "FetchAns.kindData[0].values[0]");
});

test("fetchReqCodec encode refuses bad specifiers naming their place", () => {
  const at = "FetchReq.specifiers[0].selector";
  const with_ = (selector: unknown) => ({
    ...req,
    specifiers: [{ kind: 20, generation: 0, selector }],
  });
  assertEncodeFails(with_({ model: "array", ranges: [{ first: 5, last: 4 }] }), `${at}.ranges[0]`);
  assertEncodeFails(
    with_({ model: "array", ranges: times(17, { first: 1, last: 1 }) }),
    `${at}.ranges`,
  );
  assertEncodeFails(
    with_({ model: "dictionary", keys: times(65, new Uint8Array([1])) }),
    `${at}.keys`,
  );
  assertEncodeFails(with_({ model: "dictionary", keys: [id(1, 256)] }), `${at}.keys[0]`);
  assertEncodeFails(with_({ model: "set" }), `${at}.model`);
  assertEncodeFails({ ...req, specifiers: times(17, req.specifiers[0]) }, "FetchReq.specifiers");
  assertEncodeFails({
    ...req,
    specifiers: [{ kind: -1, generation: 0, selector: { model: "single" } }],
  }, "FetchReq.specifiers[0].kind");
  assertEncodeFails(
    { ...ans, kindData: times(17, { kind: 1, generation: 1, values: [] }) },
    "FetchAns.kindData",
  );
});

test.run();
