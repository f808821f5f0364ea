/** Log levels, most severe first; a logger at level L emits L and everything more severe. */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Values a log line may carry; rendered as logfmt `key=value` or JSON. */
export type LogValue = string | number | boolean | bigint | null | undefined;
export type LogFields = Readonly<Record<string, LogValue>>;

/**
 * A named logger (`superpeer:relay:allocation`). One call is one line.
 *
 * @example
 * ```ts
 * log.warn("Dropped a malformed datagram", { from: "192.0.2.1:5000", reason: "short" });
 * ```
 */
export interface Logger {
  readonly name: string;
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** Whether a line at `level` would be written (to skip building costly fields). */
  enabled(level: LogLevel): boolean;
}

/** Hands out named loggers; services receive one of these as a component. */
export type LoggerFactory = (name: string) => Logger;

/** A logger that discards everything; for tests that do not look at logs. */
export function silentLogger(name = "superpeer"): Logger {
  const nothing = () => {};
  return {
    name,
    error: nothing,
    warn: nothing,
    info: nothing,
    debug: nothing,
    enabled: () => false,
  };
}

/** Numeric rank of a level: lower is more severe. */
export function levelRank(level: LogLevel): number {
  return LOG_LEVELS.indexOf(level);
}
