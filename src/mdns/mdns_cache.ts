/**
 * The record cache of one interface (RFC 6762 sections 5.2, 7.1 and 10): records heard in
 * responses, each with its deadline, swept by one timer armed for the earliest deadline of all
 * entries (STYLE rule 6). The cache plans the refresh queries of records someone is interested in
 * and hands them to its listener; it never sends anything itself.
 *
 * @module
 */
import { dnsNameKey } from "../codec/dns/dns_name.ts";
import { type DnsName, type DnsQuestion, type DnsRecord, DnsType } from "../codec/dns/dns_types.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Counter, Gauge, Metrics } from "../core/metrics.ts";
import { type Cancel, type Scheduler, systemScheduler } from "../core/scheduler.ts";
import {
  DEFAULT_MAX_CACHE_RECORDS,
  GOODBYE_DELAY_MS,
  REFRESH_FRACTIONS,
  REFRESH_JITTER_FRACTION,
} from "./mdns_constants.ts";
import { recordKey } from "./record_key.ts";

/** Why a record left the cache. */
export type CacheRemovalReason =
  /** Its TTL ran out. */
  | "expired"
  /** One second after a goodbye (TTL 0) for it (RFC 6762 10.1). */
  | "goodbye"
  /** One second after a cache-flush announcement of its rrset left it out (RFC 6762 10.2). */
  | "flushed"
  /** The cache was full and it was the record nearest expiry. */
  | "evicted"
  /** Nobody answered for it within 10 s of a reconfirm or of observed queries (10.4, 10.5). */
  | "unconfirmed";

/** Queries a reconfirmed record gets before it is given up (RFC 6762 10.4: "two or more"). */
export const RECONFIRM_QUERY_COUNT = 2;
/** Gap between the reconfirmation queries of one record. */
export const RECONFIRM_QUERY_INTERVAL_MS = 2_000;
/** A record not heard again this long after a failure hint is flushed (RFC 6762 10.4, 10.5). */
export const CONFIRM_TIMEOUT_MS = 10_000;
/** Unanswered queries seen within CONFIRM_TIMEOUT_MS before a record is suspect (RFC 6762 10.5). */
export const UNANSWERED_QUERIES_BEFORE_FLUSH = 2;
/** Questions in the interest table of one cache. @default */
export const DEFAULT_MAX_CACHE_INTERESTS = 2_048;

const ANY_CLASS = 255;
/** At most one log line per this long for each kind of drop (STYLE rule 5). */
const LOG_INTERVAL_MS = 60_000;
/** Longest delay setTimeout keeps (a 32-bit signed count of ms); longer deadlines re-arm. */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** Options of an MdnsCache. */
export interface MdnsCacheInit {
  /** Records kept; at the cap the record nearest expiry is evicted. @default 1024 */
  readonly maxRecords?: number;
  /** Questions that can hold an interest at once (addInterest refuses beyond). @default 2048 */
  readonly maxInterests?: number;
}

