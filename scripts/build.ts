// Builds superpeer's release artifacts into dist/ (deno task build / npm run build):
//   bundle   dist/superpeer.mjs (node, deno run) and dist/superpeer.cjs (SEA main), by esbuild
//   compile  dist/superpeer-<triple | profile>, deno compile of the bundle on a pre-fetched denort
//   sea      dist/superpeer-node-linux-<arch>, Node 24 single executables (postject)
// Usage: deno run -A scripts/build.ts [--only bundle|compile|sea] [--target PROFILE]
import { parseArgs } from "node:util";
import { buildBundle } from "./build_bundle.ts";
import { buildCompile } from "./build_compile.ts";
import { type BuildProfile, loadBuildProfiles, planCompiles, planSeas } from "./build_profiles.ts";
import { formatReport } from "./build_report.ts";
import { buildSea } from "./build_sea.ts";
import { type Artifact, BuildError, say, writeAll } from "./build_support.ts";

const STEPS = ["bundle", "compile", "sea"] as const;
type Step = (typeof STEPS)[number];

const USAGE = `Usage: deno run -A scripts/build.ts [--only bundle|compile|sea] [--target PROFILE]

  --only STEP       build one step (compile and sea rebuild the bundle they start from)
  --target PROFILE  build the executables of one targets/*.json profile only

Environment:
  DENORT_BIN_<TRIPLE>  denort for one deno compile target, e.g. DENORT_BIN_AARCH64_UNKNOWN_LINUX_GNU
  DENORT_BIN           denort used for the compile target of its architecture
  SEA_NODE_BIN_<ARCH>  Node binary for one single executable (SEA_NODE_BIN_X64, SEA_NODE_BIN_ARM64)
  SEA_NODE_BIN         Node binary used for the single executable of its architecture
Without a denort, deno compile targets are skipped (never downloaded); Node 24 is fetched once
with npm pack into .cache/node/.

Exit codes: 0 built, 1 a step failed (or, with --only, was skipped), 2 usage error.
`;

interface BuildArgs {
  readonly only: Step | undefined;
  readonly target: string | undefined;
}

class BuildUsageError extends Error {}

function parseBuildArgs(args: readonly string[]): BuildArgs | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        only: { type: "string" },
        target: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new BuildUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return "help";
  const only = values.only;
  if (only !== undefined && !(STEPS as readonly string[]).includes(only)) {
    throw new BuildUsageError(`Unknown step for --only: ${only} (use ${STEPS.join(", ")})`);
  }
  return { only: only as Step | undefined, target: values.target };
}

function selectProfiles(
  profiles: readonly BuildProfile[],
  target: string | undefined,
): BuildProfile[] {
  if (target === undefined) return [...profiles];
  const profile = profiles.find((p) => p.name === target);
  if (profile === undefined) {
    throw new BuildUsageError(
      `Unknown target profile: ${target} (targets/ has ${profiles.map((p) => p.name).join(", ")})`,
    );
  }
  return [profile];
}

async function build(args: BuildArgs, artifacts: Artifact[]): Promise<void> {
  const wants = (step: Step) => args.only === undefined || args.only === step;
  const profiles = await loadBuildProfiles("targets");
  const chosen = selectProfiles(profiles, args.target);
  const compilePlans = planCompiles(profiles, "dist").filter((plan) =>
    plan.profiles.some((name) => chosen.some((p) => p.name === name))
  );
  const seaPlans = planSeas(chosen, "dist");
  const env = Deno.env.toObject();

  await Deno.mkdir("dist", { recursive: true });
  artifacts.push(...await buildBundle({ esm: "dist/superpeer.mjs", cjs: "dist/superpeer.cjs" }));
  if (wants("compile")) {
    if (compilePlans.length === 0) {
      const reason = `no deno compile target${
        args.target ? ` in profile ${args.target}` : ""
      } (compileTarget is null)`;
      say(`skipping deno compile: ${reason}`);
      artifacts.push({ kind: "skipped", path: "dist/superpeer-<compileTarget>", reason });
    }
    artifacts.push(...await buildCompile(compilePlans, { bundle: "dist/superpeer.mjs", env }));
  }
  if (wants("sea")) {
    if (seaPlans.length === 0) {
      const reason = `no single-executable architecture${
        args.target ? ` in profile ${args.target}` : ""
      } (seaArch is null)`;
      say(`skipping Node single executables: ${reason}`);
      artifacts.push({ kind: "skipped", path: "dist/superpeer-node-linux-<arch>", reason });
    }
    artifacts.push(
      ...await buildSea(seaPlans, { cjsBundle: "dist/superpeer.cjs", env, cacheDir: ".cache" }),
    );
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const started = performance.now();
  let args: BuildArgs | "help";
  try {
    args = parseBuildArgs(argv);
  } catch (error) {
    writeAll(Deno.stderr, `build: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args === "help") {
    writeAll(Deno.stdout, USAGE);
    return 0;
  }
  // Paths below are relative to the repository root, wherever the build is started from.
  Deno.chdir(new URL("..", import.meta.url));
  const artifacts: Artifact[] = [];
  let code = 0;
  try {
    await build(args, artifacts);
  } catch (error) {
    if (error instanceof BuildUsageError) {
      writeAll(Deno.stderr, `build: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof BuildError
      ? error.message
      : `Build failed unexpectedly: ${
        error instanceof Error ? error.stack ?? error.message : error
      }`;
    writeAll(Deno.stderr, `\nbuild: FAILED: ${message}\n\n`);
    code = 1;
  }
  writeAll(Deno.stdout, await formatReport(artifacts, performance.now() - started));
  const skippedAsked = args.only !== undefined && args.only !== "bundle" &&
    artifacts.some((a) => a.kind === "skipped");
  if (code === 0 && skippedAsked) {
    writeAll(
      Deno.stderr,
      `build: FAILED: --only ${args.only} could not build everything it was asked for (see skipped above)\n`,
    );
    code = 1;
  }
  return code;
}

Deno.exit(await main(Deno.args));
