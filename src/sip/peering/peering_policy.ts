/**
 * The peering policy of a Proxy Peer (issue #6 part 8): what a request from outside (not one of
 * our phones, not a known superpeer) must satisfy before it is proxied, like an IMS I-CSCF at
 * the overlay's edge. In order:
 *
 * 1. its source address is in `allowedSources` (empty: any source) - else 403;
 * 2. its source has a token left in its bucket (`requestsPerSecond`, `burst`) - else 503;
 * 3. its From domain is in `allowedDomains` (empty: any domain) - else 403;
 * 4. its Request-URI is one of our domains or our own address: we are no open relay - else 403;
 * 5. an INVITE finds a free slot under `maxUnauthenticatedInvites` - else 503.
 *
 * Every refusal is counted in `superpeer_sip_policy_refused_total{reason}` and logged at most
 * once a minute (with the counts since the last line). Pure: clock, metrics and logger injected.
 *
 * @module
 */
import { BoundedMap } from "../../core/bounded_map.ts";
import type { Clock } from "../../core/clock.ts";
import type { Logger } from "../../core/logger.ts";
import type { Counter, Metrics } from "../../core/metrics.ts";
import { CidrSet } from "./cidr_set.ts";
import {
  DEFAULT_MAX_UNAUTHENTICATED_INVITES,
  DEFAULT_PEERING_BURST,
  DEFAULT_PEERING_MAX_SOURCES,
  DEFAULT_PEERING_REQUESTS_PER_SECOND,
  DEFAULT_PEERING_RETRY_AFTER_S,
  POLICY_LOG_INTERVAL_MS,
} from "./constants.ts";

/** Why the policy (or the proxy authentication in front of it) refused a request. */
export type PolicyRefusalReason =
  | "source"
  | "rate"
  | "from_domain"
  | "to_domain"
  | "invite_cap"
  | "identity";

const REASONS: readonly PolicyRefusalReason[] = [
  "source",
  "rate",
  "from_domain",
  "to_domain",
  "invite_cap",
  "identity",
];

/** Options of a PeeringPolicy (the `sip.peering*` config keys). */
export interface PeeringPolicyInit {
  /** CIDR blocks outside requests may come from; empty: any source. @default [] */
  readonly allowedSources?: readonly string[];
  /** From domains accepted from outside (lower case); empty: any domain. @default [] */
  readonly allowedDomains?: readonly string[];
  /** Token rate per source; 0 turns the rate limit off. @default DEFAULT_PEERING_REQUESTS_PER_SECOND (10) */
  readonly requestsPerSecond?: number;
  /** Bucket size per source. @default DEFAULT_PEERING_BURST (20) */
  readonly burst?: number;
  /** Buckets at once (oldest dropped). @default DEFAULT_PEERING_MAX_SOURCES (4096) */
  readonly maxSources?: number;
  /** Outside INVITEs proxied at once; 0 refuses every one. @default DEFAULT_MAX_UNAUTHENTICATED_INVITES (32) */
  readonly maxUnauthenticatedInvites?: number;
  /** @default DEFAULT_PEERING_RETRY_AFTER_S (5) */
  readonly retryAfterSeconds?: number;
}

/** What a PeeringPolicy works with. */
export interface PeeringPolicyComponents {
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/** The request facts the policy looks at. */
export interface PeeringRequest {
  readonly method: string;
  /** The packet's (or connection's) source address, not the Via's. */
  readonly sourceIp: string;
  /** The From URI's host, lower case. */
  readonly fromDomain: string;
  /** Whether the Request-URI names one of our domains or our own address. */
  readonly forUs: boolean;
}

/** The policy's answer. */
export type PeeringDecision =
  | {
    readonly ok: true;
    /** Frees the INVITE slot (a no-op for other methods); call once the request is finished. */
    readonly release: () => void;
  }
  | {
    readonly ok: false;
    readonly status: 403 | 503;
    readonly phrase: string;
    readonly reason: PolicyRefusalReason;
    /** For 503: the Retry-After value. */
    readonly retryAfterSeconds?: number;
  };

interface Bucket {
  tokens: number;
  at: number;
}

const NOOP = () => {};

/**
 * Admits or refuses requests from outside.
 *
 * @example
 * ```ts
 * const policy = new PeeringPolicy({ allowedSources: ["198.51.100.0/24"] }, { clock, metrics, logger });
 * const decision = policy.admit({ method: "INVITE", sourceIp, fromDomain: "other.example", forUs: true });
 * if (!decision.ok) respond(decision.status, decision.phrase);
 * ```
 */
export class PeeringPolicy {
  readonly #sources: CidrSet;
  readonly #domains: ReadonlySet<string>;
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxInvites: number;
  readonly #retryAfter: number;
  readonly #buckets: BoundedMap<string, Bucket>;
  readonly #c: PeeringPolicyComponents;
  readonly #refused = new Map<PolicyRefusalReason, Counter>();
  readonly #sinceLog = new Map<PolicyRefusalReason, number>();
  #lastLog = -Infinity;
  #invites = 0;

