import { SuperpeerError, UsageError } from "../core/errors.ts";
import { loadConfig } from "../daemon/config/load_config.ts";
import type { CliIo } from "./cli_io.ts";
import { ExitCode } from "./exit_codes.ts";
import { CONFIG_OPTION_SPECS, HELP } from "./help_text.ts";
import { parseOptions, stringOption, stringsOption } from "./parse_options.ts";

/** How long `status` waits for the daemon. */
export const STATUS_TIMEOUT_MS = 3_000;

const MIB = 1024 * 1024;

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function mib(bytes: unknown): string {
  return `${(num(bytes) / MIB).toFixed(1)} MiB`;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? value as Record<string, unknown> : {};
}

/** The overlay's neighbourhood: joined, predecessors, successors, fingers, records per kind. */
function overlayLines(details: Record<string, unknown>): string[] {
  if (Object.keys(details).length === 0) return [];
  const peers = (value: unknown) =>
    Array.isArray(value) && value.length > 0
      ? value.map((p) => {
        const r = record(p);
        return `${String(r.nodeId ?? "?").slice(0, 8)}@${String(r.address ?? "?")}`;
      }).join(" ")
      : "(none)";
  const fingers = Array.isArray(details.fingers) ? details.fingers.filter((f) => f !== null) : [];
  const records = Object.entries(record(details.records)).map(([k, v]) => `kind ${k}: ${String(v)}`)
    .join(", ");
  return [
    `    udp ${String(details.udp ?? "?")}, ${details.joined ? "joined" : "not joined"}`,
    `    predecessors ${peers(details.predecessors)}`,
    `    successors   ${peers(details.successors)}`,
    `    fingers      ${fingers.length} set: ${peers(fingers)}`,
    `    records      ${records || "none"}`,
  ];
}

/** mDNS: off, or per interface its host name and the services found there; overlay peers found. */
function mdnsLines(details: Record<string, unknown>): string[] {
  if (Object.keys(details).length === 0) return [];
  if (details.enabled !== true) {
    return ["    off (mdns.interfaces is empty or mdns.enabled is false)"];
  }
  const lines: string[] = [];
  for (const entry of Array.isArray(details.interfaces) ? details.interfaces : []) {
    const i = record(entry);
    const records = Array.isArray(i.records) ? i.records.map(record) : [];
    const pending = records.filter((r) => r.state !== "announced").length;
    const found = Array.isArray(i.services) ? i.services.length : 0;
    lines.push(
      `    ${String(i.name ?? "?")}: ${String(i.host ?? "?")}, ${records.length} record sets${
        pending > 0 ? ` (${pending} still probing or announcing)` : ""
      }, ${found} services found`,
    );
  }
  const peers = Array.isArray(details.overlayPeers) ? details.overlayPeers.map(record) : [];
  lines.push(
    `    overlay peers found: ${
      peers.length === 0
        ? "none"
        : peers.map((p) => `${String(p.nodeId ?? "?").slice(0, 8)}@${String(p.address)}`).join(" ")
    }`,
  );
  const skipped = Array.isArray(details.notAdvertised) ? details.notAdvertised : [];
  if (skipped.length > 0) lines.push(`    not advertised: ${skipped.join("; ")}`);
  return lines;
}

/** Renders the /status JSON as a few readable lines; tolerates missing fields from other versions. */
export function formatStatusSummary(status: unknown): string {
  const s = record(status);
  const runtime = record(s.runtime);
  const memory = record(s.memory);
  const lines = [
    `superpeer ${String(s.version ?? "?")} on ${String(runtime.name ?? "?")} ${
      String(runtime.version ?? "")
    }`.trimEnd(),
    `node id     ${String(s.nodeId ?? "?")}`,
    `target      ${String(s.target ?? "?")}`,
    `uptime      ${num(s.uptimeSeconds)} s`,
    `memory      rss ${mib(memory.rssBytes)} of ${mib(memory.rssBudgetBytes)} budget; heap ${
      mib(memory.heapUsedBytes)
    } used, limit ${mib(memory.heapLimitBytes)} (budget ${mib(memory.heapBudgetBytes)})`,
    `event loop  lag ${num(s.eventLoopLagMs)} ms`,
    "services:",
  ];
  const services = Array.isArray(s.services) ? s.services : [];
  if (services.length === 0) lines.push("  (none)");
  for (const service of services) {
    const r = record(service);
    const error = r.error === undefined ? "" : `  (${String(r.error)})`;
    lines.push(`  ${String(r.name ?? "?").padEnd(12)} ${String(r.state ?? "?")}${error}`);
    if (r.name === "overlay") lines.push(...overlayLines(record(r.details)));
    if (r.name === "mdns") lines.push(...mdnsLines(record(r.details)));
  }
  return lines.join("\n") + "\n";
}

/** `superpeer status`: prints a running daemon's /status. */
export async function statusCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseOptions(args, {
    ...CONFIG_OPTION_SPECS,
    url: { type: "string", short: "u" },
    json: { type: "boolean" },
  }, "status");
  if (parsed.values.help) {
    io.stdout(HELP.status ?? "");
    return ExitCode.Ok;
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(`status: unexpected argument ${parsed.positionals[0]}`);
  }
  let base = stringOption(parsed, "url");
  if (base === undefined) {
    const { config } = await loadConfig({
      path: stringOption(parsed, "config"),
      sets: stringsOption(parsed, "set"),
      env: io.env,
    });
    const host = config.ops.host.includes(":") ? `[${config.ops.host}]` : config.ops.host;
    base = `http://${host}:${config.ops.port}`;
  }
  const url = `${base.replace(/\/+$/, "")}/status`;
  let body: unknown;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new SuperpeerError(
      "OPS_UNREACHABLE",
      `Cannot reach the daemon at ${url}: ${detail} (is superpeer running, ops.enabled true?)`,
    );
  }
  io.stdout(parsed.values.json ? JSON.stringify(body, null, 2) + "\n" : formatStatusSummary(body));
  return ExitCode.Ok;
}
