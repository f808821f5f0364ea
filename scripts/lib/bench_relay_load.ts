// Builds and runs the C load generator and sink of the relay bench (scripts/bench-c/relay_load.c).
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SOURCE = new URL("../bench-c/relay_load.c", import.meta.url).pathname;

/** One run of relay_load: its JSON line. Counts are of the measured window only unless named Total. */
export interface LoadResult {
  readonly mode: "relay" | "direct";
  readonly sockets: number;
  readonly size: number;
  readonly rate: number;
  readonly windowS: number;
  /** Packets the generator sent (to the relay, or to the sink when direct). */
  readonly sent: number;
  readonly sentTotal: number;
  readonly sendErrors: number;
  /** Echoes back at the generator. */
  readonly received: number;
  readonly receivedTotal: number;
  /** Datagrams at the generator that were not an echo of its own (wrong length, channel, socket). */
  readonly bad: number;
  /** Client sockets that got no echo at all. */
  readonly silentSockets: number;
  /** Packets at the sink. */
  readonly sinkReceived: number;
  /** ... of which came from a port in the relay range (through the relay). */
  readonly sinkFromRelay: number;
  readonly sinkFromOther: number;
  readonly sinkTotal: number;
  readonly sinkSendFailures: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly meanUs: number;
  /** CPU seconds of the server process (all threads) over the window; -1 without a pid. */
  readonly serverCpuS: number;
  readonly rssFirstKb: number;
  readonly rssLastKb: number;
  readonly rssMaxKb: number;
  /** CPU seconds of the load process itself over the window. */
  readonly loadCpuS: number;
}

/** What one run sends. */
export interface LoadOptions {
  readonly mode: "relay" | "direct";
  readonly serverPort?: number;
  readonly sinkPort: number;
  readonly clientPorts: readonly number[];
  readonly size: number;
  /** Generator packets/s in total; 0 = as fast as it can. */
  readonly rate: number;
  readonly warmupS: number;
  readonly durationS: number;
  readonly drainS: number;
  readonly serverPid?: number;
  readonly relayPorts: { readonly min: number; readonly max: number };
}

/** The compiled generator, or why there is none. */
export type LoadProgram = { readonly path: string } | { readonly missing: string };

/** Compiles relay_load.c with `cc -O2` into a temporary directory. */
export async function compileLoad(): Promise<LoadProgram> {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-bench-c-"));
  const path = join(dir, "relay_load");
  try {
    const out = await new Deno.Command("cc", {
      args: ["-O2", "-pthread", "-o", path, SOURCE],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    if (!out.success) {
      return { missing: `cc failed on ${SOURCE}:\n${new TextDecoder().decode(out.stderr)}` };
    }
    return { path };
  } catch (error) {
    return { missing: `no C compiler (cc): ${error instanceof Error ? error.message : error}` };
  }
}

/** Runs one measurement point; bounded by its own timing plus 15 s. */
export async function runLoad(program: string, options: LoadOptions): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-bench-ports-"));
  const portsFile = join(dir, "ports");
  await writeFile(portsFile, options.clientPorts.join("\n") + "\n");
  const args = [
    "--mode",
    options.mode,
    "--sink",
    `127.0.0.1:${options.sinkPort}`,
    "--ports",
    portsFile,
    "--size",
    String(options.size),
    "--rate",
    String(options.rate),
    "--warmup",
    String(options.warmupS),
    "--duration",
    String(options.durationS),
    "--drain",
    String(options.drainS),
    "--relay-ports",
    `${options.relayPorts.min}-${options.relayPorts.max}`,
  ];
  if (options.serverPort !== undefined) args.push("--server", `127.0.0.1:${options.serverPort}`);
  if (options.serverPid !== undefined) args.push("--server-pid", String(options.serverPid));
  const timeoutMs = (options.warmupS + options.durationS + options.drainS) * 1000 + 15_000;
  try {
    const out = await new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    const parsed = JSON.parse(text.split("\n").at(-1) ?? "{}") as LoadResult & { error?: string };
    if (parsed.error !== undefined || !out.success) {
      throw new Error(
        `relay_load failed (${out.code}): ${parsed.error ?? ""} ${
          new TextDecoder().decode(out.stderr)
        }`,
      );
    }
    return parsed;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
