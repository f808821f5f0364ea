// The one file that knows which runtime it is on (STYLE: `Deno.*` and the runtime switch live here).
import { readFileSync } from "node:fs";
import { getHeapStatistics } from "node:v8";
import { SuperpeerError } from "../core/errors.ts";
import { MIN_DENO_VERSION, MIN_NODE_MAJOR } from "../core/version.ts";

export type RuntimeName = "deno" | "node";

export interface RuntimeInfo {
  readonly name: RuntimeName;
  readonly version: string;
  readonly v8: string;
}

interface DenoGlobal {
  version: { deno: string; v8: string };
  args: string[];
}

function denoGlobal(): DenoGlobal | undefined {
  return (globalThis as { Deno?: DenoGlobal }).Deno;
}

/** Which runtime runs this process, and its version. */
export function runtimeInfo(): RuntimeInfo {
  const deno = denoGlobal();
  if (deno) return { name: "deno", version: deno.version.deno, v8: deno.version.v8 };
  return { name: "node", version: process.versions.node, v8: process.versions.v8 };
}

/** The command-line arguments after the program (and script) name, on every way of running. */
export function commandLineArgs(): string[] {
  const deno = denoGlobal();
  return deno ? [...deno.args] : process.argv.slice(2);
}

/** Compares dotted numeric versions: negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(/[.+-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Refuses to run on a runtime older than the pinned minimum, saying what to install. */
export function checkRuntime(info: RuntimeInfo = runtimeInfo()): void {
  if (info.name === "deno" && compareVersions(info.version, MIN_DENO_VERSION) < 0) {
    throw new SuperpeerError(
      "RUNTIME_UNSUPPORTED",
      `Cannot run on Deno ${info.version}: superpeer needs Deno >= ${MIN_DENO_VERSION} (npm ci installs it; run with npx deno)`,
    );
  }
  if (info.name === "node" && compareVersions(info.version, `${MIN_NODE_MAJOR}.0.0`) < 0) {
    throw new SuperpeerError(
      "RUNTIME_UNSUPPORTED",
      `Cannot run on Node ${info.version}: superpeer needs Node >= ${MIN_NODE_MAJOR}`,
    );
  }
}

/** The soft `nofile` limit of this process (Linux /proc), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (!match) return undefined;
    return match[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** Memory figures of the process, in bytes. */
export interface MemorySample {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly heapLimitBytes: number;
  readonly externalBytes: number;
}

/** Samples the process's memory (RSS from the OS, heap from V8). */
export function sampleMemory(): MemorySample {
  const usage = process.memoryUsage();
  return {
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    heapTotalBytes: usage.heapTotal,
    heapLimitBytes: getHeapStatistics().heap_size_limit,
    externalBytes: usage.external,
  };
}

/** Signals the daemon reacts to. */
export interface SignalHandlers {
  shutdown(signal: "SIGINT" | "SIGTERM"): void;
  reload(): void;
}

/** Installs SIGINT/SIGTERM/SIGHUP handlers; returns a function that removes them. */
export function installSignalHandlers(handlers: SignalHandlers): () => void {
  const onInt = () => handlers.shutdown("SIGINT");
  const onTerm = () => handlers.shutdown("SIGTERM");
  const onHup = () => handlers.reload();
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  process.on("SIGHUP", onHup);
  return () => {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    process.off("SIGHUP", onHup);
  };
}

/**
 * Routes exceptions and rejections that no handler caught to `report` instead of ending the
 * process: one bad packet in one handler must not take an access point's phones offline.
 */
export function installCrashGuards(
  report: (error: unknown, kind: "exception" | "rejection") => void,
): () => void {
  const onException = (error: unknown) => report(error, "exception");
  const onRejection = (reason: unknown) => report(reason, "rejection");
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}
