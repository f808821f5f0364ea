// The SIP servers `deno task bench --only sip-load` drives: superpeer from source on Deno, its
// bundle on Node, and Kamailio (Debian package, installed only by scripts/setup-bench) with
// scripts/bench-kamailio/kamailio.cfg. All listen on 127.0.0.1 only, UDP, domain and realm
// mesh.test, the same users (HA1 hashes), no TCP/TLS/WebSocket, no overlay.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSocket } from "node:dgram";
import { formatUserLine, makeUserRecord } from "../../src/sip/digest/mod.ts";
import { stopChild, waitFor } from "./bench_children.ts";

/** The SIP domain and Digest realm of every server. */
export const DOMAIN = "mesh.test";
/** Kamailio's binary. */
export const KAMAILIO = "/usr/sbin/kamailio";
const KAMAILIO_CFG = new URL("../bench-kamailio/kamailio.cfg", import.meta.url).pathname;
const DENO_BIN = new URL("../../node_modules/.bin/deno", import.meta.url).pathname;
const MAIN_TS = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const OPS_LISTENING = /msg="Ops endpoint listening" url=(\S+)/;
const KEEP_LOG_CHARS = 32 * 1024;

/** A user of the bench (the same on every server). */
export interface BenchUser {
  readonly user: string;
  readonly password: string;
}

/** A server under test, running. */
export interface RunningSip {
  readonly port: number;
  readonly pid: number;
  /** Resident memory in bytes: superpeer's /status memory.rssBytes; Kamailio's PSS summed. */
  memoryBytes(): Promise<number>;
  /** CPU seconds used so far by the server (all its processes). */
  cpuSeconds(): number;
  /** superpeer's sip section of /status (transactions, bindings); undefined for Kamailio. */
  sipStatus(): Promise<Record<string, unknown> | undefined>;
  log(): string;
  stop(): Promise<void>;
}

/** How one server is started. */
export interface SipVariant {
  readonly name: string;
  readonly describe: string;
  start(auth: "none" | "digest"): Promise<RunningSip>;
}

/** Servers still running: SIGKILLed when the bench exits, so an aborted run leaves none. */
const running = new Set<Deno.ChildProcess>();
globalThis.addEventListener("unload", killAllSip);

/** SIGKILLs every server this module started that still runs. */
export function killAllSip(): void {
  for (const child of running) {
    const workers = childrenOf(child.pid);
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    killStragglers(workers);
  }
  running.clear();
}

/** A free UDP port on 127.0.0.1 (bound and released). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** superpeer's `--set` overrides in this bench. */
export function superpeerSets(
  auth: "none" | "digest",
  usersFile: string,
  maxTransactions: number | undefined,
  dataDir: string,
): string[] {
  return [
    `dataDir=${dataDir}`,
    "ops.port=0",
    "overlay.enabled=false",
    "relay.enabled=false",
    "log.level=info",
    "limits.openFiles=8192",
    // advisory budgets only (a warning line): a large transaction cap is meant to use memory
    "limits.memoryMb=8192",
    "limits.heapMb=4096",
    "sip.host=127.0.0.1",
    "sip.port=0",
    "sip.tcp=false",
    "sip.tlsPort=0",
    "sip.wsPort=0",
    "sip.wssPort=0",
    `sip.domains=${DOMAIN}`,
    `sip.realm=${DOMAIN}`,
    `sip.auth=${auth}`,
    `sip.usersFile=${usersFile}`,
    // SIPp answers only MD5 and only the first challenge, and puts the server's address in uri
    "sip.digestAlgorithms=MD5",
    "sip.digestCheckUri=false",
    // each SIPp step registers its users from a new local port, so every step adds a binding per
    // user: without this the registrar's total cap (4,096) answers 503 within a few steps
    "sip.maxBindings=1000000",
    "sip.maxBindingsPerAor=100",
    ...(maxTransactions === undefined ? [] : [`sip.maxTransactions=${maxTransactions}`]),
  ];
}

