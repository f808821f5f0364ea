/**
 * The location service of a registrar (RFC 3261 section 10.3 steps 6 to 8): bindings of
 * addresses-of-record to contacts, updated atomically per REGISTER with the section's Call-ID and
 * CSeq rules, bounded per AOR and in total, expired by one sweep.
 *
 * Pure: no I/O, no timers; the caller passes monotonic milliseconds. A binding carries an opaque
 * `flow` (how the contact's REGISTER arrived: transport and connection), so requests to a contact
 * behind NAT go back over the flow it registered on (RFC 5626).
 *
 * @module
 */
import { getParam, type SipParam } from "../../codec/sip/mod.ts";
import {
  DEFAULT_EXPIRES_S,
  DEFAULT_FULL_RETRY_AFTER_S,
  DEFAULT_MAX_BINDINGS,
  DEFAULT_MAX_BINDINGS_PER_AOR,
  DEFAULT_MAX_EXPIRES_S,
  DEFAULT_MIN_EXPIRES_S,
} from "./constants.ts";
import { contactKey } from "./contact_key.ts";

/** One Contact of a REGISTER, as the registrar needs it. */
export interface ContactRequest {
  /** The contact URI as written. */
  readonly uri: string;
  readonly displayName?: string | undefined;
  /** Its header parameters (expires, q, +sip.instance, reg-id, ...), kept for the 200 OK. */
  readonly params: readonly SipParam[];
}

/** What one REGISTER asks of the location service. */
export interface RegisterUpdate<F> {
  /** The canonical AOR (canonicalAor() of the To URI). */
  readonly aor: string;
  readonly callId: string;
  readonly cseq: number;
  /** The Contact values, or "*" for the wildcard (section 10.2.2). Empty: a query. */
  readonly contacts: readonly ContactRequest[] | "*";
  /** The Expires header, seconds, if any. */
  readonly expires?: number | undefined;
  /** Path header values in order (RFC 3327), stored with each binding. */
  readonly path?: readonly string[];
  /** How the request arrived, for reaching the contact later. */
  readonly flow: F;
}

/** A contact bound to an AOR. */
export interface Binding<F> {
  readonly aor: string;
  readonly uri: string;
  /** Comparison key: +sip.instance and reg-id when given (RFC 5626), else the URI's (19.1.4). */
  readonly key: string;
  readonly displayName: string | undefined;
  /** Header parameters of the Contact as registered, without expires. */
  readonly params: readonly SipParam[];
  /** q-value 0..1000 in thousandths (section 20.10), or undefined when not given. */
  readonly q: number | undefined;
  readonly callId: string;
  readonly cseq: number;
  /** Monotonic ms when it lapses. */
  readonly expiresAt: number;
  readonly path: readonly string[];
  readonly flow: F;
}

/** The answer to a REGISTER's contacts. */
export type RegisterOutcome<F> =
  | {
    readonly ok: true;
    /** Every binding of the AOR after the update, highest q first (the 200 OK lists them). */
    readonly bindings: readonly Binding<F>[];
    /** Whether anything changed (a pure query or a no-op leaves it false). */
    readonly changed: boolean;
  }
  | {
    readonly ok: false;
    readonly status: 400 | 423 | 500 | 503;
    readonly reason: string;
    /** For 423: the Min-Expires to send. */
    readonly minExpires?: number;
    /** For 503: the Retry-After to send. */
    readonly retryAfter?: number;
  };

/** Options of a BindingTable. */
export interface BindingTableInit {
  /** @default DEFAULT_EXPIRES_S (3600) */
  readonly defaultExpiresSeconds?: number;
  /** @default DEFAULT_MIN_EXPIRES_S (60) */
  readonly minExpiresSeconds?: number;
  /** @default DEFAULT_MAX_EXPIRES_S (3600) */
  readonly maxExpiresSeconds?: number;
  /** At the cap the binding that lapses first is dropped for the new one. @default 10 */
  readonly maxBindingsPerAor?: number;
  /** At the cap new bindings are refused with 503. @default 4096 */
  readonly maxBindings?: number;
  /** @default DEFAULT_FULL_RETRY_AFTER_S (300) */
  readonly fullRetryAfterSeconds?: number;
}

/** Why bindings left the table other than by a REGISTER. */
export type BindingDropReason = "expired" | "aor_cap";

/** What the table tells its owner. */
export interface BindingTableEvents<F> {
  /** The AOR's bindings changed (after a REGISTER or a sweep); `bindings` is the new set. */
  onChange?(aor: string, bindings: readonly Binding<F>[]): void;
  /** A binding was dropped by the table itself (counted by the caller). */
  onDrop?(reason: BindingDropReason, binding: Binding<F>): void;
}

const NO_BINDINGS: readonly never[] = Object.freeze([]);

