// Runs superpeer daemons inside hosts of a NetnsLan (test/helpers/netns_lan.ts) for the mDNS
// interop tests, and reads their /status from inside the host (the ops endpoint is on the
// namespace's own loopback, which the test process outside cannot reach).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DENO_BIN,
  EPHEMERAL_PORT_SETS,
  MAIN_TS,
  OPS_LISTENING,
} from "../../../scripts/lib/daemon_process.ts";
import { FAST } from "../../overlay/daemon_ring.ts";
import { LAB_PYTHON, type LabProcess, type NetnsLan } from "../../helpers/netns_lan.ts";

/** A daemon running in one lab host. */
export interface LabDaemon {
  readonly host: number;
  readonly process: LabProcess;
  readonly opsUrl: string;
  readonly dataDir: string;
}

/**
 * Starts `superpeer run` (Deno from source, or Node on a bundle) in lab host `host` with mDNS on
 * the host's eth0,
 * the overlay on every address with fast stabilisation, ops/SIP/relay ports chosen by the kernel,
 * and `extra` flags last. Resolves once the ops endpoint listens.
 */
export async function startLabDaemon(
  lan: NetnsLan,
  host: number,
  extra: readonly string[] = [],
  options: { nodeBundle?: string } = {},
): Promise<LabDaemon> {
  const dataDir = mkdtempSync(join(tmpdir(), "superpeer-lab-"));
  // On Node, the esbuild bundle (Node 20 cannot run .ts); on Deno, the source.
  const [command, launch] = options.nodeBundle
    ? ["node", [options.nodeBundle]]
    : [DENO_BIN, ["run", "--unstable-net", "-A", MAIN_TS]];
  const process = lan.spawn(host, command, [
    ...launch,
    "run",
    ...EPHEMERAL_PORT_SETS,
    ...FAST,
    // The overlay keeps its port (6084): the ring client addresses the daemons by it.
    ...["overlay.host=0.0.0.0", "mdns.interfaces=eth0", `dataDir=${dataDir}`].flatMap((s) => [
      "--set",
      s,
    ]),
    ...extra,
  ], { hardTimeoutMs: 150_000 });
  const match = await process.waitFor(OPS_LISTENING, { stream: "stderr", timeoutMs: 20_000 });
  return { host, process, opsUrl: match[1]!, dataDir };
}

/** GETs `path` of the daemon's ops endpoint with a Python one-liner inside its host. */
export async function labGet(lan: NetnsLan, daemon: LabDaemon, path: string): Promise<string> {
  const result = await lan.run(daemon.host, LAB_PYTHON, [
    "-c",
    "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())",
    `${daemon.opsUrl}${path}`,
  ], { timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`${path} of host ${daemon.host}: ${result.stderr}`);
  return result.stdout;
}

/** The daemon's /status. */
// deno-lint-ignore no-explicit-any -- /status is JSON read by tests field by field
export async function labStatus(lan: NetnsLan, daemon: LabDaemon): Promise<any> {
  return JSON.parse(await labGet(lan, daemon, "/status"));
}

/** The details of one service in a /status answer. */
// deno-lint-ignore no-explicit-any -- see labStatus
export function serviceDetails(status: any, name: string): any {
  return status.services.find((s: { name: string }) => s.name === name)?.details;
}
