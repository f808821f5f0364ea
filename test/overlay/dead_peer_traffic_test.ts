// What a dead peer costs on the wire: requests to it are retransmitted on one RTO schedule, not
// restarted by each end-to-end retry.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MessageCode } from "../../src/codec/overlay/constants.ts";
import { OverlayCluster } from "../../scripts/lib/overlay_cluster.ts";

test("OverlayMessenger: a request to a dead peer goes out 5 times in all, whatever the end-to-end retries", async () => {
  const cluster = new OverlayCluster({ seed: 3 });
  const a = cluster.add();
  await cluster.run(1_000);
  // A peer that has gone (nothing listens at its address) and is in no routing table.
  const b = { address: { host: "10.99.99.99", port: 6084 }, nodeId: new Uint8Array(16).fill(7) };
  // Datagrams to the dead peer, by content: every copy of one message is the same bytes.
  const sentToB = new Map<string, number>();
  const network = cluster.network;
  const transmit = network.transmit.bind(network);
  network.transmit = (from, bytes, to) => {
    if (to.host === b.address.host && to.port === b.address.port) {
      const key = Array.from(bytes).join(",");
      sentToB.set(key, (sentToB.get(key) ?? 0) + 1);
    }
    transmit(from, bytes, to);
  };
  // A Ping straight to the dead peer's address: retried end to end every 3 s for 15 s.
  const ping = a.node.messenger.request({ type: "node", id: b.nodeId }, {
    code: MessageCode.PingReq,
    padding: new Uint8Array(8).fill(0x5a),
  }, { directTo: b.address });
  const outcome = await cluster.settle(ping, 30_000);
  await cluster.run(30_000);
  assert.not.ok(outcome.ok);
  // RFC 6940 simple reliability: the first transmission and 4 retransmissions (each end-to-end
  // retry used to restart that schedule: about one datagram a second for the whole lifetime).
  assert.is(Math.max(...sentToB.values()), 5, JSON.stringify([...sentToB.values()]));
});

test.run();