/** superpeer on a runtime, with the default or a given transaction cap. */
export function superpeerVariant(
  runtime: "deno" | "node",
  bundle: string | undefined,
  usersFile: string,
  maxTransactions: number | undefined,
): SipVariant {
  const command = runtime === "deno" ? DENO_BIN : "node";
  const args = runtime === "deno"
    ? ["run", "-A", "--unstable-net", MAIN_TS]
    : [bundle ?? "dist/superpeer.mjs"];
  const cap = maxTransactions === undefined ? "cap 2048 (default)" : `cap ${maxTransactions}`;
  return {
    name: `superpeer ${runtime}, ${cap}`,
    describe: `${command} ${args.join(" ")} run --set ${
      superpeerSets("none", "USERS", maxTransactions, "TMP").join(" --set ")
    }`,
    async start(auth) {
      const dir = await mkdtemp(join(tmpdir(), "superpeer-bench-sip-"));
      const child = new Deno.Command("sh", {
        args: [
          "-c",
          'ulimit -n 8192 2>/dev/null; exec "$@"',
          "sh",
          command,
          ...args,
          "run",
          ...superpeerSets(auth, usersFile, maxTransactions, dir).flatMap((s) => ["--set", s]),
        ],
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
        await stopChild(child, running, 5_000);
        await reading.catch(() => {});
        await rm(dir, { recursive: true, force: true });
      };
      try {
        const opsUrl = await waitFor(20_000, () => OPS_LISTENING.exec(stderr)?.[1], () => stderr);
        const status = async () => {
          const response = await fetch(`${opsUrl}/status`, { signal: AbortSignal.timeout(5_000) });
          return await response.json();
        };
        const sipStatus = async () =>
          (await status()).services.find((s: { name: string }) => s.name === "sip")?.details as
            | Record<string, unknown>
            | undefined;
        const udp = String((await sipStatus())?.udp ?? "");
        const port = Number(udp.split(":").pop());
        if (!(port > 0)) throw new Error(`No SIP UDP port in /status: ${udp}`);
        return {
          port,
          pid: child.pid,
          memoryBytes: async () => Number((await status()).memory.rssBytes),
          cpuSeconds: () => cpuSecondsOf([child.pid]),
          sipStatus,
          log: () => stderr,
          stop,
        };
      } catch (error) {
        await stop();
        throw error;
      }
    },
  };
}

/** Kamailio with `children` UDP workers, when installed. */
export function kamailioVariant(children: number, users: readonly BenchUser[]): SipVariant {
  return {
    name: `kamailio, ${children} worker${children === 1 ? "" : "s"}`,
    describe:
      `${KAMAILIO} -f ${KAMAILIO_CFG} -DD -E -n ${children} -l udp:127.0.0.1:PORT -m 256 -M 8 [-A WITH_AUTH -A DBURL=...]`,
    async start(auth) {
      const dir = await mkdtemp(join(tmpdir(), "superpeer-bench-kamailio-"));
      const db = join(dir, "db");
      const run = join(dir, "run");
      await mkdir(db);
      await mkdir(run);
      if (auth === "digest") await writeKamailioUsers(db, users);
      const port = await freeUdpPort();
      const child = new Deno.Command(KAMAILIO, {
        args: [
          "-f",
          KAMAILIO_CFG,
          "-DD",
          "-E",
          "-n",
          String(children),
          "-l",
          `udp:127.0.0.1:${port}`,
          "-m",
          "256",
          "-M",
          "8",
          "-Y",
          run,
          "-P",
          join(run, "kamailio.pid"),
          "-w",
          dir,
          ...(auth === "digest" ? ["-A", "WITH_AUTH", "-A", `DBURL="text://${db}"`] : []),
        ],
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
        const workers = childrenOf(child.pid);
        await stopChild(child, running, 5_000);
        killStragglers(workers);
        await reading.catch(() => {});
        await rm(dir, { recursive: true, force: true });
      };
      try {
        await waitFor(10_000, async () => await sipOptionsPing(port) || undefined, () => stderr);
        const pids = () => [child.pid, ...childrenOf(child.pid)];
        return {
          port,
          pid: child.pid,
          memoryBytes: () => Promise.resolve(pssBytes(pids())),
          cpuSeconds: () => cpuSecondsOf(pids()),
          sipStatus: () => Promise.resolve(undefined),
          log: () => stderr,
          stop,
        };
      } catch (error) {
        await stop();
        throw error;
      }
    },
  };
}

/** Whether Kamailio is installed (scripts/setup-bench). */
export function kamailioInstalled(): boolean {
  return existsSync(KAMAILIO);
}

/** superpeer's users file: one HA1 line per user (what `superpeer user add` writes). */
export async function writeSuperpeerUsers(path: string, users: readonly BenchUser[]) {
  await writeFile(
    path,
    users.map((u) => formatUserLine(makeUserRecord(u.user, DOMAIN, u.password))).join("\n") + "\n",
  );
}

/** db_text tables for auth_db: version and subscriber with HA1 = MD5(user:realm:password). */
async function writeKamailioUsers(dir: string, users: readonly BenchUser[]) {
  await writeFile(
    join(dir, "version"),
    "table_name(string) table_version(int)\nsubscriber:7\n",
  );
  const rows = users.map((u, i) => {
    const ha1 = createHash("md5").update(`${u.user}:${DOMAIN}:${u.password}`).digest("hex");
    return `${i + 1}:${u.user}:${DOMAIN}:-:${ha1}:-`;
  });
  await writeFile(
    join(dir, "subscriber"),
    "id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string)\n" +
      rows.join("\n") + "\n",
  );
}

/** An OPTIONS answered by anything (Kamailio answers 404 or 200: it is up). */
async function sipOptionsPing(port: number): Promise<boolean> {
  const socket = createSocket("udp4");
  try {
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const local = socket.address().port;
    const answered = new Promise<boolean>((resolve) => {
      socket.once("message", () => resolve(true));
      setTimeout(() => resolve(false), 300);
    });
    socket.send(
      new TextEncoder().encode(
        [
          `OPTIONS sip:${DOMAIN} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bKping${Date.now()};rport`,
          "Max-Forwards: 70",
          `From: <sip:ping@${DOMAIN}>;tag=ping`,
          `To: <sip:${DOMAIN}>`,
          `Call-ID: ping-${Date.now()}@bench`,
          "CSeq: 1 OPTIONS",
          "Content-Length: 0",
          "",
          "",
        ].join("\r\n"),
      ),
      port,
      "127.0.0.1",
    );
    return await answered;
  } finally {
    socket.close();
  }
}

/** Descendant pids of `pid` (Kamailio's workers), from /proc/PID/task/*\/children. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      for (const child of text.split(/\s+/).filter(Boolean).map(Number)) {
        out.push(child, ...childrenOf(child));
      }
    }
  } catch {
    // gone
  }
  return out;
}

/** SIGKILLs the given Kamailio workers that still run (their main process was killed first). */
function killStragglers(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      if (!Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes("kamailio")) continue;
      Deno.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

/** Proportional set size of processes summed: Kamailio's shared memory counted once. */
function pssBytes(pids: readonly number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const text = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
      kb += Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb * 1024;
}

/** utime + stime of processes, seconds (clock ticks of 100 Hz). */
function cpuSecondsOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}
