// deno-lint-ignore-file no-console -- its command-line part (scripts/netns-lan) prints to stdout
/**
 * A LAN of network namespaces for the mDNS tests: N hosts, each with a veth `eth0` on one Linux
 * bridge that lives in a namespace of its own (multicast snooping off), IPv4 in 10.77.0.0/24, IPv6
 * link-local (ready only once DAD is done), `lo` up, the 224.0.0.0/4 route, and a host name of its
 * own for every process started in it. Nothing here multicasts in the machine's own namespace: every
 * process goes through `spawn()`, which refuses (fails closed) unless its target is a namespace this
 * lab created, checked by name prefix and by namespace inode; the children get the inodes too
 * (SUPERPEER_LAB_NETNS_INODE / SUPERPEER_LAB_OUTSIDE_INODES) and our own tools check them again.
 *
 * Also the command line of scripts/netns-lan (selftest, up, cleanup, list).
 *
 * Facts this relies on are in shared/notes/testing-with-real-clients.md ("mDNS", "Network
 * namespaces as a small mesh"). Needs root, iproute2 and util-linux; avahi, python3-zeroconf and
 * tshark for what uses them (scripts/setup-interop).
 *
 * @module
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Every lab namespace starts with this; a run's prefix is `splab-<pid>-<6 hex>`. */
export const LAB_NAME_PREFIX = "splab-";
/** The per-host interface inside each host namespace. */
export const LAB_IFNAME = "eth0";
/** Environment a spawned child gets: the inode of its lab namespace, `dev:ino`. */
export const LAB_NETNS_INODE_ENV = "SUPERPEER_LAB_NETNS_INODE";
/** Environment a spawned child gets: namespaces it must not be in (comma-separated `dev:ino`). */
export const LAB_OUTSIDE_INODES_ENV = "SUPERPEER_LAB_OUTSIDE_INODES";

const IP = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find((p) => existsSync(p)) ??
  "ip";
const UNSHARE = "/usr/bin/unshare";
const PYTHON = "/usr/bin/python3";
const ZEROCONF_TOOL = new URL("../interop/mdns/zeroconf_tool.py", import.meta.url).pathname;
const MAX_HOSTS = 50;
/** Output kept per process stream; the rest is dropped (a noisy daemon must not fill memory). */
const MAX_OUTPUT_CHARS = 1_000_000;

/** Tools a test may need on top of the lab itself. */
export type LabTool = "avahi" | "zeroconf" | "tshark";

const TOOL_FILES: Record<LabTool, { files: string[]; packages: string }> = {
  avahi: {
    files: ["/usr/sbin/avahi-daemon", "/usr/bin/avahi-browse", "/usr/bin/avahi-publish-service"],
    packages: "avahi-daemon avahi-utils dbus",
  },
  zeroconf: { files: [PYTHON], packages: "python3-zeroconf" },
  tshark: { files: ["/usr/bin/tshark"], packages: "tshark" },
};

/** Thrown when something would run outside a namespace this lab created. */
export class LabSafetyError extends Error {
  override readonly name = "LabSafetyError";
}

export interface NetnsLanInit {
  /** Hosts on the LAN, 1..50. */
  readonly hosts: number;
  /** Namespace name prefix; must start with `splab-`. @default `splab-<pid>-<6 random hex>` */
  readonly prefix?: string;
  /** First three octets of the hosts' IPv4 /24; host i gets `.${10 + i}`. @default "10.77.0" */
  readonly subnet?: string;
  /** Wait until every host's IPv6 link-local address has finished DAD. @default true */
  readonly waitForIpv6?: boolean;
  /** How long DAD may take before create() fails. @default 15_000 */
  readonly dadTimeoutMs?: number;
  /**
   * Further links besides the LAN every host is on: each lists the hosts it joins. Link k (from 1)
   * is bridge `br<k>`, the hosts' interface `eth<k>`, IPv4 `<a.b.(c + k)>.0/24`.
   * `[[0, 2]]` gives hosts 0 and 2 a second link of their own.
   * @default []
   */
  readonly links?: readonly (readonly number[])[];
}

/** One interface of a lab host. */
export interface LabInterface {
  /** 0 for the LAN every host is on, k for `links[k - 1]`. */
  readonly link: number;
  readonly ifname: string;
  readonly mac: string;
  readonly ipv4: string;
  readonly ipv4PrefixLength: number;
  /** Empty when IPv6 was not waited for and had not appeared yet. */
  readonly ipv6LinkLocal: string;
}

/** One host of the LAN. */
export interface LabHost {
  readonly index: number;
  /** Namespace name (`<prefix>-h<i>`). */
  readonly netns: string;
  /** Host name its processes see (`lab-h<i>`), so each claims its own `<name>.local`. */
  readonly hostname: string;
  /** Its interface on link 0 (the LAN every host is on); `ipv4` etc. below are that one's. */
  readonly ifname: string;
  readonly mac: string;
  readonly ipv4: string;
  readonly ipv4PrefixLength: number;
  /** Empty when IPv6 was not waited for and had not appeared yet. */
  readonly ipv6LinkLocal: string;
  /** Every interface, link 0 first. */
  readonly interfaces: readonly LabInterface[];
}

export interface SpawnOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Host name for the process (`unshare --uts`); false keeps the shared one. @default the host's */
  readonly hostname?: string | false;
  /** Directories bind-mounted over others in a private mount namespace (`unshare --mount`). */
  readonly mounts?: readonly { readonly source: string; readonly target: string }[];
  readonly cwd?: string;
  /** Collect stdout / stderr (readable with stdout() / stderr()). @default "piped" */
  readonly stdout?: "piped" | "null";
  readonly stderr?: "piped" | "null";
  /** Killed with SIGKILL after this long, whatever happens. @default 120_000 */
  readonly hardTimeoutMs?: number;
}

