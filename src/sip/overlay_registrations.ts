/**
 * SIP registrations in the overlay (RFC 7904): this Proxy Peer publishes, for every AOR it has
 * bindings for, a SIP-REGISTRATION dictionary entry keyed by its node id at H(AOR), whose URI is
 * where it delivers requests for that AOR; and it resolves an AOR to the entries other peers
 * published.
 *
 * Entries are refreshed toward the overlay more often than phones refresh toward us (peers that
 * held a copy fail, and a refresh re-replicates), spread over the refresh period, a few at a time;
 * each carries the binding's remaining lifetime, so a peer that dies stops being found once its
 * phones' registrations would have lapsed anyway. The desired set is bounded.
 *
 * @module
 */
import type { KindData } from "../codec/overlay/messages/stored_data.ts";
import {
  decodeSipRegistrationValue,
  encodeSipRegistrationValue,
} from "../codec/overlay/sip_registration_value.ts";
import type { Clock } from "../core/clock.ts";
import { bytesToHex } from "../core/hex.ts";
import type { Logger } from "../core/logger.ts";
import type { Counter, Metrics } from "../core/metrics.ts";
import { type Cancel, type Scheduler, systemScheduler } from "../core/scheduler.ts";
import type { NodeKey } from "../identity/node_key.ts";
import { resourceId } from "../identity/resource_id.ts";
import { SIP_REGISTRATION } from "../overlay/storage/kinds.ts";
import { signStoredValue } from "../overlay/storage/signed_value.ts";

/** The overlay operations used (OverlayNode has them). */
export interface OverlayRegistry {
  readonly joined: boolean;
  store(
    resourceId: Uint8Array,
    kindData: readonly KindData[],
    options?: { signal?: AbortSignal },
  ): Promise<unknown>;
  fetch(
    resourceId: Uint8Array,
    specifiers: readonly {
      kind: number;
      generation: number;
      selector: { model: "dictionary"; keys: readonly Uint8Array[] };
    }[],
    options?: { signal?: AbortSignal },
  ): Promise<readonly KindData[]>;
  remove(
    resourceId: Uint8Array,
    kind: number,
    value: { model: "dictionary"; key: Uint8Array },
    options?: { signal?: AbortSignal; lifetime?: number },
  ): Promise<unknown>;
}

/** One peer's entry for an AOR. */
export interface OverlayRegistration {
  /** The publishing peer's node id, hex. */
  readonly nodeId: string;
  /** Where that peer delivers requests for the AOR. */
  readonly uri: string;
  /** Seconds the entry had left when fetched. */
  readonly lifetime: number;
}

/** What the SIP element needs of the overlay's registrations (OverlayRegistrations has it). */
export interface SipOverlay {
  /** The AOR is served here at `uri` until `untilMs` (wall clock). */
  publish(aor: string, uri: string, untilMs: number): void;
  /** The AOR is no longer served here. */
  withdraw(aor: string): void;
  /** Other peers' entries for the AOR. */
  resolve(aor: string, options: { signal?: AbortSignal }): Promise<readonly OverlayRegistration[]>;
}

/** Options of OverlayRegistrations. */
export interface OverlayRegistrationsInit {
  /** Seconds between two stores of one AOR. @default 60 */
  readonly refreshSeconds?: number;
  /** AORs published at once at most (new ones beyond are not published; counted). @default 4096 */
  readonly maxAors?: number;
  /** Stores in flight at most. @default 8 */
  readonly maxInFlight?: number;
}

/** What OverlayRegistrations needs from outside. */
export interface OverlayRegistrationsComponents {
  /** The overlay node once the overlay service runs. */
  readonly overlay: () => OverlayRegistry | undefined;
  readonly key: NodeKey;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default systemScheduler */
  readonly scheduler?: Scheduler;
  /** Uniform in [0, 1), for spreading refreshes. @default Math.random */
  readonly random?: () => number;
}

interface Wanted {
  uri: string;
  /** Wall-clock ms when the last binding of the AOR lapses. */
  until: number;
  /** Wall-clock ms of the next store; 0 = as soon as possible. */
  due: number;
  inFlight: boolean;
}

/** How often the loop looks for due AORs. */
const TICK_MS = 1_000;
/** How long stop() waits for withdrawals. */
const WITHDRAW_TIMEOUT_MS = 1_500;
/** Stores that take longer are abandoned (and retried next round). */
const STORE_TIMEOUT_MS = 15_000;
/** Entries at one AOR read at most (the kind's max-count). */
const MAX_ENTRIES = SIP_REGISTRATION.maxCount;

