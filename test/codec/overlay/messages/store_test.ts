import { test } from "uvu";
import { MessageCode } from "../../../../src/codec/overlay/constants.ts";
import {
  MAX_STORE_KINDS,
  type StoreAns,
  type StoreReq,
} from "../../../../src/codec/overlay/messages/store.ts";
import type { StoredData } from "../../../../src/codec/overlay/messages/stored_data.ts";
import {
  assertDecodeFails,
  assertEncodeFails,
  assertWire,
  id,
  roundTrip,
  times,
} from "./message_test_helpers.ts";

const signature = { signerKey: id(0x33, 32), sig: id(0x44, 64) };
const single: StoredData = {
  storageTime: 1_700_000_000,
  lifetime: 86_400,
  value: { model: "single", exists: true, data: new TextEncoder().encode("sip:alice@10.0.0.2") },
  signature,
};
const req: StoreReq = {
  code: MessageCode.StoreReq,
  resourceId: id(0x11),
  replicaNumber: 0,
  kindData: [
    { kind: 20, generation: 3, values: [single] },
    {
      kind: 21,
      generation: 0,
      values: [
        {
          ...single,
          value: {
            model: "dictionary",
            key: id(0x6b, 20),
            exists: true,
            data: new Uint8Array([1]),
          },
        },
        { ...single, value: { model: "array", index: 4, exists: false, data: new Uint8Array(0) } },
      ],
    },
  ],
};
const ans: StoreAns = {
  code: MessageCode.StoreAns,
  kindResponses: [{ kind: 20, generation: 4, replicas: [id(1), id(2)] }, {
    kind: 21,
    generation: 1,
    replicas: [],
  }],
};

test("storeReqCodec round-trips a StoreReq of two kinds and the StoreAns", () => {
  roundTrip(req);
  roundTrip({
    ...req,
    replicaNumber: 255,
    kindData: times(MAX_STORE_KINDS, { kind: 1, generation: 1, values: [] }),
  });
  roundTrip(ans);
});

test("storeReqCodec writes an empty StoreReq byte for byte", () => {
  // 84 07, 50 + 16 x 11, 00, 80
  assertWire(
    { code: MessageCode.StoreReq, resourceId: id(0x11), replicaNumber: 0, kindData: [] },
    `840750${"11".repeat(16)}0080`,
  );
});

test("storeAnsCodec writes [8, [[20, 3, [id]]]] byte for byte", () => {
  // 82 08, 81, 83 14 03 81 50 + 16 x 01
  assertWire(
    { code: MessageCode.StoreAns, kindResponses: [{ kind: 20, generation: 3, replicas: [id(1)] }] },
    `8208 81 83140381 50${"01".repeat(16)}`.replace(/\s/g, ""),
  );
});

test("storeReqCodec decode refuses bad fields at their place", () => {
  const kd = [20, 0, []];
  const sd = [1000, 60, [1, true, new Uint8Array(0)], [id(0x33, 32), id(0x44, 64)]];
  assertDecodeFails([7, id(0x11), 0], "StoreReq");
  assertDecodeFails([7, id(0x11, 15), 0, []], "StoreReq.resourceId");
  assertDecodeFails([7, id(0x11), 256, []], "StoreReq.replicaNumber");
  assertDecodeFails([7, id(0x11), 0, times(17, kd)], "StoreReq.kindData");
  assertDecodeFails([7, id(0x11), 0, [kd, [20, "0", []]]], "StoreReq.kindData[1].generation");
  assertDecodeFails([7, id(0x11), 0, [[20, 0, times(257, sd)]]], "StoreReq.kindData[0].values");
  assertDecodeFails(
    [7, id(0x11), 0, [[20, 0, [sd, sd, sd, [1000, 60, [
      3,
      new Uint8Array(0),
      true,
      new Uint8Array(0),
    ], [id(0x33, 32), id(0x44, 64)]]]]]],
    "StoreReq.kindData[0].values[3].value.key",
  );
  assertDecodeFails([8, [[20, 0, times(9, id(1))]]], "StoreAns.kindResponses[0].replicas");
  assertDecodeFails([8, [[20, 0, [id(1), id(2, 15)]]]], "StoreAns.kindResponses[0].replicas[1]");
  assertDecodeFails([8, times(17, [20, 0, []])], "StoreAns.kindResponses");
});

test("storeReqCodec encode refuses bad fields naming their place", () => {
  assertEncodeFails({ ...req, replicaNumber: 256 }, "StoreReq.replicaNumber");
  assertEncodeFails({ ...req, resourceId: id(1, 15) }, "StoreReq.resourceId");
  assertEncodeFails(
    { ...req, kindData: times(17, { kind: 1, generation: 1, values: [] }) },
    "StoreReq.kindData",
  );
  assertEncodeFails(
    { ...req, kindData: [{ kind: 1, generation: 1, values: times(257, single) }] },
    "StoreReq.kindData[0].values",
  );
  assertEncodeFails({
    ...ans,
    kindResponses: [{ kind: 1, generation: 1, replicas: times(9, id(1)) }],
  }, "StoreAns.kindResponses[0].replicas");
  assertEncodeFails(
    { ...ans, kindResponses: [{ kind: 1, generation: 1, replicas: [id(1, 17)] }] },
    "StoreAns.kindResponses[0].replicas[0]",
  );
});

test.run();
