// OverlayRegistrations against real OverlayNodes in a simulated ring (virtual time): a peer's
// SIP-REGISTRATION entries are resolved by another, refreshed while the binding lasts, gone after
// it lapses, removed on withdraw and on stop.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import { bytesToHex } from "../../src/core/hex.ts";
import { OverlayRegistrations } from "../../src/sip/overlay_registrations.ts";
import { type ClusterNode, OverlayCluster } from "../../scripts/lib/overlay_cluster.ts";

const AOR = "sip:alice@mesh.example";

async function ring(size: number, seed: number): Promise<OverlayCluster> {
  const cluster = new OverlayCluster({ seed });
  const first = cluster.add();
  await cluster.run(100);
  for (let i = 1; i < size; i++) {
    cluster.add([first.address]);
    await cluster.run(300);
  }
  await cluster.run(60_000);
  return cluster;
}

function registrations(
  cluster: OverlayCluster,
  peer: ClusterNode,
  metrics = new MetricsRegistry(),
) {
  return new OverlayRegistrations({ refreshSeconds: 30 }, {
    overlay: () => peer.node,
    key: peer.key,
    clock: cluster.clock,
    scheduler: cluster.scheduler,
    logger: silentLogger(),
    metrics,
    random: cluster.random,
  });
}

async function resolved(cluster: OverlayCluster, reader: OverlayRegistrations, aor = AOR) {
  const result = await cluster.settle(reader.resolve(aor));
  if (!result.ok) throw new Error(`resolve failed: ${String(result.error)}`);
  return result.value.map((r) => [r.nodeId, r.uri]);
}

test("OverlayRegistrations publishes an AOR that another peer resolves, refreshed until it lapses", async () => {
  const cluster = await ring(6, 21);
  const serving = cluster.nodes[2]!;
  const metrics = new MetricsRegistry();
  const publisher = registrations(cluster, serving, metrics);
  const reader = registrations(cluster, cluster.nodes[4]!);
  publisher.start();
  publisher.publish(AOR, "sip:alice@10.0.0.3:5060", cluster.clock.now() + 120_000);
  await cluster.run(3_000);
  const id = bytesToHex(serving.key.nodeId);
  assert.equal(await resolved(cluster, reader), [[id, "sip:alice@10.0.0.3:5060"]]);
  // the publisher does not see its own entry
  assert.equal(await resolved(cluster, publisher), []);
  // refreshed every ~30 s while the binding lasts
  await cluster.run(100_000);
  assert.ok((metrics.value("superpeer_sip_overlay_stores_total") ?? 0) >= 3, "refreshed");
  assert.equal(await resolved(cluster, reader), [[id, "sip:alice@10.0.0.3:5060"]]);
  // each store carries the remaining lifetime: after the binding lapses nobody finds it
  await cluster.run(30_000);
  assert.equal(await resolved(cluster, reader), []);
  assert.is(publisher.size, 0);
  await cluster.settle(publisher.stop());
});

test("OverlayRegistrations resolves entries of two peers, withdraw() removes one, stop() the rest", async () => {
  const cluster = await ring(5, 22);
  const a = registrations(cluster, cluster.nodes[1]!);
  const b = registrations(cluster, cluster.nodes[3]!);
  const reader = registrations(cluster, cluster.nodes[0]!);
  a.start();
  b.start();
  const until = cluster.clock.now() + 3_600_000;
  a.publish(AOR, "sip:alice@10.0.0.2:5060", until);
  b.publish(AOR, "sip:alice@10.0.0.4:5060;transport=tcp", until);
  await cluster.run(3_000);
  const both = (await resolved(cluster, reader)).map(([, uri]) => uri).sort();
  assert.equal(both, ["sip:alice@10.0.0.2:5060", "sip:alice@10.0.0.4:5060;transport=tcp"]);
  a.withdraw(AOR);
  await cluster.run(3_000);
  assert.equal((await resolved(cluster, reader)).map(([, uri]) => uri), [
    "sip:alice@10.0.0.4:5060;transport=tcp",
  ]);
  assert.ok((await cluster.settle(b.stop())).ok);
  await cluster.run(2_000);
  assert.equal(await resolved(cluster, reader), []);
  await cluster.settle(a.stop());
});

test("OverlayRegistrations waits for the overlay to join and bounds the published AORs", async () => {
  const cluster = await ring(3, 23);
  const peer = cluster.nodes[1]!;
  let joined = false;
  const metrics = new MetricsRegistry();
  const publisher = new OverlayRegistrations({ refreshSeconds: 30, maxAors: 2 }, {
    overlay: () => ({
      get joined() {
        return joined;
      },
      store: (...args) => peer.node.store(...args),
      fetch: (...args) => peer.node.fetch(...args),
      remove: (...args) => peer.node.remove(...args),
    }),
    key: peer.key,
    clock: cluster.clock,
    scheduler: cluster.scheduler,
    logger: silentLogger(),
    metrics,
    random: cluster.random,
  });
  publisher.start();
  const until = cluster.clock.now() + 600_000;
  for (const user of ["a", "b", "c"]) {
    publisher.publish(`sip:${user}@m`, `sip:${user}@10.0.0.2`, until);
  }
  assert.is(publisher.size, 2);
  assert.is(metrics.value("superpeer_sip_overlay_unpublished_total"), 1);
  await cluster.run(10_000);
  assert.is(metrics.value("superpeer_sip_overlay_stores_total") ?? 0, 0, "nothing before joining");
  joined = true;
  await cluster.run(3_000);
  assert.is(metrics.value("superpeer_sip_overlay_stores_total"), 2);
  await cluster.settle(publisher.stop());
});

test.run();
