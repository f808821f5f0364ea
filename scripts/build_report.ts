// The table printed at the end of a build: what was written, how big, and what was skipped.
import { type Artifact, fileSize } from "./build_support.ts";

const MIB = 1024 * 1024;

function pad(
  cells: readonly string[],
  widths: readonly number[],
  right: ReadonlySet<number>,
): string {
  return cells
    .map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
    .join("  ")
    .trimEnd();
}

/**
 * The end-of-build report: built artifacts with bytes and MiB, then skipped ones with reasons.
 *
 * @example
 * ```ts
 * const text = await formatReport([{ kind: "built", path: "dist/superpeer.mjs" }], 1234);
 * ```
 */
export async function formatReport(
  artifacts: readonly Artifact[],
  elapsedMs: number,
): Promise<string> {
  const rows: string[][] = [["artifact", "bytes", "MiB", "notes"]];
  for (const a of artifacts) {
    if (a.kind !== "built") continue;
    const size = (await fileSize(a.path)) ?? 0;
    rows.push([a.path, String(size), (size / MIB).toFixed(2), a.note ?? ""]);
  }
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const lines = rows.map((r) => pad(r, [...widths, 0], new Set([1, 2])));
  lines.splice(
    1,
    0,
    pad(widths.map((w) => "-".repeat(w)).concat("-----"), [...widths, 0], new Set()),
  );
  if (rows.length === 1) lines.push("(nothing built)");
  const skipped = artifacts.filter((a) => a.kind === "skipped");
  if (skipped.length > 0) {
    lines.push("", "skipped:");
    for (const a of skipped) {
      const stale = (await fileSize(a.path)) === undefined
        ? ""
        : ` (an older ${a.path} from an earlier build is still there)`;
      lines.push(`  ${a.path}: ${a.reason}${stale}`);
    }
  }
  lines.push("", `build took ${(elapsedMs / 1000).toFixed(1)} s`);
  return `${lines.join("\n")}\n`;
}
