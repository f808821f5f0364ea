import { clearInterval, setInterval } from "node:timers";
import type { Clock } from "../core/clock.ts";
import type { MetricsRegistry } from "../core/metrics.ts";
import { type MemorySample, sampleMemory } from "./runtime.ts";

/** How often the event-loop lag probe fires. */
export const LAG_PROBE_INTERVAL_MS = 500;

/**
 * Samples process health for /metrics and /status: RSS, V8 heap, and event-loop lag measured as
 * how late a fixed-interval timer fires (works the same on Node and Deno).
 */
export class ProcessMetrics {
  readonly #clock: Clock;
  #timer: ReturnType<typeof setInterval> | undefined;
  #expectedAt = 0;
  #lastLagMs = 0;
  #maxLagMs = 0;

  constructor(registry: MetricsRegistry, clock: Clock) {
    this.#clock = clock;
    const rss = registry.gauge(
      "superpeer_process_resident_memory_bytes",
      "Resident set size of the process",
    );
    const heapUsed = registry.gauge("superpeer_process_heap_used_bytes", "V8 heap in use");
    const heapTotal = registry.gauge("superpeer_process_heap_total_bytes", "V8 heap reserved");
    const heapLimit = registry.gauge("superpeer_process_heap_limit_bytes", "V8 heap size limit");
    const lag = registry.gauge(
      "superpeer_event_loop_lag_seconds",
      "Event-loop lag at the last probe",
    );
    const maxLag = registry.gauge(
      "superpeer_event_loop_lag_max_seconds",
      "Largest event-loop lag since the previous scrape",
    );
    registry.addCollector(() => {
      const memory = sampleMemory();
      rss.set(memory.rssBytes);
      heapUsed.set(memory.heapUsedBytes);
      heapTotal.set(memory.heapTotalBytes);
      heapLimit.set(memory.heapLimitBytes);
      lag.set(this.#lastLagMs / 1000);
      maxLag.set(this.#maxLagMs / 1000);
      this.#maxLagMs = this.#lastLagMs;
    });
  }

  /** Starts the lag probe; its timer does not keep the process alive. */
  start(): void {
    if (this.#timer) return;
    this.#expectedAt = this.#clock.monotonic() + LAG_PROBE_INTERVAL_MS;
    this.#timer = setInterval(() => this.probe(), LAG_PROBE_INTERVAL_MS);
    this.#timer.unref();
  }

  /** One probe tick (public so tests can drive it with a manual clock). */
  probe(): void {
    const now = this.#clock.monotonic();
    this.#lastLagMs = Math.max(0, now - this.#expectedAt);
    if (this.#lastLagMs > this.#maxLagMs) this.#maxLagMs = this.#lastLagMs;
    this.#expectedAt = now + LAG_PROBE_INTERVAL_MS;
  }

  /** Event-loop lag at the last probe, in ms. */
  get lagMs(): number {
    return this.#lastLagMs;
  }

  /** A memory sample, for /status. */
  memory(): MemorySample {
    return sampleMemory();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
