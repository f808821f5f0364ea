import { test } from "uvu";
import { MessageCode } from "../../../../src/codec/overlay/constants.ts";
import {
  type ConfigUpdateReq,
  ConfigUpdateType,
  MAX_CONFIG_DOCUMENT_BYTES,
  MAX_KIND_DESCRIPTIONS,
} from "../../../../src/codec/overlay/messages/config_update.ts";
import {
  assertDecodeFails,
  assertEncodeFails,
  assertWire,
  roundTrip,
  times,
} from "./message_test_helpers.ts";

const config: ConfigUpdateReq = {
  code: MessageCode.ConfigUpdateReq,
  type: ConfigUpdateType.Config,
  sequence: 42,
  configDocument: new Uint8Array(MAX_CONFIG_DOCUMENT_BYTES).fill(0x3c),
};
const kinds: ConfigUpdateReq = {
  code: MessageCode.ConfigUpdateReq,
  type: ConfigUpdateType.Kind,
  kindDescriptions: times(MAX_KIND_DESCRIPTIONS, new Uint8Array(1024).fill(0x6b)),
};

test("configUpdateReqCodec round-trips both update types and the answer", () => {
  roundTrip(config);
  roundTrip(kinds);
  roundTrip({ ...kinds, kindDescriptions: [] });
  roundTrip({ code: MessageCode.ConfigUpdateAns });
});

test("configUpdateReqCodec writes both update types byte for byte", () => {
  // [33, 1, 7, h'00']: 84 18 21 01 07 41 00; [33, 2, [h'6b']]: 83 18 21 02 81 41 6b
  assertWire({
    code: MessageCode.ConfigUpdateReq,
    type: 1,
    sequence: 7,
    configDocument: new Uint8Array([0]),
  }, "84182101074100");
  assertWire({
    code: MessageCode.ConfigUpdateReq,
    type: 2,
    kindDescriptions: [new Uint8Array([0x6b])],
  }, "8318210281416b");
});

test("configUpdateAnsCodec writes [34] as 81 18 22", () => {
  assertWire({ code: MessageCode.ConfigUpdateAns }, "811822");
});

test("configUpdateReqCodec decode refuses bad fields at their place", () => {
  assertDecodeFails([33, 1, 7], "ConfigUpdateReq");
  assertDecodeFails([33, 2, [], 7], "ConfigUpdateReq");
  assertDecodeFails([33], "ConfigUpdateReq");
  assertDecodeFails([33, 3, []], "ConfigUpdateReq.type");
  assertDecodeFails([33, 1, "7", new Uint8Array(1)], "ConfigUpdateReq.sequence");
  assertDecodeFails([33, 1, 7, new Uint8Array(0)], "ConfigUpdateReq.configDocument");
  assertDecodeFails([33, 1, 7, new Uint8Array(8193)], "ConfigUpdateReq.configDocument");
  assertDecodeFails([33, 2, times(17, new Uint8Array(1))], "ConfigUpdateReq.kindDescriptions");
  assertDecodeFails(
    [33, 2, [new Uint8Array(1), new Uint8Array(1025)]],
    "ConfigUpdateReq.kindDescriptions[1]",
  );
  assertDecodeFails([34, 0], "ConfigUpdateAns");
});

test("configUpdateReqCodec encode refuses bad fields naming their place", () => {
  assertEncodeFails({ ...config, type: 3 }, "ConfigUpdateReq.type");
  assertEncodeFails({ ...config, sequence: -1 }, "ConfigUpdateReq.sequence");
  assertEncodeFails(
    { ...config, configDocument: new Uint8Array(0) },
    "ConfigUpdateReq.configDocument",
  );
  assertEncodeFails(
    { ...kinds, kindDescriptions: times(17, new Uint8Array(1)) },
    "ConfigUpdateReq.kindDescriptions",
  );
  assertEncodeFails(
    { ...kinds, kindDescriptions: [new Uint8Array(0)] },
    "ConfigUpdateReq.kindDescriptions[0]",
  );
});

test.run();
