// Reads targets/*.json and decides which executables the build makes for them.
import { type Arch, BuildError } from "./build_support.ts";

/** The parts of a target profile the build uses. */
export interface BuildProfile {
  readonly name: string;
  /** `deno compile --target` triple, or null. */
  readonly compileTarget: string | null;
  /** Node single-executable architecture, or null. */
  readonly seaArch: Arch | null;
  /** `config.limits.heapMb`: passed to V8 as `--max-old-space-size`. */
  readonly heapMb: number;
}

/** One `deno compile` run. */
export interface CompilePlan {
  readonly compileTarget: string;
  readonly heapMb: number;
  /** Profiles this binary serves. */
  readonly profiles: readonly string[];
  readonly output: string;
}

/** One Node single executable. */
export interface SeaPlan {
  readonly arch: Arch;
  readonly heapMb: number;
  readonly profiles: readonly string[];
  readonly output: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseProfile(file: string, json: unknown): BuildProfile {
  const fail = (detail: string) => new BuildError(`Cannot use target profile ${file}: ${detail}`);
  if (!isRecord(json)) throw fail("the file is not a JSON object");
  const { name, compileTarget, seaArch, config } = json;
  if (typeof name !== "string" || name === "") throw fail("name must be a non-empty string");
  if (compileTarget !== null && typeof compileTarget !== "string") {
    throw fail("compileTarget must be a target triple or null");
  }
  if (seaArch !== null && seaArch !== "x64" && seaArch !== "arm64") {
    throw fail('seaArch must be "x64", "arm64" or null');
  }
  const limits = isRecord(config) ? config.limits : undefined;
  const heapMb = isRecord(limits) ? limits.heapMb : undefined;
  if (typeof heapMb !== "number" || !Number.isInteger(heapMb) || heapMb < 16) {
    throw fail("config.limits.heapMb must be an integer >= 16");
  }
  return { name, compileTarget, seaArch, heapMb };
}

/**
 * Every profile in `dir` (targets/), sorted by name.
 *
 * @example
 * ```ts
 * const profiles = await loadBuildProfiles("targets");
 * ```
 */
export async function loadBuildProfiles(dir: string): Promise<BuildProfile[]> {
  const profiles: BuildProfile[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".json")) continue;
    const file = `${dir}/${entry.name}`;
    let json: unknown;
    try {
      json = JSON.parse(await Deno.readTextFile(file));
    } catch (error) {
      throw new BuildError(`Cannot read target profile ${file}: ${error}`);
    }
    profiles.push(parseProfile(file, json));
  }
  if (profiles.length === 0) throw new BuildError(`Cannot build: no target profiles in ${dir}/`);
  return profiles.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The `deno compile` binaries for all profiles. A triple whose profiles agree on heapMb gets one
 * binary named after the triple; a triple whose profiles differ gets one binary per profile,
 * named after the profile, because the heap flag is baked into the executable. Plan over every
 * profile, then filter, so that `--target` never changes an artifact's name.
 *
 * @example
 * ```ts
 * planCompiles(profiles, "dist"); // [{ output: "dist/superpeer-rpi4", heapMb: 128, ... }, ...]
 * ```
 */
export function planCompiles(profiles: readonly BuildProfile[], distDir: string): CompilePlan[] {
  const byTriple = new Map<string, BuildProfile[]>();
  for (const p of profiles) {
    if (p.compileTarget === null) continue;
    byTriple.set(p.compileTarget, [...(byTriple.get(p.compileTarget) ?? []), p]);
  }
  const plans: CompilePlan[] = [];
  for (const [compileTarget, group] of byTriple) {
    const heaps = new Set(group.map((p) => p.heapMb));
    const first = group[0];
    if (heaps.size === 1 && first !== undefined) {
      plans.push({
        compileTarget,
        heapMb: first.heapMb,
        profiles: group.map((p) => p.name),
        output: `${distDir}/superpeer-${compileTarget}`,
      });
      continue;
    }
    for (const p of group) {
      plans.push({
        compileTarget,
        heapMb: p.heapMb,
        profiles: [p.name],
        output: `${distDir}/superpeer-${p.name}`,
      });
    }
  }
  return plans;
}

/**
 * The Node single executables: one per architecture, named after it. Its heap flag is the
 * smallest heapMb of the profiles given, so that it fits the smallest board of that architecture
 * (pass only the `--target` profile to build for that one).
 *
 * @example
 * ```ts
 * planSeas(profiles, "dist"); // [{ arch: "arm64", heapMb: 64, output: "dist/superpeer-node-linux-arm64" }, ...]
 * ```
 */
export function planSeas(profiles: readonly BuildProfile[], distDir: string): SeaPlan[] {
  const byArch = new Map<Arch, BuildProfile[]>();
  for (const p of profiles) {
    if (p.seaArch === null) continue;
    byArch.set(p.seaArch, [...(byArch.get(p.seaArch) ?? []), p]);
  }
  return [...byArch].map(([arch, group]) => ({
    arch,
    heapMb: Math.min(...group.map((p) => p.heapMb)),
    profiles: group.map((p) => p.name),
    output: `${distDir}/superpeer-node-linux-${arch}`,
  }));
}

/** The architecture a `deno compile` triple runs on, or undefined for one the build cannot check. */
export function tripleArch(triple: string): Arch | undefined {
  if (triple.startsWith("x86_64-")) return "x64";
  if (triple.startsWith("aarch64-")) return "arm64";
  return undefined;
}
