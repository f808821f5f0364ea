import type { Counter, Metrics } from "../core/metrics.ts";

/** The responder's counters (shared by the responders of every interface). */
export interface MdnsCounters {
  readonly probesSent: Counter;
  readonly conflicts: Counter;
  readonly queriesReceived: Counter;
  /** Labelled by kind: answer, announce, goodbye, unicast, legacy-unicast. */
  readonly responsesSent: Counter;
  /** Labelled by reason: known-answer, duplicate, rate-limit-delayed. */
  readonly answersSuppressed: Counter;
}

/**
 * Declares the responder's metrics.
 *
 * @example
 * ```ts
 * const counters = mdnsCounters(new MetricsRegistry());
 * counters.conflicts.inc();
 * ```
 */
export function mdnsCounters(metrics: Metrics): MdnsCounters {
  return {
    probesSent: metrics.counter("superpeer_mdns_probes_sent_total", "mDNS probe queries sent"),
    conflicts: metrics.counter(
      "superpeer_mdns_conflicts_total",
      "mDNS name conflicts (a probe answered, a tie-break lost, a conflicting answer)",
    ),
    queriesReceived: metrics.counter(
      "superpeer_mdns_queries_received_total",
      "mDNS queries received by the responder",
    ),
    responsesSent: metrics.counter(
      "superpeer_mdns_responses_sent_total",
      "mDNS responses sent, by kind",
      ["kind"],
    ),
    answersSuppressed: metrics.counter(
      "superpeer_mdns_answers_suppressed_total",
      "mDNS answers held back or delayed, by reason",
      ["reason"],
    ),
  };
}
