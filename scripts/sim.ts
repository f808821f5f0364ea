// deno-lint-ignore-file no-console -- a command-line tool: stdout is its interface
// The overlay simulator at full size:
// `npx deno task sim [--nodes N] [--only S1,S2] [--seed S] [--lookups L] [--churn-seconds S] [--out DIR]`.
// Prints a table, writes dist/sim/results.csv and dist/sim/overlay.svg (hops histogram and
// lookup success over time under churn). Every run is bounded in virtual time and stops by itself.
import { mkdir, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type Scenario, type SimResult, simulate } from "./lib/overlay_sim.ts";
import { MetricsRegistry } from "../src/core/metrics.ts";
import { renderSimSvg } from "./lib/sim_plot.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string" },
    only: { type: "string" },
    seed: { type: "string" },
    lookups: { type: "string" },
    "churn-seconds": { type: "string" },
    out: { type: "string" },
  },
});
const nodes = Number(values.nodes ?? 1000);
const seed = Number(values.seed ?? 1);
const lookups = Number(values.lookups ?? 500);
const churnMs = 1000 * Number(values["churn-seconds"] ?? 600);

const runs: Array<{ name: string; scenario: Scenario; medianSessionMs?: number }> = [
  { name: "steady", scenario: "steady" },
  { name: "5% loss", scenario: "loss5" },
  { name: "20% fail", scenario: "fail20" },
  { name: "50% fail", scenario: "fail50" },
  { name: "churn 1.4 min", scenario: "churn", medianSessionMs: 84_000 },
  { name: "churn 10 min", scenario: "churn", medianSessionMs: 600_000 },
  { name: "churn 60 min", scenario: "churn", medianSessionMs: 3_600_000 },
];

// SIM_STATS=1: totals across the ring after each scenario (messages by type, drops, and bytes by
// message kind over the measured period: which lookups, forwarded or not, retransmitted or not),
// for diagnosis; it decodes every datagram, so runs take about twice as long. SIM_PATHS=1 prints
// the path of every lookup forwarded 12 times or more (each hop as live peers left before the key,
// its age and its number of fingers).
const stats = Deno.env.get("SIM_STATS") ? new MetricsRegistry() : undefined;
function printStats(registry: MetricsRegistry): void {
  for (const family of registry.collect()) {
    if (family.type !== "counter") continue;
    for (const sample of family.samples) {
      console.error(`  ${family.name}${JSON.stringify(sample.labels)} ${sample.value}`);
    }
  }
}

const results: Array<SimResult & { name: string }> = [];
console.log(
  `overlay simulator: N=${nodes}, seed ${seed}, ${lookups} lookups per scenario, per-hop latency 10-30 ms one way`,
);
console.log(
  "| scenario | lookups ok | routing failures | record missing | mean hops | 0.5 log2 N + 1 | p50 ms | p99 ms | maintenance B/s/node | lost before refresh | lost after refresh | wall s |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const run of runs) {
  const only = values.only?.split(",");
  if (only && !only.some((o) => run.name.startsWith(o) || run.scenario === o)) continue;
  const result = await simulate({
    scenario: run.scenario,
    nodes,
    seed,
    lookups,
    records: 200,
    ...(run.medianSessionMs ? { medianSessionMs: run.medianSessionMs, churnMs } : {}),
    ...(stats ? { metrics: stats, byteStats: true } : {}),
    onProgress: (line) =>
      console.error(`  ${run.name}: ${line} (${(performance.now() / 1000).toFixed(0)} s)`),
  });
  if (stats) {
    printStats(stats);
    console.error(`  failure reasons ${JSON.stringify(result.failureReasons)}`);
    // Bytes by kind over the measured period, per live node per second, largest first.
    const perNodeSecond = result.maintenanceBytesPerNodePerSecond /
      Math.max(1, Object.values(result.bytesByKind ?? {}).reduce((a, v) => a + v.bytes, 0));
    for (
      const [kind, v] of Object.entries(result.bytesByKind ?? {}).sort((a, b) =>
        b[1].bytes - a[1].bytes
      )
    ) {
      console.error(
        `  bytes ${kind}: ${v.bytes} in ${v.datagrams} datagrams (${
          (v.bytes * perNodeSecond).toFixed(1)
        } B/s/node, ${(v.bytes / Math.max(1, v.datagrams)).toFixed(0)} B each)`,
      );
    }
  }
  results.push({ ...result, name: run.name });
  const pct = (n: number) => `${((100 * n) / Math.max(1, result.lookups)).toFixed(1)} %`;
  console.log(
    `| ${run.name} | ${
      pct(result.succeeded)
    } | ${result.failedRouting} | ${result.failedMissing} | ${result.meanHops.toFixed(2)} | ${
      (0.5 * Math.log2(nodes) + 1).toFixed(2)
    } | ${result.p50LatencyMs.toFixed(0)} | ${result.p99LatencyMs.toFixed(0)} | ${
      result.maintenanceBytesPerNodePerSecond.toFixed(0)
    } | ${run.scenario.startsWith("fail") ? `${result.recordsLostBeforeRefresh}/200` : "-"} | ${
      run.scenario.startsWith("fail") ? `${result.recordsLostAfterRefresh}` : "-"
    } | ${result.wallSeconds.toFixed(0)} |`,
  );
}
const dir = values.out
  ? `${values.out.replace(/\/$/, "")}/`
  : new URL("../dist/sim/", import.meta.url).pathname;
await mkdir(dir, { recursive: true });
const csv = [
  "scenario,nodes,lookups,succeeded,failed_routing,failed_missing,mean_hops,p50_ms,p99_ms,maintenance_bytes_per_node_s,lost_before_refresh,lost_after_refresh,wall_s",
];
for (const r of results) {
  csv.push(
    [
      r.name,
      r.nodes,
      r.lookups,
      r.succeeded,
      r.failedRouting,
      r.failedMissing,
      r.meanHops.toFixed(3),
      r.p50LatencyMs,
      r.p99LatencyMs,
      r.maintenanceBytesPerNodePerSecond.toFixed(1),
      r.recordsLostBeforeRefresh,
      r.recordsLostAfterRefresh,
      r.wallSeconds.toFixed(1),
    ].join(","),
  );
}
await writeFile(`${dir}results.csv`, csv.join("\n") + "\n");
await writeFile(`${dir}overlay.svg`, renderSimSvg(results, nodes));
await writeFile(`${dir}results.json`, JSON.stringify(results, null, 1) + "\n");
console.log(`\nwrote ${dir}results.csv and ${dir}overlay.svg`);