export interface ExitStatus {
  readonly code: number;
  readonly signal: string | null;
}

/** A process started in a lab host. */
export interface LabProcess {
  readonly pid: number;
  readonly host: number;
  readonly command: string;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<ExitStatus>;
  /** Sends a signal if still running. */
  kill(signal?: Deno.Signal): void;
  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(options?: { signal?: Deno.Signal; graceMs?: number }): Promise<ExitStatus>;
  /** Waits until stdout or stderr (as chosen) matches `pattern`; rejects on exit or timeout. */
  waitFor(
    pattern: RegExp,
    options?: { stream?: "stdout" | "stderr"; timeoutMs?: number },
  ): Promise<RegExpExecArray>;
}

/** avahi-daemon and its private D-Bus in one host. */
export interface AvahiHandle {
  readonly host: number;
  /** Environment for avahi-browse / avahi-publish-* (DBUS_SYSTEM_BUS_ADDRESS). */
  readonly env: Readonly<Record<string, string>>;
  readonly daemon: LabProcess;
  readonly bus: LabProcess;
  /** Stops avahi (SIGTERM: it sends goodbyes), then the bus. Idempotent. */
  stop(): Promise<void>;
}

/** One captured UDP packet. */
export interface CapturedPacket {
  /** Frame number in the capture, from 1. */
  readonly frame: number;
  /** Seconds since the capture's first packet. */
  readonly time: number;
  readonly family: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** IPv4 TTL or IPv6 hop limit. */
  readonly ttl: number;
  /** The UDP payload as lowercase hex. */
  readonly payloadHex: string;
  /** tshark's one-line summary (the Info column). */
  readonly info: string;
  /** What tshark's DNS dissector read (for picking packets and describing fixtures). */
  readonly dns: CapturedDns | undefined;
}

/** tshark's reading of a DNS payload. */
export interface CapturedDns {
  readonly response: boolean;
  readonly questions: number;
  readonly answers: number;
  readonly authorities: number;
  readonly additionals: number;
  /** Question names and types (`name/TYPE`), in order. */
  readonly questionList: readonly string[];
  /** Whether each question asked for a unicast response (QU bit). */
  readonly qu: readonly boolean[];
  /**
   * Record types, in order, all sections together (names are left out: tshark files an SRV
   * record's name under other fields, so name and type lists would not line up).
   */
  readonly records: readonly string[];
  /** Record TTLs in the same order. */
  readonly ttls: readonly number[];
  /** Each record's cache-flush bit (RFC 6762 section 10.2), same order. */
  readonly cacheFlush: readonly boolean[];
}

/** tshark capturing in one host, into a pcapng file. */
export interface LabCapture {
  readonly host: number;
  readonly file: string;
  /** Stops capturing (tshark flushes the file). Idempotent. */
  stop(): Promise<void>;
  /** Stops, then reads the packets back. */
  packets(): Promise<CapturedPacket[]>;
}

interface NamespaceId {
  readonly name: string;
  readonly inode: string;
}

function inodeOf(path: string): string {
  const info = statSync(path);
  return `${info.dev}:${info.ino}`;
}

/**
 * Inodes of namespaces the lab must never run in: this process's own and, when readable, PID 1's
 * (reading it needs CAP_SYS_PTRACE, which some containers drop).
 */
function outsideInodes(): string[] {
  const out = [inodeOf("/proc/self/ns/net")];
  try {
    out.push(inodeOf("/proc/1/ns/net"));
  } catch {
    // unreadable here: our own namespace is the reference
  }
  return [...new Set(out)];
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) =>
    b.toString(16).padStart(2, "0")
  ).join("");
}

