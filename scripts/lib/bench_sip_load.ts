// `deno task bench --only sip-load [--quick]`: SIPp load against superpeer's SIP service (Deno from
// source, the bundle on Node) and, when scripts/setup-bench installed it, Kamailio 5.6 with a
// minimal registrar/proxy config (4 UDP workers like the reference figure of issue #6, and 1).
// Prints figures; asserts nothing.
//
// Per server and scenario (REGISTER without auth, REGISTER with Digest, calls INVITE/180/200/ACK/
// BYE with SIPp UAC and UAS registered at the same server), on a fresh server each time:
// 1. probe: REGISTERs one at a time from a Deno UDP socket, timed in microseconds (SIPp times in
//    whole milliseconds) on the idle server;
// 2. search: SIPp at doubling rates for a few seconds each, back to back, until the first failed
//    call (or SIPp falls behind the rate, or the ceiling), then one step between the last good and
//    the first bad rate;
// 3. hold: a fresh server, the best rate held longer than Timer J (32 s), so that every finished
//    UDP transaction the server keeps is still there at the end: a rate the server only bursts
//    (its transaction table fills) fails here. A failed hold is retried lower (nextHoldRate), a
//    few times. The hold gives the "sustained" figure, SIPp's response times and memory after.
// Every step is bounded in calls and time and stops at the first failed call; only 127.0.0.1.
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BenchUser,
  DOMAIN,
  freeUdpPort,
  kamailioInstalled,
  kamailioVariant,
  killAllSip,
  type RunningSip,
  type SipVariant,
  superpeerVariant,
  writeSuperpeerUsers,
} from "./bench_sip_load_servers.ts";
import {
  killAllSipp,
  loadAverage,
  probeRegister,
  quantile,
  runOnce,
  runStep,
  SIPP,
  startUas,
  type StepResult,
} from "./bench_sip_load_sipp.ts";
import { nodeBundle } from "./bench_children.ts";

/** How much the SIP load bench runs. */
export interface SipLoadBenchOptions {
  /** A smoke run in well under a minute per server: two short steps, a short hold. */
  readonly quick: boolean;
  /**
   * The command line: `--sip-servers a,b` picks servers (deno-default, deno-large, node-default,
   * node-large, kamailio-4, kamailio-1); `--sip-scenarios a,b` picks scenarios (register-none,
   * register-digest, calls); `--sip-max-transactions N` is the large cap.
   */
  readonly args: readonly string[];
  /** Where lines go. @default console.log */
  readonly print?: (line: string) => void;
}

interface Plan {
  readonly stepS: number;
  readonly holdS: number;
  readonly registerRates: readonly number[];
  readonly callRates: readonly number[];
  readonly bisect: boolean;
  readonly holds: number;
  readonly probeCount: number;
  readonly probeWarmup: number;
  readonly users: number;
  readonly servers: readonly string[];
}

const doubling = (from: number, to: number) => {
  const out: number[] = [];
  for (let r = from; r <= to; r *= 2) out.push(r);
  return out;
};

const FULL: Plan = {
  stepS: 3,
  // Timer J (64 x T1 = 32 s) plus margin: finished transactions stop leaving only after 32 s.
  holdS: 36,
  registerRates: doubling(25, 12_800),
  callRates: doubling(25, 3_200),
  bisect: true,
  holds: 4,
  probeCount: 300,
  probeWarmup: 30,
  users: 1000,
  servers: ["deno-default", "deno-large", "node-large", "kamailio-4", "kamailio-1"],
};

const QUICK: Plan = {
  stepS: 1,
  holdS: 2,
  registerRates: [50, 200],
  callRates: [20, 80],
  bisect: false,
  holds: 1,
  probeCount: 30,
  probeWarmup: 5,
  users: 50,
  servers: ["deno-default", "kamailio-4"],
};

/** The transaction cap of the "large" superpeer variants unless --sip-max-transactions says. */
const DEFAULT_LARGE_CAP = 200_000;
/** A step "keeps up" when SIPp completed at least this share of the asked rate. */
const KEEP_UP = 0.8;

type ScenarioKind = "register-none" | "register-digest" | "calls";

interface Scenario {
  readonly kind: ScenarioKind;
  readonly label: string;
  readonly auth: "none" | "digest";
  readonly file: string;
  /** SIPp response-time number reported (1 = REGISTER/INVITE to its final answer). */
  readonly rtd: number;
  readonly rtdLabel: string;
}

