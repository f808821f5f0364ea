import { UsageError } from "../core/errors.ts";
import { loadConfig, readConfigFile, resolveConfig } from "../daemon/config/load_config.ts";
import type { CliIo } from "./cli_io.ts";
import { ExitCode } from "./exit_codes.ts";
import { CONFIG_OPTION_SPECS, HELP } from "./help_text.ts";
import { parseOptions, stringOption, stringsOption } from "./parse_options.ts";

/** `superpeer config check FILE` and `superpeer config show`. */
export async function configCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseOptions(args, CONFIG_OPTION_SPECS, "config");
  const [sub, ...rest] = parsed.positionals;
  if (parsed.values.help || sub === undefined) {
    (parsed.values.help ? io.stdout : io.stderr)(HELP.config ?? "");
    return parsed.values.help ? ExitCode.Ok : ExitCode.Usage;
  }
  const sets = stringsOption(parsed, "set");
  switch (sub) {
    case "check": {
      const file = rest[0] ?? stringOption(parsed, "config");
      if (file === undefined || rest.length > 1) {
        throw new UsageError("config check: expected exactly one FILE");
      }
      const config = resolveConfig(await readConfigFile(file), sets, file);
      io.stdout(`ok: ${file} is valid (target ${config.target})\n`);
      return ExitCode.Ok;
    }
    case "show": {
      if (rest.length > 0) throw new UsageError(`config show: unexpected argument ${rest[0]}`);
      const { config } = await loadConfig({
        path: stringOption(parsed, "config"),
        sets,
        env: io.env,
      });
      io.stdout(JSON.stringify(config, null, 2) + "\n");
      return ExitCode.Ok;
    }
    default:
      throw new UsageError(`config: unknown subcommand ${sub} (expected check or show)`);
  }
}
