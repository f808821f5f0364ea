// Step 2: `deno compile` of the ESM bundle, one binary per plan, on a denort the user fetched.
import { type CompilePlan, tripleArch } from "./build_profiles.ts";
import {
  type Artifact,
  BuildError,
  elfArch,
  fileSize,
  hostArch,
  runCommand,
  say,
  tail,
} from "./build_support.ts";

/** Inputs of {@linkcode buildCompile}. */
export interface CompileOptions {
  /** The ESM bundle: compiling it (not src/) keeps node_modules out of the binary. */
  readonly bundle: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

// The permissions the daemon needs, and nothing else (no --allow-run, --allow-ffi), and
// --unstable-net for Deno.listenDatagram (openDatagramTransport uses node:dgram without it).
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-sys",
  "--unstable-net",
];

// The binary is denort plus the bundle and a little metadata; more means something else got in.
const MAX_EMBEDDED_BYTES = 16 * 1024 * 1024;

/** `DENORT_BIN_AARCH64_UNKNOWN_LINUX_GNU` for `aarch64-unknown-linux-gnu`. */
export function denortVariable(triple: string): string {
  return `DENORT_BIN_${triple.toUpperCase().replaceAll(/[^A-Z0-9]/g, "_")}`;
}

/** What to fetch for `triple` and how to hand it to the build. */
export function denortAdvice(triple: string, denoVersion: string): string {
  const zip = `denort-${triple}.zip`;
  return `fetch ${zip} of Deno ${denoVersion} (https://github.com/denoland/deno/releases/download/v${denoVersion}/${zip}` +
    ` or https://dl.deno.land/release/v${denoVersion}/${zip}) on a machine that can reach it, unzip it,` +
    ` and run the build with ${
      denortVariable(triple)
    }=/path/to/denort (or DENORT_BIN=/path/to/denort, used for the target of its architecture)`;
}

type Denort = { readonly path: string; readonly from: string } | { readonly skip: string };

async function checkedArch(path: string, from: string): Promise<string> {
  try {
    const arch = await elfArch(path);
    if (arch === undefined) {
      throw new BuildError(`Cannot use ${from}=${path}: it is not an ELF executable`);
    }
    return arch;
  } catch (error) {
    if (error instanceof BuildError) throw error;
    throw new BuildError(
      `Cannot use ${from}=${path}: ${error instanceof Error ? error.message : error}`,
    );
  }
}

/** The denort for `triple`: the per-target variable, else DENORT_BIN when its architecture fits. */
async function findDenort(
  triple: string,
  env: CompileOptions["env"],
  denoVersion: string,
): Promise<Denort> {
  const wanted = tripleArch(triple);
  const perTarget = denortVariable(triple);
  const explicit = env[perTarget];
  if (explicit) {
    const arch = await checkedArch(explicit, perTarget);
    if (wanted !== undefined && arch !== wanted) {
      throw new BuildError(
        `Cannot use ${perTarget}=${explicit}: it is built for ${arch}, ${triple} needs ${wanted}; ${
          denortAdvice(triple, denoVersion)
        }`,
      );
    }
    return { path: explicit, from: perTarget };
  }
  const shared = env.DENORT_BIN;
  if (shared) {
    const arch = await checkedArch(shared, "DENORT_BIN");
    if (wanted === undefined || arch === wanted) return { path: shared, from: "DENORT_BIN" };
    return {
      skip: `DENORT_BIN is built for ${arch}, ${triple} needs ${wanted}: ${
        denortAdvice(triple, denoVersion)
      }`,
    };
  }
  return {
    skip:
      `no denort for ${triple} (deno compile would download it from Deno's servers, which this build never tries): ${
        denortAdvice(triple, denoVersion)
      }`,
  };
}

/** Refuses the full `deno` CLI as a base: a binary built on it only starts Deno's REPL. */
async function refuseDenoCli(
  denort: { path: string; from: string },
  triple: string,
  version: string,
) {
  const result = await runCommand(denort.path, ["--version"], { timeoutMs: 10_000 });
  if (/^typescript /m.test(result.stdout)) {
    throw new BuildError(
      `Cannot use ${denort.from}=${denort.path}: it is the deno CLI, not denort, and a binary built on it only starts Deno's REPL; ${
        denortAdvice(triple, version)
      }`,
    );
  }
}

