// The TURN servers the relay bench drives: superpeer from source on Deno, superpeer's bundle on
// Node, and coturn with one relay thread when it is installed. All of them get the same listening
// address, relay port range, realm, user and allocation cap, and no bandwidth limits.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { staticUserKeyHex } from "../../src/relay/credentials.ts";
import { stunPing } from "./bench_relay_control.ts";
import { stopChild, waitFor } from "./bench_children.ts";

/** What every server under test is configured with. */
export interface RelaySettings {
  readonly port: number;
  readonly portMin: number;
  readonly portMax: number;
  readonly realm: string;
  readonly username: string;
  readonly password: string;
  /** Allocations on the whole server (the cap the RSS check fills). */
  readonly maxAllocations: number;
  /** Open files of the server process (ulimit -n in the shell that execs it). */
  readonly openFiles: number;
}

/** A server under test, running. */
export interface RunningRelay {
  readonly name: string;
  readonly pid: number;
  readonly opsUrl: string | undefined;
  /** The last lines the server wrote (stderr, or coturn's log file). */
  log(): Promise<string>;
  /** SIGTERM, then SIGKILL after 3 s; resolves when it is gone. */
  stop(): Promise<void>;
}

/** How to start one server under test. */
export interface RelayVariant {
  readonly name: string;
  /** The command line, for the settings printout. */
  readonly describe: string;
  start(settings: RelaySettings): Promise<RunningRelay>;
}

const DENO_BIN = new URL("../../node_modules/.bin/deno", import.meta.url).pathname;
const MAIN_TS = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const COTURN = "/usr/bin/turnserver";
const OPS_LISTENING = /msg="Ops endpoint listening" url=(\S+)/;
const KEEP_LOG_CHARS = 64 * 1024;

/** Servers still running: SIGKILLed when the bench exits, so an aborted run leaves none behind. */
const running = new Set<Deno.ChildProcess>();
globalThis.addEventListener("unload", killAll);

/** SIGKILLs every server still running (exit, SIGINT, SIGTERM). */
export function killAll(): void {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  running.clear();
}

/** The `--set` overrides superpeer runs with in the bench. */
export function superpeerSets(settings: RelaySettings, dataDir: string): string[] {
  const key = staticUserKeyHex(settings.username, settings.realm, settings.password);
  return [
    `dataDir=${dataDir}`,
    "ops.port=0",
    "overlay.enabled=false",
    "log.level=info",
    `limits.openFiles=${settings.openFiles}`,
    "relay.host=127.0.0.1",
    `relay.port=${settings.port}`,
    `relay.portMin=${settings.portMin}`,
    `relay.portMax=${settings.portMax}`,
    `relay.realm=${settings.realm}`,
    `relay.users=${settings.username}:${key}`,
    "relay.allowLoopbackPeers=true",
    "relay.advertise=false",
    "relay.tcp=false",
    `relay.maxAllocations=${settings.maxAllocations}`,
    `relay.maxAllocationsPerUser=${settings.maxAllocations}`,
    `relay.maxAllocationsPerClientIp=${settings.maxAllocations}`,
    "relay.allocationBytesPerSecond=0",
    "relay.totalBytesPerSecond=0",
  ];
}

/** coturn's flags in the bench: one relay thread, UDP only, the same port range and user. */
export function coturnArgs(settings: RelaySettings, dir: string): string[] {
  return [
    "-n", // no configuration file
    "--listening-ip=127.0.0.1",
    `--listening-port=${settings.port}`,
    "--relay-ip=127.0.0.1",
    `--min-port=${settings.portMin}`,
    `--max-port=${settings.portMax}`,
    "--relay-threads=1",
    "--lt-cred-mech",
    `--user=${settings.username}:${settings.password}`,
    `--realm=${settings.realm}`,
    "--allow-loopback-peers",
    "--no-cli",
    "--no-tls",
    "--no-dtls",
    "--no-tcp",
    "--no-tcp-relay",
    `--total-quota=${settings.maxAllocations}`,
    `--user-quota=${settings.maxAllocations}`,
    "--max-bps=0",
    "--bps-capacity=0",
    "--no-rfc5780",
    `--log-file=${join(dir, "turnserver.log")}`,
    "--simple-log",
    "--no-stdout-log",
    `--pidfile=${join(dir, "turnserver.pid")}`,
  ];
}

