// Step 1: esbuild bundles src/cli/main.ts (cbor-x and targets/*.json inlined) into one file.
import * as esbuild from "esbuild";
import { type Artifact, BuildError, runCommand, say, tail } from "./build_support.ts";

/** Where the bundles go. */
export interface BundleOutputs {
  /** ESM, with a shebang: `node dist/superpeer.mjs`, `deno run -A dist/superpeer.mjs`, deno compile. */
  readonly esm: string;
  /** CommonJS: the Node single executable's main (SEA runs CommonJS only). */
  readonly cjs: string;
}

// `require` for the CommonJS inside the ESM bundle (cbor-x's optional `require("cbor-extract")`).
// The alias keeps clear of a `createRequire` that esbuild may hoist from the bundled code.
const ESM_BANNER = [
  "#!/usr/bin/env node",
  'import { createRequire as __superpeerCreateRequire } from "node:module";',
  "const require = __superpeerCreateRequire(import.meta.url);",
].join("\n");

const COMMON: esbuild.BuildOptions = {
  entryPoints: ["src/cli/main.ts"],
  bundle: true,
  platform: "node",
  target: "node20",
  // cbor-x loads its native string extractor with `require("cbor-extract")` inside try/catch and
  // falls back to pure JS: left out of the bundle, it is used only where it is installed.
  external: ["cbor-extract"],
  logLevel: "warning",
  legalComments: "eof",
  charset: "utf8",
};

function esbuildMessage(error: unknown): string {
  const errors = (error as { errors?: { text?: string }[] } | null)?.errors ?? [];
  const first = errors[0]?.text;
  if (first === undefined) {
    return error instanceof Error ? error.message.split("\n")[0] ?? "" : String(error);
  }
  return errors.length > 1 ? `${first} (and ${errors.length - 1} more, above)` : first;
}

async function esbuildOnce(options: esbuild.BuildOptions, outfile: string): Promise<void> {
  try {
    // absWorkingDir: esbuild's service keeps the directory it started in, not the current one.
    await esbuild.build({ ...options, outfile, absWorkingDir: Deno.cwd() });
  } catch (error) {
    throw new BuildError(
      `Cannot bundle src/cli/main.ts into ${outfile}: ${
        esbuildMessage(error)
      }; fix the source, or run npm ci if esbuild or a dependency is missing`,
      { cause: error },
    );
  }
}

/** Runs the bundle with `program args... version` and checks that it prints superpeer's version. */
async function smokeTest(program: string, args: readonly string[], label: string): Promise<string> {
  const result = await runCommand(program, [...args, "version"], { timeoutMs: 30_000 });
  const line = result.stdout.trim().split("\n")[0] ?? "";
  if (!result.success || !line.startsWith("superpeer ")) {
    throw new BuildError(
      `The bundle does not start under ${label}: \`${
        [program, ...args, "version"].join(" ")
      }\` exited ${result.code}\n${tail(result.stderr + result.stdout)}`,
    );
  }
  return line;
}

/**
 * Writes the ESM and CommonJS bundles and checks that they start (ESM on Node and Deno,
 * CommonJS on Node).
 *
 * @example
 * ```ts
 * await buildBundle({ esm: "dist/superpeer.mjs", cjs: "dist/superpeer.cjs" });
 * ```
 */
export async function buildBundle(outputs: BundleOutputs): Promise<Artifact[]> {
  say(`bundling src/cli/main.ts -> ${outputs.esm}, ${outputs.cjs} (esbuild ${esbuild.version})`);
  try {
    await esbuildOnce({ ...COMMON, format: "esm", banner: { js: ESM_BANNER } }, outputs.esm);
    await esbuildOnce({ ...COMMON, format: "cjs" }, outputs.cjs);
  } finally {
    await esbuild.stop();
  }
  await Deno.chmod(outputs.esm, 0o755);
  const onNode = await smokeTest("node", [outputs.esm], "the machine's Node");
  const onDeno = await smokeTest(Deno.execPath(), ["run", "-A", outputs.esm], "Deno");
  await smokeTest("node", [outputs.cjs], "the machine's Node (CommonJS)");
  say(`bundles start: ${onNode}; ${onDeno}`);
  return [
    { kind: "built", path: outputs.esm, note: "ESM; node / deno run" },
    { kind: "built", path: outputs.cjs, note: "CommonJS; SEA main" },
  ];
}
