// `deno task bench --only relay`: superpeer's TURN relay (Deno from source, the bundle on Node)
// against coturn with one relay thread, driven by the same C load generator and echo sink
// (scripts/bench-c/relay_load.c). Prints figures; asserts nothing.
//
// Per server: 10 allocations and a warm-up (the RSS baseline), then 50, 200 and 1,000 allocations
// (1,000 is the cap every server is configured with); at each, for 160-byte (voice) and 1,200-byte
// (video) payloads, a fixed load (10k packets/s from the clients, echoed by the sink, so 20k
// relayed packets/s) and an unpaced overload. Added latency is the relayed round trip minus the
// direct one (generator -> sink -> generator, same sockets, same rate), percentile by percentile.
import { dirname } from "node:path";
import {
  allocateFrom,
  type BenchAllocation,
  rebind,
  TurnSetupError,
  udpPortFree,
} from "./bench_relay_control.ts";
import { compileLoad, type LoadOptions, type LoadResult, runLoad } from "./bench_relay_load.ts";
import {
  coturnArgs,
  killAll,
  type RelaySettings,
  relayVariants,
  type RunningRelay,
  superpeerSets,
} from "./bench_relay_servers.ts";
import { nodeBundle } from "./bench_children.ts";

/** How much the relay bench runs. */
export interface RelayBenchOptions {
  /** One payload size (160 B), 50 allocations, 2-second points: a smoke run. */
  readonly quick: boolean;
  /** Where lines go. @default console.log */
  readonly print?: (line: string) => void;
}

interface Plan {
  readonly sizes: readonly number[];
  readonly levels: readonly number[];
  readonly fixedRate: number;
  readonly fixedS: number;
  readonly overloadS: number;
  readonly warmupS: number;
  readonly baselineS: number;
}

const FULL: Plan = {
  sizes: [160, 1200],
  levels: [50, 200, 1000],
  fixedRate: 10_000,
  fixedS: 5,
  overloadS: 3,
  warmupS: 0.5,
  baselineS: 3,
};

const QUICK: Plan = {
  sizes: [160],
  levels: [50],
  fixedRate: 10_000,
  fixedS: 2,
  overloadS: 2,
  warmupS: 0.3,
  baselineS: 2,
};

/** Allocations made first: the RSS baseline after warm-up. */
const WARM_ALLOCATIONS = 10;
/** ChannelBind again when older than this (permissions last 300 s). */
const REBIND_AFTER_MS = 100_000;
const SETUP_PARALLEL = 25;
const DRAIN_S = 0.3;
const REALM = "bench";
const USERNAME = "bench";
const PASSWORD = "bench-password";

type Kind = "fixed" | "overload";

interface Point {
  readonly server: string;
  readonly allocations: number;
  readonly size: number;
  readonly kind: Kind;
  readonly load: LoadResult;
  readonly direct: LoadResult | undefined;
}

interface RssFigures {
  warmKb: number;
  capFixedKb: number;
  capOverloadKb: number;
  overloadGrowthKb: number;
  overloadFactor: number;
}

interface ServerCheck {
  readonly server: string;
  readonly capAnswer: string;
  readonly status: string | undefined;
  readonly openFiles: string;
  readonly udp: string | undefined;
}