/**
 * Bindings per AOR with RFC 3261 section 10.3's update rules.
 *
 * @example
 * ```ts
 * const table = new BindingTable<Flow>({ minExpiresSeconds: 60 });
 * const outcome = table.register({ aor, callId, cseq, contacts, expires: 600, flow }, now);
 * if (outcome.ok) reply200(outcome.bindings);
 * ```
 */
export class BindingTable<F> {
  readonly #defaultExpires: number;
  readonly #minExpires: number;
  readonly #maxExpires: number;
  readonly #maxPerAor: number;
  readonly #maxTotal: number;
  readonly #retryAfter: number;
  readonly #events: BindingTableEvents<F>;
  readonly #byAor = new Map<string, Binding<F>[]>();
  /** contactKey(uri) -> binding, for in-dialog requests addressed to a registered contact. */
  readonly #byContact = new Map<string, Binding<F>>();
  #size = 0;

  constructor(init: BindingTableInit = {}, events: BindingTableEvents<F> = {}) {
    this.#defaultExpires = positive(init.defaultExpiresSeconds ?? DEFAULT_EXPIRES_S, "default");
    this.#minExpires = positive(init.minExpiresSeconds ?? DEFAULT_MIN_EXPIRES_S, "min");
    this.#maxExpires = positive(init.maxExpiresSeconds ?? DEFAULT_MAX_EXPIRES_S, "max");
    if (this.#minExpires > this.#maxExpires) {
      throw new RangeError(
        `Cannot make a binding table: minExpiresSeconds ${this.#minExpires} > maxExpiresSeconds ${this.#maxExpires}`,
      );
    }
    this.#maxPerAor = positive(init.maxBindingsPerAor ?? DEFAULT_MAX_BINDINGS_PER_AOR, "per-AOR");
    this.#maxTotal = positive(init.maxBindings ?? DEFAULT_MAX_BINDINGS, "total");
    this.#retryAfter = init.fullRetryAfterSeconds ?? DEFAULT_FULL_RETRY_AFTER_S;
    this.#events = events;
  }

  /** Bindings in all. */
  get size(): number {
    return this.#size;
  }

  /** AORs with at least one binding. */
  get aorCount(): number {
    return this.#byAor.size;
  }

  /** The Min-Expires this registrar asks for. */
  get minExpiresSeconds(): number {
    return this.#minExpires;
  }

  /** The AOR's live bindings, highest q first; empty when none. */
  lookup(aor: string, now: number): readonly Binding<F>[] {
    const list = this.#byAor.get(aor);
    if (list === undefined) return NO_BINDINGS;
    return sortByQ(list.filter((b) => b.expiresAt > now));
  }

