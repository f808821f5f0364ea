import { ConfigError, describeError, SuperpeerError } from "../core/errors.ts";
import { loadConfig } from "../daemon/config/load_config.ts";
import { startSuperpeer } from "../daemon/superpeer_daemon.ts";
import type { CliIo } from "./cli_io.ts";
import { ExitCode } from "./exit_codes.ts";
import { CONFIG_OPTION_SPECS, HELP } from "./help_text.ts";
import { parseOptions, stringOption, stringsOption } from "./parse_options.ts";

/** `superpeer run`: starts the daemon and resolves with the exit code once it has stopped. */
export async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseOptions(args, CONFIG_OPTION_SPECS, "run");
  if (parsed.values.help) {
    io.stdout(HELP.run ?? "");
    return ExitCode.Ok;
  }
  if (parsed.positionals.length > 0) {
    io.stderr(
      `superpeer run: unexpected argument ${parsed.positionals[0]} (see superpeer run --help)\n`,
    );
    return ExitCode.Usage;
  }
  const sets = stringsOption(parsed, "set");
  const loaded = await loadConfig({ path: stringOption(parsed, "config"), sets, env: io.env });
  let running;
  try {
    running = await startSuperpeer({ loaded, sets, writeLog: io.stderr, processHooks: true });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    io.stderr(`superpeer run: ${describeError(error)}\n`);
    return ExitCode.Failure;
  }
  const code = await running.done;
  return code;
}

/** Whether an error means "bad input, nothing started" (exit 2) rather than a runtime failure. */
export function isUsageError(error: unknown): boolean {
  return error instanceof ConfigError ||
    (error instanceof SuperpeerError &&
      (error.code === "USAGE" || error.code === "CONFIG_UNREADABLE"));
}
