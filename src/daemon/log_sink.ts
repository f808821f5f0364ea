import { BoundedMap } from "../core/bounded_map.ts";
import type { Clock } from "../core/clock.ts";
import {
  levelRank,
  type LogFields,
  type Logger,
  type LogLevel,
  type LogValue,
} from "../core/logger.ts";
import type { LogFormat } from "./config/superpeer_config.ts";

/** Distinct warning/error messages tracked for repeat suppression; the oldest is forgotten past this. */
export const DEFAULT_MAX_TRACKED_MESSAGES = 256;

export interface LogSinkInit {
  level: LogLevel;
  format: LogFormat;
  /** Identical warn/error lines within this many ms are written once; 0 disables suppression. */
  repeatWindowMs: number;
  /** Receives each finished line, newline included (stderr in the daemon, an array in tests). */
  write: (line: string) => void;
  clock: Clock;
  /** @default {DEFAULT_MAX_TRACKED_MESSAGES} */
  maxTrackedMessages?: number;
}

interface Repeat {
  firstAt: number;
  suppressed: number;
  level: LogLevel;
  name: string;
  message: string;
}

// logfmt values are bare unless they hold a space, quote, equals sign, backslash or control char.
// deno-lint-ignore no-control-regex -- control characters are exactly what must be quoted
const NEEDS_QUOTES = /[\s"=\\\u0000-\u001f]|^$/;

function logfmtValue(value: LogValue): string {
  const text = value === null || value === undefined ? "" : String(value);
  if (!NEEDS_QUOTES.test(text)) return text;
  return `"${
    text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(
      /\t/g,
      "\\t",
    )
  }"`;
}

function jsonValue(value: LogValue): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** Formats one log event as a logfmt line: `ts=… level=… logger=… msg=… k=v…`. */
export function formatLogfmt(
  ts: number,
  level: LogLevel,
  name: string,
  message: string,
  fields?: LogFields,
): string {
  let line = `ts=${new Date(ts).toISOString()} level=${level} logger=${logfmtValue(name)} msg=${
    logfmtValue(message)
  }`;
  if (fields) {
    for (const key in fields) {
      const value = fields[key];
      if (value !== undefined) line += ` ${key}=${logfmtValue(value)}`;
    }
  }
  return line + "\n";
}

/** Formats one log event as a JSON line. */
export function formatJson(
  ts: number,
  level: LogLevel,
  name: string,
  message: string,
  fields?: LogFields,
): string {
  const out: Record<string, string | number | boolean | null> = {
    ts: new Date(ts).toISOString(),
    level,
    logger: name,
    msg: message,
  };
  if (fields) {
    for (const key in fields) {
      const value = fields[key];
      if (value !== undefined && !(key in out)) out[key] = jsonValue(value);
    }
  }
  return JSON.stringify(out) + "\n";
}

/**
 * Where every logger of the daemon writes: levels, logfmt or JSON lines, and suppression of
 * repeated identical warnings and errors (so a flood of bad packets costs one line per window).
 *
 * @example
 * ```ts
 * const sink = new LogSink({ level: "info", format: "logfmt", repeatWindowMs: 10_000,
 *   write: (l) => process.stderr.write(l), clock: systemClock });
 * sink.logger("superpeer:ops").info("Listening", { port: 8470 });
 * ```
 */
export class LogSink {
  #rank: number;
  #format: LogFormat;
  #repeatWindowMs: number;
  readonly #write: (line: string) => void;
  readonly #clock: Clock;
  readonly #repeats: BoundedMap<string, Repeat>;
  #suppressedTotal = 0;

  constructor(init: LogSinkInit) {
    this.#rank = levelRank(init.level);
    this.#format = init.format;
    this.#repeatWindowMs = init.repeatWindowMs;
    this.#write = init.write;
    this.#clock = init.clock;
    this.#repeats = new BoundedMap({
      maxEntries: init.maxTrackedMessages ?? DEFAULT_MAX_TRACKED_MESSAGES,
      onEvict: (_key, repeat) => this.#summarise(repeat),
    });
  }

  /** Lines withheld as repeats since start. */
  get suppressedTotal(): number {
    return this.#suppressedTotal;
  }

  /** Applies new level / format / window at once (SIGHUP). */
  reconfigure(options: { level: LogLevel; format: LogFormat; repeatWindowMs: number }): void {
    this.#rank = levelRank(options.level);
    this.#format = options.format;
    this.#repeatWindowMs = options.repeatWindowMs;
  }

  /** A logger named `name` that writes here. */
  logger(name: string): Logger {
    const emit = (level: LogLevel) => (message: string, fields?: LogFields) =>
      this.#emit(level, name, message, fields);
    return {
      name,
      error: emit("error"),
      warn: emit("warn"),
      info: emit("info"),
      debug: emit("debug"),
      enabled: (level) => levelRank(level) <= this.#rank,
    };
  }

  /** Writes a `suppressed=N` summary for every repeat whose window has passed; call periodically and at exit. */
  flushSuppressed(force = false): void {
    const now = this.#clock.monotonic();
    for (const [key, repeat] of [...this.#repeats.entries()]) {
      if (force || now - repeat.firstAt >= this.#repeatWindowMs) {
        this.#repeats.delete(key);
        this.#summarise(repeat);
      }
    }
  }

  #summarise(repeat: Repeat): void {
    if (repeat.suppressed > 0) {
      this.#line(repeat.level, repeat.name, repeat.message, { suppressed: repeat.suppressed });
    }
  }

  #emit(level: LogLevel, name: string, message: string, fields?: LogFields): void {
    if (levelRank(level) > this.#rank) return;
    if ((level === "warn" || level === "error") && this.#repeatWindowMs > 0) {
      const key = `${level}\u0000${name}\u0000${message}`;
      const now = this.#clock.monotonic();
      const repeat = this.#repeats.get(key);
      if (repeat !== undefined && now - repeat.firstAt < this.#repeatWindowMs) {
        repeat.suppressed++;
        this.#suppressedTotal++;
        return;
      }
      const suppressed = repeat?.suppressed ?? 0;
      this.#repeats.delete(key);
      this.#repeats.set(key, { firstAt: now, suppressed: 0, level, name, message });
      if (suppressed > 0) fields = { ...fields, suppressed };
    }
    this.#line(level, name, message, fields);
  }

  #line(level: LogLevel, name: string, message: string, fields?: LogFields): void {
    const format = this.#format === "json" ? formatJson : formatLogfmt;
    try {
      this.#write(format(this.#clock.now(), level, name, message, fields));
    } catch {
      // A broken stderr (closed pipe) must not take the daemon down; nothing else to tell it to.
    }
  }
}