  /**
   * Applies a REGISTER's contacts (RFC 3261 section 10.3 steps 6 and 7) all or nothing, and
   * returns the bindings for the 200 OK (step 8) or why it failed.
   */
  register(update: RegisterUpdate<F>, now: number): RegisterOutcome<F> {
    const current = (this.#byAor.get(update.aor) ?? []).filter((b) => b.expiresAt > now);
    let next: Binding<F>[];
    if (update.contacts === "*") {
      // RFC 3261 section 10.3 step 6: "*" only with Expires 0, else 400
      if (update.expires !== 0) {
        return refuse(400, "Wildcard Contact requires Expires: 0");
      }
      for (const binding of current) {
        // RFC 3261 section 10.3 step 6: same Call-ID needs a higher CSeq, or the update fails
        if (binding.callId === update.callId && update.cseq <= binding.cseq) {
          return refuse(500, "Out of order CSeq for the wildcard removal");
        }
      }
      next = [];
    } else {
      next = [...current];
      for (const contact of update.contacts) {
        let key: string;
        try {
          key = bindingKey(contact);
        } catch {
          return refuse(400, "Malformed Contact URI");
        }
        const expires = this.#expiresOf(contact, update.expires);
        if (typeof expires === "object") return expires;
        const at = next.findIndex((b) => b.key === key);
        const existing = at >= 0 ? next[at] : undefined;
        // RFC 3261 section 10.3 step 7: same Call-ID and a CSeq not higher: the update fails
        if (
          existing !== undefined && existing.callId === update.callId &&
          update.cseq <= existing.cseq
        ) {
          return refuse(500, "Out of order CSeq");
        }
        if (expires === 0) {
          if (at >= 0) next.splice(at, 1);
          continue;
        }
        const binding: Binding<F> = {
          aor: update.aor,
          uri: contact.uri,
          key,
          displayName: contact.displayName,
          params: contact.params.filter((p) => p.name.toLowerCase() !== "expires"),
          q: qValue(contact.params),
          callId: update.callId,
          cseq: update.cseq,
          expiresAt: now + expires * 1000,
          path: update.path ?? NO_BINDINGS,
          flow: update.flow,
        };
        if (at >= 0) next[at] = binding;
        else next.push(binding);
      }
    }
    const dropped: Binding<F>[] = [];
    while (next.length > this.#maxPerAor) {
      // the binding that lapses first makes room (a phone that rebooted behind a new NAT port)
      let oldest = 0;
      for (let i = 1; i < next.length; i++) {
        if (next[i]!.expiresAt < next[oldest]!.expiresAt) oldest = i;
      }
      dropped.push(next.splice(oldest, 1)[0]!);
    }
    const stale = (this.#byAor.get(update.aor)?.length ?? 0) - current.length;
    const growth = next.length - current.length;
    if (growth > 0 && this.#size - stale + growth > this.#maxTotal) {
      return {
        ok: false,
        status: 503,
        reason: "Registrar full",
        retryAfter: this.#retryAfter,
      };
    }
    const changed = update.contacts === "*"
      ? current.length > 0
      : update.contacts.length > 0 || stale > 0;
    if (changed || stale > 0) this.#commit(update.aor, next);
    for (const binding of dropped) this.#events.onDrop?.("aor_cap", binding);
    const bindings = sortByQ(next);
    if (changed) this.#events.onChange?.(update.aor, bindings);
    return { ok: true, bindings, changed };
  }

  /** Removes lapsed bindings (the one sweep loop calls this); returns how many went. */
  sweep(now: number): number {
    let removed = 0;
    for (const [aor, list] of [...this.#byAor]) {
      const live = list.filter((b) => b.expiresAt > now);
      if (live.length === list.length) continue;
      for (const binding of list) {
        if (binding.expiresAt <= now) this.#events.onDrop?.("expired", binding);
      }
      removed += list.length - live.length;
      this.#commit(aor, live);
      this.#events.onChange?.(aor, sortByQ(live));
    }
    return removed;
  }

  /** Every AOR and its live bindings (for /status and the overlay's refresh). */
  *entries(now: number): IterableIterator<[aor: string, bindings: readonly Binding<F>[]]> {
    for (const aor of this.#byAor.keys()) {
      const live = this.lookup(aor, now);
      if (live.length > 0) yield [aor, live];
    }
  }

  /**
   * The live binding whose contact URI is `uri` (RFC 3261 section 19.1.4 as contactKey() has it),
   * for a request addressed to a registered phone's contact (in-dialog, after Record-Route).
   */
  findContact(uri: string, now: number): Binding<F> | undefined {
    let key: string;
    try {
      key = contactKey(uri);
    } catch {
      return undefined;
    }
    const binding = this.#byContact.get(key);
    return binding !== undefined && binding.expiresAt > now ? binding : undefined;
  }

  #commit(aor: string, bindings: Binding<F>[]): void {
    for (const old of this.#byAor.get(aor) ?? []) {
      const key = contactKey(old.uri);
      if (this.#byContact.get(key) === old) this.#byContact.delete(key);
    }
    for (const binding of bindings) this.#byContact.set(contactKey(binding.uri), binding);
    this.#size += bindings.length - (this.#byAor.get(aor)?.length ?? 0);
    if (bindings.length === 0) this.#byAor.delete(aor);
    else this.#byAor.set(aor, bindings);
  }

  /** Seconds granted to a contact, or the refusal (RFC 3261 section 10.3 step 7). */
  #expiresOf(
    contact: ContactRequest,
    header: number | undefined,
  ): number | RegisterOutcome<F> {
    const param = getParam(contact.params, "expires");
    let asked = header ?? this.#defaultExpires;
    if (param !== undefined) {
      if (!/^[0-9]{1,10}$/.test(param)) return refuse(400, "Malformed expires parameter");
      asked = Number(param);
    }
    if (asked === 0) return 0;
    // RFC 3261 section 10.3 step 7: under the minimum (and under an hour): 423 with Min-Expires
    if (asked < this.#minExpires && asked < 3600) {
      return { ok: false, status: 423, reason: "Interval Too Brief", minExpires: this.#minExpires };
    }
    return Math.min(asked, this.#maxExpires);
  }
}

/** RFC 5626 section 6: +sip.instance (with reg-id) identifies the binding; else the URI. */
function bindingKey(contact: ContactRequest): string {
  const instance = getParam(contact.params, "+sip.instance");
  if (instance !== undefined) {
    return `instance:${instance}:${getParam(contact.params, "reg-id") ?? ""}`;
  }
  return contactKey(contact.uri);
}

/** q-value in thousandths (RFC 3261 section 20.10: 0 to 1, three decimals), or undefined. */
function qValue(params: readonly SipParam[]): number | undefined {
  const q = getParam(params, "q");
  if (q === undefined || !/^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/.test(q)) return undefined;
  return Math.round(Number(q) * 1000);
}

function sortByQ<F>(bindings: readonly Binding<F>[]): readonly Binding<F>[] {
  // no q ranks as 1.0 (RFC 3261 section 16.6 leaves it to the proxy; the common choice)
  return [...bindings].sort((a, b) => (b.q ?? 1000) - (a.q ?? 1000));
}

function refuse<F>(status: 400 | 500, reason: string): RegisterOutcome<F> {
  return { ok: false, status, reason };
}

function positive(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot make a binding table: ${what} limit ${value}`);
  }
  return value;
}