const SCENARIOS: readonly Scenario[] = [
  {
    kind: "register-none",
    label: "REGISTER, no auth",
    auth: "none",
    file: "register_noauth.xml",
    rtd: 1,
    rtdLabel: "REGISTER->200",
  },
  {
    kind: "register-digest",
    label: "REGISTER, digest",
    auth: "digest",
    file: "register_digest.xml",
    rtd: 2,
    rtdLabel: "auth REGISTER->200",
  },
  {
    kind: "calls",
    label: "calls",
    auth: "none",
    file: "uac.xml",
    rtd: 1,
    rtdLabel: "INVITE->200",
  },
];

interface Outcome {
  readonly server: string;
  readonly scenario: Scenario;
  readonly probe:
    | { p50Us: number | undefined; p99Us: number | undefined; failures: number; count: number }
    | undefined;
  readonly searchBest: StepResult | undefined;
  readonly searchFirstBad: StepResult | undefined;
  readonly hold: StepResult | undefined;
  readonly holdTries: readonly StepResult[];
  readonly memStartMb: number | undefined;
  readonly memAfterMb: number | undefined;
  readonly holdCpuPct: number | undefined;
  readonly serverTransactions: number | undefined;
  readonly error: string | undefined;
}

/** Runs the SIP load bench and prints its tables. */
export async function benchSipLoad(options: SipLoadBenchOptions): Promise<void> {
  // deno-lint-ignore no-console -- a command-line tool: stdout is its interface
  const print = options.print ?? ((line: string) => console.log(line));
  const plan = options.quick ? QUICK : FULL;
  if (!existsSync(SIPP)) {
    print(`\nSIP load bench skipped: ${SIPP} missing (scripts/setup-bench installs sip-tester)`);
    return;
  }
  const arg = (name: string) => {
    const i = options.args.indexOf(name);
    return i >= 0 ? options.args[i + 1] : undefined;
  };
  const largeCap = Number(arg("--sip-max-transactions") ?? DEFAULT_LARGE_CAP);
  if (!Number.isInteger(largeCap) || largeCap < 16 || largeCap > 1_000_000) {
    throw new RangeError(`Cannot run the SIP load bench: --sip-max-transactions ${largeCap}`);
  }
  const wanted = arg("--sip-servers")?.split(",") ?? plan.servers;
  const scenarioNames = arg("--sip-scenarios")?.split(",");
  const scenarios = scenarioNames === undefined
    ? SCENARIOS
    : SCENARIOS.filter((s) => scenarioNames.includes(s.kind));
  if (scenarios.length === 0) {
    throw new RangeError(
      `Cannot run the SIP load bench: --sip-scenarios ${scenarioNames} names none of ${
        SCENARIOS.map((s) => s.kind).join(", ")
      }`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), "superpeer-bench-sip-load-"));
  const users: BenchUser[] = Array.from(
    { length: plan.users },
    (_, i) => ({ user: `user${i}`, password: `secret-${i}` }),
  );
  const special: BenchUser[] = [
    { user: "callee", password: "callee-secret" },
    { user: "caller", password: "caller-secret" },
    { user: "probe", password: "probe-secret" },
  ];
  const usersFile = join(dir, "sip_users");
  await writeSuperpeerUsers(usersFile, [...users, ...special]);
  const csv = {
    none: join(dir, "users_noauth.csv"),
    digest: join(dir, "users_digest.csv"),
  };
  await writeFile(
    csv.none,
    "SEQUENTIAL\n" + users.map((u) => `${u.user};${DOMAIN}`).join("\n") + "\n",
  );
  await writeFile(
    csv.digest,
    "SEQUENTIAL\n" +
      users.map((u) =>
        `${u.user};[authentication username=${u.user} password=${u.password}];${DOMAIN}`
      ).join("\n") + "\n",
  );
  for (const who of ["callee", "caller"]) {
    await writeFile(join(dir, `${who}.csv`), `SEQUENTIAL\n${who};${DOMAIN}\n`);
  }

  const needsNode = wanted.some((w) => w.startsWith("node"));
  const bundle = needsNode
    ? await nodeBundle("bench-sip-load", print, "superpeer runs on Deno only")
    : undefined;
  const variants: SipVariant[] = [];
  const skipped: string[] = [];
  for (const w of wanted) {
    const [runtime, cap] = w.split("-");
    if (runtime === "deno" || runtime === "node") {
      if (runtime === "node" && bundle === undefined) {
        skipped.push(`${w} (no node)`);
        continue;
      }
      variants.push(
        superpeerVariant(runtime, bundle, usersFile, cap === "large" ? largeCap : undefined),
      );
    } else if (runtime === "kamailio") {
      if (!kamailioInstalled()) {
        skipped.push(`${w} (kamailio not installed: scripts/setup-bench)`);
        continue;
      }
      variants.push(kamailioVariant(Number(cap ?? 4), [...users, ...special]));
    } else {
      throw new RangeError(`Cannot run the SIP load bench: unknown server ${w}`);
    }
  }

  const started = performance.now();
  const interrupted = () => {
    killAllSipp();
    killAllSip();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", interrupted);
  Deno.addSignalListener("SIGTERM", interrupted);
  const outcomes: Outcome[] = [];
  try {
    print(
      "\nSIP load: SIPp (UDP, 127.0.0.1) against each server; same scenarios " +
        "(scripts/bench-sipp/), users, domain and realm",
    );
    print(`  servers: ${variants.map((v) => v.name).join("; ")}`);
    if (skipped.length > 0) print(`  skipped: ${skipped.join("; ")}`);
    for (const v of variants) print(`  ${v.name}: ${v.describe}`);
    print(
      `  plan: search ${plan.stepS} s steps at ${plan.registerRates.join("/")} REGISTER/s and ` +
        `${plan.callRates.join("/")} calls/s${plan.bisect ? " + one step between" : ""}, ` +
        `stop at the first failed call or when SIPp gets below ${KEEP_UP * 100} % of the rate; ` +
        `hold the best for ${plan.holdS} s on a fresh server (up to ${plan.holds} tries, lower ` +
        `each time); ` +
        `probe ${plan.probeCount} REGISTERs one at a time; ${plan.users} users`,
    );
    print(
      `  load average at start ${
        loadAverage().toFixed(2)
      } on ${navigator.hardwareConcurrency} cores ` +
        "(a shared machine: SIPp, the server and anything else running compete for the cores)",
    );
    for (const variant of variants) {
      for (const scenario of scenarios) {
        outcomes.push(await runScenario(variant, scenario));
      }
    }
  } finally {
    Deno.removeSignalListener("SIGINT", interrupted);
    Deno.removeSignalListener("SIGTERM", interrupted);
    killAllSipp();
    killAllSip();
    await rm(dir, { recursive: true, force: true });
  }
  printResults(print, plan, outcomes);
  print(`\nSIP load bench took ${((performance.now() - started) / 1000).toFixed(0)} s`);

  async function runScenario(variant: SipVariant, scenario: Scenario): Promise<Outcome> {
    const tag = `  [${variant.name} | ${scenario.label}]`;
    let server: RunningSip | undefined;
    let uacPort = 0;
    let uasPort = 0;
    const fresh = async () => {
      await server?.stop();
      server = undefined;
      server = await variant.start(scenario.auth);
      if (scenario.kind === "calls") {
        uasPort = await freeUdpPort();
        uacPort = await freeUdpPort();
        for (const [who, port] of [["callee", uasPort], ["caller", uacPort]] as const) {
          const result = await runOnce(server.port, "register_noauth.xml", port, [
            "-inf",
            join(dir, `${who}.csv`),
          ]);
          if (!result.ok) throw new Error(`${who} did not register: ${result.output}`);
        }
      }
      return server;
    };
    const step = async (rate: number, seconds: number): Promise<StepResult> => {
      const s = server!;
      let result: StepResult;
      if (scenario.kind === "calls") {
        const calls = Math.max(1, Math.round(rate * seconds));
        const uas = startUas(s.port, uasPort, calls, seconds);
        await new Promise((r) => setTimeout(r, 300));
        try {
          result = await runStep({
            port: s.port,
            scenario: scenario.file,
            rate,
            seconds,
            localPort: uacPort,
            extra: [
              "-key",
              "caller",
              "caller",
              "-key",
              "callee",
              "callee",
              "-key",
              "domain",
              DOMAIN,
            ],
          });
          const uasEnd = await Promise.race([
            uas.status,
            new Promise<undefined>((r) => setTimeout(() => r(undefined), 3_000)),
          ]);
          if (uasEnd === undefined || uasEnd.code !== 0) {
            result = {
              ...result,
              note: `${result.note} UAS ${
                uasEnd === undefined ? "still waiting" : `exit ${uasEnd.code}`
              }`.trim(),
            };
          }
        } finally {
          try {
            uas.kill("SIGKILL");
          } catch {
            // ended
          }
          await uas.status;
        }
      } else {
        result = await runStep({
          port: s.port,
          scenario: scenario.file,
          rate,
          seconds,
          localPort: await freeUdpPort(),
          extra: ["-inf", scenario.auth === "digest" ? csv.digest : csv.none],
        });
      }
      print(`${tag} ${describeStep(result, seconds)}`);
      return result;
    };
    const passed = (r: StepResult) =>
      r.failed === 0 && !r.aborted && r.exitCode === 0 && r.achieved >= KEEP_UP * r.rate;

    let probe: Outcome["probe"];
    let searchBest: StepResult | undefined;
    let searchFirstBad: StepResult | undefined;
    let hold: StepResult | undefined;
    const holdTries: StepResult[] = [];
    let memStartMb: number | undefined;
    let memAfterMb: number | undefined;
    let holdCpuPct: number | undefined;
    let serverTransactions: number | undefined;
    let error: string | undefined;
    try {
      await fresh();
      if (scenario.kind !== "calls") {
        const p = await probeRegister(server!.port, {
          user: "probe",
          password: "probe-secret",
          domain: DOMAIN,
        }, {
          count: plan.probeCount,
          warmup: plan.probeWarmup,
          digest: scenario.auth === "digest",
        });
        probe = {
          p50Us: quantile(p.samplesUs, 0.5),
          p99Us: quantile(p.samplesUs, 0.99),
          failures: p.failures,
          count: p.samplesUs.length,
        };
        print(
          `${tag} probe: ${p.samplesUs.length} REGISTERs, p50 ${us(probe.p50Us)} us, p99 ${
            us(probe.p99Us)
          } us, ${p.failures} failed, load ${loadAverage().toFixed(2)}`,
        );
      }
      const rates = scenario.kind === "calls" ? plan.callRates : plan.registerRates;
      for (const rate of rates) {
        const r = await step(rate, plan.stepS);
        if (!passed(r)) {
          searchFirstBad = r;
          break;
        }
        searchBest = r;
      }
      if (plan.bisect && searchBest !== undefined && searchFirstBad !== undefined) {
        const mid = Math.round(Math.sqrt(searchBest.rate * searchFirstBad.rate));
        await fresh();
        const r = await step(mid, plan.stepS);
        if (passed(r)) searchBest = r;
        else searchFirstBad = r;
      }
      let rate = searchBest?.rate ?? rates[0]!;
      for (let tries = 0; tries < plan.holds; tries++) {
        await fresh();
        const s = server!;
        const mem0 = await s.memoryBytes();
        const cpu0 = s.cpuSeconds();
        const t0 = performance.now();
        const r = await step(rate, plan.holdS);
        const wall = (performance.now() - t0) / 1000;
        holdTries.push(r);
        if (passed(r)) {
          hold = r;
          memStartMb = mem0 / 1048576;
          holdCpuPct = (100 * (s.cpuSeconds() - cpu0)) / wall;
          memAfterMb = (await s.memoryBytes()) / 1048576;
          const status = await s.sipStatus();
          serverTransactions = status === undefined
            ? undefined
            : Number(status.serverTransactions ?? NaN);
          break;
        }
        rate = nextHoldRate(rate, r.succeeded);
      }
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      print(`${tag} failed: ${error.slice(0, 2000)}`);
      if (server !== undefined) print(server.log().slice(-1500));
    } finally {
      await server?.stop();
    }
    return {
      server: variant.name,
      scenario,
      probe,
      searchBest,
      searchFirstBad,
      hold,
      holdTries,
      memStartMb,
      memAfterMb,
      holdCpuPct,
      serverTransactions,
      error,
    };
  }
}

