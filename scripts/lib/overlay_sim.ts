// Overlay simulator scenarios: the production OverlayNode code on a MemoryNetwork in virtual time
// (scripts/lib/overlay_cluster.ts). Used by test/sim/ (small N, in npm test) and scripts/sim.ts
// (full size, `npx deno task sim`). Figures are measured, never asserted here.
import { MessageCode } from "../../src/codec/overlay/constants.ts";
import type { StoredData } from "../../src/codec/overlay/messages/stored_data.ts";
import type { MetricsRegistry } from "../../src/core/metrics.ts";
import { idToBigInt } from "../../src/overlay/ring.ts";
import { SIP_REGISTRATION } from "../../src/overlay/storage/kinds.ts";
import { type ClusterNode, OverlayCluster } from "./overlay_cluster.ts";
import { signedRegistration } from "./signed_registration.ts";

export type Scenario = "steady" | "loss5" | "fail20" | "fail50" | "churn";

export interface SimOptions {
  readonly scenario: Scenario;
  readonly nodes: number;
  readonly seed: number;
  /** Lookups measured (each a Fetch of a stored record from a random live node). */
  readonly lookups: number;
  readonly records: number;
  /** Churn: median session time (exponential), ms. */
  readonly medianSessionMs?: number;
  /** Churn: how long to run under churn, ms of virtual time. */
  readonly churnMs?: number;
  /** Per-hop one-way latency range (uniform per link), ms. */
  readonly latencyMs?: [number, number];
  /** Totals across the ring (messages by type, drops), for diagnosis. */
  readonly metrics?: MetricsRegistry;
  /** Count bytes by message type over the measured period (slower: decodes every datagram). */
  readonly byteStats?: boolean;
  /** Progress lines for long runs (the ring's growth). */
  readonly onProgress?: (line: string) => void;
}

export interface SimResult {
  readonly scenario: Scenario;
  readonly nodes: number;
  readonly lookups: number;
  readonly succeeded: number;
  readonly failedRouting: number;
  readonly failedMissing: number;
  readonly meanHops: number;
  readonly hopsHistogram: number[];
  readonly p50LatencyMs: number;
  readonly p99LatencyMs: number;
  readonly maintenanceBytesPerNodePerSecond: number;
  readonly recordsLostBeforeRefresh: number;
  readonly recordsLostAfterRefresh: number;
  /** Fewest live copies any record had just before the mass failure (replication: 3). */
  readonly minCopiesBeforeFailure: number;
  /** [virtual seconds, success rate] per window, for the plot. */
  readonly successOverTime: Array<[number, number]>;
  readonly wallSeconds: number;
  /** Why lookups failed, by reason. */
  readonly failureReasons: Record<string, number>;
  /** With `byteStats`: bytes and datagrams sent by kind over the measured period. */
  readonly bytesByKind?: Record<string, { bytes: number; datagrams: number }>;
}

/**
 * Time between two joins while the ring grows: 10 joins a second up to 1,000 nodes; bigger rings
 * grow in the same 100 s of virtual time (a 10,000-node ring at 10 joins a second would spend most
 * of the run growing, and the growth is not what is measured).
 */
