// deno-lint-ignore-file no-console -- a command-line tool: stdout is its interface
// Benchmarks of the daemon foundation. Prints figures; asserts nothing.
// Usage: deno run -A --unstable-net scripts/bench.ts [--runs N]
//          [--only startup|micro|overlay|transport|sip|dns|mdns|relay|sip-load] [--quick]
//   startup   time from spawn to /healthz 200, idle RSS, SIGTERM-to-exit, for every way of running
//             that is available here (Deno from source, the bundle on Node and on Deno, the Node SEA),
//             with Node/Deno ratios
//   micro     logfmt line cost, suppressed-repeat cost, /metrics render cost, config resolve cost
//   overlay   per message type: bytes in our CBOR, JSON and RFC 6940 encodings; encode, decode,
//             sign, verify and JSON operations per second
//   transport 160-byte datagrams echoed on loopback through node:dgram and Deno.listenDatagram on
//             Deno (one child process per run, a few seconds): packets/s, CPU us per packet, RSS
//   sip       SIP codec: parse (framing only, default checks, + the proxy's structured reads) and
//             serialize of a typical INVITE and REGISTER: messages/s, us per message, heap bytes
//             allocated per message (scripts/lib/bench_sip.ts)
//   dns       DNS codec: decode of a typical mDNS response (PTR answer; SRV, TXT, A, AAAA additionals,
//             names compressed) and its encode with a reused DnsMessageWriter: ns per message, heap
//             bytes allocated per message (about 1 s)
//   mdns      mDNS state machines on a virtual clock: a PTR query answered end to end (decode,
//             responder, pack), one record cached at the cache cap, heap per cached record.
//   relay     (only when asked: minutes) our TURN relay on Deno and Node vs coturn, one C load
//             generator and sink; --quick for a smoke run (scripts/lib/bench_relay.ts)
//   sip-load  (only when asked: ~20 minutes) SIPp REGISTER/s without auth and with Digest, calls/s,
//             latency and memory of our SIP service on Deno and Node vs Kamailio (installed by
//             scripts/setup-bench); --quick for a smoke run; --sip-servers deno-default,deno-large,
//             node-default,node-large,kamailio-4,kamailio-1 and --sip-max-transactions N (the
//             "large" cap) pick what runs (scripts/lib/bench_sip_load.ts)
import { existsSync } from "node:fs";
import { ManualClock } from "../src/core/clock.ts";
import { MetricsRegistry } from "../src/core/metrics.ts";
import { resolveConfig } from "../src/daemon/config/load_config.ts";
import { LogSink } from "../src/daemon/log_sink.ts";
import { renderPrometheusText } from "../src/daemon/ops/prometheus_text.ts";
import { DENO_BIN, get, MAIN_TS, startDaemonProcess } from "./lib/daemon_process.ts";
import { benchOverlayCodec, perSecond } from "./lib/bench_overlay.ts";
import { benchTransport, type TransportBenchRun } from "./lib/bench_transport.ts";
import { benchRelay } from "./lib/bench_relay.ts";
import { benchSipCodec } from "./lib/bench_sip.ts";
import { MDNS_RESPONSE_FLAGS } from "../src/codec/dns/constants.ts";
import { decodeDnsMessage } from "../src/codec/dns/dns_message.ts";
import type { DnsMessage } from "../src/codec/dns/dns_types.ts";
import { DnsMessageWriter, encodeDnsMessage } from "../src/codec/dns/dns_writer.ts";
import { encodeTxtPairs } from "../src/codec/dns/txt_pairs.ts";
import { benchMdns } from "./lib/bench_mdns.ts";
import { heapBytesPerCall } from "./lib/bench_measure.ts";
import { benchSipLoad } from "./lib/bench_sip_load.ts";

const root = new URL("..", import.meta.url).pathname;
const runsArg = Deno.args.indexOf("--runs");
const RUNS = runsArg >= 0 ? Number(Deno.args[runsArg + 1]) : 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Variant {
  name: string;
  command: string;
  args: string[];
}

function variants(): Variant[] {
  const out: Variant[] = [{ name: "deno source", command: DENO_BIN, args: ["run", "-A", MAIN_TS] }];
  const bundle = `${root}dist/superpeer.mjs`;
  if (existsSync(bundle)) {
    out.push({ name: "node bundle", command: "node", args: [bundle] });
    out.push({ name: "deno bundle", command: DENO_BIN, args: ["run", "-A", bundle] });
  }
  const sea = `${root}dist/superpeer-node-linux-x64`;
  if (existsSync(sea)) out.push({ name: "node SEA (x64)", command: sea, args: [] });
  return out;
}

