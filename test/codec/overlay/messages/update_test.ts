import { test } from "uvu";
import { MessageCode } from "../../../../src/codec/overlay/constants.ts";
import type { PeerInfo } from "../../../../src/codec/overlay/messages/peer.ts";
import {
  MAX_UPDATE_FINGERS,
  MAX_UPDATE_PREDECESSORS,
  MAX_UPDATE_SUCCESSORS,
  type UpdateReq,
  UpdateType,
} from "../../../../src/codec/overlay/messages/update.ts";
import {
  assertDecodeFails,
  assertEncodeFails,
  assertWire,
  id,
  ipv4,
  roundTrip,
  times,
} from "./message_test_helpers.ts";

const peer = (fill: number): PeerInfo => ({
  nodeId: id(fill),
  addresses: [{ ip: ipv4(10, 0, 0, fill), port: 6084 }],
});
const full: UpdateReq = {
  code: MessageCode.UpdateReq,
  uptime: 86_400,
  updateType: UpdateType.Full,
  predecessors: [peer(1), peer(2)],
  successors: [peer(3), peer(4)],
  fingers: [peer(5), peer(6), { nodeId: id(7), addresses: [] }],
};
const wirePeer = [id(1), [[ipv4(10, 0, 0, 1), 1]]];

test("updateReqCodec round-trips full, neighbors and peer-ready updates", () => {
  roundTrip(full);
  roundTrip({ ...full, updateType: UpdateType.Neighbors, fingers: [] });
  roundTrip({
    ...full,
    updateType: UpdateType.PeerReady,
    predecessors: [],
    successors: [],
    fingers: [],
  });
});

test("updateReqCodec round-trips lists at their caps", () => {
  const p = { nodeId: id(9), addresses: [] };
  roundTrip({
    ...full,
    predecessors: times(MAX_UPDATE_PREDECESSORS, p),
    successors: times(MAX_UPDATE_SUCCESSORS, p),
    fingers: times(MAX_UPDATE_FINGERS, p),
  });
});

test("updateAnsCodec writes [20] as 81 14", () => {
  assertWire({ code: MessageCode.UpdateAns }, "8114");
});

test("updateReqCodec writes a peer-ready update byte for byte", () => {
  // [19, 60, 1, [], [], []]: 86 13 18 3c 01 80 80 80
  assertWire(
    {
      code: MessageCode.UpdateReq,
      uptime: 60,
      updateType: UpdateType.PeerReady,
      predecessors: [],
      successors: [],
      fingers: [],
    },
    "8613183c01808080",
  );
});

test("updateReqCodec decode refuses bad fields at their place", () => {
  assertDecodeFails([19, 60, 3, [], []], "UpdateReq");
  assertDecodeFails([20, []], "UpdateAns");
  assertDecodeFails([19, "60", 3, [], [], []], "UpdateReq.uptime");
  assertDecodeFails([19, 60, 4, [], [], []], "UpdateReq.updateType");
  assertDecodeFails([19, 60, 0, [], [], []], "UpdateReq.updateType");
  assertDecodeFails([19, 60, 3, times(33, wirePeer), [], []], "UpdateReq.predecessors");
  assertDecodeFails([19, 60, 3, [], times(33, wirePeer), []], "UpdateReq.successors");
  assertDecodeFails([19, 60, 3, [], [], times(129, wirePeer)], "UpdateReq.fingers");
  assertDecodeFails(
    [19, 60, 3, [], [wirePeer, [id(2, 15), []]], []],
    "UpdateReq.successors[1].nodeId",
  );
  assertDecodeFails([19, 60, 3, [], [], [wirePeer, wirePeer, [id(3)]]], "UpdateReq.fingers[2]");
});

test("updateReqCodec decode refuses tables the update type does not carry", () => {
  assertDecodeFails([19, 60, 1, [wirePeer], [], []], "UpdateReq.predecessors");
  assertDecodeFails([19, 60, 1, [], [wirePeer], []], "UpdateReq.successors");
  assertDecodeFails([19, 60, 1, [], [], [wirePeer]], "UpdateReq.fingers");
  assertDecodeFails([19, 60, 2, [wirePeer], [wirePeer], [wirePeer]], "UpdateReq.fingers");
});

test("updateReqCodec encode refuses bad fields and tables the update type does not carry", () => {
  assertEncodeFails({ ...full, uptime: -1 }, "UpdateReq.uptime");
  assertEncodeFails({ ...full, uptime: 2 ** 32 }, "UpdateReq.uptime");
  assertEncodeFails({ ...full, updateType: 4 }, "UpdateReq.updateType");
  assertEncodeFails({ ...full, fingers: times(129, peer(1)) }, "UpdateReq.fingers");
  assertEncodeFails(
    { ...full, predecessors: [peer(1), { nodeId: id(1, 15), addresses: [] }] },
    "UpdateReq.predecessors[1].nodeId",
  );
  assertEncodeFails({ ...full, updateType: UpdateType.Neighbors }, "UpdateReq.fingers");
  assertEncodeFails(
    { ...full, updateType: UpdateType.PeerReady, fingers: [] },
    "UpdateReq.predecessors",
  );
});

test.run();
