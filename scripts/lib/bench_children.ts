// Child processes of the benches (servers under test): wait for one to be ready, stop one with
// SIGTERM then SIGKILL, and the Node bundle they run. Shared by the relay and SIP load benches.
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

/** Polls `probe` every 50 ms until it gives a value; throws with the child's log tail after `timeoutMs`. */
export async function waitFor<T>(
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
  context: () => string,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Server did not start within ${timeoutMs} ms:\n${context().slice(-4000)}`);
}

/** SIGTERM, then SIGKILL after `graceMs`; forgets the child in `running`. */
export async function stopChild(
  child: Deno.ChildProcess,
  running: Set<Deno.ChildProcess>,
  graceMs: number,
): Promise<void> {
  running.delete(child);
  try {
    child.kill("SIGTERM");
  } catch {
    return; // already gone
  }
  const killer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone meanwhile
    }
  }, graceMs);
  await child.status;
  clearTimeout(killer);
}

/**
 * The ESM bundle Node runs: dist/superpeer.mjs when it is newer than every file under src/,
 * otherwise a fresh one in `.cache/<cacheName>/` (so Node runs the same code as Deno). Undefined
 * (and `noNode` printed) when Node is not installed.
 */
export async function nodeBundle(
  cacheName: string,
  print: (line: string) => void,
  noNode: string,
): Promise<string | undefined> {
  const node = await new Deno.Command("node", {
    args: ["--version"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => undefined);
  if (node === undefined || !node.success) {
    print(`\n(node not found: ${noNode})`);
    return undefined;
  }
  const dist = join(ROOT, "dist/superpeer.mjs");
  if (existsSync(dist) && statSync(dist).mtimeMs > newestMtime(join(ROOT, "src"))) return dist;
  const out = join(ROOT, ".cache", cacheName);
  await mkdir(out, { recursive: true });
  print(`\n(dist/superpeer.mjs is missing or older than src/: bundling into ${out} for Node)`);
  const { buildBundle } = await import("../build_bundle.ts");
  await buildBundle({ esm: join(out, "superpeer.mjs"), cjs: join(out, "superpeer.cjs") });
  return join(out, "superpeer.mjs");
}

const ROOT = new URL("../../", import.meta.url).pathname;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
