/**
 * Advertises this peer's relay in the overlay (RFC 6940 section 9, TURN-SERVICE): a signed single
 * value at each H(node id || d), d = 0 .. slots - 1, refreshed at half its lifetime and removed on
 * stop, so that other peers find relays with a Find at a random resource id.
 *
 * @module
 */
import type { KindData } from "../codec/overlay/messages/stored_data.ts";
import {
  encodeTurnServiceValue,
  type TurnServiceTransport,
} from "../codec/overlay/turn_service_value.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Counter, Metrics } from "../core/metrics.ts";
import { type Cancel, type Scheduler, systemScheduler } from "../core/scheduler.ts";
import type { Service } from "../core/service.ts";
import type { DatagramAddress } from "../core/transport.ts";
import type { NodeKey } from "../identity/node_key.ts";
import { addressToTransport } from "../overlay/overlay_node.ts";
import { nodeMultipleResourceId } from "../overlay/storage/access_control.ts";
import { TURN_SERVICE } from "../overlay/storage/kinds.ts";
import { signStoredValue } from "../overlay/storage/signed_value.ts";

/** The overlay operations the advertiser uses (OverlayNode has them). */
export interface OverlayPublisher {
  readonly joined: boolean;
  store(
    resourceId: Uint8Array,
    kindData: readonly KindData[],
    options?: { signal?: AbortSignal },
  ): Promise<unknown>;
  remove(
    resourceId: Uint8Array,
    kind: number,
    value: { model: "single" },
    options?: { signal?: AbortSignal; lifetime?: number },
  ): Promise<unknown>;
}

/** One address the relay serves TURN on. */
export interface AdvertisedAddress {
  readonly transport: TurnServiceTransport;
  readonly address: DatagramAddress;
}

/** Options of a RelayAdvertiser. */
export interface RelayAdvertiserInit {
  /** Resource ids H(node id || d) written, d below this (TURN-SERVICE allows 8). @default 8 */
  readonly slots?: number;
  /** Lifetime of each value; refreshed at about half of it. @default 600 */
  readonly lifetimeSeconds?: number;
}

/** What a RelayAdvertiser needs from outside. */
export interface RelayAdvertiserComponents {
  /** The overlay node once the overlay service has started. */
  readonly overlay: () => OverlayPublisher | undefined;
  /** The relay's listening addresses once the relay service has started. */
  readonly addresses: () => readonly AdvertisedAddress[] | undefined;
  readonly key: NodeKey;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default systemScheduler */
  readonly scheduler?: Scheduler;
  /** Uniform in [0, 1), for jitter. @default Math.random */
  readonly random?: () => number;
}

/** Wait while the overlay has not joined (or the relay has not started). */
export const ADVERTISE_RETRY_MS = 5_000;
/** Longest wait after failed stores (doubling from ADVERTISE_RETRY_MS). */
export const ADVERTISE_MAX_BACKOFF_MS = 60_000;
/** How long stop() waits for the removals to be answered. */
export const WITHDRAW_TIMEOUT_MS = 1_500;

/**
 * Keeps the relay's TURN-SERVICE values stored while both services run.
 *
 * @example
 * ```ts
 * daemon.register(new RelayAdvertiser({}, {
 *   overlay: () => overlayService.node,
 *   addresses: () => relayService.advertisedAddresses(),
 *   key, clock, logger: sink.logger("superpeer:relay:advertiser"), metrics,
 * }));
 * ```
 */
export class RelayAdvertiser implements Service {
  readonly name = "relay-advertiser";
  readonly dependsOn = ["overlay", "relay"] as const;
  readonly #slots: number;
  readonly #lifetime: number;
  readonly #c: RelayAdvertiserComponents;
  readonly #scheduler: Scheduler;
  readonly #random: () => number;
  readonly #stores: Counter;
  readonly #failures: Counter;
  #cancel: Cancel | undefined;
  #running = false;
  #abort: AbortController | undefined;
  #failedInARow = 0;
  #published: number | undefined;
  #lastError = "";

  constructor(init: RelayAdvertiserInit, components: RelayAdvertiserComponents) {
    this.#slots = init.slots ?? TURN_SERVICE.maxNodeMultiple ?? 1;
    this.#lifetime = init.lifetimeSeconds ?? 600;
    if (!Number.isInteger(this.#slots) || this.#slots < 1) {
      throw new RangeError(`Cannot advertise the relay: slots ${this.#slots}`);
    }
    if (this.#slots > (TURN_SERVICE.maxNodeMultiple ?? 1)) {
      throw new RangeError(
        `Cannot advertise the relay: ${this.#slots} slots, TURN-SERVICE allows ${TURN_SERVICE.maxNodeMultiple}`,
      );
    }
    if (!Number.isInteger(this.#lifetime) || this.#lifetime < 10) {
      throw new RangeError(`Cannot advertise the relay: lifetime ${this.#lifetime} s`);
    }
    this.#c = components;
    this.#scheduler = components.scheduler ?? systemScheduler;
    this.#random = components.random ?? Math.random;
    this.#stores = components.metrics.counter(
      "superpeer_relay_advertisements_total",
      "TURN-SERVICE values stored in the overlay",
    );
    this.#failures = components.metrics.counter(
      "superpeer_relay_advertise_failures_total",
      "Rounds of TURN-SERVICE stores that failed (retried with backoff)",
    );
  }

