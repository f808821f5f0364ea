import { CONFIG_PATH_ENV } from "../daemon/config/load_config.ts";
import { DEFAULT_OPS_PORT } from "../daemon/config/superpeer_config.ts";
import { DEFAULT_REALM, DEFAULT_USERS_FILE_NAME } from "../sip/digest/constants.ts";

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
  keygen          Create a node key (Ed25519) and print its node id and public key
  enroll          Issue an enrollment certificate for a node (operator admission)
  status          Ask a running daemon's ops endpoint for a summary
  user            Add, remove or list SIP users (the users file of Digest HA1 hashes)
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
       superpeer keygen --secret [--out FILE] [--force] [--config FILE] [--set KEY=VALUE ...]

Creates an Ed25519 node key (PKCS#8 PEM, mode 0600) and prints the node id derived from it and
its public key (base64url; an operator key's public key goes into overlay.operatorPublicKey).
Without --out the key goes where the daemon looks for it (identity.keyFile, else
<dataDir>/node_key.pem). An existing key is never replaced unless --force is given.

With --secret, creates a random 32-byte shared secret (mode 0600) for shared-secret admission
instead; without --out it goes to overlay.sharedSecretFile, else <dataDir>/overlay.secret. Make
it once and copy the file to every node of the overlay. Nothing secret is printed.

Options:
  -o, --out FILE        Where to write the key or secret
  -f, --force           Replace an existing file (a node key: the node gets a new id)
      --secret          Make an overlay shared secret instead of a node key
${CONFIG_OPTIONS}
  -h, --help            Show this help
`,
  enroll: `Usage: superpeer enroll --operator-key FILE (--node-key FILE | --public-key B64URL)
                        [--overlay NAME] [--roles peer,relay,proxy] [--days N] [--out FILE]
                        [--force] [--config FILE] [--set KEY=VALUE ...]

Issues an enrollment certificate for operator admission (overlay.admission "operator"): the
operator key signs {node public key, overlay, roles, not-after}. Peers refuse messages from nodes
without a valid certificate. Make the operator key once with superpeer keygen --out FILE, keep it
off the access points, and put its public key into overlay.operatorPublicKey on every node.

Prints the node id, roles and not-after time, and writes the certificate (binary, mode 0644);
without --out it goes to overlay.certificateFile, else <dataDir>/enrollment.cert. An existing
file is never replaced unless --force is given.

Options:
      --operator-key FILE   The operator's Ed25519 key (PKCS#8 PEM, from superpeer keygen)
      --node-key FILE       The node's key file, to certify its public key
      --public-key B64URL   The node's public key, as superpeer keygen printed it
      --overlay NAME        Overlay name (default: overlay.name from the configuration)
      --roles LIST          Comma-separated: peer, relay, proxy (default: all three)
      --days N              Validity in days, 1 to 3650 (default: 365)
  -o, --out FILE            Where to write the certificate
  -f, --force               Replace an existing certificate file
${CONFIG_OPTIONS}
  -h, --help                Show this help
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
  user: `Usage: superpeer user add USER [--realm REALM] [--algorithms LIST] [--users-file FILE]
       superpeer user remove USER [--realm REALM] [--users-file FILE]
       superpeer user list [--realm REALM] [--users-file FILE]

Manages the SIP users file: one line per user and realm with the Digest HA1 of each algorithm
(H(user:realm:password)), never the password; written atomically with mode 0600. The password
is read from standard input (its first line), or typed twice without echo at a terminal; it is
never taken from the command line. Adding an existing user replaces its line (a new password).
Without --users-file the file is <dataDir>/${DEFAULT_USERS_FILE_NAME}. list prints user, realm and algorithms,
never hashes.

Options:
  -r, --realm REALM     Realm of the user (default: ${DEFAULT_REALM}); must be the SIP realm
      --algorithms LIST Comma-separated: MD5, SHA-256, SHA-512-256 (default: all three)
  -u, --users-file FILE The users file
${CONFIG_OPTIONS}
  -h, --help            Show this help

Example: superpeer user add alice --realm example.org < password.txt
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