/** Runs the relay bench and prints its tables. */
export async function benchRelay(options: RelayBenchOptions): Promise<void> {
  // deno-lint-ignore no-console -- a command-line tool: stdout is its interface
  const print = options.print ?? ((line: string) => console.log(line));
  const plan = options.quick ? QUICK : FULL;
  const program = await compileLoad();
  if ("missing" in program) {
    print(`\nRelay bench skipped: ${program.missing}`);
    return;
  }
  const loadProgram = program.path;
  const maxLevel = Math.max(...plan.levels);
  const clientPorts = await freePorts(20_000, maxLevel + 1);
  const sinkPort = (await freePorts(30_900, 1))[0]!;
  const serverPort = (await freePorts(30_478, 1, [sinkPort]))[0]!;
  const settings: RelaySettings = {
    port: serverPort,
    portMin: 61_000,
    portMax: 65_535,
    realm: REALM,
    username: USERNAME,
    password: PASSWORD,
    maxAllocations: maxLevel,
    openFiles: 8192,
  };
  const bundle = await nodeBundle(
    "bench-relay",
    print,
    "the relay bench runs superpeer on Deno only",
  );
  const variants = relayVariants(bundle);
  const started = performance.now();
  // Interrupted: no server outlives the bench (the load process stops by itself).
  const interrupted = () => {
    killAll();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", interrupted);
  Deno.addSignalListener("SIGTERM", interrupted);
  try {
    await runBench();
  } finally {
    Deno.removeSignalListener("SIGINT", interrupted);
    Deno.removeSignalListener("SIGTERM", interrupted);
  }
  async function runBench(): Promise<void> {
    print("\nRelay: TURN over UDP on 127.0.0.1, same C generator and echo sink for every server");
    print(
      `  servers: ${variants.map((v) => v.name).join(", ")}${
        variants.some((v) => v.name === "coturn") ? "" : " (coturn not installed: no ratios)"
      }`,
    );
    print(`  superpeer --set ${superpeerSets(settings, "TMP").join(" ")}`);
    print(`  coturn ${coturnArgs(settings, "TMP").join(" ")}`);
    print(
      `  load: ${clientPorts.length - 1} client ports from ${
        clientPorts[0]
      }, sink 127.0.0.1:${sinkPort}, ` +
        `fixed ${plan.fixedRate} pps from the clients (echoed: ${
          2 * plan.fixedRate
        } relayed pps) ` +
        `for ${plan.fixedS} s, overload unpaced for ${plan.overloadS} s, ${plan.warmupS} s warm-up each`,
    );
    print("  (figures on a shared 2-core machine are noisy: rerun on a quiet one before quoting)");

    const load = (extra: Partial<LoadOptions> & Pick<LoadOptions, "mode" | "size" | "rate">) =>
      runLoad(loadProgram, {
        sinkPort,
        clientPorts: clientPorts.slice(0, maxLevel),
        warmupS: plan.warmupS,
        durationS: plan.fixedS,
        drainS: DRAIN_S,
        relayPorts: { min: settings.portMin, max: settings.portMax },
        ...extra,
      });

    const points: Point[] = [];
    const baselines: LoadResult[] = [];
    const rss = new Map<string, RssFigures>();
    const checks: ServerCheck[] = [];
    for (const variant of variants) {
      let relay: RunningRelay | undefined;
      const server = { host: "127.0.0.1", port: settings.port };
      const sink = { host: "127.0.0.1", port: sinkPort };
      const credentials = { username: USERNAME, password: PASSWORD };
      const allocations: BenchAllocation[] = [];
      const grow = async (count: number) => {
        const stale = allocations.filter((a) => performance.now() - a.boundAt > REBIND_AFTER_MS);
        await inBatches(stale, (a) => rebind(a, server, credentials, sink));
        const ports = clientPorts.slice(allocations.length, count);
        allocations.push(
          ...await inBatches(ports, (port) => allocateFrom(port, server, credentials, sink)),
        );
      };
      const figures: Partial<RssFigures> & { overloadFactor: number } = { overloadFactor: 0 };
      let sentTotal = 0;
      let echoedTotal = 0;
      try {
        relay = await variant.start(settings);
        const pid = relay.pid;
        const udp = relay.opsUrl === undefined ? undefined : (
          /msg="UDP implementation chosen" implementation=(\S+)/.exec(await relay.log())?.[1] ??
            "node:dgram (no choice logged)"
        );
        const status0 = await relayStatus(relay);
        const relayed = async (size: number, level: number, kind: Kind | "warm-up") => {
          const result = await load({
            mode: "relay",
            serverPort: settings.port,
            serverPid: pid,
            size,
            rate: kind === "overload" ? 0 : plan.fixedRate,
            clientPorts: clientPorts.slice(0, level),
            durationS: kind === "overload" ? plan.overloadS : plan.fixedS,
          });
          sentTotal += result.sentTotal;
          echoedTotal += result.sinkTotal;
          return result;
        };
        await grow(WARM_ALLOCATIONS);
        figures.warmKb = (await relayed(plan.sizes[0]!, WARM_ALLOCATIONS, "warm-up")).rssLastKb;
        for (const level of plan.levels) {
          await grow(level);
          for (const size of plan.sizes) {
            // The direct round trip just before the relayed one, same sockets, size and rate: on a
            // busy machine both see the same noise, and the difference is the relay's.
            const direct = await load({
              mode: "direct",
              size,
              rate: plan.fixedRate,
              clientPorts: clientPorts.slice(0, level),
              durationS: plan.baselineS,
            });
            baselines.push(direct);
            for (const kind of ["fixed", "overload"] as const) {
              const result = await relayed(size, level, kind);
              points.push({
                server: variant.name,
                allocations: level,
                size,
                kind,
                load: result,
                direct,
              });
              if (level !== maxLevel) continue;
              if (kind === "fixed") {
                figures.capFixedKb = Math.max(figures.capFixedKb ?? 0, result.rssLastKb);
                continue;
              }
              figures.capOverloadKb = Math.max(figures.capOverloadKb ?? 0, result.rssMaxKb);
              figures.overloadGrowthKb = Math.max(
                figures.overloadGrowthKb ?? -Infinity,
                result.rssLastKb - result.rssFirstKb,
              );
              const delivered = result.sinkReceived / result.windowS;
              figures.overloadFactor = Math.max(
                figures.overloadFactor,
                delivered > 0 ? result.sent / result.windowS / delivered : Infinity,
              );
            }
          }
        }
        // One allocation past the cap must be refused (the cap the RSS figure is "at").
        let capAnswer = "accepted (cap not reached)";
        try {
          await allocateFrom(clientPorts[maxLevel]!, server, credentials, sink);
        } catch (error) {
          capAnswer = error instanceof TurnSetupError ? `refused ${error.code}` : String(error);
        }
        const status1 = await relayStatus(relay);
        checks.push({
          server: variant.name,
          capAnswer,
          openFiles: openFileLimit(relay.pid),
          udp,
          status: status0 !== undefined && status1 !== undefined
            ? `relay counted ${
              status1.fromClients - status0.fromClients
            } datagrams from clients (generator sent ${sentTotal} ChannelData + setup requests), ${
              status1.fromPeers - status0.fromPeers
            } from peers (sink echoed ${echoedTotal})`
            : undefined,
        });
      } catch (error) {
        print(`\n${variant.name}: failed: ${error instanceof Error ? error.message : error}`);
        if (relay !== undefined) print((await relay.log()).slice(-2000));
      } finally {
        await relay?.stop();
      }
      if (figures.warmKb !== undefined) {
        rss.set(variant.name, {
          warmKb: figures.warmKb,
          capFixedKb: figures.capFixedKb ?? NaN,
          capOverloadKb: figures.capOverloadKb ?? NaN,
          overloadGrowthKb: figures.overloadGrowthKb ?? NaN,
          overloadFactor: figures.overloadFactor,
        });
      }
    }

    printResults(print, plan, points, rss, checks, baselines);
    print(`\nRelay bench took ${((performance.now() - started) / 1000).toFixed(0)} s`);
    await Deno.remove(dirname(loadProgram), { recursive: true }).catch(() => {});
  }
}

// ---- figures ---------------------------------------------------------------------------------

interface Figures {
  sentPps: number;
  fwdPps: number;
  mbit: number;
  lossPct: number;
  lossOutPct: number;
  addP50: number | undefined;
  addP99: number | undefined;
  cpuPct: number;
  cpuPer10k: number;
  kppsPerCore: number;
  rssMb: number;
}

function figures(point: Point): Figures {
  const l = point.load;
  const fwdPps = (l.sinkReceived + l.received) / l.windowS;
  const cpuShare = l.serverCpuS / l.windowS;
  return {
    sentPps: l.sent / l.windowS,
    fwdPps,
    mbit: (fwdPps * point.size * 8) / 1e6,
    lossPct: l.sent > 0 ? (100 * (l.sent - l.received)) / l.sent : 0,
    lossOutPct: l.sent > 0 ? (100 * (l.sent - l.sinkReceived)) / l.sent : 0,
    addP50: point.direct && l.received > 0 ? l.p50Us - point.direct.p50Us : undefined,
    addP99: point.direct && l.received > 0 ? l.p99Us - point.direct.p99Us : undefined,
    cpuPct: 100 * cpuShare,
    cpuPer10k: fwdPps > 0 ? (100 * cpuShare) / (fwdPps / 10_000) : NaN,
    kppsPerCore: cpuShare > 0 ? fwdPps / cpuShare / 1000 : NaN,
    rssMb: l.rssMaxKb / 1024,
  };
}

function ratio(ours: number | undefined, theirs: number | undefined): string {
  if (ours === undefined || theirs === undefined || !(theirs > 0) || !Number.isFinite(ours)) {
    return "-";
  }
  return `${(ours / theirs).toFixed(2)}x`;
}

function versusCoturn(point: Point, f: Figures, coturn: Figures | undefined): string {
  if (coturn === undefined) return "-";
  if (point.server === "coturn") return "ref";
  if (point.kind === "fixed") {
    return `p50 ${ratio(f.addP50, coturn.addP50)}, p99 ${ratio(f.addP99, coturn.addP99)}, cpu ${
      ratio(f.cpuPer10k, coturn.cpuPer10k)
    }`;
  }
  return `fwd ${ratio(f.fwdPps, coturn.fwdPps)}, per core ${
    ratio(f.kppsPerCore, coturn.kppsPerCore)
  }`;
}

const k = (n: number) => (Number.isFinite(n) ? `${(n / 1000).toFixed(1)}k` : "-");
const fixed = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n) ? "-" : n.toFixed(digits);

