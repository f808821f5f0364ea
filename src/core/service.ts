import type { LoggerFactory } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import type { Clock } from "./clock.ts";

/** Life of a service inside the daemon. */
export type ServiceState = "idle" | "starting" | "running" | "stopping" | "stopped" | "failed";

/** What every service is handed: never a socket or a file, only these. */
export interface ServiceComponents {
  readonly logger: LoggerFactory;
  readonly metrics: Metrics;
  readonly clock: Clock;
}

/**
 * A long-running part of the daemon (ops endpoint, overlay, relay, SIP, mDNS).
 * `start()` and `stop()` are idempotent; the daemon starts services after the ones they
 * depend on and stops them in reverse order.
 */
export interface Service {
  /** Unique, short, lower-case: used in logs, metrics and /status. */
  readonly name: string;
  /** Names of services that must be running before this one starts. */
  readonly dependsOn?: readonly string[];
  /** Brings the service up; `signal` aborts a start that takes too long. */
  start(options: { signal: AbortSignal }): Promise<void>;
  /** Releases everything the service holds (sockets, timers, allocations). */
  stop(): Promise<void>;
  /** A small JSON-safe summary for /status. */
  status?(): Record<string, unknown>;
}
