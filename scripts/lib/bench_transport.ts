// deno-lint-ignore-file no-console -- a benchmark child prints its one JSON line on stdout
// The UDP transport benchmark: datagrams echoed on loopback between two transports of one
// implementation (node:dgram, or Deno.listenDatagram through openDenoUdpTransport), each in its
// own Deno process so CPU time and RSS belong to that implementation alone. Bounded in count and
// time. Run by `deno task bench --only transport`; a child is this file with `--child <impl>`.
import process from "node:process";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type { DatagramTransport } from "../../src/core/transport.ts";
import { openDatagramTransport } from "../../src/transport/open_datagram_transport.ts";

/** Figures of one run. A "packet" is one datagram received and sent on by either transport. */
export interface TransportBenchRun {
  readonly implementation: "node" | "deno";
  readonly packets: number;
  readonly seconds: number;
  readonly packetsPerSecond: number;
  readonly cpuMicrosPerPacket: number;
  /** Datagrams given up for lost (UDP on loopback can drop when a receive queue overflows). */
  readonly lost: number;
  readonly rssMbBefore: number;
  readonly rssMbAfter: number;
}

/** Payload bytes: a voice packet relayed as TURN ChannelData (as in shared/notes/udp-performance.md). */
const PAYLOAD_BYTES = 160;
/** Datagrams in flight at once. */
const WINDOW = 32;

/** Echoes up to `roundTrips` datagrams (or for `ms`) through two transports of `implementation`. */
export async function echoRun(
  implementation: "node" | "deno",
  roundTrips: number,
  ms: number,
): Promise<TransportBenchRun> {
  const rssBefore = process.memoryUsage().rss;
  const components = { logger: silentLogger(), metrics: new MetricsRegistry() };
  const open = () =>
    openDatagramTransport({ host: "127.0.0.1", port: 0, implementation }, components);
  const echo: DatagramTransport = await open();
  const client: DatagramTransport = await open();
  echo.onDatagram((bytes, from) => echo.send(bytes, from));
  const payload = new Uint8Array(PAYLOAD_BYTES).fill(7);
  let sent = 0;
  let received = 0;
  let lost = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => finish = resolve);
  client.onDatagram(() => {
    received++;
    if (received >= roundTrips) return finish();
    if (sent < roundTrips) {
      sent++;
      client.send(payload, echo.local);
    }
  });
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < WINDOW; i++, sent++) client.send(payload, echo.local);
  // Refill the window when nothing came back for a while (lost datagrams), and stop at `ms`.
  let lastReceived = -1;
  const watchdog = setInterval(() => {
    if (performance.now() - started > ms) return finish();
    if (received === lastReceived) {
      const missing = Math.min(WINDOW, roundTrips - sent);
      lost += WINDOW;
      for (let i = 0; i < missing; i++, sent++) client.send(payload, echo.local);
    }
    lastReceived = received;
  }, 100);
  await done;
  clearInterval(watchdog);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const rssAfter = process.memoryUsage().rss;
  await client.close();
  await echo.close();
  const packets = received * 2; // the echo and the client each receive and send one per round trip
  return {
    implementation,
    packets,
    seconds,
    packetsPerSecond: packets / seconds,
    cpuMicrosPerPacket: (cpu.user + cpu.system) / packets,
    lost,
    rssMbBefore: rssBefore / 1048576,
    rssMbAfter: rssAfter / 1048576,
  };
}

/** Runs one child per implementation and run, interleaved; returns every run. */
export async function benchTransport(
  options: { runs: number; roundTrips?: number; ms?: number },
): Promise<TransportBenchRun[]> {
  const deno = new URL("../../node_modules/.bin/deno", import.meta.url).pathname;
  const self = new URL(import.meta.url).pathname;
  const out: TransportBenchRun[] = [];
  for (let run = 0; run < options.runs; run++) {
    for (const implementation of ["node", "deno"] as const) {
      const result = await new Deno.Command(deno, {
        args: [
          "run",
          "-A",
          "--unstable-net",
          self,
          "--child",
          implementation,
          String(options.roundTrips ?? 50_000),
          String(options.ms ?? 1500),
        ],
        stdin: "null",
        signal: AbortSignal.timeout(30_000),
      }).output();
      const text = new TextDecoder().decode(result.stdout).trim();
      if (!result.success) {
        throw new Error(
          `transport bench child (${implementation}) exited ${result.code}: ${
            new TextDecoder().decode(result.stderr)
          }`,
        );
      }
      out.push(JSON.parse(text) as TransportBenchRun);
    }
  }
  return out;
}

if (import.meta.main && Deno.args[0] === "--child") {
  const implementation = Deno.args[1] === "deno" ? "deno" : "node";
  const result = await echoRun(implementation, Number(Deno.args[2]), Number(Deno.args[3]));
  console.log(JSON.stringify(result));
}