function printResults(
  print: (line: string) => void,
  plan: Plan,
  points: readonly Point[],
  rss: ReadonlyMap<string, RssFigures>,
  checks: readonly ServerCheck[],
  baselines: readonly LoadResult[],
): void {
  print(
    "\nColumns: sent = packets/s the clients sent; fwd = packets/s the relay delivered, both legs " +
      "(at the sink + back at the clients); Mbit/s of payload in fwd; loss = round trips lost; " +
      "+p50/+p99 = relayed round trip minus direct, us; CPU = server process, all threads; " +
      "kpps/core = fwd / CPU share; RSS = max during the point. vs coturn: fixed rows compare " +
      "added latency and CPU per 10k pps (lower is better), overload rows forwarded pps and kpps per core (higher is better).",
  );
  for (const size of plan.sizes) {
    const rows: string[][] = [];
    for (const level of plan.levels) {
      for (const kind of ["fixed", "overload"] as const) {
        const here = points.filter((p) =>
          p.size === size && p.allocations === level && p.kind === kind
        );
        const coturnPoint = here.find((p) => p.server === "coturn");
        const coturn = coturnPoint ? figures(coturnPoint) : undefined;
        for (const point of here) {
          const f = figures(point);
          rows.push([
            String(level),
            point.server,
            kind === "fixed" ? `${k(2 * plan.fixedRate)} fixed` : "overload",
            k(f.sentPps),
            k(f.fwdPps),
            fixed(f.mbit, 1),
            fixed(f.lossPct, 2),
            fixed(f.lossOutPct, 2),
            fixed(f.addP50),
            fixed(f.addP99),
            fixed(f.cpuPct, 0),
            fixed(f.cpuPer10k, 1),
            fixed(f.kppsPerCore, 0),
            fixed(f.rssMb, 1),
            versusCoturn(point, f, coturn),
          ]);
        }
      }
    }
    print(`\nRelay, ${size}-byte payload (${size === 160 ? "voice" : "video"}):\n`);
    print(table(
      [
        "allocs",
        "server",
        "load",
        "sent pps",
        "fwd pps",
        "Mbit/s",
        "loss %",
        "of it out %",
        "+p50 us",
        "+p99 us",
        "CPU %",
        "CPU %/10k pps",
        "kpps/core",
        "RSS MB",
        "vs coturn",
      ],
      rows,
    ));
  }

  if (rss.size > 0) {
    const maxLevel = Math.max(...plan.levels);
    const rows = [...rss].map(([server, r]) => [
      server,
      fixed(r.warmKb / 1024, 1),
      fixed(r.capFixedKb / 1024, 1),
      fixed(r.capOverloadKb / 1024, 1),
      `${fixed(pct(r.capFixedKb, r.warmKb), 0)} %`,
      `${fixed(pct(r.capOverloadKb, r.warmKb), 0)} %`,
      fixed(r.overloadGrowthKb / 1024, 1),
      `${fixed(r.overloadFactor, 1)}x`,
    ]);
    print(
      `\nRSS flatness: after warm-up at ${WARM_ALLOCATIONS} allocations (${
        k(2 * plan.fixedRate)
      } relayed pps), at ${maxLevel} allocations (the configured cap) under the fixed load and under overload:\n`,
    );
    print(table(
      [
        "server",
        `RSS MB @${WARM_ALLOCATIONS}`,
        `RSS MB @${maxLevel}`,
        `RSS MB @${maxLevel} overload`,
        "change at cap",
        "change overloaded",
        "MB grown during overload",
        "offered / delivered (to peer)",
      ],
      rows,
    ));
    print(
      "  (the generator cannot offer 10x a relay's capacity on 2 cores: the last column is the overload reached)",
    );
  }

  print("\nChecks (the bench measures the relay, not the loopback):");
  const relayed = points.map((p) => p.load);
  const sum = (list: readonly LoadResult[], f: (l: LoadResult) => number) =>
    list.reduce((n, l) => n + f(l), 0);
  print(
    `  direct baselines: ${sum(baselines, (l) => l.sinkReceived)} packets at the sink, ` +
      `${sum(baselines, (l) => l.sinkFromRelay)} of them from a relay port; round trip p50 ${
        span(baselines.map((b) => b.p50Us))
      } us, p99 ${span(baselines.map((b) => b.p99Us))} us`,
  );
  print(
    `  relayed points: ${sum(relayed, (l) => l.sinkReceived)} packets at the sink, ` +
      `${sum(relayed, (l) => l.sinkFromOther)} not from a relay port; ${
        sum(relayed, (l) => l.bad)
      } malformed echoes; fixed-load points with a silent allocation: ${
        points.filter((p) => p.kind === "fixed" && p.load.silentSockets > 0)
          .map((p) => `${p.server} ${p.allocations}x${p.size} B (${p.load.silentSockets})`)
          .join(", ") || "none"
      }`,
  );
  const genCpu = points.filter((p) => p.kind === "overload").map((p) =>
    p.load.loadCpuS / p.load.windowS
  );
  if (genCpu.length > 0) {
    print(
      `  generator + sink CPU under overload: ${fixed(100 * Math.min(...genCpu), 0)}-${
        fixed(100 * Math.max(...genCpu), 0)
      } % of a core (the server competes with it for 2 cores)`,
    );
  }
  for (const c of checks) {
    print(
      `  ${c.server} (open files ${c.openFiles}${c.udp ? `, UDP ${c.udp}` : ""}): allocation ${
        plan.levels.at(-1)! + 1
      } ${c.capAnswer}${c.status ? `; ${c.status}` : ""}`,
    );
  }
}

