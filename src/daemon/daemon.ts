import type { Clock } from "../core/clock.ts";
import { describeError, SuperpeerError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { Counter, Gauge, Metrics } from "../core/metrics.ts";
import type { Service, ServiceState } from "../core/service.ts";

/** Time a single service gets to start before the daemon gives up on it. */
export const DEFAULT_SERVICE_START_TIMEOUT_MS = 30_000;

/** What /status shows of one service. */
export interface ServiceReport {
  readonly name: string;
  readonly state: ServiceState;
  readonly error?: string;
  readonly details?: Record<string, unknown>;
}

interface Entry {
  readonly service: Service;
  readonly up: Gauge;
  state: ServiceState;
  error?: string;
}

function setState(entry: Entry, state: ServiceState, error?: string): void {
  entry.state = state;
  entry.up.set(state === "running" ? 1 : 0);
  if (error !== undefined) entry.error = error;
}

/**
 * Orders services by their dependencies (Kahn's algorithm, registration order breaking ties) and
 * throws SERVICE_DEPENDENCY on a missing dependency or a cycle.
 */
export function startOrder(services: readonly Service[]): Service[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  for (const s of services) {
    for (const dep of s.dependsOn ?? []) {
      if (!byName.has(dep)) {
        throw new SuperpeerError(
          "SERVICE_DEPENDENCY",
          `Cannot start ${s.name}: it depends on ${dep}, which is not registered`,
        );
      }
    }
  }
  const ordered: Service[] = [];
  const done = new Set<string>();
  while (ordered.length < services.length) {
    const next = services.find((s) =>
      !done.has(s.name) && (s.dependsOn ?? []).every((d) => done.has(d))
    );
    if (next === undefined) {
      const stuck = services.filter((s) => !done.has(s.name)).map((s) => s.name).join(", ");
      throw new SuperpeerError(
        "SERVICE_DEPENDENCY",
        `Cannot order services: dependency cycle among ${stuck}`,
      );
    }
    ordered.push(next);
    done.add(next.name);
  }
  return ordered;
}

/**
 * Runs registered services: starts them in dependency order, stops them in reverse, reports their
 * states, and counts exceptions that escape handlers without letting them end the process.
 *
 * @example
 * ```ts
 * const daemon = new Daemon({ logger, metrics, clock, shutdownTimeoutMs: 4000 });
 * daemon.register(opsService);
 * await daemon.start();
 * await daemon.stop();
 * ```
 */
export class Daemon {
  readonly #entries: Entry[] = [];
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  readonly #serviceUp: Gauge;
  readonly #errorCounters = new Map<string, Counter>();
  #shutdownTimeoutMs: number;
  #order: Entry[] = [];
  #startedAt: number | undefined;
  #stopping: Promise<boolean> | undefined;

  constructor(init: { logger: Logger; metrics: Metrics; clock: Clock; shutdownTimeoutMs: number }) {
    this.#log = init.logger;
    this.#clock = init.clock;
    this.#metrics = init.metrics;
    this.#serviceUp = init.metrics.gauge(
      "superpeer_service_up",
      "1 when the service is running, else 0",
      ["service"],
    );
    this.#shutdownTimeoutMs = init.shutdownTimeoutMs;
  }

  /** Adds a service; all registration happens before start(). */
  register(service: Service): void {
    if (this.#startedAt !== undefined) {
      throw new SuperpeerError(
        "SERVICE_DEPENDENCY",
        `Cannot register ${service.name}: the daemon has started`,
      );
    }
    if (this.#entries.some((e) => e.service.name === service.name)) {
      throw new SuperpeerError(
        "SERVICE_DEPENDENCY",
        `Cannot register ${service.name}: a service of that name exists`,
      );
    }
    const up = this.#serviceUp.with({ service: service.name });
    up.set(0);
    this.#entries.push({ service, up, state: "idle" });
  }

  /** Milliseconds since start() began, or 0 before it. */
  uptimeMs(): number {
    return this.#startedAt === undefined ? 0 : this.#clock.monotonic() - this.#startedAt;
  }

  /** True when every registered service is running. */
  healthy(): boolean {
    return this.#entries.length > 0 && this.#entries.every((e) => e.state === "running");
  }

  /** States of all services, in start order. */
  report(): ServiceReport[] {
    const entries = this.#order.length > 0 ? this.#order : this.#entries;
    return entries.map((e) => {
      const report: {
        name: string;
        state: ServiceState;
        error?: string;
        details?: Record<string, unknown>;
      } = {
        name: e.service.name,
        state: e.state,
      };
      if (e.error !== undefined) report.error = e.error;
      if (e.state === "running" && e.service.status) {
        try {
          report.details = e.service.status();
        } catch (error) {
          this.reportHandlerError(e.service.name, error);
        }
      }
      return report;
    });
  }

  /** Starts every service in dependency order; on a failure stops those already started and throws. */
  async start(): Promise<void> {
    this.#startedAt = this.#clock.monotonic();
    const byService = new Map(this.#entries.map((e) => [e.service, e]));
    this.#order = startOrder(this.#entries.map((e) => e.service)).map((s) => byService.get(s)!);
    for (const entry of this.#order) {
      const name = entry.service.name;
      setState(entry, "starting");
      const signal = AbortSignal.timeout(DEFAULT_SERVICE_START_TIMEOUT_MS);
      try {
        await entry.service.start({ signal });
        setState(entry, "running");
        this.#log.debug("Service started", { service: name });
      } catch (error) {
        setState(entry, "failed", describeError(error));
        this.#log.error("Service failed to start", { service: name, error: entry.error });
        await this.stop();
        throw new SuperpeerError("SERVICE_START_FAILED", `Cannot start ${name}: ${entry.error}`, {
          cause: error,
        });
      }
    }
  }

  /**
   * Stops running services in reverse start order, each within what is left of the shutdown
   * timeout. Resolves true when every stop finished in time. Calling it twice returns the same promise.
   */
  stop(): Promise<boolean> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  /** Changes the shutdown budget (SIGHUP). */
  setShutdownTimeout(ms: number): void {
    this.#shutdownTimeoutMs = ms;
  }

  /** Logs and counts an exception that escaped a handler; never rethrows. */
  reportHandlerError(service: string, error: unknown): void {
    let counter = this.#errorCounters.get(service);
    if (counter === undefined) {
      counter = this.#metrics
        .counter(
          "superpeer_handler_errors_total",
          "Exceptions that escaped a handler, by service",
          ["service"],
        )
        .with({ service });
      this.#errorCounters.set(service, counter);
    }
    counter.inc();
    const stack = error instanceof Error
      ? error.stack?.split("\n").slice(0, 4).join(" | ")
      : undefined;
    this.#log.error("Handler failed; the daemon keeps running", {
      service,
      error: describeError(error),
      stack,
    });
  }

  async #stopAll(): Promise<boolean> {
    const deadline = this.#clock.monotonic() + this.#shutdownTimeoutMs;
    let allInTime = true;
    for (const entry of [...this.#order].reverse()) {
      if (entry.state !== "running" && entry.state !== "starting" && entry.state !== "failed") {
        continue;
      }
      const name = entry.service.name;
      setState(entry, "stopping");
      const left = Math.max(0, deadline - this.#clock.monotonic());
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), left);
      });
      try {
        const outcome = await Promise.race([
          entry.service.stop().then(() => "stopped" as const),
          timeout,
        ]);
        if (outcome === "timeout") {
          allInTime = false;
          setState(entry, "failed", "stop timed out");
          this.#log.error("Service did not stop in time", {
            service: name,
            timeoutMs: this.#shutdownTimeoutMs,
          });
        } else {
          setState(entry, "stopped");
          this.#log.debug("Service stopped", { service: name });
        }
      } catch (error) {
        setState(entry, "failed", describeError(error));
        this.#log.error("Service failed to stop cleanly", { service: name, error: entry.error });
      } finally {
        clearTimeout(timer);
      }
    }
    return allInTime;
  }
}
