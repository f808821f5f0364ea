import { UsageError } from "../core/errors.ts";
import { loadConfig } from "../daemon/config/load_config.ts";
import { writeNewNodeKey } from "../daemon/node_key_file.ts";
import { keyFilePath } from "../daemon/superpeer_daemon.ts";
import { formatNodeId } from "../identity/node_key.ts";
import type { CliIo } from "./cli_io.ts";
import { ExitCode } from "./exit_codes.ts";
import { CONFIG_OPTION_SPECS, HELP } from "./help_text.ts";
import { parseOptions, stringOption, stringsOption } from "./parse_options.ts";

/** `superpeer keygen`: writes a new node key and prints its node id. */
export async function keygenCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseOptions(args, {
    ...CONFIG_OPTION_SPECS,
    out: { type: "string", short: "o" },
    force: { type: "boolean", short: "f" },
  }, "keygen");
  if (parsed.values.help) {
    io.stdout(HELP.keygen ?? "");
    return ExitCode.Ok;
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(`keygen: unexpected argument ${parsed.positionals[0]}`);
  }
  let out = stringOption(parsed, "out");
  if (out === undefined) {
    const { config } = await loadConfig({
      path: stringOption(parsed, "config"),
      sets: stringsOption(parsed, "set"),
      env: io.env,
    });
    out = keyFilePath(config);
  }
  const key = await writeNewNodeKey(out, { force: parsed.values.force === true });
  io.stdout(`node id ${formatNodeId(key.nodeId)}\nkey file ${out} (mode 0600)\n`);
  return ExitCode.Ok;
}