/** The servers available here: Deno from source always, Node when `bundle` is given, coturn when installed. */
export function relayVariants(bundle: string | undefined): RelayVariant[] {
  const out: RelayVariant[] = [
    superpeerVariant("superpeer deno", DENO_BIN, [
      "run",
      "-A",
      "--unstable-net",
      // BENCH_DENO_FLAGS adds deno flags, e.g. "--v8-flags=--max-semi-space-size=1".
      ...(Deno.env.get("BENCH_DENO_FLAGS") ?? "").split(" ").filter(Boolean),
      MAIN_TS,
    ]),
  ];
  if (bundle !== undefined) {
    // BENCH_NODE_FLAGS adds node flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile.
    const flags = (Deno.env.get("BENCH_NODE_FLAGS") ?? "").split(" ").filter(Boolean);
    out.push(superpeerVariant("superpeer node", "node", [...flags, bundle]));
  }
  if (existsSync(COTURN)) out.push(coturnVariant());
  return out;
}

/** `sh -c 'ulimit -n N; exec "$@"'`: the server keeps the shell's pid. */
function withOpenFiles(openFiles: number, command: string, args: readonly string[]): string[] {
  return ["-c", `ulimit -n ${openFiles} 2>/dev/null; exec "$@"`, "sh", command, ...args];
}

function superpeerVariant(name: string, command: string, args: string[]): RelayVariant {
  return {
    name,
    describe: `${command} ${args.join(" ")} run --set ...`,
    async start(settings) {
      const dir = await mkdtemp(join(tmpdir(), "superpeer-bench-relay-"));
      const child = new Deno.Command("sh", {
        args: withOpenFiles(settings.openFiles, command, [
          ...args,
          "run",
          ...superpeerSets(settings, dir).flatMap((s) => ["--set", s]),
        ]),
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      running.add(child);
      let stderr = "";
      const reading = (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of child.stderr) {
          stderr = (stderr + decoder.decode(chunk, { stream: true })).slice(-KEEP_LOG_CHARS);
        }
      })();
      const stop = async () => {
        await stopChild(child, running, 3_000);
        await reading.catch(() => {});
        await rm(dir, { recursive: true, force: true });
      };
      try {
        const opsUrl = await waitFor(20_000, () => OPS_LISTENING.exec(stderr)?.[1], () => stderr);
        await waitFor(5_000, async () => await ping(settings.port) || undefined, () => stderr);
        return { name, pid: child.pid, opsUrl, log: () => Promise.resolve(stderr), stop };
      } catch (error) {
        await stop();
        throw error;
      }
    },
  };
}

function coturnVariant(): RelayVariant {
  return {
    name: "coturn",
    describe: `${COTURN} ${coturnArgs(placeholderSettings(), "DIR").join(" ")}`,
    async start(settings) {
      const dir = await mkdtemp(join(tmpdir(), "superpeer-bench-coturn-"));
      const child = new Deno.Command("sh", {
        args: withOpenFiles(settings.openFiles, COTURN, coturnArgs(settings, dir)),
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      running.add(child);
      const log = async () => {
        try {
          return (await Deno.readTextFile(join(dir, "turnserver.log"))).slice(-KEEP_LOG_CHARS);
        } catch {
          return "";
        }
      };
      const stop = async () => {
        await stopChild(child, running, 3_000);
        await rm(dir, { recursive: true, force: true });
      };
      try {
        await waitFor(10_000, async () => await ping(settings.port) || undefined, () => "");
        return { name: "coturn", pid: child.pid, opsUrl: undefined, log, stop };
      } catch (error) {
        const text = await log();
        await stop();
        throw new Error(`coturn did not answer STUN: ${String(error)}\n${text}`);
      }
    },
  };
}

function placeholderSettings(): RelaySettings {
  return {
    port: 0,
    portMin: 61000,
    portMax: 65535,
    realm: "REALM",
    username: "USER",
    password: "PASS",
    maxAllocations: 0,
    openFiles: 0,
  };
}

async function ping(port: number): Promise<boolean> {
  return await stunPing({ host: "127.0.0.1", port });
}
