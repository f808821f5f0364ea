/**
 * The relay core's metrics, each series resolved once so the forwarding path never looks one up.
 *
 * @module
 */
import type { Counter, Gauge, Metrics } from "../core/metrics.ts";
import type { AllocationTableStats } from "./allocation_table.ts";
import type { DropReason, RefusalReason } from "./turn_actions.ts";

/**
 * Counters and gauges of one TurnServer: refusals and drops by reason, expiries by kind, bytes and
 * packets relayed by direction, live allocations, permissions and channels.
 *
 * @example
 * ```ts
 * const counters = new RelayCounters(new MetricsRegistry());
 * counters.dropped("no_channel");
 * counters.relayedToPeer(160);
 * ```
 */
export class RelayCounters {
  readonly #refusedTotal: Counter;
  readonly #droppedTotal: Counter;
  readonly #expiredTotal: Counter;
  readonly #refused = new Map<string, Counter>();
  readonly #dropped = new Map<string, Counter>();
  readonly #bytesToPeer: Counter;
  readonly #bytesToClient: Counter;
  readonly #packetsToPeer: Counter;
  readonly #packetsToClient: Counter;
  readonly #allocations: Gauge;
  readonly #created: Counter;
  readonly #permissions: Gauge;
  readonly #channels: Gauge;
  /** Plain totals for /status (the metric series hold the same numbers). */
  readonly #totals = { bytesToPeer: 0, bytesToClient: 0, packetsToPeer: 0, packetsToClient: 0 };
  readonly #droppedTotals = new Map<string, number>();

  constructor(metrics: Metrics) {
    this.#refusedTotal = metrics.counter(
      "superpeer_relay_refused_total",
      "TURN requests answered with an error, by reason",
      ["reason"],
    );
    this.#droppedTotal = metrics.counter(
      "superpeer_relay_dropped_total",
      "Packets the relay dropped without an answer, by reason",
      ["reason"],
    );
    this.#expiredTotal = metrics.counter(
      "superpeer_relay_expired_total",
      "Allocations, permissions and channels that expired",
      ["kind"],
    );
    const bytes = metrics.counter(
      "superpeer_relay_bytes_total",
      "Payload bytes relayed, by direction",
      ["direction"],
    );
    const packets = metrics.counter(
      "superpeer_relay_packets_total",
      "Packets relayed, by direction",
      ["direction"],
    );
    this.#bytesToPeer = bytes.with({ direction: "to_peer" });
    this.#bytesToClient = bytes.with({ direction: "to_client" });
    this.#packetsToPeer = packets.with({ direction: "to_peer" });
    this.#packetsToClient = packets.with({ direction: "to_client" });
    this.#allocations = metrics.gauge("superpeer_relay_allocations", "Live TURN allocations");
    this.#created = metrics.counter(
      "superpeer_relay_allocations_created_total",
      "TURN allocations made, by relayed address families (ipv4, ipv6, dual)",
      ["families"],
    );
    this.#permissions = metrics.gauge("superpeer_relay_permissions", "Live TURN permissions");
    this.#channels = metrics.gauge("superpeer_relay_channels", "Live TURN channel bindings");
  }

  created(families: "ipv4" | "ipv6" | "dual"): void {
    this.#created.with({ families }).inc();
  }

  refused(reason: RefusalReason): void {
    bump(this.#refused, this.#refusedTotal, reason);
  }

  dropped(reason: DropReason): void {
    bump(this.#dropped, this.#droppedTotal, reason);
    this.#droppedTotals.set(reason, (this.#droppedTotals.get(reason) ?? 0) + 1);
  }

  expired(kind: "allocation" | "permission" | "channel", count: number): void {
    if (count > 0) this.#expiredTotal.with({ kind }).inc(count);
  }

  relayedToPeer(bytes: number): void {
    this.#bytesToPeer.inc(bytes);
    this.#packetsToPeer.inc();
    this.#totals.bytesToPeer += bytes;
    this.#totals.packetsToPeer++;
  }

  relayedToClient(bytes: number): void {
    this.#bytesToClient.inc(bytes);
    this.#packetsToClient.inc();
    this.#totals.bytesToClient += bytes;
    this.#totals.packetsToClient++;
  }

  /** Bytes and packets relayed each way, and drops by reason, since start (for /status). */
  snapshot(): {
    bytesToPeer: number;
    bytesToClient: number;
    packetsToPeer: number;
    packetsToClient: number;
    dropped: Record<string, number>;
  } {
    return { ...this.#totals, dropped: Object.fromEntries(this.#droppedTotals) };
  }

  /** Sets the live-state gauges from the table's counts. */
  live(stats: AllocationTableStats): void {
    this.#allocations.set(stats.allocations);
    this.#permissions.set(stats.permissions);
    this.#channels.set(stats.channels);
  }
}

function bump(cache: Map<string, Counter>, family: Counter, reason: string): void {
  let counter = cache.get(reason);
  if (counter === undefined) cache.set(reason, counter = family.with({ reason }));
  counter.inc();
}
