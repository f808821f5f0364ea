// deno-lint-ignore-file no-console -- a child process: stdout (JSON lines) is its interface
/**
 * Runs MdnsSockets inside a host of the netns lab, for test/interop/mdns_sockets_test.ts, on Deno
 * (`deno run -A sockets_driver.ts`) and on Node (an esbuild bundle of this file). Refuses to open
 * a socket unless it runs in the lab namespace it was started for (labGuard()).
 *
 * Usage: sockets_driver.ts --allow eth0[,eth1|*] [--deny x] [--no-ipv4] [--no-ipv6]
 *          [--send <interface>:<4|6>:<text>]... [--send-hex <interface>:<4|6>:<hex>]...
 *          [--send-after-ms 300] [--listen-ms 5000]
 * Prints JSON lines: {"event":"ready","runtime"}, {"event":"up","info"}, {"event":"packet","from",
 * "interfaceName","fromSelf","text","hex"}, {"event":"sent","interfaceName","family"},
 * {"event":"metrics","values"} and {"event":"done"} at the end (after --listen-ms, or on SIGTERM).
 *
 * @module
 */
import { statSync } from "node:fs";
import process from "node:process";
import type { LogFields, Logger } from "../../../src/core/logger.ts";
import { MetricsRegistry } from "../../../src/core/metrics.ts";
import { MdnsSockets } from "../../../src/transport/mdns_sockets.ts";

/** Set by the lab's spawn(): the namespace this process must be in (`dev:ino`). */
const LAB_NETNS_INODE_ENV = "SUPERPEER_LAB_NETNS_INODE";
/** Set by the lab's spawn(): namespaces this process must not be in. */
const LAB_OUTSIDE_INODES_ENV = "SUPERPEER_LAB_OUTSIDE_INODES";

/**
 * Whether a process may multicast: only in the lab namespace it was started for, never in one of
 * the outside namespaces; anything unknown refuses. Returns the reason to refuse, or undefined.
 */
export function labGuard(facts: {
  readonly own: string | undefined;
  readonly expected: string | undefined;
  readonly outside: readonly string[];
}): string | undefined {
  const { own, expected, outside } = facts;
  if (own === undefined) return "cannot read /proc/self/ns/net";
  if (expected === undefined || expected === "") {
    return `${LAB_NETNS_INODE_ENV} is not set: start this with the lab's spawn()`;
  }
  if (outside.length === 0) return `${LAB_OUTSIDE_INODES_ENV} is not set`;
  if (outside.includes(own)) return `this is the machine's own network namespace (${own})`;
  if (own !== expected) return `this namespace (${own}) is not the lab's (${expected})`;
  return undefined;
}

function inode(path: string): string | undefined {
  try {
    const info = statSync(path);
    return `${info.dev}:${info.ino}`;
  } catch {
    return undefined;
  }
}

function say(value: Record<string, unknown>): void {
  console.log(JSON.stringify(value));
}

function stderrLogger(name: string): Logger {
  const at = (level: string) => (message: string, fields?: LogFields) =>
    console.error(JSON.stringify({ level, name, message, ...fields }));
  return {
    name,
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: () => {},
    enabled: (level) => level !== "debug",
  };
}

interface Options {
  allow: string[];
  deny: string[];
  ipv4: boolean;
  ipv6: boolean;
  sends: { interfaceName: string; family: 4 | 6; bytes: Uint8Array }[];
  sendAfterMs: number;
  listenMs: number;
}

function parse(args: readonly string[]): Options {
  const o: Options = {
    allow: [],
    deny: [],
    ipv4: true,
    ipv6: true,
    sends: [],
    sendAfterMs: 300,
    listenMs: 5_000,
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--allow":
        o.allow.push(...value().split(","));
        break;
      case "--deny":
        o.deny.push(...value().split(","));
        break;
      case "--no-ipv4":
        o.ipv4 = false;
        break;
      case "--no-ipv6":
        o.ipv6 = false;
        break;
      case "--send":
      case "--send-hex": {
        const [interfaceName, family, ...rest] = value().split(":");
        if (interfaceName === undefined || (family !== "4" && family !== "6")) {
          throw new Error(`${flag} takes <interface>:<4|6>:<payload>`);
        }
        const payload = rest.join(":");
        const bytes = flag === "--send"
          ? new TextEncoder().encode(payload)
          : Uint8Array.from(payload.match(/../g) ?? [], (h) => parseInt(h, 16));
        o.sends.push({ interfaceName, family: family === "4" ? 4 : 6, bytes });
        break;
      }
      case "--send-after-ms":
        o.sendAfterMs = Number(value());
        break;
      case "--listen-ms":
        o.listenMs = Number(value());
        break;
      default:
        throw new Error(`unknown argument ${flag}`);
    }
  }
  return o;
}

async function main(): Promise<number> {
  const refusal = labGuard({
    own: inode("/proc/self/ns/net"),
    expected: process.env[LAB_NETNS_INODE_ENV],
    outside: [
      ...(process.env[LAB_OUTSIDE_INODES_ENV] ?? "").split(",").filter((x) => x !== ""),
      ...[inode("/proc/1/ns/net")].filter((x): x is string => x !== undefined),
    ],
  });
  if (refusal !== undefined) {
    console.error(`sockets_driver: refusing to multicast: ${refusal}`);
    return 3;
  }
  const options = parse(process.argv.slice(2).filter((a) => a !== "--"));
  const runtime = "Deno" in globalThis
    ? `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
    : `node ${process.version}`;
  const metrics = new MetricsRegistry();
  const sockets = new MdnsSockets(
    {
      interfaces: { allow: options.allow, deny: options.deny },
      ipv4: options.ipv4,
      ipv6: options.ipv6,
      pollIntervalMs: 1_000,
    },
    { logger: stderrLogger("superpeer:transport:mdns"), metrics },
  );
  const decoder = new TextDecoder();
  sockets.onInterfaceUp((info) => say({ event: "up", info }));
  sockets.onInterfaceChange((info) => say({ event: "change", info }));
  sockets.onInterfaceDown((name) => say({ event: "down", name }));
  sockets.onPacket((bytes, from, interfaceName, fromSelf) =>
    say({
      event: "packet",
      from,
      interfaceName,
      fromSelf,
      length: bytes.length,
      text: decoder.decode(bytes),
      hex: [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(""),
    })
  );
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  process.on("SIGTERM", () => finish());
  process.on("SIGINT", () => finish());
  await sockets.start();
  say({ event: "ready", runtime });
  const sendTimer = setTimeout(() => {
    for (const s of options.sends) {
      sockets.send(s.bytes, s.interfaceName, s.family);
      say({ event: "sent", interfaceName: s.interfaceName, family: s.family });
    }
  }, options.sendAfterMs);
  const listenTimer = setTimeout(() => finish(), options.listenMs);
  await finished;
  clearTimeout(sendTimer);
  clearTimeout(listenTimer);
  const values: Record<string, number> = {};
  for (const family of metrics.collect()) {
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels).map(([k, v]) => `${k}="${v}"`).join(",");
      values[`${family.name}${labels === "" ? "" : `{${labels}}`}`] = sample.value;
    }
  }
  say({ event: "metrics", values });
  await sockets.close();
  say({ event: "done" });
  return 0;
}

// Run when executed (Deno: import.meta.main; the Node bundle: the flag set by its banner).
const isMain = (import.meta as { main?: boolean }).main === true ||
  (globalThis as { __superpeerDriverMain?: boolean }).__superpeerDriverMain === true;
if (isMain) {
  main().then((code) => process.exit(code), (error) => {
    console.error(`sockets_driver: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  });
}