/**
 * Publishes this peer's SIP-REGISTRATION entries and resolves AORs.
 *
 * @example
 * ```ts
 * const registrations = new OverlayRegistrations({}, { overlay: () => node, key, clock, logger, metrics });
 * registrations.start();
 * registrations.publish("sip:alice@mesh.example", "sip:alice@192.0.2.7:5060", expiresAtMs);
 * const entries = await registrations.resolve("sip:bob@mesh.example");
 * ```
 */
export class OverlayRegistrations implements SipOverlay {
  readonly #refreshMs: number;
  readonly #maxAors: number;
  readonly #maxInFlight: number;
  readonly #c: OverlayRegistrationsComponents;
  readonly #scheduler: Scheduler;
  readonly #random: () => number;
  readonly #wanted = new Map<string, Wanted>();
  /** AORs withdrawn while the overlay was away, still to tombstone. */
  readonly #withdrawn = new Set<string>();
  readonly #stores: Counter;
  readonly #failures: Counter;
  readonly #refused: Counter;
  #inFlight = 0;
  #cancel: Cancel | undefined;
  #abort: AbortController | undefined;
  #lastFailureLog = -Infinity;

  constructor(init: OverlayRegistrationsInit, components: OverlayRegistrationsComponents) {
    const refresh = init.refreshSeconds ?? 60;
    if (!Number.isInteger(refresh) || refresh < 5) {
      throw new RangeError(`Cannot publish SIP registrations: refreshSeconds ${refresh}`);
    }
    this.#refreshMs = refresh * 1000;
    this.#maxAors = init.maxAors ?? 4096;
    this.#maxInFlight = init.maxInFlight ?? 8;
    this.#c = components;
    this.#scheduler = components.scheduler ?? systemScheduler;
    this.#random = components.random ?? Math.random;
    this.#stores = components.metrics.counter(
      "superpeer_sip_overlay_stores_total",
      "SIP-REGISTRATION entries stored in the overlay (first stores and refreshes)",
    );
    this.#failures = components.metrics.counter(
      "superpeer_sip_overlay_store_failures_total",
      "SIP-REGISTRATION stores that failed (retried at the next tick)",
    );
    this.#refused = components.metrics.counter(
      "superpeer_sip_overlay_unpublished_total",
      "AORs not published because the table of published AORs was full",
    );
  }

  /** AORs currently published (or waiting to be). */
  get size(): number {
    return this.#wanted.size;
  }

  /** Starts the refresh loop. */
  start(): void {
    if (this.#abort !== undefined) return;
    this.#abort = new AbortController();
    this.#tick();
  }

  /** Stops the loop and withdraws every entry (bounded in time). */
  async stop(): Promise<void> {
    if (this.#abort === undefined) return;
    this.#abort.abort();
    this.#abort = undefined;
    this.#cancel?.();
    this.#cancel = undefined;
    const overlay = this.#c.overlay();
    const aors = [...this.#wanted.keys(), ...this.#withdrawn];
    this.#wanted.clear();
    this.#withdrawn.clear();
    if (overlay === undefined || !overlay.joined || aors.length === 0) return;
    const signal = AbortSignal.timeout(WITHDRAW_TIMEOUT_MS);
    const results = await Promise.allSettled(
      aors.map((aor) => this.#tombstone(overlay, aor, signal)),
    );
    const failed = results.filter((r) => r.status === "rejected").length;
    this.#c.logger.info("SIP registrations withdrawn from the overlay", {
      aors: aors.length,
      failed,
    });
  }

  /**
   * The AOR is served here at `uri` until `untilMs` (wall clock): stored at the next tick, then
   * refreshed every refresh period while it lasts.
   */
  publish(aor: string, uri: string, untilMs: number): void {
    const known = this.#wanted.get(aor);
    if (known !== undefined) {
      const changed = known.uri !== uri;
      known.uri = uri;
      known.until = untilMs;
      if (changed) known.due = 0;
      return;
    }
    if (this.#wanted.size >= this.#maxAors) {
      this.#refused.inc();
      return;
    }
    this.#withdrawn.delete(aor);
    this.#wanted.set(aor, { uri, until: untilMs, due: 0, inFlight: false });
  }

  /** The AOR is no longer served here: its entry is removed from the overlay at the next tick. */
  withdraw(aor: string): void {
    if (this.#wanted.delete(aor)) this.#withdrawn.add(aor);
  }

  /**
   * Every other peer's live entry for `aor` (RFC 7904 section 4: a Fetch of the dictionary).
   * Entries that do not decode are skipped and logged at most once a minute.
   */
  async resolve(
    aor: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<readonly OverlayRegistration[]> {
    const overlay = this.#c.overlay();
    if (overlay === undefined || !overlay.joined) return [];
    const kinds = await overlay.fetch(resourceId(aor), [{
      kind: SIP_REGISTRATION.id,
      generation: 0,
      selector: { model: "dictionary", keys: [] },
    }], options);
    const own = bytesToHex(this.#c.key.nodeId);
    const out: OverlayRegistration[] = [];
    for (const stored of kinds.find((k) => k.kind === SIP_REGISTRATION.id)?.values ?? []) {
      const value = stored.value;
      if (value.model !== "dictionary" || !value.exists || stored.lifetime <= 0) continue;
      const nodeId = bytesToHex(value.key);
      if (nodeId === own) continue;
      try {
        out.push({
          nodeId,
          uri: decodeSipRegistrationValue(value.data).uri,
          lifetime: stored.lifetime,
        });
      } catch (error) {
        this.#logFailure("Skipped a SIP-REGISTRATION entry that does not decode", error);
      }
      if (out.length >= MAX_ENTRIES) break;
    }
    return out;
  }

  #tick(): void {
    const signal = this.#abort?.signal;
    if (signal === undefined || signal.aborted) return;
    this.#cancel = this.#scheduler.schedule(TICK_MS, () => this.#tick());
    const overlay = this.#c.overlay();
    if (overlay === undefined || !overlay.joined) return;
    const now = this.#c.clock.now();
    for (const aor of [...this.#withdrawn]) {
      if (this.#inFlight >= this.#maxInFlight) return;
      this.#withdrawn.delete(aor);
      this.#inFlight++;
      this.#tombstone(overlay, aor, signal).catch((error) =>
        this.#logFailure("Could not withdraw a SIP registration from the overlay", error)
      ).finally(() => this.#inFlight--);
    }
    for (const [aor, wanted] of this.#wanted) {
      if (wanted.until <= now) {
        this.#wanted.delete(aor);
        continue;
      }
      if (wanted.inFlight || wanted.due > now) continue;
      if (this.#inFlight >= this.#maxInFlight) return;
      wanted.inFlight = true;
      this.#inFlight++;
      const lifetime = Math.max(1, Math.ceil((wanted.until - now) / 1000));
      overlay.store(resourceId(aor), [this.#kindData(aor, wanted.uri, lifetime)], {
        signal: AbortSignal.any([signal, AbortSignal.timeout(STORE_TIMEOUT_MS)]),
      }).then(() => {
        this.#stores.inc();
        // the next refresh lands somewhere in the last 20 % of the period: refreshes spread out
        wanted.due = this.#c.clock.now() + this.#refreshMs * (0.8 + 0.2 * this.#random());
      }, (error) => {
        this.#failures.inc();
        wanted.due = this.#c.clock.now() + TICK_MS * 5;
        this.#logFailure("Could not store a SIP registration in the overlay; retrying", error);
      }).finally(() => {
        wanted.inFlight = false;
        this.#inFlight--;
      });
    }
  }

  #kindData(aor: string, uri: string, lifetime: number): KindData {
    const value = {
      model: "dictionary" as const,
      key: this.#c.key.nodeId,
      exists: true,
      data: encodeSipRegistrationValue({ uri }),
    };
    return {
      kind: SIP_REGISTRATION.id,
      generation: 0,
      values: [
        signStoredValue(this.#c.key, resourceId(aor), SIP_REGISTRATION.id, value, {
          nowMs: this.#c.clock.now(),
          lifetime,
        }),
      ],
    };
  }

  #tombstone(overlay: OverlayRegistry, aor: string, signal: AbortSignal): Promise<unknown> {
    return overlay.remove(resourceId(aor), SIP_REGISTRATION.id, {
      model: "dictionary",
      key: this.#c.key.nodeId,
    }, { signal, lifetime: Math.ceil(this.#refreshMs / 1000) * 2 });
  }

  #logFailure(message: string, error: unknown): void {
    const now = this.#c.clock.monotonic();
    if (now - this.#lastFailureLog < 60_000) return;
    this.#lastFailureLog = now;
    this.#c.logger.warn(message, { error: error instanceof Error ? error.message : String(error) });
  }
}
