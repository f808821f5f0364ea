import { CONFIG_PATH_ENV } from "../daemon/config/load_config.ts";
import { DEFAULT_OPS_PORT } from "../daemon/config/superpeer_config.ts";

const CONFIG_OPTIONS =
  `  -c, --config FILE     JSON config file (default: $${CONFIG_PATH_ENV}, else built-in defaults)
  -s, --set KEY=VALUE   Override one key, e.g. --set log.level=debug (repeatable)`;

/** Help text of every command, shown by `superpeer help CMD` and `superpeer CMD --help`. */
export const HELP: Readonly<Record<string, string>> = {
  main:
    `superpeer: P2PSIP super-peer and TURN relay agent for mesh and municipal Wi-Fi access points

Usage: superpeer <command> [options]

Commands:
  run             Run the daemon in the foreground (logs to stderr)
  config check    Validate a config file without starting anything
  config show     Print the effective configuration (defaults, target, file, --set)
  keygen          Create a node key (Ed25519) and print its node id
  status          Ask a running daemon's ops endpoint for a summary
  version         Print version and runtime
  help [command]  Show help for a command

Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
`,
  run: `Usage: superpeer run [options]

Runs the daemon until SIGINT or SIGTERM (clean shutdown, exit 0). SIGHUP re-reads the config file
and applies keys that can change live; a bad file is logged and ignored.

Options:
${CONFIG_OPTIONS}
  -h, --help            Show this help
`,
  config: `Usage: superpeer config check FILE [--set KEY=VALUE ...]
       superpeer config show [--config FILE] [--set KEY=VALUE ...]

check   Validates FILE: every unknown key, wrong type and out-of-range value is reported with its
        key path. Exit 0 when valid, 2 otherwise.
show    Prints the effective configuration as JSON: built-in defaults, then the target profile,
        then the file, then --set overrides.

Options:
${CONFIG_OPTIONS}
  -h, --help            Show this help
`,
  keygen: `Usage: superpeer keygen [--out FILE] [--force] [--config FILE] [--set KEY=VALUE ...]

Creates an Ed25519 node key (PKCS#8 PEM, mode 0600) and prints the node id derived from it.
Without --out the key goes where the daemon looks for it (identity.keyFile, else
<dataDir>/node_key.pem). An existing key is never replaced unless --force is given.

Options:
  -o, --out FILE        Where to write the key
  -f, --force           Replace an existing key file (the node gets a new id)
${CONFIG_OPTIONS}
  -h, --help            Show this help
`,
  status: `Usage: superpeer status [--url URL] [--json] [--config FILE] [--set KEY=VALUE ...]

Asks a running daemon's ops endpoint (/status) and prints a readable summary. The address comes
from --url, else from the configuration (ops.host, ops.port; default 127.0.0.1:${DEFAULT_OPS_PORT}).
Exit 1 when the daemon cannot be reached.

Options:
  -u, --url URL         Ops endpoint base URL, e.g. http://127.0.0.1:${DEFAULT_OPS_PORT}
      --json            Print the raw JSON
${CONFIG_OPTIONS}
  -h, --help            Show this help
`,
  version: `Usage: superpeer version

Prints superpeer's version and the runtime (Deno or Node) running it.
`,
};

/** Options every config-reading command accepts. */
export const CONFIG_OPTION_SPECS = {
  config: { type: "string", short: "c" },
  set: { type: "string", short: "s", multiple: true },
  help: { type: "boolean", short: "h" },
} as const;
