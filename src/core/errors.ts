/** Every error code superpeer raises on purpose; each names one cause an operator can act on. */
export type SuperpeerErrorCode =
  | "CONFIG_INVALID"
  | "CONFIG_UNREADABLE"
  | "USAGE"
  | "RUNTIME_UNSUPPORTED"
  | "SERVICE_DEPENDENCY"
  | "SERVICE_START_FAILED"
  | "SERVICE_STOP_TIMEOUT"
  | "DATA_DIR"
  | "KEY_FILE"
  | "OPS_UNREACHABLE"
  | "BUILD"
  | "CBOR_FORMAT"
  | "OVERLAY_DECODE"
  | "OVERLAY_ENCODE"
  | "OVERLAY_SECURITY"
  | "OVERLAY_STORAGE"
  | "OVERLAY_REQUEST"
  | "STUN_DECODE"
  | "STUN_ENCODE"
  | "DNS_DECODE"
  | "DNS_ENCODE"
  | "SIP_PARSE"
  | "WEBSOCKET_PROTOCOL"
  | "WEBSOCKET_HANDSHAKE"
  | "TRANSPORT";

/**
 * Base class of superpeer's own errors: a stable string `code` for programs, a sentence for people.
 *
 * @example
 * ```ts
 * try { throw new SuperpeerError("DATA_DIR", "Cannot create the data directory: /nope"); }
 * catch (e) { if (e instanceof SuperpeerError) console.log(e.code); }
 * ```
 */
export class SuperpeerError extends Error {
  readonly code: SuperpeerErrorCode;

  constructor(code: SuperpeerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem found in a configuration: where (dotted key path) and what was expected. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** A configuration that cannot be used; `issues` lists every problem, not only the first. */
export class ConfigError extends SuperpeerError {
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    const lines = issues.map((i) => `  ${i.path || "(root)"}: ${i.message}`).join("\n");
    super("CONFIG_INVALID", `Invalid configuration: ${source}\n${lines}`);
    this.issues = issues;
  }
}

/** The command line asked for something that does not exist or is malformed. */
export class UsageError extends SuperpeerError {
  constructor(message: string) {
    super("USAGE", message);
  }
}

/** Turns anything thrown into a one-line description for a log field. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = error instanceof SuperpeerError ? `${error.code}: ` : "";
    return `${code}${error.message}`;
  }
  return String(error);
}