const joinSpacingMs = (nodes: number) => Math.min(100, 100_000 / nodes);

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** Runs one scenario and returns its figures. */
export async function simulate(options: SimOptions): Promise<SimResult> {
  const started = performance.now();
  const hops: number[] = [];
  let countingHops = false;
  const [lo, hi] = options.latencyMs ?? [10, 30];
  const cluster = new OverlayCluster({
    seed: options.seed,
    link: {
      latencyMs: (lo + hi) / 2,
      jitterMs: (hi - lo) / 2,
      loss: options.scenario === "loss5" ? 0.05 : 0,
    },
    nodeInit: {
      stabilizeMaxMs: 20_000,
      stabilizeMinMs: 2_000,
      peerTimeoutMs: 20_000,
      fingerRefreshMs: 10_000,
    },
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.byteStats ? { byteStats: true } : {}),
    onDelivered: (code, h) => {
      if (countingHops && code === MessageCode.FetchReq) hops.push(h);
    },
  });
  // Grow the ring: each node joins through a random live node, 10 joins a second.
  const spacing = joinSpacingMs(options.nodes);
  cluster.add();
  await cluster.run(spacing);
  for (let i = 1; i < options.nodes; i++) {
    const live = cluster.nodes; // nobody has failed yet
    cluster.add([live[Math.floor(cluster.random() * live.length)]!.address]);
    await cluster.run(spacing);
    if (i % 1000 === 0) options.onProgress?.(`${i} nodes added`);
  }
  await cluster.run(60_000); // let stabilisation and finger refresh settle

  // Store records, each written by a random owner (a SIP registration of its own).
  const records = [] as Array<{ owner: ClusterNode; resource: Uint8Array; value: StoredData }>;
  for (let r = 0; r < options.records; r++) {
    const owner = cluster.live()[Math.floor(cluster.random() * cluster.live().length)]!;
    const resource = cluster.randomBytes(16);
    records.push({ owner, resource, value: signed(owner, resource, cluster.clock.now()) });
  }
  await storeAll(cluster, records);
  await cluster.run(10_000);

  // Maintenance traffic: bytes on the wire per live node per second in a quiet minute (no lookups).
  const quietStart = totalBytes(cluster);
  await cluster.run(60_000);
  const quietMaintenance = (totalBytes(cluster) - quietStart) / cluster.live().length / 60;

  let bytesBefore = totalBytes(cluster);
  let windowStart = cluster.clock.monotonic();
  const snapshot = () => new Map([...cluster.byteStats].map(([k, v]) => [k, { ...v }]));
  let kindsBefore = snapshot();
  let recordsLostBeforeRefresh = 0;
  let recordsLostAfterRefresh = 0;
  let minCopiesBeforeFailure = 0;
  const successOverTime: Array<[number, number]> = [];

  if (options.scenario === "fail20" || options.scenario === "fail50") {
    const fraction = options.scenario === "fail20" ? 0.2 : 0.5;
    const victims = shuffle(cluster.live(), cluster.random).slice(
      0,
      Math.floor(cluster.live().length * fraction),
    );
    minCopiesBeforeFailure = Math.min(
      ...records.map((r) => cluster.live().filter((n) => holds(n, r.resource)).length),
    );
    for (const v of victims) cluster.crash(v);
    // Records whose three holders all died are lost until their owners store them again.
    recordsLostBeforeRefresh = records.filter((r) =>
      !cluster.live().some((n) => holds(n, r.resource))
    ).length;
    await cluster.run(45_000); // one stabilisation period (timeout 20 s + a round)
    const owned = records.filter((r) => r.owner.alive);
    await storeAll(
      cluster,
      owned.map((r) => ({ ...r, value: signed(r.owner, r.resource, cluster.clock.now()) })),
    ); // one refresh period
    await cluster.run(10_000);
    recordsLostAfterRefresh = owned.filter((r) =>
      !cluster.live().some((n) => holds(n, r.resource))
    ).length;
    bytesBefore = totalBytes(cluster);
    windowStart = cluster.clock.monotonic();
    kindsBefore = snapshot();
  }

  const latencies: number[] = [];
  const failureReasons: Record<string, number> = {};
  let succeeded = 0;
  let failedRouting = 0;
  let failedMissing = 0;
  let windowOk = 0;
  let windowAll = 0;
  /** Starts one lookup; its outcome is counted when it settles (the fetch's own 15 s bound). */
  const startLookup = (): Promise<void> => {
    const live = cluster.live();
    // Records whose owners are gone (and so never refreshed) are not looked up: their loss is
    // reported separately (recordsLost...), lookups measure routing.
    const candidates = records.filter((r) => r.owner.alive);
    const record = candidates[Math.floor(cluster.random() * candidates.length)]!;
    // From a peer that has joined: one still joining refuses requests (not-joined) at once.
    const joined = live.filter((n) => n.node.joined);
    const from = joined[Math.floor(cluster.random() * joined.length)]!;
    const t0 = cluster.clock.monotonic();
    const count = (ok: boolean) => {
      latencies.push(cluster.clock.monotonic() - t0);
      windowAll++;
      if (ok) windowOk++;
    };
    return from.node.fetch(record.resource, [{
      kind: SIP_REGISTRATION.id,
      generation: 0,
      selector: { model: "dictionary", keys: [] },
    }]).then((kindData) => {
      if ((kindData[0]?.values.length ?? 0) === 0) {
        failedMissing++;
        if (Deno.env.get("SIM_EXPLAIN")) explainMissing(cluster, record.resource);
        count(false);
      } else {
        succeeded++;
        count(true);
      }
    }, (error) => {
      if (!from.alive) return; // the asking peer itself crashed: no lookup to judge
      if (Deno.env.get("SIM_TRACE")) {
        // deno-lint-ignore no-console -- diagnosis on request
        console.error(`FAILED lookup from ${from.address.host}: ${String(error)}`);
      }
      failedRouting++;
      const why = error as { reason?: string; message?: string };
      const reason = why.reason === "error-answer"
        ? `error-answer (${why.message?.split(": ").at(-1)?.slice(0, 40)})`
        : why.reason ?? String(error).slice(0, 40);
      failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
      count(false);
    });
  };

  countingHops = true;
  if (options.scenario === "churn") {
    const median = options.medianSessionMs ?? 84_000;
    const mean = median / Math.LN2;
    const end = cluster.clock.monotonic() + (options.churnMs ?? 600_000);
    let ended = false;
    // Sessions end on the virtual clock whatever the lookups are doing: the node crashes and a
    // fresh one joins through a random live node (N stays constant).
    const scheduleEnd = (n: ClusterNode) =>
      cluster.scheduler.schedule(-mean * Math.log(1 - cluster.random()), () => {
        if (ended || !n.alive) return;
        cluster.crash(n);
        scheduleEnd(cluster.add(bootstrapPeers(cluster)));
      });
    for (const n of cluster.live()) scheduleEnd(n);
    // Owners refresh their registrations every 60 s (the SIP service refreshes toward the
    // overlay more often than phones re-register); a record whose owner died is taken over by
    // another peer (its phone registers again elsewhere).
    const refresh = () => {
      if (ended) return;
      for (const [i, r] of records.entries()) {
        const joined = cluster.live().filter((n) => n.node.joined);
        const owner = r.owner.alive
          ? r.owner
          : joined[Math.floor(cluster.random() * joined.length)]!;
        records[i] = { ...r, owner, value: signed(owner, r.resource, cluster.clock.now()) };
      }
      void Promise.all(sendStores(records));
      cluster.scheduler.schedule(60_000, refresh);
    };
    cluster.scheduler.schedule(60_000, refresh);
    // Lookups start at a steady rate and run concurrently, as applications' would.
    const perLookupMs = Math.max(50, (options.churnMs ?? 600_000) / options.lookups);
    const inFlight: Promise<void>[] = [];
    let nextWindow = cluster.clock.monotonic() + 30_000;
    while (cluster.clock.monotonic() < end) {
      inFlight.push(startLookup());
      await cluster.run(perLookupMs);
      if (cluster.clock.monotonic() >= nextWindow) {
        successOverTime.push([
          Math.round(cluster.clock.monotonic() / 1000),
          windowAll ? windowOk / windowAll : 1,
        ]);
        windowOk = windowAll = 0;
        nextWindow += 30_000;
      }
    }
    await cluster.settle(Promise.all(inFlight), 20_000);
    ended = true;
  } else {
    // Ten lookups a second, concurrently (no queueing in the simulated network, so each one's
    // path and latency are what they would be alone).
    const inFlight: Promise<void>[] = [];
    for (let l = 0; l < options.lookups; l++) {
      inFlight.push(startLookup());
      await cluster.run(100);
      if (l % 50 === 49) {
        successOverTime.push([
          Math.round(cluster.clock.monotonic() / 1000),
          windowAll ? windowOk / windowAll : 1,
        ]);
      }
    }
    await cluster.settle(Promise.all(inFlight), 20_000);
  }
  countingHops = false;
  const seconds = (cluster.clock.monotonic() - windowStart) / 1000;
  // Under churn the figure is the whole traffic of the churn period (joins, repairs, refreshes and
  // the few lookups) per node; otherwise the quiet minute's.
  const maintenance = options.scenario === "churn"
    ? (totalBytes(cluster) - bytesBefore) / Math.max(1, cluster.live().length) /
      Math.max(1, seconds)
    : quietMaintenance;
  const bytesByKind: Record<string, { bytes: number; datagrams: number }> = {};
  for (const [kind, v] of cluster.byteStats) {
    const b = kindsBefore.get(kind) ?? { bytes: 0, datagrams: 0 };
    bytesByKind[kind] = { bytes: v.bytes - b.bytes, datagrams: v.datagrams - b.datagrams };
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const histogram: number[] = [];
  for (const h of hops) histogram[h] = (histogram[h] ?? 0) + 1;
  for (let i = 0; i < histogram.length; i++) histogram[i] ??= 0;
  return {
    scenario: options.scenario,
    nodes: options.nodes,
    lookups: latencies.length,
    succeeded,
    failedRouting,
    failedMissing,
    meanHops: hops.length ? hops.reduce((a, b) => a + b, 0) / hops.length : 0,
    hopsHistogram: histogram,
    p50LatencyMs: percentile(sorted, 0.5),
    p99LatencyMs: percentile(sorted, 0.99),
    maintenanceBytesPerNodePerSecond: maintenance,
    recordsLostBeforeRefresh,
    recordsLostAfterRefresh,
    minCopiesBeforeFailure,
    successOverTime,
    wallSeconds: (performance.now() - started) / 1000,
    failureReasons,
    ...(options.byteStats ? { bytesByKind } : {}),
  };
}

