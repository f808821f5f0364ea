// Small helpers shared by the build steps: errors, progress lines, child processes, ELF headers.
import { Buffer } from "node:buffer";

/**
 * A build step that failed; the message says what failed and what to do about it.
 *
 * @example
 * ```ts
 * throw new BuildError("Cannot bundle src/cli/main.ts: esbuild reported 2 errors (above)");
 * ```
 */
export class BuildError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BuildError";
  }
}

/** An artifact that a step wrote, or one it skipped and why. */
export type Artifact =
  | { readonly kind: "built"; readonly path: string; readonly note?: string }
  | { readonly kind: "skipped"; readonly path: string; readonly reason: string };

/** CPU architectures the build produces executables for, in Node's spelling. */
export type Arch = "x64" | "arm64";

const encoder = new TextEncoder();

/**
 * Writes one progress line to stderr (stdout carries the final table only).
 *
 * @example
 * ```ts
 * say("bundling src/cli/main.ts");
 * ```
 */
export function say(line: string): void {
  writeAll(Deno.stderr, `build: ${line}\n`);
}

/** Writes `text` to a stream completely (`writeSync` may write part of a buffer). */
export function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
}

/** What a finished child process printed and how it ended. */
export interface RunResult {
  readonly success: boolean;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@linkcode runCommand}. */
export interface RunOptions {
  /** Variables added to this process's environment. */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** @default 600_000 */
  readonly timeoutMs?: number;
}

/**
 * Runs a program to completion and collects its output; a program that cannot start (missing,
 * wrong architecture) gives `code` -1 and the reason in `stderr` instead of throwing.
 *
 * @example
 * ```ts
 * const { stdout } = await runCommand("node", ["--version"]);
 * ```
 */
export async function runCommand(
  program: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const command = new Deno.Command(program, {
    args: [...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 600_000),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  try {
    const output = await command.output();
    const decoder = new TextDecoder();
    return {
      success: output.success,
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } catch (error) {
    return { success: false, code: -1, stdout: "", stderr: String(error) };
  }
}

/** The last `lines` non-empty lines of a program's output, indented, for an error message. */
export function tail(text: string, lines = 12): string {
  const kept = text.split("\n").filter((l) => l.trim() !== "").slice(-lines);
  return kept.map((l) => `    ${l}`).join("\n");
}

/** Size of a file in bytes, or undefined when there is none. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await Deno.stat(path);
    return info.isFile ? info.size : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * The architecture an ELF executable was built for, `"other"` for an ELF of another machine,
 * or undefined when the file is not an ELF executable.
 *
 * @example
 * ```ts
 * await elfArch("/usr/bin/node"); // "x64" on a PC
 * ```
 */
export async function elfArch(path: string): Promise<Arch | "other" | undefined> {
  const file = await Deno.open(path, { read: true });
  try {
    const header = new Uint8Array(20);
    let read = 0;
    while (read < header.length) {
      const n = await file.read(header.subarray(read));
      if (n === null) return undefined;
      read += n;
    }
    const isElf = header[0] === 0x7f && header[1] === 0x45 && header[2] === 0x4c &&
      header[3] === 0x46;
    if (!isElf) return undefined;
    // e_machine, little-endian on every target we build for (EI_DATA = 1).
    const machine = (header[18] ?? 0) | ((header[19] ?? 0) << 8);
    if (header[5] !== 1) return "other";
    if (machine === 0x3e) return "x64";
    if (machine === 0xb7) return "arm64";
    return "other";
  } finally {
    file.close();
  }
}

/** The architecture of this machine, in Node's spelling, or undefined for another one. */
export function hostArch(): Arch | undefined {
  if (Deno.build.os !== "linux") return undefined;
  if (Deno.build.arch === "x86_64") return "x64";
  if (Deno.build.arch === "aarch64") return "arm64";
  return undefined;
}

/**
 * Whether `haystack` (a file) contains the bytes of `needle`; used to confirm a postject fuse.
 *
 * @example
 * ```ts
 * await fileContains("dist/app", "NODE_SEA_FUSE_x:1");
 * ```
 */
export async function fileContains(path: string, needle: string): Promise<boolean> {
  const bytes = await Deno.readFile(path);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(needle);
}