interface StartupFigures {
  readyMs: number;
  rssMb: number;
  heapUsedMb: number;
  stopMs: number;
}

async function measureStartup(variant: Variant): Promise<StartupFigures> {
  const ready: number[] = [];
  const rss: number[] = [];
  const heap: number[] = [];
  const stop: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const daemon = await startDaemonProcess(variant.command, variant.args, []);
    // Poll /healthz: "ready" means it answers 200, not merely that the log line appeared.
    for (let tries = 0; tries < 100; tries++) {
      if ((await get(`${daemon.opsUrl}/healthz`)).status === 200) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    ready.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 1000));
    const status = JSON.parse((await get(`${daemon.opsUrl}/status`)).body);
    rss.push(status.memory.rssBytes / 1048576);
    heap.push(status.memory.heapUsedBytes / 1048576);
    const t1 = performance.now();
    daemon.kill("SIGTERM");
    const exit = await daemon.exited;
    stop.push(performance.now() - t1);
    if (exit.code !== 0) {
      throw new Error(`${variant.name} exited ${exit.code}:\n${daemon.stderr()}`);
    }
  }
  return {
    readyMs: median(ready),
    rssMb: median(rss),
    heapUsedMb: median(heap),
    stopMs: median(stop),
  };
}

function timeIt(iterations: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn(i); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn(i);
  return ((performance.now() - t0) * 1e6) / iterations; // ns per iteration
}

