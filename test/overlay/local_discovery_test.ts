import { test } from "uvu";
import * as assert from "uvu/assert";
import { type ClusterNode, OverlayCluster } from "../../scripts/lib/overlay_cluster.ts";
import { idToBigInt } from "../../src/overlay/ring.ts";

/** Every live node's first successor is the next live node on the ring. */
function brokenLinks(cluster: OverlayCluster): string[] {
  const live = cluster.live().sort((a, b) =>
    idToBigInt(a.key.nodeId) < idToBigInt(b.key.nodeId) ? -1 : 1
  );
  return live.flatMap((n, i) => {
    const expected = live[(i + 1) % live.length]!.node.nodeHex;
    const actual = n.node.table.successors()[0]?.hex;
    return actual === expected ? [] : [`${n.node.nodeHex.slice(0, 6)} -> ${actual?.slice(0, 6)}`];
  });
}

/** Node i hears of node j (as mDNS would tell it) at the given virtual time. */
function discover(cluster: OverlayCluster, at: number, i: ClusterNode, j: ClusterNode): void {
  cluster.scheduler.schedule(at, () => i.node.addDiscoveredPeer(j.key.nodeId, j.address));
}

test("OverlayNode.addDiscoveredPeer(): five peers started alone that find each other form one ring within 10 s", async () => {
  for (const seed of [31, 32, 33]) {
    const cluster = new OverlayCluster({ seed });
    const nodes = [0, 1, 2, 3, 4].map(() => cluster.add());
    await cluster.run(100);
    assert.ok(nodes.every((n) => n.node.joined), "alone by choice: joined rings of one");
    // Discoveries arrive in a random order over 2 s, as probing and announcing would spread them.
    for (const i of nodes) {
      for (const j of nodes) if (i !== j) discover(cluster, cluster.random() * 2_000, i, j);
    }
    await cluster.run(10_000);
    assert.equal(brokenLinks(cluster), [], `one ring (seed ${seed})`);
  }
});

test("OverlayNode.addDiscoveredPeer(): a ring of two merges with a lower peer found later", async () => {
  const cluster = new OverlayCluster({ seed: 34 });
  const nodes = [0, 1, 2].map(() => cluster.add());
  await cluster.run(100);
  const [low, mid, high] = [...nodes].sort((a, b) =>
    idToBigInt(a.key.nodeId) < idToBigInt(b.key.nodeId) ? -1 : 1
  ) as [ClusterNode, ClusterNode, ClusterNode];
  // mid and high find each other first: high joins mid.
  discover(cluster, 0, high, mid);
  discover(cluster, 0, mid, high);
  await cluster.run(3_000);
  assert.is(high.node.table.successors()[0]?.hex, mid.node.nodeHex);
  assert.is(low.node.table.successors().length, 0);
  // Then both hear of the lowest, which stays put: they merge into its ring.
  discover(cluster, 0, mid, low);
  discover(cluster, 0, high, low);
  discover(cluster, 0, low, mid);
  discover(cluster, 0, low, high);
  await cluster.run(10_000);
  assert.equal(brokenLinks(cluster), []);
});

test("OverlayNode.addDiscoveredPeer(): the lowest peer does not join anyone, and itself is ignored", async () => {
  const cluster = new OverlayCluster({ seed: 35 });
  const [a, b] = [cluster.add(), cluster.add()];
  await cluster.run(100);
  const [low, high] = idToBigInt(a.key.nodeId) < idToBigInt(b.key.nodeId) ? [a, b] : [b, a];
  low.node.addDiscoveredPeer(low.key.nodeId, low.address);
  low.node.addDiscoveredPeer(high.key.nodeId, high.address);
  await cluster.run(3_000);
  assert.is(low.node.table.successors().length, 0, "the lowest waits to be joined");
  assert.is(low.node.status().discoveredPeers, 1, "its own id is not kept");
  high.node.addDiscoveredPeer(low.key.nodeId, low.address);
  await cluster.run(5_000);
  assert.equal(brokenLinks(cluster), []);
});

test.run();
