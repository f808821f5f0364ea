import { test } from "uvu";
import { MessageCode } from "../../../../src/codec/overlay/constants.ts";
import type {
  RouteQueryAns,
  RouteQueryReq,
} from "../../../../src/codec/overlay/messages/route_query.ts";
import {
  assertDecodeFails,
  assertEncodeFails,
  assertWire,
  id,
  ipv4,
  roundTrip,
} from "./message_test_helpers.ts";

const req: RouteQueryReq = {
  code: MessageCode.RouteQueryReq,
  sendUpdate: true,
  destination: { type: "resource", id: id(0x22) },
  overlayData: new Uint8Array([1, 2]),
};
const ans: RouteQueryAns = {
  code: MessageCode.RouteQueryAns,
  nextPeer: { nodeId: id(5), addresses: [{ ip: ipv4(10, 1, 2, 3), port: 6084 }] },
};

test("routeQueryReqCodec round-trips every kind of destination and the answer", () => {
  roundTrip(req);
  roundTrip({ ...req, sendUpdate: false, destination: { type: "node", id: id(1) } });
  roundTrip({ ...req, destination: { type: "opaque", id: 0x8001 } });
  roundTrip(ans);
});

test("routeQueryReqCodec writes [21, true, [2, rid], h''] byte for byte", () => {
  // 84 (array 4), 15 (21), f5 (true), 82 02 50 + 16 x 22, 40
  assertWire({ ...req, overlayData: new Uint8Array(0) }, `8415f5820250${"22".repeat(16)}40`);
});

test("routeQueryAnsCodec writes [22, [id, []]] byte for byte", () => {
  assertWire(
    { code: MessageCode.RouteQueryAns, nextPeer: { nodeId: id(5), addresses: [] } },
    `82168250${"05".repeat(16)}80`,
  );
});

test("routeQueryReqCodec decode refuses bad fields at their place", () => {
  assertDecodeFails([21, true, id(1)], "RouteQueryReq");
  assertDecodeFails([21, 1, id(1), new Uint8Array(0)], "RouteQueryReq.sendUpdate");
  assertDecodeFails([21, true, id(1, 15), new Uint8Array(0)], "RouteQueryReq.destination");
  assertDecodeFails([21, true, [3, id(1)], new Uint8Array(0)], "RouteQueryReq.destination[0]");
  assertDecodeFails([21, true, id(1), new Uint8Array(1025)], "RouteQueryReq.overlayData");
  assertDecodeFails([22, [id(1, 15), []]], "RouteQueryAns.nextPeer.nodeId");
  assertDecodeFails([22, [id(1), []], 1], "RouteQueryAns");
});

test("routeQueryReqCodec encode refuses bad fields naming their place", () => {
  assertEncodeFails({ ...req, sendUpdate: 1 }, "RouteQueryReq.sendUpdate");
  assertEncodeFails(
    { ...req, destination: { type: "node", id: id(1, 15) } },
    "RouteQueryReq.destination.id",
  );
  assertEncodeFails(
    { ...req, destination: { type: "opaque", id: 0x10000 } },
    "RouteQueryReq.destination.id",
  );
  assertEncodeFails({ ...req, overlayData: new Uint8Array(1025) }, "RouteQueryReq.overlayData");
  assertEncodeFails({
    ...ans,
    nextPeer: { nodeId: id(1), addresses: [{ ip: ipv4(1, 2, 3, 4), port: 1.5 }] },
  }, "RouteQueryAns.nextPeer.addresses[0].port");
});

test.run();