async function compileOne(
  plan: CompilePlan,
  denort: { path: string; from: string },
  bundle: string,
) {
  const host = hostArch();
  const runsHere = host !== undefined && tripleArch(plan.compileTarget) === host;
  if (runsHere) await refuseDenoCli(denort, plan.compileTarget, Deno.version.deno);
  say(
    `deno compile ${bundle} -> ${plan.output} (${plan.compileTarget}, heap ${plan.heapMb} MB, ${denort.from})`,
  );
  await Deno.remove(plan.output).catch(() => {});
  const args = [
    "compile",
    "--no-config",
    "--no-npm",
    "--no-remote",
    "--target",
    plan.compileTarget,
    // A 1 MiB young generation: the relay's per-packet garbage otherwise grows the semi-spaces to
    // 16 MiB (relay bench under load: RSS 83 -> 80 MB at 10 allocations and 154-161 -> 134 MB at
    // 1,000, for ~10 % more CPU per packet at 1,000; memory is what the small boards lack).
    `--v8-flags=--max-old-space-size=${plan.heapMb},--max-semi-space-size=1`,
    ...PERMISSIONS,
    "--output",
    plan.output,
    bundle,
  ];
  const result = await runCommand(Deno.execPath(), args, {
    env: { DENORT_BIN: denort.path, DENO_NO_UPDATE_CHECK: "1" },
  });
  if (!result.success) {
    throw new BuildError(
      `Cannot deno compile ${plan.output}: deno exited ${result.code}; check that ${denort.from} is denort ${Deno.version.deno} for ${plan.compileTarget}\n${
        tail(result.stderr)
      }`,
    );
  }
  const outSize = (await fileSize(plan.output)) ?? 0;
  const baseSize = (await fileSize(denort.path)) ?? 0;
  if (outSize - baseSize > MAX_EMBEDDED_BYTES) {
    throw new BuildError(
      `Cannot accept ${plan.output}: it is ${
        outSize - baseSize
      } bytes larger than denort, so deno compile embedded more than the bundle (node_modules?)`,
    );
  }
  if (!runsHere) return `--max-old-space-size=${plan.heapMb}; not run here`;
  const check = await runCommand(plan.output, ["version"], { timeoutMs: 30_000 });
  const line = check.stdout.trim().split("\n")[0] ?? "";
  if (!check.success || !line.startsWith("superpeer ")) {
    throw new BuildError(
      `The compiled ${plan.output} does not run superpeer (exit ${check.code}): ${denort.from} must be denort-${plan.compileTarget} from the Deno ${Deno.version.deno} release, not the deno CLI\n${
        tail(check.stderr + check.stdout)
      }`,
    );
  }
  return `--max-old-space-size=${plan.heapMb}; ${line}`;
}

/**
 * Compiles the bundle for each plan whose denort is at hand; the others come back as skipped,
 * with what to fetch. Never lets `deno compile` download denort.
 *
 * @example
 * ```ts
 * await buildCompile(plans, { bundle: "dist/superpeer.mjs", env: Deno.env.toObject() });
 * ```
 */
export async function buildCompile(
  plans: readonly CompilePlan[],
  options: CompileOptions,
): Promise<Artifact[]> {
  const artifacts: Artifact[] = [];
  for (const plan of plans) {
    const denort = await findDenort(plan.compileTarget, options.env, Deno.version.deno);
    if ("skip" in denort) {
      say(`skipping ${plan.output}: ${denort.skip}`);
      artifacts.push({ kind: "skipped", path: plan.output, reason: denort.skip });
      continue;
    }
    const note = await compileOne(plan, denort, options.bundle);
    artifacts.push({ kind: "built", path: plan.output, note: `deno compile; ${note}` });
  }
  return artifacts;
}