  start(_options: { signal: AbortSignal }): Promise<void> {
    if (this.#running) return Promise.resolve();
    this.#running = true;
    this.#abort = new AbortController();
    this.#schedule(0);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#cancel?.();
    this.#cancel = undefined;
    this.#abort?.abort();
    const overlay = this.#c.overlay();
    if (this.#published === undefined || overlay === undefined || !overlay.joined) return;
    // Withdraw: a tombstone per slot, so finders stop getting a relay that is going away.
    const signal = AbortSignal.timeout(WITHDRAW_TIMEOUT_MS);
    const removals = [];
    for (let d = 0; d < this.#slots; d++) {
      removals.push(
        overlay.remove(this.#resource(d), TURN_SERVICE.id, { model: "single" }, {
          signal,
          lifetime: this.#lifetime,
        }),
      );
    }
    const results = await Promise.allSettled(removals);
    const failed = results.filter((r) => r.status === "rejected").length;
    this.#published = undefined;
    this.#c.logger.info("Relay withdrawn from the overlay", { slots: this.#slots, failed });
  }

  status(): Record<string, unknown> {
    return {
      slots: this.#slots,
      lifetimeSeconds: this.#lifetime,
      publishedAt: this.#published === undefined ? null : new Date(this.#published).toISOString(),
      failedRounds: this.#failedInARow,
      lastError: this.#lastError || null,
    };
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    this.#cancel = this.#scheduler.schedule(delayMs, () => {
      this.#cancel = undefined;
      void this.#round();
    });
  }

  async #round(): Promise<void> {
    const overlay = this.#c.overlay();
    const addresses = this.#c.addresses();
    if (overlay === undefined || !overlay.joined || addresses === undefined) {
      this.#schedule(ADVERTISE_RETRY_MS * (0.75 + 0.5 * this.#random()));
      return;
    }
    try {
      const signal = this.#abort?.signal;
      await Promise.all(
        Array.from({ length: this.#slots }, (_, d) =>
          overlay.store(
            this.#resource(d),
            [this.#kindData(d, addresses)],
            signal ? { signal } : {},
          )),
      );
      this.#stores.inc(this.#slots);
      if (this.#published === undefined) {
        this.#c.logger.info("Relay advertised in the overlay", {
          slots: this.#slots,
          addresses: addresses.map((a) => `${a.transport}:${a.address.host}:${a.address.port}`)
            .join(" "),
        });
      }
      this.#published = this.#c.clock.now();
      this.#failedInARow = 0;
      this.#lastError = "";
      // Refresh at about half the lifetime: one lost round still leaves the values alive.
      this.#schedule(this.#lifetime * 500 * (0.9 + 0.2 * this.#random()));
    } catch (error) {
      if (!this.#running) return;
      this.#failures.inc();
      this.#failedInARow++;
      this.#lastError = error instanceof Error ? error.message : String(error);
      if (this.#failedInARow === 1 || this.#failedInARow % 10 === 0) {
        this.#c.logger.warn("Could not advertise the relay in the overlay; retrying", {
          failedRounds: this.#failedInARow,
          error: this.#lastError,
        });
      }
      const backoff = Math.min(
        ADVERTISE_MAX_BACKOFF_MS,
        ADVERTISE_RETRY_MS * 2 ** Math.min(this.#failedInARow - 1, 10),
      );
      this.#schedule(backoff * (0.75 + 0.5 * this.#random()));
    }
  }

  #resource(d: number): Uint8Array {
    return nodeMultipleResourceId(this.#c.key.nodeId, d);
  }

  #kindData(d: number, addresses: readonly AdvertisedAddress[]): KindData {
    const value = {
      model: "single" as const,
      exists: true,
      data: encodeTurnServiceValue({
        iteration: d,
        addresses: addresses.map((a) => ({
          transport: a.transport,
          address: addressToTransport(a.address),
        })),
      }),
    };
    return {
      kind: TURN_SERVICE.id,
      generation: 0,
      values: [
        signStoredValue(this.#c.key, this.#resource(d), TURN_SERVICE.id, value, {
          nowMs: this.#c.clock.now(),
          lifetime: this.#lifetime,
        }),
      ],
    };
  }
}
