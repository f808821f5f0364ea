import { UsageError } from "../core/errors.ts";
import {
  SHARED_SECRET_BYTES,
  sharedSecretFilePath,
  writeNewSharedSecret,
} from "../daemon/admission_files.ts";
import { loadConfig } from "../daemon/config/load_config.ts";
import { writeNewNodeKey } from "../daemon/node_key_file.ts";
import { keyFilePath } from "../daemon/superpeer_daemon.ts";
import { formatNodeId, formatPublicKey } from "../identity/node_key.ts";
import type { CliIo } from "./cli_io.ts";
import { ExitCode } from "./exit_codes.ts";
import { CONFIG_OPTION_SPECS, HELP } from "./help_text.ts";
import { parseOptions, stringOption, stringsOption } from "./parse_options.ts";

/**
 * `superpeer keygen`: writes a new node key and prints its node id and public key; with
 * `--secret`, writes a new overlay shared secret instead (and prints nothing of it).
 */
export async function keygenCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseOptions(args, {
    ...CONFIG_OPTION_SPECS,
    out: { type: "string", short: "o" },
    force: { type: "boolean", short: "f" },
    secret: { type: "boolean" },
  }, "keygen");
  if (parsed.values.help) {
    io.stdout(HELP.keygen ?? "");
    return ExitCode.Ok;
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(`keygen: unexpected argument ${parsed.positionals[0]}`);
  }
  const secret = parsed.values.secret === true;
  let out = stringOption(parsed, "out");
  if (out === undefined) {
    const { config } = await loadConfig({
      path: stringOption(parsed, "config"),
      sets: stringsOption(parsed, "set"),
      env: io.env,
    });
    out = secret ? sharedSecretFilePath(config) : keyFilePath(config);
  }
  const force = parsed.values.force === true;
  if (secret) {
    await writeNewSharedSecret(out, { force });
    io.stdout(
      `shared secret file ${out} (${SHARED_SECRET_BYTES} random bytes, mode 0600)\n` +
        "copy it to every node of the overlay (overlay.sharedSecretFile)\n",
    );
    return ExitCode.Ok;
  }
  const key = await writeNewNodeKey(out, { force });
  io.stdout(
    `node id ${formatNodeId(key.nodeId)}\npublic key ${
      formatPublicKey(key.publicKeyRaw)
    }\nkey file ${out} (mode 0600)\n`,
  );
  return ExitCode.Ok;
}
