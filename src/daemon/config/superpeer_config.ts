import type { ConfigIssue } from "../../core/errors.ts";
import type { LogLevel } from "../../core/logger.ts";
import type { AdmissionMode } from "../../identity/admission.ts";
import type { Section } from "./schema.ts";

export type LogFormat = "logfmt" | "json";

/** The daemon's whole configuration after defaults, target profile, file and `--set` are merged. */
export interface SuperpeerConfig {
  readonly target: string;
  readonly dataDir: string;
  readonly shutdownTimeoutMs: number;
  readonly identity: {
    readonly keyFile: string;
  };
  readonly log: {
    readonly level: LogLevel;
    readonly format: LogFormat;
    readonly repeatWindowSeconds: number;
  };
  readonly ops: {
    readonly enabled: boolean;
    readonly host: string;
    readonly port: number;
    readonly maxConnections: number;
  };
  readonly limits: {
    readonly heapMb: number;
    readonly memoryMb: number;
    readonly openFiles: number;
  };
  readonly overlay: {
    readonly enabled: boolean;
    readonly host: string;
    readonly port: number;
    readonly bootstrap: readonly string[];
    readonly advertise: readonly string[];
    readonly stabilizeMaxMs: number;
    readonly peerTimeoutMs: number;
    readonly name: string;
    readonly admission: AdmissionMode;
    readonly operatorPublicKey: string;
    readonly certificateFile: string;
    readonly sharedSecretFile: string;
    readonly replayWindowSeconds: number;
  };
}

/** Default UDP port of the overlay: the port IANA registered for RELOAD (reload-config/p2p-sip). */
export const DEFAULT_OVERLAY_PORT = 6084;

