import type { CliIo } from "../../src/cli/cli_io.ts";

/** A CliIo that records what a command printed. */
export function fakeIo(
  env: Record<string, string | undefined> = {},
): CliIo & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    env,
    out: () => out,
    err: () => err,
  };
}