/** Timer J (64 x T1): how long a finished UDP transaction stays in superpeer's table. */
const TIMER_J_S = 32;

/**
 * The rate of the next hold after one failed: what its successful calls make over Timer J (95 %
 * of it), at most 0.8x the failed rate and at least 1/8 of it. A server whose transaction table
 * filled after `succeeded` calls sustains about succeeded / 32 s; one that ran out of CPU late in
 * the hold is retried a little lower.
 */
function nextHoldRate(rate: number, succeeded: number): number {
  const byTable = Math.floor((0.95 * succeeded) / TIMER_J_S);
  return Math.max(1, Math.round(Math.max(rate / 8, Math.min(rate * 0.8, byTable))));
}

function describeStep(r: StepResult, seconds: number): string {
  const causes = Object.entries(r.causes).map(([k, v]) => `${k} ${v}`).join(", ");
  return `${r.rate}/s x ${seconds} s: ${r.succeeded}/${r.calls} ok, ${r.failed} failed${
    causes ? ` (${causes})` : ""
  }${
    r.aborted ? ` (stopped at the first failure, ${r.unfinished} calls unfinished)` : ""
  }, achieved ${r.achieved.toFixed(0)}/s, ${r.retransmissions} retransmissions, load ${
    r.load1.toFixed(2)
  }${r.note ? `; ${r.note}` : ""}`;
}

