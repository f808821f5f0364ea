// RelayAdvertiser against real OverlayNodes in a simulated ring (virtual time): the relay's
// TURN-SERVICE values are found by another peer, refreshed before they expire, retried while the
// overlay has not joined, and withdrawn on stop.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeTurnServiceValue } from "../../src/codec/overlay/turn_service_value.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import {
  type AdvertisedAddress,
  type OverlayPublisher,
  RelayAdvertiser,
} from "../../src/daemon/relay_advertiser.ts";
import { nodeMultipleResourceId } from "../../src/overlay/storage/access_control.ts";
import { TURN_SERVICE } from "../../src/overlay/storage/kinds.ts";
import { type ClusterNode, OverlayCluster } from "../../scripts/lib/overlay_cluster.ts";

const ADDRESSES: AdvertisedAddress[] = [
  { transport: 1, address: { host: "10.0.0.3", port: 3478 } },
  { transport: 2, address: { host: "10.0.0.3", port: 3478 } },
];

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

function advertiser(
  cluster: OverlayCluster,
  relay: ClusterNode,
  overlay: () => OverlayPublisher | undefined = () => relay.node,
  metrics = new MetricsRegistry(),
) {
  return new RelayAdvertiser({ lifetimeSeconds: 60 }, {
    overlay,
    addresses: () => ADDRESSES,
    key: relay.key,
    clock: cluster.clock,
    scheduler: cluster.scheduler,
    logger: silentLogger(),
    metrics,
    random: cluster.random,
  });
}

/** How many of the relay's 8 slots another peer can fetch a live value from. */
async function liveSlots(cluster: OverlayCluster, relay: ClusterNode, reader: ClusterNode) {
  let live = 0;
  for (let d = 0; d < 8; d++) {
    const fetched = await cluster.settle(
      reader.node.fetch(nodeMultipleResourceId(relay.key.nodeId, d), [{
        kind: TURN_SERVICE.id,
        generation: 0,
        selector: { model: "single" },
      }]),
    );
    if (!fetched.ok) continue;
    const value = fetched.value[0]?.values[0]?.value;
    if (value?.exists) {
      assert.is(decodeTurnServiceValue(value.data).iteration, d);
      live++;
    }
  }
  return live;
}

test("RelayAdvertiser stores the relay at all 8 TURN-SERVICE slots and another peer finds its addresses", async () => {
  const cluster = await ring(6, 11);
  const relay = cluster.nodes[2]!;
  const metrics = new MetricsRegistry();
  const service = advertiser(cluster, relay, undefined, metrics);
  await service.start({ signal: new AbortController().signal });
  await cluster.run(5_000);
  assert.is(metrics.value("superpeer_relay_advertisements_total"), 8);
  assert.is(await liveSlots(cluster, relay, cluster.nodes[4]!), 8);
  const found = await cluster.settle(
    cluster.nodes[4]!.node.find(TURN_SERVICE.id, { attempts: 12 }),
  );
  if (!found.ok || found.value === undefined) throw new Error("find() returned no relay");
  const decoded = decodeTurnServiceValue(found.value.values[0]!.value.data);
  assert.equal(decoded.addresses.map((a) => [a.transport, a.address.port]), [[1, 3478], [2, 3478]]);
  assert.equal([...decoded.addresses[0]!.address.ip], [10, 0, 0, 3]);

  // Refreshed at about half the 60 s lifetime: still there after three lifetimes.
  await cluster.run(180_000);
  assert.ok((metrics.value("superpeer_relay_advertisements_total") ?? 0) >= 8 * 6, "refreshed");
  assert.is(await liveSlots(cluster, relay, cluster.nodes[4]!), 8);

  // stop() withdraws every slot.
  const stopped = await cluster.settle(service.stop());
  assert.ok(stopped.ok);
  await cluster.run(2_000);
  assert.is(await liveSlots(cluster, relay, cluster.nodes[4]!), 0);
});

test("RelayAdvertiser waits for the overlay to join, then advertises", async () => {
  const cluster = await ring(4, 12);
  const relay = cluster.nodes[1]!;
  let joined = false;
  const gate: OverlayPublisher = {
    get joined() {
      return joined;
    },
    store: (...args) => relay.node.store(...args),
    remove: (...args) => relay.node.remove(...args),
  };
  const metrics = new MetricsRegistry();
  const service = advertiser(cluster, relay, () => gate, metrics);
  await service.start({ signal: new AbortController().signal });
  await cluster.run(20_000);
  assert.is(
    metrics.value("superpeer_relay_advertisements_total") ?? 0,
    0,
    "nothing before joining",
  );
  joined = true;
  await cluster.run(10_000);
  assert.is(metrics.value("superpeer_relay_advertisements_total"), 8);
  await cluster.settle(service.stop());
});

test("RelayAdvertiser counts failed rounds and retries with backoff", async () => {
  const cluster = new OverlayCluster({ seed: 13 });
  const lone = cluster.add();
  let attempts = 0;
  const failing: OverlayPublisher = {
    joined: true,
    store: () => {
      attempts++;
      return Promise.reject(new Error("no route"));
    },
    remove: () => Promise.resolve(),
  };
  const metrics = new MetricsRegistry();
  const service = advertiser(cluster, lone, () => failing, metrics);
  await service.start({ signal: new AbortController().signal });
  await cluster.run(5 * 60_000);
  const rounds = metrics.value("superpeer_relay_advertise_failures_total") ?? 0;
  // Backoff 5, 10, 20, 40, 60, 60 ... s (+-25 %): about 8 rounds in 5 minutes, not 60.
  assert.ok(rounds >= 5 && rounds <= 12, `${rounds} failed rounds`);
  assert.is(attempts, rounds * 8);
  assert.is(service.status().lastError, "no route");
  await service.stop();
});

test("RelayAdvertiser refuses more slots than TURN-SERVICE allows", () => {
  const cluster = new OverlayCluster({ seed: 14 });
  const node = cluster.add();
  assert.throws(
    () =>
      new RelayAdvertiser({ slots: 9 }, {
        overlay: () => node.node,
        addresses: () => ADDRESSES,
        key: node.key,
        clock: cluster.clock,
        logger: silentLogger(),
        metrics: new MetricsRegistry(),
      }),
    /TURN-SERVICE allows 8/,
  );
});

test.run();
