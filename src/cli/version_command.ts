import { VERSION } from "../core/version.ts";
import { runtimeInfo } from "../daemon/runtime.ts";
import type { CliIo } from "./cli_io.ts";
import { ExitCode } from "./exit_codes.ts";
import { HELP } from "./help_text.ts";

/** `superpeer version`. */
export function versionCommand(args: readonly string[], io: CliIo): number {
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout(HELP.version ?? "");
    return ExitCode.Ok;
  }
  const runtime = runtimeInfo();
  io.stdout(`superpeer ${VERSION} (${runtime.name} ${runtime.version}, v8 ${runtime.v8})\n`);
  return ExitCode.Ok;
}