/** The soft open-file limit of a process, from /proc/PID/limits. */
function openFileLimit(pid: number): string {
  try {
    const line = Deno.readTextFileSync(`/proc/${pid}/limits`).split("\n")
      .find((l) => l.startsWith("Max open files"));
    return line?.split(/\s{2,}/)[1] ?? "?";
  } catch {
    return "?";
  }
}

function span(values: readonly number[]): string {
  return values.length === 0
    ? "-"
    : `${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)}`;
}

function pct(now: number, base: number): number {
  return base > 0 ? (100 * (now - base)) / base : NaN;
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

// ---- setup helpers ---------------------------------------------------------------------------

async function inBatches<T, R>(items: readonly T[], f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += SETUP_PARALLEL) {
    out.push(...await Promise.all(items.slice(i, i + SETUP_PARALLEL).map(f)));
  }
  return out;
}

/** `count` UDP ports on 127.0.0.1 that bind now, from `first` up (below the ephemeral range). */
async function freePorts(first: number, count: number, skip: number[] = []): Promise<number[]> {
  const out: number[] = [];
  for (let port = first; out.length < count && port < 32_768; port++) {
    if (!skip.includes(port) && await udpPortFree(port)) out.push(port);
  }
  if (out.length < count) throw new Error(`Cannot find ${count} free UDP ports from ${first}`);
  return out;
}

/** The superpeer relay's datagram counters from /status (superpeer only). */
async function relayStatus(
  relay: RunningRelay,
): Promise<{ fromClients: number; fromPeers: number } | undefined> {
  if (relay.opsUrl === undefined) return undefined;
  try {
    const response = await fetch(`${relay.opsUrl}/status`, { signal: AbortSignal.timeout(5_000) });
    const body = await response.json();
    const find = (value: unknown, key: string): number | undefined => {
      if (value === null || typeof value !== "object") return undefined;
      const record = value as Record<string, unknown>;
      if (typeof record[key] === "number") return record[key] as number;
      for (const child of Object.values(record)) {
        const found = find(child, key);
        if (found !== undefined) return found;
      }
      return undefined;
    };
    const fromClients = find(body, "datagramsFromClients");
    const fromPeers = find(body, "datagramsFromPeers");
    return fromClients === undefined || fromPeers === undefined
      ? undefined
      : { fromClients, fromPeers };
  } catch {
    return undefined;
  }
}
