import { ConfigError, SuperpeerError } from "../core/errors.ts";
import type { CliIo } from "./cli_io.ts";
import { configCommand } from "./config_command.ts";
import { enrollCommand } from "./enroll_command.ts";
import { ExitCode } from "./exit_codes.ts";
import { HELP } from "./help_text.ts";
import { keygenCommand } from "./keygen_command.ts";
import { isUsageError, runCommand } from "./run_command.ts";
import { statusCommand } from "./status_command.ts";
import { userCommand } from "./user_command.ts";
import { versionCommand } from "./version_command.ts";
import { checkRuntime } from "../daemon/runtime.ts";

/**
 * Runs one `superpeer` command line and returns its exit code; never throws.
 *
 * @example
 * ```ts
 * const code = await superpeerCli(["version"], processIo());
 * ```
 */
export async function superpeerCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (
      command !== undefined && !["help", "--help", "-h", "version", "--version"].includes(command)
    ) checkRuntime();
    switch (command) {
      case undefined:
      case "help":
      case "--help":
      case "-h": {
        const topic = rest[0];
        if (topic !== undefined && HELP[topic] === undefined) {
          io.stderr(`superpeer help: no command ${topic}\n${HELP.main}`);
          return ExitCode.Usage;
        }
        (command === undefined ? io.stderr : io.stdout)(HELP[topic ?? "main"] ?? "");
        return command === undefined ? ExitCode.Usage : ExitCode.Ok;
      }
      case "run":
        return await runCommand(rest, io);
      case "config":
        return await configCommand(rest, io);
      case "keygen":
        return await keygenCommand(rest, io);
      case "enroll":
        return await enrollCommand(rest, io);
      case "status":
        return await statusCommand(rest, io);
      case "user":
        return await userCommand(rest, io);
      case "version":
      case "--version":
        return versionCommand(rest, io);
      default:
        io.stderr(`superpeer: unknown command ${command}\n\n${HELP.main}`);
        return ExitCode.Usage;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`superpeer ${command}: ${error.message}\n`);
      return ExitCode.Usage;
    }
    if (isUsageError(error)) {
      io.stderr(`superpeer ${command}: ${(error as Error).message}\n`);
      return ExitCode.Usage;
    }
    if (error instanceof SuperpeerError) {
      io.stderr(`superpeer ${command}: ${error.message}\n`);
      return ExitCode.Failure;
    }
    io.stderr(
      `superpeer ${command}: unexpected failure: ${
        error instanceof Error ? error.stack : String(error)
      }\n`,
    );
    return ExitCode.Failure;
  }
}