/** Three random live peers that have joined: what a cached peer list or mDNS would offer. */
function bootstrapPeers(cluster: OverlayCluster) {
  const joined = cluster.live().filter((n) => n.node.joined);
  return shuffle(joined, cluster.random).slice(0, 3).map((n) => n.address);
}

function signed(owner: ClusterNode, resource: Uint8Array, now: number): StoredData {
  return signedRegistration(owner.key, resource, "<sip:user@10.0.0.1>", now);
}

async function storeAll(
  cluster: OverlayCluster,
  records: Array<{ owner: ClusterNode; resource: Uint8Array; value: StoredData }>,
): Promise<void> {
  await cluster.settle(Promise.all(sendStores(records)), 30_000);
}

/** Each live owner stores its record; failures are ignored (the next refresh tries again). */
function sendStores(
  records: Array<{ owner: ClusterNode; resource: Uint8Array; value: StoredData }>,
): Promise<unknown>[] {
  return records.filter((r) => r.owner.alive).map((r) =>
    r.owner.node.store(r.resource, [{
      kind: SIP_REGISTRATION.id,
      generation: 0,
      values: [r.value],
    }]).catch(() => undefined)
  );
}

function holds(node: ClusterNode, resource: Uint8Array): boolean {
  const key = idToBigInt(resource);
  return node.store.entries((r) => idToBigInt(r) === key).length > 0;
}