// "host:port" with an IPv4 literal, or "[v6]:port".
const HOST_PORT = /^(?:(?:\d{1,3}\.){3}\d{1,3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

/** Default TCP port of the ops HTTP endpoint (/healthz, /status, /metrics). */
export const DEFAULT_OPS_PORT = 8470;

// Literal IPv4 or IPv6 address (no host names: nothing here resolves DNS at start-up).
const IP_LITERAL =
  /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/;

// Overlay names are hashed into the overlay id after a 0x00 separator: no control characters.
// deno-lint-ignore no-control-regex -- the control characters are what the pattern excludes
const OVERLAY_NAME = /^[^\u0000-\u001f\u007f]+$/;

// A raw 32-byte Ed25519 key in base64url without padding (identity/node_key.ts formatPublicKey),
// or empty.
const PUBLIC_KEY_OR_EMPTY = /^(?:[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048])?$/;

/** Names of the target profiles shipped in targets/ plus the built-in workstation profile. */
export const TARGET_NAMES = [
  "dev",
  "rpi4",
  "rpi-zero2w",
  "x86_64-minipc",
  "openwrt-aarch64",
  "openwrt-x86_64",
] as const;

/** Every configuration key: type, range, meaning and whether SIGHUP can change it. */
export const CONFIG_SCHEMA: Section = {
  kind: "section",
  doc: "superpeer configuration",
  fields: {
    target: {
      kind: "string",
      enum: TARGET_NAMES,
      doc:
        "Hardware profile from targets/ whose defaults (heap, limits, data directory) apply under this file.",
    },
    dataDir: {
      kind: "string",
      maxLength: 4096,
      pattern: /^.+$/,
      patternHint: "a non-empty directory path",
      doc: "Directory for the node key and cached state; created (mode 0700) on first start.",
    },
    shutdownTimeoutMs: {
      kind: "integer",
      min: 100,
      max: 60_000,
      unit: "ms",
      live: true,
      doc: "Time all services get to stop on SIGINT/SIGTERM before the process exits anyway.",
    },
    identity: {
      kind: "section",
      doc: "Node identity",
      fields: {
        keyFile: {
          kind: "string",
          maxLength: 4096,
          doc:
            "Ed25519 node key (PKCS#8 PEM); empty means `<dataDir>/node_key.pem`, created with mode 0600.",
        },
      },
    },
    log: {
      kind: "section",
      doc: "Logging to stderr",
      fields: {
        level: {
          kind: "string",
          enum: ["error", "warn", "info", "debug"],
          live: true,
          doc: "Least severe level written.",
        },
        format: {
          kind: "string",
          enum: ["logfmt", "json"],
          live: true,
          doc:
            "`logfmt` (one `key=value` line per event, for logd/journald) or `json` (JSON lines).",
        },
        repeatWindowSeconds: {
          kind: "integer",
          min: 0,
          max: 3600,
          unit: "s",
          live: true,
          doc:
            "Identical warnings/errors within this window are written once, then as `suppressed=N`; 0 writes all.",
        },
      },
    },
    ops: {
      kind: "section",
      doc: "Ops HTTP endpoint",
      fields: {
        enabled: { kind: "boolean", doc: "Serve /healthz, /status and /metrics." },
        host: {
          kind: "string",
          pattern: IP_LITERAL,
          patternHint: "an IPv4 or IPv6 address literal",
          doc: "Address the ops endpoint binds; keep it on loopback unless a firewall guards it.",
        },
        port: {
          kind: "integer",
          min: 0,
          max: 65535,
          doc: "TCP port of the ops endpoint; 0 picks a free port.",
        },
        maxConnections: {
          kind: "integer",
          min: 1,
          max: 1024,
          live: true,
          doc: "Concurrent ops connections; more are refused.",
        },
      },
    },
    limits: {
      kind: "section",
      doc: "Global memory and resource budget (the target profile sets these)",
      fields: {
        heapMb: {
          kind: "integer",
          min: 16,
          max: 16384,
          unit: "MiB",
          doc:
            "V8 heap budget; launchers pass it as --max-old-space-size and /status compares it with the real limit.",
        },
        memoryMb: {
          kind: "integer",
          min: 32,
          max: 65536,
          unit: "MiB",
          live: true,
          doc:
            "Resident-memory budget of the whole process; /status and /metrics report use against it, a warning is logged above it.",
        },
        openFiles: {
          kind: "integer",
          min: 64,
          max: 1_048_576,
          doc:
            "Open files (sockets) the daemon expects to need; a lower `nofile` limit is warned about at start.",
        },
      },
    },
    overlay: {
      kind: "section",
      doc: "The P2PSIP overlay this node joins, and who may join it",
      fields: {
        enabled: { kind: "boolean", doc: "Run the overlay peer (UDP)." },
        host: {
          kind: "string",
          pattern: IP_LITERAL,
          patternHint: "an IPv4 or IPv6 address literal",
          doc:
            "Address the overlay's UDP socket binds; `0.0.0.0` or `::` for every interface of an access point.",
        },
        port: {
          kind: "integer",
          min: 0,
          max: 65535,
          doc: "UDP port of the overlay (RELOAD's registered port is 6084); 0 picks a free one.",
        },
        bootstrap: {
          kind: "stringList",
          maxItems: 16,
          pattern: HOST_PORT,
          patternHint: "an address and port, `192.0.2.1:6084` or `[2001:db8::1]:6084`",
          doc:
            "Peers to join through, tried in order after the cached peers of the last run; empty starts a new ring.",
        },
        advertise: {
          kind: "stringList",
          maxItems: 4,
          pattern: HOST_PORT,
          patternHint: "an address and port, `192.0.2.1:6084` or `[2001:db8::1]:6084`",
          doc:
            "Where other peers reach this one; empty means the bound address (set it when binding `0.0.0.0`).",
        },
        stabilizeMaxMs: {
          kind: "integer",
          min: 1000,
          max: 600_000,
          unit: "ms",
          doc:
            "Longest interval between stabilisation rounds (neighbour Updates); it shrinks to a tenth while the neighbourhood changes.",
        },
        peerTimeoutMs: {
          kind: "integer",
          min: 1000,
          max: 600_000,
          unit: "ms",
          doc:
            "The nearest successor or predecessor silent this long is dropped (other neighbours are dropped when an Update goes unanswered for 5 s); a dropped peer is not re-added from others' lists for twice this.",
        },
        name: {
          kind: "string",
          maxLength: 64,
          pattern: OVERLAY_NAME,
          patternHint: "1 to 64 characters, no control characters",
          doc:
            "Overlay name; its hash is the overlay id every message and enrollment certificate carries, so all nodes of one overlay use the same name.",
        },
        admission: {
          kind: "string",
          enum: ["open", "shared-secret", "operator"] satisfies AdmissionMode[],
          doc:
            "Who may join: `operator` (certificates from `superpeer enroll`), `shared-secret` (nodes hold `sharedSecretFile`) or `open` (anyone: test meshes only, Sybil attacks).",
        },
        operatorPublicKey: {
          kind: "string",
          pattern: PUBLIC_KEY_OR_EMPTY,
          patternHint: "base64url of a 32-byte Ed25519 public key (43 characters) or empty",
          doc:
            "The operator's public key (`superpeer keygen` prints it); required when `admission` is `operator`.",
        },
        certificateFile: {
          kind: "string",
          maxLength: 4096,
          doc:
            "This node's enrollment certificate for `operator` admission; empty means `<dataDir>/enrollment.cert`.",
        },
        sharedSecretFile: {
          kind: "string",
          maxLength: 4096,
          doc:
            "The overlay secret for `shared-secret` admission (`superpeer keygen --secret`); empty means `<dataDir>/overlay.secret`.",
        },
        replayWindowSeconds: {
          kind: "integer",
          min: 10,
          max: 3600,
          unit: "s",
          live: true,
          doc:
            "Messages sent longer ago (or further ahead) than this are refused as replays; node clocks must agree within it.",
        },
      },
    },
  },
};

/** Built-in defaults: the `dev` profile, safe on a developer's or CI machine. */
export const DEFAULT_CONFIG: SuperpeerConfig = {
  target: "dev",
  dataDir: "./data",
  shutdownTimeoutMs: 4000,
  identity: { keyFile: "" },
  log: { level: "info", format: "logfmt", repeatWindowSeconds: 10 },
  ops: { enabled: true, host: "127.0.0.1", port: DEFAULT_OPS_PORT, maxConnections: 16 },
  limits: { heapMb: 256, memoryMb: 384, openFiles: 1024 },
  overlay: {
    enabled: true,
    host: "127.0.0.1",
    port: DEFAULT_OVERLAY_PORT,
    bootstrap: [],
    advertise: [],
    stabilizeMaxMs: 20_000,
    peerTimeoutMs: 30_000,
    name: "superpeer",
    admission: "open",
    operatorPublicKey: "",
    certificateFile: "",
    sharedSecretFile: "",
    replayWindowSeconds: 300,
  },
};

/**
 * Rules that involve more than one key, checked on the merged configuration (resolveConfig).
 *
 * @example
 * ```ts
 * crossFieldIssues({ ...DEFAULT_CONFIG, overlay: { ...DEFAULT_CONFIG.overlay, admission: "operator" } });
 * // [{ path: "overlay.operatorPublicKey", message: "required when overlay.admission is \"operator\" ..." }]
 * ```
 */
export function crossFieldIssues(config: SuperpeerConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.overlay.admission === "operator" && config.overlay.operatorPublicKey === "") {
    issues.push({
      path: "overlay.operatorPublicKey",
      message:
        'required when overlay.admission is "operator" (the operator\'s public key, as `superpeer keygen` prints it)',
    });
  }
  return issues;
}