// ---- figures ---------------------------------------------------------------------------------

const us = (n: number | undefined) => (n === undefined ? "-" : n.toFixed(0));
const fixed = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n) ? "-" : n.toFixed(digits);

function printResults(
  print: (line: string) => void,
  plan: Plan,
  outcomes: readonly Outcome[],
): void {
  print(
    `\nColumns: search = highest rate with 0 failed calls in ${plan.stepS} s steps (the first ` +
      `bad rate after /); sustained = the rate held ${plan.holdS} s on a fresh server with 0 ` +
      "failed calls (SIPp's achieved rate, tries that failed in brackets); p50/p99 = SIPp response " +
      "times during the hold, whole ms (REGISTER->200, the authenticated REGISTER->200, " +
      "INVITE->200); probe = one REGISTER at a time on the idle server, us; memory = superpeer " +
      "/status rssBytes, Kamailio PSS summed over its processes, MiB at the start and end of the " +
      "hold; CPU = server processes during the hold (200 % = both cores); tx = superpeer server " +
      "transactions in its table after the hold.",
  );
  for (const scenario of SCENARIOS) {
    const rows = outcomes.filter((o) => o.scenario.kind === scenario.kind).map((o) => {
      const h = o.hold;
      const rtd = h?.rtdMs.get(o.scenario.rtd) ?? [];
      const failedTries = o.holdTries.filter((t) => t !== h).map((t) =>
        `${t.rate}: ${t.succeeded} ok, ${t.failed} failed`
      );
      return [
        o.server,
        o.error !== undefined
          ? "error"
          : `${o.searchBest?.rate ?? "none"}${
            o.searchFirstBad ? ` / ${o.searchFirstBad.rate}` : ""
          }`,
        h === undefined ? "none" : `${h.rate} (${h.achieved.toFixed(0)})`,
        failedTries.length ? failedTries.join("; ") : "-",
        h === undefined ? "-" : `${h.succeeded}`,
        h === undefined ? "-" : `${h.retransmissions}`,
        h === undefined ? "-" : `${fixed(quantile(rtd, 0.5))} / ${fixed(quantile(rtd, 0.99))}`,
        o.probe === undefined ? "-" : `${us(o.probe.p50Us)} / ${us(o.probe.p99Us)}`,
        `${fixed(o.memStartMb, 1)} -> ${fixed(o.memAfterMb, 1)}`,
        fixed(o.holdCpuPct, 0),
        o.serverTransactions === undefined ? "-" : String(o.serverTransactions),
        h === undefined ? "-" : h.load1.toFixed(2),
      ];
    });
    if (rows.length === 0) continue; // a scenario left out with --sip-scenarios
    print(`\n${scenario.label} (${scenario.rtdLabel}):\n`);
    print(table(
      [
        "server",
        "search /s",
        "sustained /s",
        "failed holds",
        "calls held",
        "retrans",
        "p50/p99 ms",
        "probe p50/p99 us",
        "memory MiB",
        "CPU %",
        "tx",
        "load",
      ],
      rows,
    ));
  }
  const references = outcomes.filter((o) => o.server.startsWith("kamailio"));
  const ours = outcomes.filter((o) => o.server.startsWith("superpeer"));
  if (references.length === 0) {
    print("\n(no Kamailio: run scripts/setup-bench for the reference and the ratios)");
    return;
  }
  const rows: string[][] = [];
  for (const o of ours) {
    for (const ref of references.filter((r) => r.scenario.kind === o.scenario.kind)) {
      const rate = (x: Outcome) => x.hold?.achieved;
      const ratio = (a: number | undefined, b: number | undefined) =>
        a === undefined || b === undefined || !(b > 0) ? "-" : `${(a / b).toFixed(3)}x`;
      rows.push([
        o.scenario.label,
        o.server,
        ref.server,
        ratio(rate(o), rate(ref)),
        ratio(o.searchBest?.achieved, ref.searchBest?.achieved),
        ratio(o.probe?.p50Us, ref.probe?.p50Us),
        ratio(o.memAfterMb, ref.memAfterMb),
      ]);
    }
  }
  print("\nsuperpeer / Kamailio (rates: higher is better; latency and memory: lower is better):\n");
  print(table(
    ["scenario", "ours", "reference", "sustained", "search", "probe p50", "memory after"],
    rows,
  ));
  print(
    "  Issue #6 reference on this machine (Kamailio 5.6, 4 workers): ~7,600 REGISTER/s without " +
      "auth, ~6,200 with digest, ~410 calls/s, REGISTER p50 ~0.5 ms.",
  );
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [
    line(header),
    "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|",
    ...rows.map(line),
  ].join("\n");
}