  constructor(init: PeeringPolicyInit, components: PeeringPolicyComponents) {
    this.#sources = new CidrSet(init.allowedSources ?? []);
    this.#domains = new Set((init.allowedDomains ?? []).map((d) => d.toLowerCase()));
    this.#rate = init.requestsPerSecond ?? DEFAULT_PEERING_REQUESTS_PER_SECOND;
    this.#burst = Math.max(1, init.burst ?? DEFAULT_PEERING_BURST);
    this.#maxInvites = init.maxUnauthenticatedInvites ?? DEFAULT_MAX_UNAUTHENTICATED_INVITES;
    this.#retryAfter = init.retryAfterSeconds ?? DEFAULT_PEERING_RETRY_AFTER_S;
    this.#c = components;
    const dropped = components.metrics.counter(
      "superpeer_sip_policy_dropped_total",
      "Peering policy state dropped at its cap, by reason",
      ["reason"],
    ).with({ reason: "sources_full" });
    this.#buckets = new BoundedMap({
      maxEntries: init.maxSources ?? DEFAULT_PEERING_MAX_SOURCES,
      onEvict: () => dropped.inc(),
    });
    const refused = components.metrics.counter(
      "superpeer_sip_policy_refused_total",
      "Requests from outside refused by the peering policy or the proxy's identity check, by reason",
      ["reason"],
    );
    for (const reason of REASONS) this.#refused.set(reason, refused.with({ reason }));
  }

  /** Outside INVITEs being proxied now. */
  get inviteCount(): number {
    return this.#invites;
  }

  /** Token buckets held. */
  get sourceCount(): number {
    return this.#buckets.size;
  }

  /** Decides about one request from outside. */
  admit(request: PeeringRequest): PeeringDecision {
    if (this.#sources.size > 0 && !this.#sources.has(request.sourceIp)) {
      return this.refuse("source", request.sourceIp);
    }
    const wait = this.#take(request.sourceIp);
    if (wait > 0) return this.refuse("rate", request.sourceIp, wait);
    if (this.#domains.size > 0 && !this.#domains.has(request.fromDomain.toLowerCase())) {
      return this.refuse("from_domain", request.sourceIp);
    }
    if (!request.forUs) return this.refuse("to_domain", request.sourceIp);
    if (request.method !== "INVITE") return { ok: true, release: NOOP };
    if (this.#invites >= this.#maxInvites) return this.refuse("invite_cap", request.sourceIp);
    this.#invites++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#invites--;
      },
    };
  }

  /** Counts and logs a refusal (also for refusals decided by the caller, e.g. "identity"). */
  refuse(
    reason: PolicyRefusalReason,
    sourceIp: string,
    retryAfterSeconds = this.#retryAfter,
  ): PeeringDecision & { ok: false } {
    this.#refused.get(reason)?.inc();
    this.#sinceLog.set(reason, (this.#sinceLog.get(reason) ?? 0) + 1);
    const now = this.#c.clock.monotonic();
    if (now - this.#lastLog >= POLICY_LOG_INTERVAL_MS) {
      this.#lastLog = now;
      this.#c.logger.warn("Refused SIP requests from outside the peering policy", {
        last: reason,
        lastSource: sourceIp,
        sinceLastLine: [...this.#sinceLog].map(([r, n]) => `${r}=${n}`).join(","),
      });
      this.#sinceLog.clear();
    }
    if (reason === "rate" || reason === "invite_cap") {
      return { ok: false, status: 503, phrase: "Service Unavailable", reason, retryAfterSeconds };
    }
    return { ok: false, status: 403, phrase: "Forbidden", reason };
  }

  /** Drops buckets that are full again (nothing to remember); returns how many. */
  sweep(): number {
    if (this.#rate <= 0) return 0;
    const now = this.#c.clock.monotonic();
    let dropped = 0;
    for (const [key, bucket] of [...this.#buckets.entries()]) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.#rate >= this.#burst) {
        this.#buckets.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** Takes a token; returns 0, or the seconds until one is there. */
  #take(sourceIp: string): number {
    if (this.#rate <= 0) return 0;
    const now = this.#c.clock.monotonic();
    let bucket = this.#buckets.get(sourceIp);
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(sourceIp, bucket);
    } else {
      bucket.tokens = Math.min(
        this.#burst,
        bucket.tokens + ((now - bucket.at) / 1000) * this.#rate,
      );
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#rate));
  }
}