function totalBytes(cluster: OverlayCluster): number {
  return cluster.network.stats.bytes;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** SIM_EXPLAIN=1: why a lookup found no value (who should answer, who holds copies). */
function explainMissing(cluster: OverlayCluster, resource: Uint8Array): void {
  const key = idToBigInt(resource);
  const live = cluster.live().map((n) => ({ n, id: idToBigInt(n.key.nodeId) }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const owner = live.find((x) => x.id >= key) ?? live[0]!;
  const holders = live.filter((x) => holds(x.n, resource));
  const ownerPred = owner.n.node.table.predecessors()[0];
  const short = (h: string | undefined) => h?.slice(0, 6) ?? "-";
  const claimants = live.filter((x) => x.n.node.joined && x.n.node.table.isResponsible(key)).map(
    (x) => {
      const i = live.indexOf(x);
      const truePred = live[(i - 1 + live.length) % live.length]!.n;
      let attached = true;
      try {
        cluster.network.attach(x.n.address).close();
        attached = false;
      } catch {
        // EADDRINUSE: its transport is there.
      }
      return `${
        short(x.n.node.nodeHex)
      }(attached=${attached},pending=${x.n.node.messenger.pendingRequests},holds=${
        holds(x.n, resource)
      },age=${Math.round((cluster.clock.monotonic() - x.n.joinedAt) / 1000)},preds=${
        x.n.node.table.predecessors().map((p) => short(p.hex)).join("/")
      },succs=${x.n.node.table.successors().map((p) => short(p.hex)).join("/")},truePred=${
        short(truePred.node.nodeHex)
      }(joined=${truePred.node.joined},age=${
        Math.round((cluster.clock.monotonic() - truePred.joinedAt) / 1000)
      }) whose succs=${truePred.node.table.successors().map((p) => short(p.hex)).join("/")})`;
    },
  );
  // deno-lint-ignore no-console -- diagnosis on request
  console.error(
    `missing at t=${Math.round(cluster.clock.monotonic() / 1000)}s: owner ${
      owner.n.node.nodeHex.slice(0, 6)
    } holds=${holds(owner.n, resource)} ownerPredOk=${
      ownerPred !== undefined &&
      ownerPred.hex === live[(live.indexOf(owner) - 1 + live.length) % live.length]!.n.node.nodeHex
    } live holders=${holders.length} owner age ${
      Math.round((cluster.clock.monotonic() - (owner.n.joinedAt ?? 0)) / 1000)
    }s claimants ${claimants.join(" ")} truePred ${
      live[(live.indexOf(owner) - 1 + live.length) % live.length]!.n.node.nodeHex.slice(0, 6)
    }`,
  );
}