function micro(): Array<[string, string]> {
  let bytes = 0;
  const clock = new ManualClock();
  const sink = new LogSink({
    level: "info",
    format: "logfmt",
    repeatWindowMs: 10_000,
    write: (l) => (bytes += l.length),
    clock,
  });
  const log = sink.logger("superpeer:bench");
  const logfmt = timeIt(
    200_000,
    (i) => log.info("Allocation created", { user: "alice", relay: "192.0.2.1:61000", n: i }),
  );
  const suppressed = timeIt(
    200_000,
    () => log.warn("Dropped a malformed datagram", { from: "198.51.100.7:5000" }),
  );
  const registry = new MetricsRegistry({ maxSeriesPerMetric: 100 });
  for (let m = 0; m < 10; m++) {
    const c = registry.counter(`superpeer_bench_${m}_total`, "Bench", ["reason"]);
    for (let s = 0; s < 50; s++) c.with({ reason: `r${s}` }).inc(s);
  }
  const render = timeIt(2_000, () => void renderPrometheusText(registry.collect()));
  const hot = registry.counter("superpeer_bench_hot_total", "Hot", ["reason"]).with({
    reason: "quota",
  });
  const inc = timeIt(5_000_000, () => hot.inc());
  const resolve = timeIt(
    20_000,
    () => void resolveConfig({ target: "rpi4", log: { level: "debug" } }, ["ops.port=0"], "bench"),
  );
  return [
    ["logfmt info line (3 fields)", `${logfmt.toFixed(0)} ns`],
    ["suppressed repeated warning", `${suppressed.toFixed(0)} ns`],
    ["counter inc on a kept child", `${inc.toFixed(1)} ns`],
    ["/metrics render, 500 series", `${(render / 1000).toFixed(0)} us`],
    ["resolveConfig (profile + file + --set)", `${(resolve / 1000).toFixed(1)} us`],
  ];
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

const onlyArg = Deno.args.indexOf("--only");
const only = onlyArg >= 0 ? Deno.args[onlyArg + 1] : undefined;
const wants = (part: string) => only === undefined || only === part;

console.log(
  `superpeer bench: ${Deno.build.target}, ${navigator.hardwareConcurrency} cores, ${RUNS} runs each (medians)`,
);
if (wants("startup")) await benchStartup();
if (wants("micro")) {
  console.log("\nMicro (per operation, Deno, this process):\n");
  console.log(table(["operation", "cost"], micro().map(([a, b]) => [a, b])));
}
if (wants("overlay")) benchOverlay();
if (wants("transport")) await benchTransportSection();
if (wants("sip")) {
  console.log("\nSIP codec (Deno, this process):\n");
  console.log(table(
    ["message", "operation", "messages/s", "us/message", "heap bytes/message"],
    benchSipCodec().map((r) => [
      `${r.message} (${r.bytes} B)`,
      r.operation,
      Math.round(r.perSec).toLocaleString("en-US"),
      r.usPerMessage.toFixed(2),
      r.allocatedBytes === undefined ? "n/a" : Math.round(r.allocatedBytes).toLocaleString("en-US"),
    ]),
  ));
}
if (wants("dns")) {
  console.log("\nDNS codec, a typical mDNS response (Deno, this process):\n");
  console.log(table(["operation", "messages/s", "ns/message", "heap bytes/message"], benchDns()));
}
if (wants("mdns")) {
  console.log("\nmDNS state machines, no sockets (Deno, this process):\n");
  console.log(table(
    ["operation", "per second", "ns each", "heap bytes each"],
    benchMdns().map((r) => [
      r.operation,
      Number.isNaN(r.perSecond) ? "" : Math.round(r.perSecond).toLocaleString("en-US"),
      Number.isNaN(r.nsPerOperation) ? "" : Math.round(r.nsPerOperation).toLocaleString("en-US"),
      r.heapBytes === undefined ? "n/a" : Math.round(r.heapBytes).toLocaleString("en-US"),
    ]),
  ));
}
if (only === "relay") await benchRelay({ quick: Deno.args.includes("--quick") });
if (only === "sip-load") {
  await benchSipLoad({ quick: Deno.args.includes("--quick"), args: Deno.args });
}

async function benchTransportSection(): Promise<void> {
  const runs = await benchTransport({ runs: Math.min(RUNS, 3) });
  const of = (impl: "node" | "deno") => runs.filter((r) => r.implementation === impl);
  const med = (impl: "node" | "deno", f: (r: TransportBenchRun) => number) =>
    median(of(impl).map(f));
  const label = { node: "Deno node:dgram", deno: "Deno.listenDatagram" } as const;
  console.log(
    `\nUDP transports, 160 B echoed on 127.0.0.1 (Deno, one process per run, ${
      of("node").length
    } runs each, medians; a packet is one datagram received and sent on):\n`,
  );
  console.log(table(
    [
      "transport",
      "packets",
      "packets/s",
      "CPU us/packet",
      "RSS MiB before",
      "RSS MiB after",
      "lost",
    ],
    (["node", "deno"] as const).map((impl) => [
      label[impl],
      med(impl, (r) => r.packets).toFixed(0),
      `${(med(impl, (r) => r.packetsPerSecond) / 1000).toFixed(1)}k`,
      med(impl, (r) => r.cpuMicrosPerPacket).toFixed(1),
      med(impl, (r) => r.rssMbBefore).toFixed(1),
      med(impl, (r) => r.rssMbAfter).toFixed(1),
      med(impl, (r) => r.lost).toFixed(0),
    ]),
  ));
  const ratio = (f: (r: TransportBenchRun) => number) =>
    (med("node", f) / med("deno", f)).toFixed(2);
  console.log(
    `\nnode:dgram / Deno.listenDatagram: CPU per packet ${
      ratio((r) => r.cpuMicrosPerPacket)
    }x, packets/s ${ratio((r) => r.packetsPerSecond)}x, RSS after ${ratio((r) => r.rssMbAfter)}x`,
  );
}

async function benchStartup(): Promise<void> {
  const startupRows: string[][] = [];
  const figures = new Map<string, StartupFigures>();
  for (const variant of variants()) {
    const f = await measureStartup(variant);
    figures.set(variant.name, f);
    startupRows.push([
      variant.name,
      f.readyMs.toFixed(0),
      f.rssMb.toFixed(1),
      f.heapUsedMb.toFixed(1),
      f.stopMs.toFixed(0),
    ]);
  }
  console.log("\nStartup (spawn to /healthz 200), idle memory after 1 s, SIGTERM to exit:\n");
  console.log(table(["runtime", "ready ms", "RSS MiB", "heap MiB", "stop ms"], startupRows));
  const node = figures.get("node bundle");
  const deno = figures.get("deno bundle");
  if (node && deno) {
    const ready = (node.readyMs / deno.readyMs).toFixed(2);
    console.log(
      `\nNode/Deno (same bundle): ready ${ready}x, RSS ${(node.rssMb / deno.rssMb).toFixed(2)}x`,
    );
  } else {
    console.log("\n(no dist/superpeer.mjs: run `npm run build` first to compare Node and Deno)");
  }
}

function benchOverlay(): void {
  const rows = benchOverlayCodec();
  const k = (n: number) => `${(n / 1000).toFixed(n >= 100_000 ? 0 : 1)}k`;
  console.log("\nOverlay messages, one signed datagram each (Deno, this process):\n");
  console.log(table(
    [
      "message",
      "CBOR B",
      "JSON B",
      "RFC 6940 B",
      "CBOR/JSON",
      "CBOR/RFC",
      "encode/s",
      "decode/s",
      "sign/s",
      "verify/s",
      "JSON enc/s",
      "JSON dec/s",
    ],
    rows.map((r) => [
      r.name,
      String(r.oursBytes),
      String(r.jsonBytes),
      String(r.rfcBytes),
      (r.oursBytes / r.jsonBytes).toFixed(2),
      (r.oursBytes / r.rfcBytes).toFixed(2),
      k(r.encodePerSec),
      k(r.decodePerSec),
      k(r.signPerSec),
      k(r.verifyPerSec),
      k(r.jsonEncodePerSec),
      k(r.jsonDecodePerSec),
    ]),
  ));
  const total = (f: (r: (typeof rows)[number]) => number) => rows.reduce((n, r) => n + f(r), 0);
  const ours = total((r) => r.oursBytes);
  const json = total((r) => r.jsonBytes);
  const rfc = total((r) => r.rfcBytes);
  console.log(
    `\nAll ${rows.length} messages: CBOR ${ours} B, JSON ${json} B (CBOR/JSON ${
      (ours / json).toFixed(2)
    }), ` +
      `RFC 6940 ${rfc} B (CBOR/RFC ${
        (ours / rfc).toFixed(2)
      }; RFC sizes leave out its X.509 certificates)`,
  );
}

/** A PTR answer with SRV, TXT, A and AAAA additionals, as a responder answers a browse query. */
function sampleMdnsResponse(): DnsMessage {
  const service = ["_superpeer", "_udp", "local"];
  const instance = ["Office AP 3", ...service];
  const host = ["ap-3", "local"];
  const r = (name: string[], data: DnsMessage["answers"][number]["data"], ttl: number) => ({
    name,
    class: 1,
    cacheFlush: ttl === 120,
    ttl,
    data,
  });
  return {
    id: 0,
    flags: MDNS_RESPONSE_FLAGS,
    questions: [],
    answers: [r(service, { type: 12, target: instance }, 4500)],
    authorities: [],
    additionals: [
      r(instance, { type: 33, priority: 0, weight: 0, port: 5060, target: host }, 120),
      r(instance, {
        type: 16,
        strings: encodeTxtPairs({ txtvers: "1", node: "3f2a9c", relay: true }),
      }, 4500),
      r(host, { type: 1, address: "192.168.1.3" }, 120),
      r(host, { type: 28, address: "fe80::2a0:c9ff:fe14:8c3" }, 120),
    ],
  };
}

function benchDns(): string[][] {
  const message = sampleMdnsResponse();
  const bytes = encodeDnsMessage(message);
  const writer = new DnsMessageWriter(1452);
  const encode = () => {
    writer.reset();
    for (const record of message.answers) writer.addAnswer(record);
    for (const record of message.additionals) writer.addAdditional(record);
    return writer.finish(0, message.flags);
  };
  const operations: [string, () => unknown][] = [
    [`decodeDnsMessage (${bytes.length} B, 5 records)`, () => decodeDnsMessage(bytes)],
    ["DnsMessageWriter encode (reused writer, a view)", encode],
    ["encodeDnsMessage (shared writer + copy)", () => encodeDnsMessage(message)],
  ];
  return operations.map(([name, fn]) => {
    for (let i = 0; i < 5_000; i++) fn(); // warm-up: let the JIT settle
    const rate = perSecond(fn, 300);
    const heap = heapBytesPerCall(fn);
    return [
      name,
      Math.round(rate).toLocaleString("en-US"),
      Math.round(1e9 / rate).toLocaleString("en-US"),
      heap === undefined ? "n/a" : Math.round(heap).toLocaleString("en-US"),
    ];
  });
}