/** What an MdnsCache needs from outside. */
export interface MdnsCacheComponents {
  readonly clock: Clock;
  /** Runs the sweep; on the clock's monotonic time. @default systemScheduler */
  readonly scheduler?: Scheduler;
  /** Uniform in [0, 1), for the refresh jitter. @default Math.random */
  readonly random?: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Removes a listener added with one of the `on...` methods. */
export type Unsubscribe = () => void;

interface Entry {
  /** The record as last received: its TTL is the TTL it was sent with. */
  record: DnsRecord;
  readonly key: string;
  readonly nameKey: string;
  receivedAt: number;
  /** The TTL it was received with, in ms (kept through a goodbye or a flush). */
  ttlMs: number;
  expiresAt: number;
  /** The reason given when expiresAt passes. */
  ending: "expired" | "goodbye" | "flushed";
  /** Index into REFRESH_FRACTIONS of the next refresh point. */
  refreshStep: number;
  refreshAt: number | undefined;
  /** Flushed at this time unless heard again (10.4, 10.5). */
  confirmBy: number | undefined;
  confirmQueriesLeft: number;
  confirmQueryAt: number | undefined;
  /** Queries seen that should have drawn this record, and when the first of them came (10.5). */
  unanswered: number;
  firstUnansweredAt: number;
}

/**
 * The mDNS record cache of one interface.
 *
 * - `add()` a record from a response: a TTL of 0 is a goodbye and the record goes one second
 *   later (10.1); a record with the cache-flush bit makes the other members of its rrset that were
 *   received more than a second ago go one second later (10.2); a record heard again gets its full
 *   TTL back (and anything pending against it is cancelled).
 * - Records matching a question someone holds an interest in (`addInterest`) are refreshed at 80,
 *   85, 90 and 95 % of their TTL plus up to 2 % (5.2): the cache calls its `onQueryNeeded`
 *   listeners with the records to ask for, and the querier sends the query.
 * - At `maxRecords` the record nearest expiry is evicted and counted.
 *
 * @example
 * ```ts
 * const cache = new MdnsCache({}, { clock, scheduler, logger, metrics });
 * cache.onRemoved((record, reason) => log.debug("gone", { reason }));
 * cache.start();
 * cache.add(record);
 * cache.lookup(["printer", "local"], DnsType.A); // the live A records, TTL = remaining seconds
 * ```
 */
export class MdnsCache {
  readonly maxRecords: number;
  readonly maxInterests: number;
  readonly #clock: Clock;
  readonly #scheduler: Scheduler;
  readonly #random: () => number;
  readonly #logger: Logger;
  readonly #entries = new Map<string, Entry>();
  /** Entries by name key, for lookups and rrset flushes. */
  readonly #byName = new Map<string, Map<string, Entry>>();
  /** Question key -> holders. */
  readonly #interests = new Map<string, number>();
  readonly #added: Array<(record: DnsRecord) => void> = [];
  readonly #removed: Array<(record: DnsRecord, reason: CacheRemovalReason) => void> = [];
  readonly #queryNeeded: Array<(records: readonly DnsRecord[]) => void> = [];
  readonly #recordsGauge: Gauge;
  readonly #evictionsCounter: Counter;
  #running = false;
  #timerAt: number | undefined;
  #cancelTimer: Cancel | undefined;
  #evicted = 0;
  #interestsRefused = 0;
  #lastEvictionLogAt = -Infinity;
  #lastRefusalLogAt = -Infinity;

