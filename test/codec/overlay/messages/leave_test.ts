import { test } from "uvu";
import { MessageCode } from "../../../../src/codec/overlay/constants.ts";
import {
  type LeaveReq,
  LeaveType,
  MAX_LEAVE_NEIGHBORS,
} from "../../../../src/codec/overlay/messages/leave.ts";
import type { PeerInfo } from "../../../../src/codec/overlay/messages/peer.ts";
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
  addresses: [{ ip: ipv4(192, 168, 0, fill), port: 5060 }, { ip: id(0xfe), port: 40000 }],
});
const req: LeaveReq = {
  code: MessageCode.LeaveReq,
  leavingPeerId: id(0xaa),
  leaveType: LeaveType.FromSuccessor,
  neighbors: [peer(1), peer(2), { nodeId: id(3), addresses: [] }],
};

test("leaveReqCodec round-trips a LeaveReq with neighbours and their addresses", () => {
  roundTrip(req);
  roundTrip({
    ...req,
    leaveType: LeaveType.FromPredecessor,
    neighbors: times(MAX_LEAVE_NEIGHBORS, peer(4)),
  });
});

test("leaveAnsCodec writes [18] as 81 12", () => {
  assertWire({ code: MessageCode.LeaveAns }, "8112");
});

test("leaveReqCodec writes a from-predecessor Leave with one neighbour byte for byte", () => {
  // [17, h'aa'x16, 2, [[h'bb'x16, [[h'c0a80001', 5060]]]]]; 5060 = 0x13c4 -> 19 13 c4
  assertWire(
    {
      code: MessageCode.LeaveReq,
      leavingPeerId: id(0xaa),
      leaveType: LeaveType.FromPredecessor,
      neighbors: [{ nodeId: id(0xbb), addresses: [{ ip: ipv4(192, 168, 0, 1), port: 5060 }] }],
    },
    `8411 50${"aa".repeat(16)} 02 81 82 50${"bb".repeat(16)} 81 82 44c0a80001 1913c4`,
  );
});

test("leaveReqCodec decode refuses bad fields at their place", () => {
  const neighbor = [id(1), [[ipv4(10, 0, 0, 1), 1]]];
  assertDecodeFails([17, id(0xaa), 1], "LeaveReq");
  assertDecodeFails([18, 1], "LeaveAns");
  assertDecodeFails([17, id(0xaa, 15), 1, []], "LeaveReq.leavingPeerId");
  assertDecodeFails([17, id(0xaa), 3, []], "LeaveReq.leaveType");
  assertDecodeFails([17, id(0xaa), true, []], "LeaveReq.leaveType");
  assertDecodeFails([17, id(0xaa), 1, times(33, neighbor)], "LeaveReq.neighbors");
  assertDecodeFails([17, id(0xaa), 1, [neighbor, [id(1, 15), []]]], "LeaveReq.neighbors[1].nodeId");
  assertDecodeFails(
    [17, id(0xaa), 1, [[id(1), times(5, [ipv4(10, 0, 0, 1), 1])]]],
    "LeaveReq.neighbors[0].addresses",
  );
  assertDecodeFails(
    [17, id(0xaa), 1, [[id(1), [[new Uint8Array(5), 1]]]]],
    "LeaveReq.neighbors[0].addresses[0][0]",
  );
  assertDecodeFails(
    [17, id(0xaa), 1, [[id(1), [[ipv4(10, 0, 0, 1), 65536]]]]],
    "LeaveReq.neighbors[0].addresses[0][1]",
  );
});

test("leaveReqCodec encode refuses bad fields naming their place", () => {
  assertEncodeFails({ ...req, leaveType: 0 }, "LeaveReq.leaveType");
  assertEncodeFails({ ...req, leavingPeerId: id(1, 15) }, "LeaveReq.leavingPeerId");
  assertEncodeFails({ ...req, neighbors: times(33, peer(1)) }, "LeaveReq.neighbors");
  assertEncodeFails(
    { ...req, neighbors: [peer(1), { nodeId: id(2, 17), addresses: [] }] },
    "LeaveReq.neighbors[1].nodeId",
  );
  assertEncodeFails(
    {
      ...req,
      neighbors: [{ nodeId: id(2), addresses: times(5, { ip: ipv4(1, 2, 3, 4), port: 1 }) }],
    },
    "LeaveReq.neighbors[0].addresses",
  );
  assertEncodeFails(
    { ...req, neighbors: [{ nodeId: id(2), addresses: [{ ip: new Uint8Array(6), port: 1 }] }] },
    "LeaveReq.neighbors[0].addresses[0].ip",
  );
  assertEncodeFails(
    { ...req, neighbors: [{ nodeId: id(2), addresses: [{ ip: ipv4(1, 2, 3, 4), port: 70000 }] }] },
    "LeaveReq.neighbors[0].addresses[0].port",
  );
});

test.run();