async function run(
  command: string,
  args: readonly string[],
  options: { stdin?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(command, {
    args: [...args],
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.env === undefined ? {} : { env: options.env }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function mustRun(
  command: string,
  args: readonly string[],
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `Cannot build the lab: \`${command} ${
        args.join(" ")
      }\` exited ${result.code}: ${result.stderr.trim()}${
        options.stdin === undefined ? "" : `\ninput:\n${options.stdin}`
      }`,
    );
  }
  return result.stdout;
}

function isAlive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** Lab namespaces that exist now (`ip netns list`, names only). */
async function labNamespaces(): Promise<string[]> {
  const out = await run(IP, ["netns", "list"]);
  if (out.code !== 0) return [];
  return out.stdout.split("\n").map((l) => l.split(" ")[0] ?? "").filter((n) =>
    n.startsWith(LAB_NAME_PREFIX)
  );
}

/** PIDs of processes inside a namespace (`ip netns pids`). */
async function pidsIn(netns: string): Promise<number[]> {
  const out = await run(IP, ["netns", "pids", netns]);
  if (out.code !== 0) return [];
  return out.stdout.split("\n").map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

/** Kills the processes still inside lab namespaces (found by PID), then deletes the namespaces. */
async function removeNamespaces(names: readonly string[]): Promise<void> {
  for (const name of names) {
    if (!name.startsWith(LAB_NAME_PREFIX)) continue; // never anything else
    for (const pid of await pidsIn(name)) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  }
  if (names.length === 0) return;
  await run(IP, ["-force", "-batch", "-"], {
    stdin: names.filter((n) => n.startsWith(LAB_NAME_PREFIX)).map((n) => `netns del ${n}\n`)
      .join(""),
  });
}

/**
 * Polls `ip -6 addr` until every interface of every host has a link-local address that is no
 * longer tentative (DAD done: before that, ff02::fb does not work); returns them per host.
 */
async function waitForLinkLocal(
  hosts: readonly LabHost[],
  wait: boolean,
  timeoutMs: number,
): Promise<string[][]> {
  const deadline = performance.now() + timeoutMs;
  const found = hosts.map((h) => h.interfaces.map(() => ""));
  for (;;) {
    let pending = 0;
    await Promise.all(hosts.map(async (host, i) => {
      if (found[i]!.every((a) => a !== "")) return;
      const out = await run(IP, ["-n", host.netns, "-6", "-o", "addr", "show"]);
      for (const [j, x] of host.interfaces.entries()) {
        const line = out.stdout.split("\n").find((l) =>
          l.includes(` ${x.ifname} `) && / inet6 fe80::/.test(l)
        );
        const address = line === undefined
          ? undefined
          : /inet6 (fe80::[0-9a-f:]+)\//.exec(line)?.[1];
        if (address !== undefined && !/tentative|dadfailed/.test(line!)) found[i]![j] = address;
        else pending++;
      }
    }));
    if (pending === 0 || !wait) return found;
    if (performance.now() > deadline) {
      throw new Error(
        `Cannot build the lab: IPv6 link-local addresses still tentative after ${timeoutMs} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Labs still alive, to undo when this process ends without destroy() (a failed assertion). */
const liveLabs = new Set<NetnsLan>();
const destroyLiveLabs = () => {
  for (const lab of liveLabs) lab.destroySync();
};
globalThis.addEventListener("unload", destroyLiveLabs);
// An uncaught error ends the process without "unload"; the error still ends it after this.
globalThis.addEventListener("error", destroyLiveLabs);
globalThis.addEventListener("unhandledrejection", destroyLiveLabs);

/**
 * The LAN. Create it with `NetnsLan.create()`, always `destroy()` it (also on failure).
 *
 * @example
 * ```ts
 * const reason = await NetnsLan.available({ tools: ["zeroconf"] });
 * if (reason === undefined) {
 *   const lan = await NetnsLan.create({ hosts: 2 });
 *   try {
 *     const p = lan.spawn(0, "/usr/bin/python3", [ZEROCONF_TOOL, "browse", "_x._udp.local.", "2"]);
 *     await p.exited;
 *   } finally {
 *     await lan.destroy();
 *   }
 * }
 * ```
 */
export class NetnsLan {
  /** This run's namespace prefix (`splab-<pid>-<hex>`). */
  readonly prefix: string;
  readonly hosts: readonly LabHost[];
  /** The namespace the bridge `br0` lives in. */
  readonly bridgeNetns: string;
  /** A private directory for this lab's files (configs, buses, captures); removed by destroy(). */
  readonly workDir: string;
  /** Milliseconds create() took, IPv6 DAD included. */
  readonly createdInMs: number;
  readonly #namespaces: Map<string, NamespaceId>;
  readonly #outside: readonly string[];
  readonly #processes = new Set<LabProcess & { child: Deno.ChildProcess }>();
  #destroyed: Promise<void> | undefined;

  private constructor(
    prefix: string,
    hosts: LabHost[],
    namespaces: NamespaceId[],
    outside: readonly string[],
    workDir: string,
    createdInMs: number,
  ) {
    this.prefix = prefix;
    this.hosts = hosts;
    this.bridgeNetns = `${prefix}-br`;
    this.#namespaces = new Map(namespaces.map((n) => [n.name, n]));
    this.#outside = outside;
    this.workDir = workDir;
    this.createdInMs = createdInMs;
  }

  /**
   * Undefined when a lab can be built here (and the `tools` are installed), else why not: not
   * Linux, not root, no `ip netns`, no unshare, a tool missing. Creates and deletes one namespace
   * to find out.
   */
  static async available(
    options: { tools?: readonly LabTool[] } = {},
  ): Promise<string | undefined> {
    if (Deno.build.os !== "linux") return `network namespaces need Linux, not ${Deno.build.os}`;
    if (Deno.uid() !== 0) return "network namespaces need root";
    if (!existsSync(IP)) return "iproute2's ip is missing (scripts/setup-interop)";
    if (!existsSync(UNSHARE)) return "util-linux's unshare is missing (scripts/setup-interop)";
    for (const tool of options.tools ?? []) {
      const { files, packages } = TOOL_FILES[tool];
      const missing = files.find((f) => !existsSync(f));
      if (missing !== undefined) {
        return `${missing} is missing: run scripts/setup-interop (Debian ${packages})`;
      }
      if (tool === "zeroconf") {
        const probe = await run(PYTHON, ["-c", "import zeroconf, ifaddr"]);
        if (probe.code !== 0) {
          return "python3-zeroconf is missing: run scripts/setup-interop (Debian python3-zeroconf)";
        }
      }
    }
    try {
      outsideInodes();
    } catch (error) {
      return `cannot read this process's network namespace: ${(error as Error).message}`;
    }
    const probe = `${LAB_NAME_PREFIX}${Deno.pid}-probe${randomHex(2)}`;
    const added = await run(IP, ["netns", "add", probe]);
    if (added.code !== 0) return `ip netns add failed: ${added.stderr.trim()}`;
    await run(IP, ["netns", "del", probe]);
    return undefined;
  }

  /**
   * Deletes lab namespaces whose creating process (the pid in `splab-<pid>-...`) is gone, killing
   * what still runs in them; returns the names removed. Labs of live processes are left alone.
   */
  static async cleanupStale(): Promise<string[]> {
    const stale = (await labNamespaces()).filter((name) => {
      const pid = Number(/^splab-(\d+)-/.exec(name)?.[1]);
      return Number.isInteger(pid) && pid > 0 && !isAlive(pid);
    });
    await removeNamespaces(stale);
    return stale;
  }

  /** Builds the LAN; on any failure removes what it made and throws. */
  static async create(init: NetnsLanInit): Promise<NetnsLan> {
    const started = performance.now();
    const count = init.hosts;
    if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) {
      throw new RangeError(`Cannot build the lab: hosts ${count} is not in 1..${MAX_HOSTS}`);
    }
    const prefix = init.prefix ?? `${LAB_NAME_PREFIX}${Deno.pid}-${randomHex(3)}`;
    if (!/^splab-[a-z0-9-]{1,40}$/.test(prefix)) {
      throw new TypeError(
        `Cannot build the lab: prefix must match splab-[a-z0-9-]{1,40}: ${prefix}`,
      );
    }
    const subnet = init.subnet ?? "10.77.0";
    if (!/^(10|192\.168|172\.(1[6-9]|2\d|3[01]))(\.\d{1,3}){0,2}$/.test(subnet)) {
      throw new TypeError(`Cannot build the lab: subnet must be private (RFC 1918): ${subnet}`);
    }
    const outside = outsideInodes();
    await NetnsLan.cleanupStale();
    const bridge = `${prefix}-br`;
    const hostNs = Array.from({ length: count }, (_, i) => `${prefix}-h${i}`);
    const all = [bridge, ...hostNs];
    if ((await labNamespaces()).some((n) => all.includes(n))) {
      throw new Error(`Cannot build the lab: namespaces with prefix ${prefix} exist already`);
    }
    const workDir = await mkdtemp(join(tmpdir(), `${prefix}-`));
    try {
      await mustRun(IP, ["-batch", "-"], { stdin: all.map((n) => `netns add ${n}\n`).join("") });
      const namespaces = all.map((name) => ({ name, inode: inodeOf(`/run/netns/${name}`) }));
      for (const ns of namespaces) {
        if (outside.includes(ns.inode)) {
          throw new LabSafetyError(
            `Refusing to use the lab: namespace ${ns.name} is the machine's own (${ns.inode})`,
          );
        }
      }
      // links[0] is the LAN of every host; the rest come from init.links.
      const links: number[][] = [
        hostNs.map((_, i) => i),
        ...(init.links ?? []).map((hostsOn) => [...new Set(hostsOn)]),
      ];
      const [a, b, c] = subnet.split(".").map(Number);
      const subnetOf = (link: number) =>
        c === undefined ? `${subnet}.${link}` : `${a}.${b}.${c + link}`;
      for (const [k, hostsOn] of links.entries()) {
        if (hostsOn.some((i) => !Number.isInteger(i) || i < 0 || i >= count)) {
          throw new RangeError(
            `Cannot build the lab: link ${k} names a host outside 0..${count - 1}`,
          );
        }
        if (!/^\d+\.\d+\.\d+$/.test(subnetOf(k)) || Number(subnetOf(k).split(".")[2]) > 255) {
          throw new RangeError(`Cannot build the lab: no /24 left for link ${k} after ${subnet}`);
        }
      }
      const bridgeLines = ["link set lo up"];
      for (const [k, hostsOn] of links.entries()) {
        bridgeLines.push(`link add br${k} type bridge mcast_snooping 0`, `link set br${k} up`);
        for (const i of hostsOn) {
          const port = k === 0 ? `h${i}` : `h${i}l${k}`;
          bridgeLines.push(
            `link add ${port} type veth peer name eth${k} netns ${hostNs[i]}`,
            `link set ${port} master br${k}`,
            `link set ${port} up`,
          );
        }
      }
      await mustRun(IP, ["-n", bridge, "-batch", "-"], { stdin: bridgeLines.join("\n") + "\n" });
      const hex2 = (n: number) => n.toString(16).padStart(2, "0");
      const hosts: LabHost[] = [];
      await Promise.all(hostNs.map(async (ns, i) => {
        const interfaces: LabInterface[] = [];
        const lines = ["link set lo up"];
        for (const [k, hostsOn] of links.entries()) {
          if (!hostsOn.includes(i)) continue;
          const ifname = `eth${k}`;
          const mac = `02:77:00:${hex2(k)}:${hex2((i + 1) >> 8)}:${hex2((i + 1) & 0xff)}`;
          const ipv4 = `${subnetOf(k)}.${10 + i}`;
          lines.push(
            `link set ${ifname} address ${mac}`,
            `addr add ${ipv4}/24 dev ${ifname}`,
            `link set ${ifname} up`,
            // Without a route to the group, sending to 224.0.0.251 fails with ENETUNREACH.
            `route add 224.0.0.0/4 dev ${ifname} metric ${k}`,
          );
          interfaces.push({ link: k, ifname, mac, ipv4, ipv4PrefixLength: 24, ipv6LinkLocal: "" });
        }
        await mustRun(IP, ["-n", ns, "-batch", "-"], { stdin: lines.join("\n") + "\n" });
        const first = interfaces[0]!;
        hosts[i] = {
          index: i,
          netns: ns,
          hostname: `lab-h${i}`,
          ifname: first.ifname,
          mac: first.mac,
          ipv4: first.ipv4,
          ipv4PrefixLength: first.ipv4PrefixLength,
          ipv6LinkLocal: "",
          interfaces,
        };
      }));
      const linkLocal = await waitForLinkLocal(
        hosts,
        init.waitForIpv6 ?? true,
        init.dadTimeoutMs ?? 15_000,
      );
      const ready = new NetnsLan(
        prefix,
        hosts.map((h, i) => {
          const interfaces = h.interfaces.map((x, j) => ({
            ...x,
            ipv6LinkLocal: linkLocal[i]?.[j] ?? "",
          }));
          return { ...h, ipv6LinkLocal: interfaces[0]!.ipv6LinkLocal, interfaces };
        }),
        namespaces,
        outside,
        workDir,
        Math.round(performance.now() - started),
      );
      liveLabs.add(ready);
      return ready;
    } catch (error) {
      await removeNamespaces(all);
      rmSync(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Throws LabSafetyError unless `netns` is a namespace of this lab: its name carries this run's
   * prefix, /run/netns/<name> still has the inode it had when the lab made it, and that inode is
   * neither this process's namespace nor PID 1's. Anything it cannot check counts as a failure.
   */
  assertInsideLab(netns: string): void {
    const known = this.#namespaces.get(netns);
    if (this.#destroyed !== undefined) {
      throw new LabSafetyError(`Refusing to run in ${netns}: the lab was destroyed`);
    }
    if (known === undefined || !netns.startsWith(`${this.prefix}-`)) {
      throw new LabSafetyError(
        `Refusing to run in ${netns}: not a namespace of lab ${this.prefix}`,
      );
    }
    let now: string;
    try {
      now = inodeOf(`/run/netns/${netns}`);
    } catch (error) {
      throw new LabSafetyError(
        `Refusing to run in ${netns}: cannot read /run/netns/${netns}: ${(error as Error).message}`,
      );
    }
    if (now !== known.inode) {
      throw new LabSafetyError(
        `Refusing to run in ${netns}: its inode changed from ${known.inode} to ${now}`,
      );
    }
    let outside: string[];
    try {
      outside = [...new Set([...this.#outside, ...outsideInodes()])];
    } catch (error) {
      throw new LabSafetyError(
        `Refusing to run in ${netns}: cannot read this process's namespace: ${
          (error as Error).message
        }`,
      );
    }
    if (outside.includes(now)) {
      throw new LabSafetyError(`Refusing to run in ${netns}: it is the machine's own namespace`);
    }
  }

  /** Like assertInsideLab(), for host `i`; returns the host. */
  #host(i: number): LabHost {
    const host = this.hosts[i];
    if (host === undefined) throw new RangeError(`No host ${i} in lab ${this.prefix}`);
    this.assertInsideLab(host.netns);
    return host;
  }

  /**
   * Starts `command args...` in host `i`: `ip netns exec <ns> unshare --uts [--mount] sh -c
   * 'hostname <name>; [mount --bind ...;] exec "$@"'`. Each step execs the next, so the pid is
   * the command's own. Checks assertInsideLab() first.
   */
  spawn(
    i: number,
    command: string,
    args: readonly string[],
    options: SpawnOptions = {},
  ): LabProcess {
    const host = this.#host(i);
    return this.#spawnIn(host.netns, i, command, args, options, host.hostname);
  }

  #spawnIn(
    netns: string,
    index: number,
    command: string,
    args: readonly string[],
    options: SpawnOptions,
    defaultHostname: string,
  ): LabProcess {
    this.assertInsideLab(netns);
    const hostname = options.hostname === undefined ? defaultHostname : options.hostname;
    const mounts = options.mounts ?? [];
    const steps: string[] = [];
    if (hostname !== false) {
      if (!/^[a-zA-Z0-9-]{1,63}$/.test(hostname)) {
        throw new TypeError(`Cannot spawn: host name ${hostname} is not a DNS label`);
      }
      steps.push(`hostname ${hostname}`);
    }
    for (const m of mounts) {
      steps.push(`mkdir -p '${m.target}' && mount --bind '${m.source}' '${m.target}'`);
    }
    const unshareArgs = [
      ...(hostname === false ? [] : ["--uts"]),
      ...(mounts.length > 0 ? ["--mount"] : []),
    ];
    const argv = unshareArgs.length === 0 ? ["netns", "exec", netns, command, ...args] : [
      "netns",
      "exec",
      netns,
      UNSHARE,
      ...unshareArgs,
      "--",
      "/bin/sh",
      "-c",
      `set -e; ${steps.join("; ")}; exec "$@"`,
      "lab-spawn",
      command,
      ...args,
    ];
    const namespace = this.#namespaces.get(netns)!;
    const child = new Deno.Command(IP, {
      args: argv,
      stdin: "null",
      stdout: options.stdout ?? "piped",
      stderr: options.stderr ?? "piped",
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: {
        ...(options.env ?? {}),
        [LAB_NETNS_INODE_ENV]: namespace.inode,
        [LAB_OUTSIDE_INODES_ENV]: this.#outside.join(","),
      },
    }).spawn();
    const handle = labProcess(child, index, command, options.hardTimeoutMs ?? 120_000);
    const tracked = Object.assign(handle, { child });
    this.#processes.add(tracked);
    handle.exited.then(() => this.#processes.delete(tracked));
    return handle;
  }

  /** Runs `command args...` in host `i` to its end (killed after `timeoutMs`). */
  async run(
    i: number,
    command: string,
    args: readonly string[],
    options: SpawnOptions & { timeoutMs?: number } = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const p = this.spawn(i, command, args, {
      ...options,
      hardTimeoutMs: options.timeoutMs ?? 30_000,
    });
    const status = await p.exited;
    return { code: status.code, stdout: p.stdout(), stderr: p.stderr() };
  }

  /**
   * Starts a private dbus-daemon and avahi-daemon (`--no-drop-root --no-chroot`, wide-area off,
   * only `eth0`, host name `lab-h<i>`, a private /run/avahi-daemon) in host `i`, and waits until
   * avahi says its startup is complete (its host name probed and announced). `ipv4: false`
   * makes avahi speak IPv6 only (`use-ipv4=no`), to check what we send over IPv6.
   */
  async startAvahi(
    i: number,
    options: { timeoutMs?: number; hostname?: string; ipv4?: boolean } = {},
  ): Promise<AvahiHandle> {
    const host = this.#host(i);
    const hostname = options.hostname ?? host.hostname;
    const dir = join(this.workDir, `avahi-h${i}`);
    mkdirSync(join(dir, "run"), { recursive: true });
    const busPath = join(dir, "bus");
    writeFileSync(
      join(dir, "dbus.conf"),
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${busPath}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`,
    );
    writeFileSync(
      join(dir, "avahi-daemon.conf"),
      `[server]
host-name=${hostname}
domain-name=local
use-ipv4=${options.ipv4 === false ? "no" : "yes"}
use-ipv6=yes
allow-interfaces=${host.ifname}
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
[reflector]
enable-reflector=no
`,
    );
    const env = { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${busPath}` };
    const timeoutMs = options.timeoutMs ?? 15_000;
    const bus = this.spawn(i, "/usr/bin/dbus-daemon", [
      `--config-file=${join(dir, "dbus.conf")}`,
      "--nofork",
      "--print-address",
    ], { hostname });
    let daemon: LabProcess | undefined;
    try {
      await bus.waitFor(/unix:path=/, { stream: "stdout", timeoutMs });
      daemon = this.spawn(i, "/usr/sbin/avahi-daemon", [
        "--no-drop-root",
        "--no-chroot",
        "--no-rlimits",
        "-f",
        join(dir, "avahi-daemon.conf"),
      ], {
        env,
        hostname,
        mounts: [{ source: join(dir, "run"), target: "/run/avahi-daemon" }],
      });
      await daemon.waitFor(/Server startup complete/, { timeoutMs });
    } catch (error) {
      await daemon?.stop();
      await bus.stop();
      throw error;
    }
    const running = daemon;
    let stopping: Promise<void> | undefined;
    return {
      host: i,
      env,
      daemon: running,
      bus,
      stop: () =>
        stopping ??= (async () => {
          await running.stop({ graceMs: 3_000 });
          await bus.stop();
        })(),
    };
  }

  /**
   * Starts tshark on host `i`'s interface with a capture filter (default `udp port 5353`) and waits
   * until it captures. Passive: it sends nothing.
   */
  async capture(
    i: number,
    options: { filter?: string; name?: string; timeoutMs?: number; ifname?: string } = {},
  ): Promise<LabCapture> {
    const host = this.#host(i);
    const ifname = options.ifname ?? host.ifname;
    if (!host.interfaces.some((x) => x.ifname === ifname)) {
      throw new RangeError(`Cannot capture: host ${i} has no interface ${ifname}`);
    }
    const file = join(this.workDir, `${options.name ?? `capture-h${i}`}-${randomHex(2)}.pcapng`);
    const tshark = this.spawn(i, "/usr/bin/tshark", [
      "-n",
      "-q",
      "-i",
      ifname,
      "-f",
      options.filter ?? "udp port 5353",
      "-w",
      file,
    ], { hostname: false });
    await tshark.waitFor(/Capturing on/, {
      stream: "stderr",
      timeoutMs: options.timeoutMs ?? 10_000,
    });
    let stopping: Promise<void> | undefined;
    const stop = () =>
      stopping ??= (async () => {
        // SIGINT: tshark stops dumpcap and finishes the file.
        await tshark.stop({ signal: "SIGINT", graceMs: 5_000 });
      })();
    return {
      host: i,
      file,
      stop,
      packets: async () => {
        await stop();
        return await readCapture(file);
      },
    };
  }

  /** Kills every process this lab started (SIGTERM, then SIGKILL), deletes its namespaces and files. */
  destroy(): Promise<void> {
    this.#destroyed ??= (async () => {
      await Promise.all([...this.#processes].map((p) => p.stop({ graceMs: 2_000 })));
      await removeNamespaces([...this.#namespaces.keys()]);
      rmSync(this.workDir, { recursive: true, force: true });
      liveLabs.delete(this);
    })();
    return this.#destroyed;
  }

  /** destroy() without waiting, for the process's unload event. */
  destroySync(): void {
    if (this.#destroyed !== undefined && !liveLabs.has(this)) return;
    this.#destroyed ??= Promise.resolve();
    liveLabs.delete(this);
    for (const p of this.#processes) {
      try {
        p.child.kill("SIGKILL");
      } catch {
        // gone
      }
    }
    for (const name of this.#namespaces.keys()) {
      try {
        const pids = new Deno.Command(IP, { args: ["netns", "pids", name] }).outputSync();
        for (const pid of new TextDecoder().decode(pids.stdout).split("\n").map(Number)) {
          if (Number.isInteger(pid) && pid > 0) Deno.kill(pid, "SIGKILL");
        }
      } catch {
        // best effort
      }
      new Deno.Command(IP, { args: ["netns", "del", name], stderr: "null" }).outputSync();
    }
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

function labProcess(
  child: Deno.ChildProcess,
  host: number,
  command: string,
  hardTimeoutMs: number,
): LabProcess {
  const text = { stdout: "", stderr: "" };
  let done = false;
  const waiters = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array> | null, key: "stdout" | "stderr") => {
    if (stream === null) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        if (text[key].length < MAX_OUTPUT_CHARS) {
          text[key] += decoder.decode(chunk, { stream: true });
        }
        for (const w of [...waiters]) w();
      }
    } catch {
      // stream closed
    }
  };
  let stdoutStream: ReadableStream<Uint8Array> | null = null;
  let stderrStream: ReadableStream<Uint8Array> | null = null;
  try {
    stdoutStream = child.stdout;
  } catch {
    // "null"
  }
  try {
    stderrStream = child.stderr;
  } catch {
    // "null"
  }
  const reading = Promise.all([pump(stdoutStream, "stdout"), pump(stderrStream, "stderr")]);
  const hardKill = setTimeout(() => kill("SIGKILL"), hardTimeoutMs);
  const exited = child.status.then(async (status) => {
    clearTimeout(hardKill);
    await reading;
    done = true;
    for (const w of [...waiters]) w();
    return { code: status.code, signal: status.signal };
  });
  function kill(signal: Deno.Signal = "SIGTERM"): void {
    if (done) return;
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
  return {
    pid: child.pid,
    host,
    command,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    exited,
    kill,
    async stop(options = {}) {
      kill(options.signal ?? "SIGTERM");
      const killer = setTimeout(() => kill("SIGKILL"), options.graceMs ?? 2_000);
      const status = await exited;
      clearTimeout(killer);
      return status;
    },
    waitFor(pattern, options = {}) {
      return new Promise((resolve, reject) => {
        const finish = (result: RegExpExecArray | Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (result instanceof Error) reject(result);
          else resolve(result);
        };
        const timeoutMs = options.timeoutMs ?? 10_000;
        const streams = options.stream === undefined
          ? () => text.stdout + "\n" + text.stderr
          : () => text[options.stream!];
        const timer = setTimeout(
          () =>
            finish(
              new Error(
                `${command} (host ${host}): timed out after ${timeoutMs} ms waiting for ${pattern}\nstdout:\n${text.stdout}\nstderr:\n${text.stderr}`,
              ),
            ),
          timeoutMs,
        );
        const check = () => {
          const match = pattern.exec(streams());
          if (match) finish(match);
          else if (done) {
            finish(
              new Error(
                `${command} (host ${host}) exited before ${pattern}\nstdout:\n${text.stdout}\nstderr:\n${text.stderr}`,
              ),
            );
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

const DNS_TYPES: Record<string, string> = {
  "1": "A",
  "12": "PTR",
  "16": "TXT",
  "28": "AAAA",
  "33": "SRV",
  "47": "NSEC",
  "255": "ANY",
};

/** Reads a capture file with tshark (reading a file touches no network). */
export async function readCapture(file: string): Promise<CapturedPacket[]> {
  const fields = [
    "frame.number",
    "frame.time_relative",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "udp.srcport",
    "udp.dstport",
    "ip.ttl",
    "ipv6.hlim",
    "udp.payload",
    "dns.flags.response",
    "dns.count.queries",
    "dns.count.answers",
    "dns.count.auth_rr",
    "dns.count.add_rr",
    "dns.qry.name",
    "dns.qry.type",
    "dns.qry.qu",
    "dns.resp.type",
    "dns.resp.ttl",
    "dns.resp.cache_flush",
    "_ws.col.Info",
  ];
  const out = await run("/usr/bin/tshark", [
    "-n",
    "-r",
    file,
    "-T",
    "fields",
    "-E",
    "separator=\t",
    "-E",
    "occurrence=a",
    "-E",
    "aggregator=\u001f",
    ...fields.flatMap((f) => ["-e", f]),
  ]);
  if (out.code !== 0) throw new Error(`Cannot read capture ${file}: ${out.stderr.trim()}`);
  const packets: CapturedPacket[] = [];
  const list = (text: string | undefined) => text ? text.split("\u001f") : [];
  const first = (text: string | undefined) => list(text)[0] ?? "";
  for (const line of out.stdout.split("\n")) {
    if (line === "") continue;
    const [
      frame,
      time,
      src4,
      dst4,
      src6,
      dst6,
      sport,
      dport,
      ttl,
      hlim,
      payload,
      response,
      qdcount,
      ancount,
      nscount,
      arcount,
      qnames,
      qtypes,
      qu,
      rtypes,
      rttls,
      flush,
      info,
    ] = line.split("\t");
    const family = src4 ? 4 : 6;
    const typeName = (t: string) => DNS_TYPES[t] ?? `TYPE${t}`;
    const qtypeList = list(qtypes);
    const rtypeList = list(rtypes);
    packets.push({
      frame: Number(frame),
      time: Number(time),
      family,
      src: first(family === 4 ? src4 : src6),
      dst: first(family === 4 ? dst4 : dst6),
      srcPort: Number(first(sport)),
      dstPort: Number(first(dport)),
      ttl: Number(first(family === 4 ? ttl : hlim)),
      payloadHex: first(payload).replaceAll(":", "").toLowerCase(),
      info: info ?? "",
      dns: response === undefined || response === "" ? undefined : {
        response: first(response) === "1" || first(response) === "True",
        questions: Number(first(qdcount)),
        answers: Number(first(ancount)),
        authorities: Number(first(nscount)),
        additionals: Number(first(arcount)),
        questionList: list(qnames).map((n, i) => `${n}/${typeName(qtypeList[i] ?? "")}`),
        qu: list(qu).map((v) => v === "1" || v === "True"),
        records: rtypeList.map(typeName),
        ttls: list(rttls).map(Number),
        cacheFlush: list(flush).map((v) => v === "1" || v === "True"),
      },
    });
  }
  return packets;
}

/** What labSelfTest() found. */
export interface SelfTestReport {
  readonly createdInMs: number;
  readonly zeroconfSawAvahi: unknown;
  readonly avahiSawZeroconf: string;
  readonly packets: number;
  readonly sources: readonly string[];
  readonly families: readonly number[];
}

/**
 * Proves the lab works: python-zeroconf in host 0 and avahi in host 1 each publish a service and
 * find the other's (avahi-browse -rpt, zeroconf_tool.py browse), while tshark in host 1 sees
 * their packets over IPv4 and IPv6. Throws with what is missing.
 */
export async function labSelfTest(lan: NetnsLan): Promise<SelfTestReport> {
  if (lan.hosts.length < 2) throw new RangeError("Cannot self-test a lab of fewer than 2 hosts");
  const type = "_superpeer-lab._udp";
  const capture = await lan.capture(1, { name: "selftest" });
  const avahi = await lan.startAvahi(1);
  const zcPublish = lan.spawn(0, PYTHON, [
    ZEROCONF_TOOL,
    "publish",
    `${type}.local.`,
    "zeroconf one",
    "5060",
    "from=zeroconf",
    "flag",
  ]);
  const avahiPublish = lan.spawn(1, "/usr/bin/avahi-publish-service", [
    "avahi one",
    type,
    "5061",
    "from=avahi",
  ], { env: avahi.env });
  try {
    await zcPublish.waitFor(/"event": "registered"/, { stream: "stdout", timeoutMs: 10_000 });
    await avahiPublish.waitFor(/Established under name/, { timeoutMs: 10_000 });
    const browse = await lan.run(0, PYTHON, [ZEROCONF_TOOL, "browse", `${type}.local.`, "3"]);
    const found = browse.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) =>
      JSON.parse(l)
    ).find((r) => r.event === "resolved" && r.name === `avahi one.${type}.local.`);
    if (found === undefined) {
      throw new Error(
        `Lab self-test failed: python-zeroconf in host 0 did not find avahi's service\n${browse.stdout}${browse.stderr}`,
      );
    }
    const avahiBrowse = await lan.run(1, "/usr/bin/avahi-browse", ["-rpt", type], {
      env: avahi.env,
      timeoutMs: 15_000,
    });
    const resolved = avahiBrowse.stdout.split("\n").find((l) =>
      l.startsWith("=;") && l.includes("zeroconf\\032one")
    );
    if (resolved === undefined) {
      throw new Error(
        `Lab self-test failed: avahi in host 1 did not find python-zeroconf's service\n${avahiBrowse.stdout}${avahiBrowse.stderr}`,
      );
    }
    if (!resolved.includes(lan.hosts[0]!.ipv4) || !resolved.includes("lab-h0.local")) {
      throw new Error(`Lab self-test failed: avahi resolved the wrong host: ${resolved}`);
    }
    await zcPublish.stop();
    await avahiPublish.stop();
    await avahi.stop();
    const packets = await capture.packets();
    const sources = [...new Set(packets.map((p) => p.src))].sort();
    const families = [...new Set(packets.map((p) => p.family))].sort();
    for (const h of lan.hosts.slice(0, 2)) {
      for (const address of [h.ipv4, h.ipv6LinkLocal]) {
        if (!sources.includes(address)) {
          throw new Error(
            `Lab self-test failed: tshark saw no mDNS packet from ${address}; sources ${sources}`,
          );
        }
      }
    }
    const bad = packets.filter((p) => p.dst === "224.0.0.251" && p.ttl !== 255);
    if (bad.length > 0) {
      throw new Error(`Lab self-test failed: multicast with TTL other than 255: ${bad[0]!.info}`);
    }
    return {
      createdInMs: lan.createdInMs,
      zeroconfSawAvahi: found,
      avahiSawZeroconf: resolved,
      packets: packets.length,
      sources,
      families,
    };
  } finally {
    await zcPublish.stop();
    await avahiPublish.stop();
    await avahi.stop();
    await capture.stop();
  }
}

/** The path of the python-zeroconf helper. */
export const ZEROCONF_TOOL_PATH = ZEROCONF_TOOL;
/** The python3 that has Debian's python3-zeroconf. */
export const LAB_PYTHON = PYTHON;

async function main(args: string[]): Promise<number> {
  const [command = "help", ...rest] = args;
  const hostsFlag = rest.indexOf("--hosts");
  const hosts = hostsFlag >= 0 ? Number(rest[hostsFlag + 1]) : 2;
  switch (command) {
    case "selftest": {
      const reason = await NetnsLan.available({ tools: ["avahi", "zeroconf", "tshark"] });
      if (reason !== undefined) {
        console.error(`netns-lan selftest: cannot run: ${reason}`);
        return 2;
      }
      const lan = await NetnsLan.create({ hosts: Math.max(2, hosts) });
      try {
        console.log(`lab ${lan.prefix}: ${lan.hosts.length} hosts ready in ${lan.createdInMs} ms`);
        const report = await labSelfTest(lan);
        console.log(JSON.stringify(report, null, 2));
        console.log("netns-lan selftest: ok");
        return 0;
      } catch (error) {
        console.error(`netns-lan selftest: FAILED: ${(error as Error).message}`);
        return 1;
      } finally {
        await lan.destroy();
      }
    }
    case "up": {
      const reason = await NetnsLan.available();
      if (reason !== undefined) {
        console.error(`netns-lan up: cannot run: ${reason}`);
        return 2;
      }
      const lan = await NetnsLan.create({ hosts });
      console.log(
        JSON.stringify(
          { prefix: lan.prefix, createdInMs: lan.createdInMs, hosts: lan.hosts },
          null,
          2,
        ),
      );
      console.log("netns-lan up: press Ctrl-C to destroy the lab");
      await new Promise<void>((resolve) => {
        Deno.addSignalListener("SIGINT", () => resolve());
        Deno.addSignalListener("SIGTERM", () => resolve());
      });
      await lan.destroy();
      return 0;
    }
    case "cleanup": {
      const removed = await NetnsLan.cleanupStale();
      console.log(
        `netns-lan cleanup: removed ${removed.length} stale namespaces ${removed.join(" ")}`,
      );
      return 0;
    }
    case "list": {
      for (const name of await labNamespaces()) console.log(name);
      return 0;
    }
    default:
      console.log(
        [
          "Usage: scripts/netns-lan <command>",
          "  selftest [--hosts N]  build a lab, check avahi <-> python-zeroconf both ways with tshark, destroy it",
          "  up [--hosts N]        build a lab and keep it until Ctrl-C (prints hosts, namespaces, addresses)",
          "  fixtures [dir]        capture avahi / python-zeroconf packets into test/fixtures/mdns",
          "  cleanup               delete lab namespaces whose creating process is gone",
          "  list                  list lab namespaces (splab-*)",
        ].join("\n"),
      );
      return command === "help" ? 0 : 2;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