  constructor(init: MdnsCacheInit, components: MdnsCacheComponents) {
    this.maxRecords = init.maxRecords ?? DEFAULT_MAX_CACHE_RECORDS;
    this.maxInterests = init.maxInterests ?? DEFAULT_MAX_CACHE_INTERESTS;
    for (
      const [key, value] of [["maxRecords", this.maxRecords], [
        "maxInterests",
        this.maxInterests,
      ]] as const
    ) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`Cannot make an mDNS cache: ${key} must be a positive integer`);
      }
    }
    this.#clock = components.clock;
    this.#scheduler = components.scheduler ?? systemScheduler;
    this.#random = components.random ?? Math.random;
    this.#logger = components.logger;
    this.#recordsGauge = components.metrics.gauge(
      "superpeer_mdns_cache_records",
      "Records in the mDNS caches of all interfaces",
    );
    this.#evictionsCounter = components.metrics.counter(
      "superpeer_mdns_cache_evictions_total",
      "mDNS cache records evicted because the cache was full",
    );
  }

  /** Records held (including those in their last second after a goodbye or a flush). */
  get size(): number {
    return this.#entries.size;
  }

  /** Records evicted because the cache was full, since construction. */
  get evictedCount(): number {
    return this.#evicted;
  }

  /** addInterest() calls refused because the interest table was full, since construction. */
  get interestsRefused(): number {
    return this.#interestsRefused;
  }

  /** Arms the sweep. Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    let next = Infinity;
    for (const entry of this.#entries.values()) next = Math.min(next, deadlineOf(entry));
    this.#arm(next);
  }

  /** Cancels the sweep; records stay (and expire at the next start). Idempotent. */
  stop(): void {
    this.#running = false;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#timerAt = undefined;
  }

  /** Calls `listener` with each record that enters the cache (not when one is heard again). */
  onAdded(listener: (record: DnsRecord) => void): Unsubscribe {
    return subscribe(this.#added, listener);
  }

  /** Calls `listener` with each record that leaves the cache, and why. */
  onRemoved(listener: (record: DnsRecord, reason: CacheRemovalReason) => void): Unsubscribe {
    return subscribe(this.#removed, listener);
  }

  /**
   * Calls `listener` with records due for a query: refreshes of records someone is interested in
   * (5.2) and reconfirmations (10.4). TTLs are the remaining ones.
   */
  onQueryNeeded(listener: (records: readonly DnsRecord[]) => void): Unsubscribe {
    return subscribe(this.#queryNeeded, listener);
  }

  /**
   * Registers an interest in the answers to `question` (its QU bit ignored; type ANY covers every
   * type of the name): their refresh queries are planned. Counted: each call needs a matching
   * removeInterest(). False when the interest table is full.
   */
  addInterest(question: DnsQuestion): boolean {
    const key = questionKey(question.name, question.type, question.class);
    const holders = this.#interests.get(key);
    if (holders === undefined && this.#interests.size >= this.maxInterests) {
      this.#interestsRefused++;
      const now = this.#clock.monotonic();
      if (now - this.#lastRefusalLogAt >= LOG_INTERVAL_MS) {
        this.#lastRefusalLogAt = now;
        this.#logger.warn("Refused an mDNS cache interest: interest table full", {
          max: this.maxInterests,
          refused: this.#interestsRefused,
        });
      }
      return false;
    }
    this.#interests.set(key, (holders ?? 0) + 1);
    if (holders === undefined) {
      // Refreshes are planned only while someone is interested: plan those of the answers held.
      const now = this.#clock.monotonic();
      for (
        const entry of this.#matching(dnsNameKey(question.name), question.type, question.class)
      ) {
        if (entry.refreshAt !== undefined) continue;
        this.#planRefresh(entry, now);
        if (entry.refreshAt !== undefined) this.#arm(entry.refreshAt);
      }
    }
    return true;
  }

  /** Drops one holder of an interest added with addInterest(). */
  removeInterest(question: DnsQuestion): void {
    const key = questionKey(question.name, question.type, question.class);
    const holders = this.#interests.get(key);
    if (holders === undefined) return;
    if (holders <= 1) this.#interests.delete(key);
    else this.#interests.set(key, holders - 1);
  }

  /**
   * Puts a record from a response into the cache, as received at `receivedAt` (monotonic ms;
   * default now). Records from the known-answer section of queries must never come here (7.1).
   */
  add(record: DnsRecord, receivedAt: number = this.#clock.monotonic()): void {
    const key = recordKey(record);
    const existing = this.#entries.get(key);
    if (record.ttl === 0) {
      // RFC 6762 10.1: a goodbye is kept as TTL 1 and deleted one second later.
      if (existing === undefined) return;
      const at = receivedAt + GOODBYE_DELAY_MS;
      if (at < existing.expiresAt) {
        existing.expiresAt = at;
        existing.ending = "goodbye";
      }
      existing.refreshAt = undefined;
      this.#arm(existing.expiresAt);
      return;
    }
    if (record.cacheFlush) this.#flushRrset(record, key, receivedAt);
    if (existing !== undefined) {
      existing.record = record;
      this.#renew(existing, receivedAt);
      this.#arm(deadlineOf(existing));
      return;
    }
    if (this.#entries.size >= this.maxRecords) this.#evictOne();
    const nameKey = dnsNameKey(record.name);
    const entry: Entry = {
      record,
      key,
      nameKey,
      receivedAt,
      ttlMs: 0,
      expiresAt: 0,
      ending: "expired",
      refreshStep: 0,
      refreshAt: undefined,
      confirmBy: undefined,
      confirmQueriesLeft: 0,
      confirmQueryAt: undefined,
      unanswered: 0,
      firstUnansweredAt: 0,
    };
    this.#renew(entry, receivedAt);
    this.#entries.set(key, entry);
    let named = this.#byName.get(nameKey);
    if (named === undefined) {
      named = new Map();
      this.#byName.set(nameKey, named);
    }
    named.set(key, entry);
    this.#recordsGauge.inc();
    this.#arm(deadlineOf(entry));
    this.#emitAdded(record);
  }

  /**
   * The live records of `name` with `type` (ANY: every type) and `klass` (ANY: every class), the
   * most recently received first, each with its TTL set to the remaining seconds (rounded up).
   */
  lookup(name: DnsName, type: number, klass = ANY_CLASS): DnsRecord[] {
    const now = this.#clock.monotonic();
    const found: Entry[] = [];
    for (const entry of this.#matching(dnsNameKey(name), type, klass)) {
      if (entry.expiresAt > now) found.push(entry);
    }
    found.sort((a, b) => b.receivedAt - a.receivedAt);
    return found.map((e) => ({ ...e.record, ttl: Math.ceil((e.expiresAt - now) / 1000) }));
  }

  /**
   * The known answers to put in a query for `question` (RFC 6762 7.1): records answering it whose
   * remaining TTL is more than half the TTL they came with, TTL field set to the remaining whole
   * seconds, cache-flush bit clear (10.2). Records on their way out (goodbye, flush) or being
   * reconfirmed are left out, so that their owners answer.
   */
  knownAnswers(question: DnsQuestion): DnsRecord[] {
    const now = this.#clock.monotonic();
    const out: DnsRecord[] = [];
    for (const entry of this.#matching(dnsNameKey(question.name), question.type, question.class)) {
      const remaining = entry.expiresAt - now;
      if (entry.ending !== "expired" || entry.confirmBy !== undefined) continue;
      // RFC 6762 7.1: no known answer with less than half its TTL left.
      if (remaining * 2 <= entry.ttlMs) continue;
      out.push({ ...entry.record, cacheFlush: false, ttl: Math.floor(remaining / 1000) });
    }
    return out;
  }

  /**
   * A failure hint (RFC 6762 10.4): the record is queried RECONFIRM_QUERY_COUNT times and flushed
   * CONFIRM_TIMEOUT_MS from now unless heard again. False when the record is not cached.
   */
  reconfirm(record: DnsRecord): boolean {
    const entry = this.#entries.get(recordKey(record));
    if (entry === undefined) return false;
    const now = this.#clock.monotonic();
    entry.confirmBy = Math.min(entry.confirmBy ?? Infinity, now + CONFIRM_TIMEOUT_MS);
    entry.confirmQueriesLeft = RECONFIRM_QUERY_COUNT;
    entry.confirmQueryAt = now;
    this.#arm(now);
    return true;
  }

  /**
   * Passive observation of failures (RFC 6762 10.5): another host asked `question` (QM, its whole
   * known-answer list given as record keys). Each cached answer not in that list should be
   * multicast in reply; after UNANSWERED_QUERIES_BEFORE_FLUSH such queries without it being heard
   * again, it is flushed CONFIRM_TIMEOUT_MS after the first of them.
   */
  noteQuery(question: DnsQuestion, knownAnswerKeys: ReadonlySet<string>): void {
    const now = this.#clock.monotonic();
    for (const entry of this.#matching(dnsNameKey(question.name), question.type, question.class)) {
      if (knownAnswerKeys.has(entry.key) || entry.ending !== "expired") continue;
      // A responder multicasts a record at most once a second (RFC 6762 6): not due yet.
      if (now - entry.receivedAt < GOODBYE_DELAY_MS) continue;
      if (entry.unanswered === 0 || now - entry.firstUnansweredAt > CONFIRM_TIMEOUT_MS) {
        entry.unanswered = 1;
        entry.firstUnansweredAt = now;
        continue;
      }
      entry.unanswered++;
      if (entry.unanswered >= UNANSWERED_QUERIES_BEFORE_FLUSH) {
        // Leave the latest query time to be answered (responses wait up to 500 ms, 7.2).
        const by = Math.max(entry.firstUnansweredAt + CONFIRM_TIMEOUT_MS, now + GOODBYE_DELAY_MS);
        entry.confirmBy = Math.min(entry.confirmBy ?? Infinity, by);
        this.#arm(entry.confirmBy);
      }
    }
  }

  /** Gives an entry its full TTL from `receivedAt` and cancels whatever was pending against it. */
  #renew(entry: Entry, receivedAt: number): void {
    entry.receivedAt = receivedAt;
    entry.ttlMs = entry.record.ttl * 1000;
    entry.expiresAt = receivedAt + entry.ttlMs;
    entry.ending = "expired";
    entry.confirmBy = undefined;
    entry.confirmQueriesLeft = 0;
    entry.confirmQueryAt = undefined;
    entry.unanswered = 0;
    entry.refreshStep = 0;
    this.#planRefresh(entry, receivedAt);
  }

  /**
   * Sets refreshAt to the next refresh point after `now` (80/85/90/95 % + 0..2 %), if any and if
   * someone is interested in the record (so that records nobody asks about never wake the sweep).
   */
  #planRefresh(entry: Entry, now: number): void {
    if (entry.ending !== "expired" || !this.#interested(entry)) {
      entry.refreshAt = undefined;
      return;
    }
    while (entry.refreshStep < REFRESH_FRACTIONS.length) {
      const fraction = REFRESH_FRACTIONS[entry.refreshStep]! +
        this.#random() * REFRESH_JITTER_FRACTION;
      const at = entry.receivedAt + entry.ttlMs * fraction;
      if (at > now) {
        entry.refreshAt = at;
        return;
      }
      entry.refreshStep++;
    }
    entry.refreshAt = undefined;
  }

  /** RFC 6762 10.2: older members of the rrset of a cache-flush record go one second later. */
  #flushRrset(record: DnsRecord, key: string, receivedAt: number): void {
    const named = this.#byName.get(dnsNameKey(record.name));
    if (named === undefined) return;
    const at = receivedAt + GOODBYE_DELAY_MS;
    for (const entry of named.values()) {
      if (
        entry.key === key || entry.record.data.type !== record.data.type ||
        entry.record.class !== record.class
      ) continue;
      // Members received within the last second are part of the same announcement.
      if (receivedAt - entry.receivedAt <= GOODBYE_DELAY_MS) continue;
      if (at < entry.expiresAt) {
        entry.expiresAt = at;
        entry.ending = "flushed";
      }
      entry.refreshAt = undefined;
      this.#arm(entry.expiresAt);
    }
  }

  #evictOne(): void {
    let victim: Entry | undefined;
    for (const entry of this.#entries.values()) {
      if (victim === undefined || entry.expiresAt < victim.expiresAt) victim = entry;
    }
    if (victim === undefined) return;
    this.#delete(victim);
    this.#evicted++;
    this.#evictionsCounter.inc();
    const now = this.#clock.monotonic();
    if (now - this.#lastEvictionLogAt >= LOG_INTERVAL_MS) {
      this.#lastEvictionLogAt = now;
      this.#logger.warn("Evicted an mDNS cache record: cache full", {
        max: this.maxRecords,
        evicted: this.#evicted,
      });
    }
    this.#emitRemoved(victim.record, "evicted");
  }

  #delete(entry: Entry): void {
    this.#entries.delete(entry.key);
    const named = this.#byName.get(entry.nameKey);
    named?.delete(entry.key);
    if (named?.size === 0) this.#byName.delete(entry.nameKey);
    this.#recordsGauge.dec();
  }

  /** Entries of a name matching a type and class (ANY matches all). */
  *#matching(nameKey: string, type: number, klass: number): Iterable<Entry> {
    const named = this.#byName.get(nameKey);
    if (named === undefined) return;
    for (const entry of named.values()) {
      if (type !== DnsType.ANY && entry.record.data.type !== type) continue;
      if (klass !== ANY_CLASS && entry.record.class !== klass) continue;
      yield entry;
    }
  }

  #interested(entry: Entry): boolean {
    const { record } = entry;
    return this.#interests.has(questionKey(record.name, record.data.type, record.class)) ||
      this.#interests.has(questionKey(record.name, DnsType.ANY, record.class));
  }

  #arm(at: number): void {
    if (!this.#running || at === Infinity) return;
    if (this.#timerAt !== undefined && this.#timerAt <= at) return;
    this.#cancelTimer?.();
    // A hostile TTL must not become a timer delay that setTimeout cannot hold (it would fire now).
    const now = this.#clock.monotonic();
    const delay = Math.min(at - now, MAX_TIMER_DELAY_MS);
    this.#timerAt = now + delay;
    this.#cancelTimer = this.#scheduler.schedule(delay, () => {
      this.#timerAt = undefined;
      this.#cancelTimer = undefined;
      this.#sweep();
    });
  }

  /** The one loop over all entries: removals, refresh and reconfirm queries, the next deadline. */
  #sweep(): void {
    const now = this.#clock.monotonic();
    const removed: Array<[DnsRecord, CacheRemovalReason]> = [];
    const due: DnsRecord[] = [];
    let next = Infinity;
    for (const entry of this.#entries.values()) {
      if (entry.expiresAt <= now) {
        this.#delete(entry);
        removed.push([entry.record, entry.ending]);
        continue;
      }
      if (entry.confirmBy !== undefined && entry.confirmBy <= now) {
        this.#delete(entry);
        removed.push([entry.record, "unconfirmed"]);
        continue;
      }
      let query = false;
      if (entry.refreshAt !== undefined && entry.refreshAt <= now) {
        // RFC 6762 5.2: no cache maintenance for records nobody is interested in.
        query = this.#interested(entry);
        entry.refreshStep++;
        this.#planRefresh(entry, now);
      }
      if (entry.confirmQueryAt !== undefined && entry.confirmQueryAt <= now) {
        query = true;
        entry.confirmQueriesLeft--;
        entry.confirmQueryAt = entry.confirmQueriesLeft > 0
          ? now + RECONFIRM_QUERY_INTERVAL_MS
          : undefined;
      }
      if (query) {
        due.push({ ...entry.record, ttl: Math.ceil((entry.expiresAt - now) / 1000) });
      }
      next = Math.min(next, deadlineOf(entry));
    }
    this.#arm(next);
    for (const [record, reason] of removed) this.#emitRemoved(record, reason);
    if (due.length > 0) {
      for (const listener of [...this.#queryNeeded]) this.#call(() => listener(due));
    }
  }

  #emitAdded(record: DnsRecord): void {
    for (const listener of [...this.#added]) this.#call(() => listener(record));
  }

  #emitRemoved(record: DnsRecord, reason: CacheRemovalReason): void {
    for (const listener of [...this.#removed]) this.#call(() => listener(record, reason));
  }

  /** A failing listener must not stop the sweep or the other listeners. */
  #call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#logger.error("An mDNS cache listener failed", { error: String(error) });
    }
  }
}

function deadlineOf(entry: Entry): number {
  return Math.min(
    entry.expiresAt,
    entry.refreshAt ?? Infinity,
    entry.confirmBy ?? Infinity,
    entry.confirmQueryAt ?? Infinity,
  );
}

function questionKey(name: DnsName, type: number, klass: number): string {
  return `${dnsNameKey(name)}|${type}|${klass}`;
}

function subscribe<T>(list: T[], listener: T): Unsubscribe {
  list.push(listener);
  return () => {
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  };
}
