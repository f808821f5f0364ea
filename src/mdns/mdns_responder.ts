import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Cancel, Scheduler } from "../core/scheduler.ts";
import { formatAddress } from "../core/transport.ts";
import type { DatagramAddress } from "../core/transport.ts";
import { MDNS_QUERY_FLAGS, MDNS_RESPONSE_FLAGS } from "../codec/dns/constants.ts";
import { dnsNameKey, dnsNameText } from "../codec/dns/dns_name.ts";
import {
  DNS_CLASS_IN,
  type DnsMessage,
  type DnsName,
  type DnsQuestion,
  type DnsRecord,
  DnsType,
} from "../codec/dns/dns_types.ts";
import {
  ANNOUNCE_COUNT,
  ANNOUNCE_INTERVAL_MS,
  LEGACY_UNICAST_TTL_S,
  MDNS_PORT,
  MULTICAST_RATE_LIMIT_MS,
  PROBE_CONFLICT_WINDOW_MS,
  PROBE_CONFLICTS_BEFORE_SLOWDOWN,
  PROBE_COUNT,
  PROBE_DEFENCE_RATE_LIMIT_MS,
  PROBE_INITIAL_DELAY_MAX_MS,
  PROBE_INTERVAL_MS,
  PROBE_RATE_LIMIT_MS,
  PROBE_TIEBREAK_DEFER_MS,
  SHARED_ANSWER_DELAY_MAX_MS,
  SHARED_ANSWER_DELAY_MIN_MS,
  TRUNCATED_QUERY_WAIT_MAX_MS,
  TRUNCATED_QUERY_WAIT_MIN_MS,
} from "./mdns_constants.ts";
import type { MdnsOutput, MdnsReceived } from "./mdns_link.ts";
import type { MdnsCounters } from "./mdns_counters.ts";
import { compareProbeSets } from "./probe_tiebreak.ts";
import { recordKey } from "./record_key.ts";

/** Where a registration is in its life (RFC 6762 section 8). */
export type RegistrationState = "probing" | "announcing" | "announced" | "withdrawn";

/** What a registration asks the responder to publish. */
export interface RegistrationInit {
  /**
   * The records for naming attempt `attempt` (1 = the preferred name, 2 = "Name (2)", ...).
   * Records with the cache-flush bit are unique (probed, defended); the others are shared.
   * Called again after a conflict and on update().
   */
  readonly records: (attempt: number) => readonly DnsRecord[];
  /** Told when a conflict made us move to another naming attempt. */
  readonly onRenamed?: (attempt: number, records: readonly DnsRecord[]) => void;
}

/** A set of records published together; handed back by MdnsResponder.register(). */
export interface Registration {
  readonly state: RegistrationState;
  /** The naming attempt in use: 1 unless a conflict renamed us. */
  readonly attempt: number;
  readonly records: readonly DnsRecord[];
  /** Rebuilds the records (same attempt): goodbyes for dropped ones, announcements for new. */
  update(): void;
  /** Says goodbye for every announced record (TTL 0) and forgets the registration. */
  withdraw(): void;
}

/** The responder's collaborators. */
export interface MdnsResponderComponents {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly output: MdnsOutput;
  /** Uniform in [0, 1); injected so tests are deterministic. */
  readonly random: () => number;
  readonly logger: Logger;
  readonly counters: MdnsCounters;
}

interface RegistrationEntry {
  readonly init: RegistrationInit;
  state: RegistrationState;
  attempt: number;
  records: readonly DnsRecord[];
  /** nameKey -> name, of every unique (cache-flush) name we claim. */
  uniqueNames: Map<string, DnsName>;
  /** nameKey -> our records of that name (answering looks names up, never scans). */
  byName: Map<string, DnsRecord[]>;
  probesSent: number;
  timer: Cancel | undefined;
  announcementsSent: number;
}

/** An answer waiting for its multicast slot. */
interface PendingAnswer {
  record: DnsRecord;
  dueAt: number;
  probeDefence: boolean;
}

/** A query whose known answers continue in further packets (TC, RFC 6762 section 7.2). */
interface TruncatedQuery {
  questions: DnsQuestion[];
  knownAnswers: DnsRecord[];
  cancel: Cancel;
}

/** Truncated queries we wait on at once; more are answered without waiting (bounded memory). */
const MAX_TRUNCATED_QUERIES = 64;
/** Registrations one responder holds (host records + a few services each). */
export const DEFAULT_MAX_REGISTRATIONS = 64;

/**
 * The multicast DNS responder of one interface (RFC 6762): probes unique names before claiming
 * them, renames on conflict, announces, answers queries (known-answer suppression, duplicate
 * answer suppression, QU and legacy unicast, the one-second multicast rate limit, aggregation of
 * shared answers), defends its names and says goodbye. Pure: it hands whole messages to an
 * MdnsOutput and reads time from the injected clock and scheduler.
 *
 * @example
 * ```ts
 * const responder = new MdnsResponder({ clock, scheduler, output, random: Math.random, logger, counters });
 * responder.register({ records: (n) => hostRecords(n === 1 ? "ap1" : `ap1-${n}`) });
 * socket.onMessage((received) => responder.handle(received));
 * ```
 */
export class MdnsResponder {
  readonly #c: MdnsResponderComponents;
  readonly #maxRegistrations: number;
  readonly #entries = new Set<RegistrationEntry>();
  /** recordKey -> monotonic ms of its last multicast. */
  readonly #lastMulticast = new Map<string, number>();
  readonly #pending = new Map<string, PendingAnswer>();
  #flushTimer: Cancel | undefined;
  #flushAt = Infinity;
  readonly #truncated = new Map<string, TruncatedQuery>();
  readonly #conflictTimes: number[] = [];
  #stopped = false;

  constructor(components: MdnsResponderComponents, options: { maxRegistrations?: number } = {}) {
    this.#c = components;
    this.#maxRegistrations = options.maxRegistrations ?? DEFAULT_MAX_REGISTRATIONS;
  }

  /** Registrations held (any state but withdrawn). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Starts publishing a set of records: probing first when it has unique records (RFC 6762 8.1),
   * then two announcements (8.3).
   */
  register(init: RegistrationInit): Registration {
    if (this.#stopped) throw new RangeError("Cannot register: the responder is stopped");
    if (this.#entries.size >= this.#maxRegistrations) {
      throw new RangeError(
        `Cannot register: the responder holds its maximum of ${this.#maxRegistrations} registrations`,
      );
    }
    const entry: RegistrationEntry = {
      init,
      state: "probing",
      attempt: 1,
      records: [],
      uniqueNames: new Map(),
      byName: new Map(),
      probesSent: 0,
      timer: undefined,
      announcementsSent: 0,
    };
    this.#entries.add(entry);
    this.#load(entry);
    this.#beginProbing(entry, this.#c.random() * PROBE_INITIAL_DELAY_MAX_MS);
    const update = () => this.#update(entry);
    const withdraw = () => this.#withdraw(entry);
    return {
      get state() {
        return entry.state;
      },
      get attempt() {
        return entry.attempt;
      },
      get records() {
        return entry.records;
      },
      update,
      withdraw,
    };
  }

  /** Handles one received message (our own looped-back packets should be filtered before). */
  handle(received: MdnsReceived): void {
    if (this.#stopped) return;
    const { message } = received;
    if (message.flags.opcode !== 0) return; // RFC 6762 18.3: other opcodes are silently ignored
    if (message.flags.response) {
      if (message.flags.rcode !== 0) return; // RFC 6762 18.11: rcode non-zero is ignored
      this.#handleResponse(message);
    } else {
      this.#handleQuery(received);
    }
  }

  /**
   * Says goodbye for every announced record (one response, TTL 0: RFC 6762 10.1) and stops.
   * Idempotent.
   */
  stop(): void {
    if (this.#stopped) return;
    const goodbyes: DnsRecord[] = [];
    for (const entry of this.#entries) {
      if (entry.state === "announcing" || entry.state === "announced") {
        for (const record of entry.records) goodbyes.push({ ...record, ttl: 0 });
      }
      entry.timer?.();
      entry.state = "withdrawn";
    }
    this.#entries.clear();
    if (goodbyes.length > 0) this.#sendResponse(goodbyes, [], "goodbye");
    this.#stopped = true;
    this.#flushTimer?.();
    for (const query of this.#truncated.values()) query.cancel();
    this.#truncated.clear();
    this.#pending.clear();
  }

  /** A JSON-safe summary for /status. */
  status(): Array<{ names: string[]; state: RegistrationState; attempt: number }> {
    return [...this.#entries].map((entry) => ({
      names: [...new Set(entry.records.map((r) => dnsNameText(r.name)))],
      state: entry.state,
      attempt: entry.attempt,
    }));
  }

  // -------------------------------------------------------------------------------------------
  // Registration life: probe, announce, update, withdraw.

  #load(entry: RegistrationEntry): void {
    const previous = entry.records;
    entry.records = entry.init.records(entry.attempt);
    // Records a rename or update dropped leave the per-record maps (a peer forcing renames must
    // not grow them).
    const kept = new Set(entry.records.map(recordKey));
    for (const record of previous) {
      const key = recordKey(record);
      if (!kept.has(key)) {
        this.#lastMulticast.delete(key);
        this.#pending.delete(key);
      }
    }
    entry.uniqueNames = new Map();
    entry.byName = new Map();
    for (const record of entry.records) {
      const key = dnsNameKey(record.name);
      if (record.cacheFlush) entry.uniqueNames.set(key, record.name);
      const list = entry.byName.get(key);
      if (list) list.push(record);
      else entry.byName.set(key, [record]);
    }
  }

  #beginProbing(entry: RegistrationEntry, delayMs: number): void {
    entry.timer?.();
    // Names being probed are not ours yet (RFC 6762 8.1): no answer already queued goes out.
    for (const record of entry.records) this.#pending.delete(recordKey(record));
    entry.state = "probing";
    entry.probesSent = 0;
    entry.announcementsSent = 0;
    if (entry.uniqueNames.size === 0) {
      // Shared records only (a PTR): nothing to probe (RFC 6762 8.1 applies to unique records).
      this.#startAnnouncing(entry);
      return;
    }
    entry.timer = this.#c.scheduler.schedule(delayMs, () => this.#probeStep(entry));
  }

  #probeStep(entry: RegistrationEntry): void {
    entry.timer = undefined;
    if (entry.state !== "probing" || this.#stopped) return;
    if (entry.probesSent === PROBE_COUNT) {
      // Three probes and 250 ms of silence after the last: the names are ours (RFC 6762 8.1).
      this.#startAnnouncing(entry);
      return;
    }
    const questions: DnsQuestion[] = [...entry.uniqueNames.values()].map((name) => ({
      name,
      type: DnsType.ANY, // RFC 6762 8.1: probes ask for type ANY
      class: DNS_CLASS_IN,
      unicastResponse: entry.probesSent === 0, // 8.1: the first probe SHOULD set QU
    }));
    // 8.2: the Authority Section carries every record being probed for, without cache-flush.
    const authorities = entry.records
      .filter((r) => r.cacheFlush)
      .map((r) => ({ ...r, cacheFlush: false }));
    this.#c.output.send({
      id: 0,
      flags: MDNS_QUERY_FLAGS,
      questions,
      answers: [],
      authorities,
      additionals: [],
    });
    this.#c.counters.probesSent.inc();
    entry.probesSent++;
    entry.timer = this.#c.scheduler.schedule(PROBE_INTERVAL_MS, () => this.#probeStep(entry));
  }

  #startAnnouncing(entry: RegistrationEntry): void {
    entry.state = "announcing";
    entry.announcementsSent = 0;
    this.#announceStep(entry);
  }

  #announceStep(entry: RegistrationEntry): void {
    entry.timer = undefined;
    if (entry.state !== "announcing" || this.#stopped) return;
    this.#sendResponse(entry.records, this.#additionalsFor(entry.records), "announce");
    entry.announcementsSent++;
    if (entry.announcementsSent >= ANNOUNCE_COUNT) {
      entry.state = "announced";
      this.#c.logger.info("mDNS records announced", {
        names: [...entry.uniqueNames.values()].map(dnsNameText).join(", ") ||
          entry.records.map((r) => dnsNameText(r.name)).join(", "),
        attempt: entry.attempt,
      });
      return;
    }
    // RFC 6762 8.3: at least one second apart, doubling after that.
    const gap = ANNOUNCE_INTERVAL_MS * 2 ** (entry.announcementsSent - 1);
    entry.timer = this.#c.scheduler.schedule(gap, () => this.#announceStep(entry));
  }

  #update(entry: RegistrationEntry): void {
    if (entry.state === "withdrawn" || this.#stopped) return;
    const before = entry.records;
    const wasPublished = entry.state === "announcing" || entry.state === "announced";
    const oldNames = [...entry.uniqueNames.keys()].sort().join("|");
    this.#load(entry);
    const kept = new Set(entry.records.map(recordKey));
    const dropped = before.filter((r) => !kept.has(recordKey(r)));
    if (wasPublished && dropped.length > 0) {
      this.#sendResponse(dropped.map((r) => ({ ...r, ttl: 0 })), [], "goodbye");
    }
    const newNames = [...entry.uniqueNames.keys()].sort().join("|");
    if (!wasPublished || newNames !== oldNames) {
      this.#beginProbing(entry, this.#c.random() * PROBE_INITIAL_DELAY_MAX_MS);
    } else {
      // Same names, new data: announce again (RFC 6762 8.4), no new probing needed.
      entry.timer?.();
      for (const record of entry.records) this.#lastMulticast.delete(recordKey(record));
      this.#startAnnouncing(entry);
    }
  }

  #withdraw(entry: RegistrationEntry): void {
    if (entry.state === "withdrawn") return;
    entry.timer?.();
    const published = entry.state === "announcing" || entry.state === "announced";
    entry.state = "withdrawn";
    this.#entries.delete(entry);
    if (published && !this.#stopped) {
      this.#sendResponse(entry.records.map((r) => ({ ...r, ttl: 0 })), [], "goodbye");
    }
    for (const record of entry.records) this.#pending.delete(recordKey(record));
  }

  /** A conflict on a name of this registration: rename and probe again (RFC 6762 8.1, 9). */
  #conflict(entry: RegistrationEntry, name: DnsName, reason: string): void {
    this.#c.counters.conflicts.inc();
    const now = this.#c.clock.monotonic();
    this.#conflictTimes.push(now);
    while (
      this.#conflictTimes.length > 0 && now - this.#conflictTimes[0]! > PROBE_CONFLICT_WINDOW_MS
    ) this.#conflictTimes.shift();
    const previous = entry.records;
    const wasPublished = entry.state === "announcing" || entry.state === "announced";
    entry.attempt++;
    this.#load(entry);
    this.#c.logger.warn("mDNS name conflict: renaming", {
      name: dnsNameText(name),
      reason,
      attempt: entry.attempt,
      to: [...entry.uniqueNames.values()].map(dnsNameText).join(", "),
    });
    if (wasPublished) {
      // Our old records are wrong now: withdraw the ones that do not survive the rename.
      const kept = new Set(entry.records.map(recordKey));
      const dropped = previous.filter((r) => !kept.has(recordKey(r)) && !r.cacheFlush);
      if (dropped.length > 0) {
        this.#sendResponse(dropped.map((r) => ({ ...r, ttl: 0 })), [], "goodbye");
      }
    }
    entry.init.onRenamed?.(entry.attempt, entry.records);
    // 8.1: more than 15 conflicts in ten seconds: wait five seconds before each new attempt.
    const delay = this.#conflictTimes.length > PROBE_CONFLICTS_BEFORE_SLOWDOWN
      ? PROBE_RATE_LIMIT_MS
      : this.#c.random() * PROBE_INITIAL_DELAY_MAX_MS;
    this.#beginProbing(entry, delay);
  }

  // -------------------------------------------------------------------------------------------
  // Responses from others: conflicts (RFC 6762 9) and duplicate answer suppression (7.4).

  #handleResponse(message: DnsMessage): void {
    const records = [...message.answers, ...message.additionals];
    for (const record of records) {
      const key = recordKey(record);
      // 7.4: someone else just multicast an answer we were about to give.
      const pending = this.#pending.get(key);
      if (pending && !pending.probeDefence && record.ttl >= pending.record.ttl / 2) {
        this.#pending.delete(key);
        this.#c.counters.answersSuppressed.with({ reason: "duplicate" }).inc();
      }
    }
    for (const entry of [...this.#entries]) {
      if (entry.state === "withdrawn") continue;
      for (const record of records) {
        const nameKey = dnsNameKey(record.name);
        const ourName = entry.uniqueNames.get(nameKey);
        if (ourName === undefined || record.ttl === 0) continue;
        const ours = entry.records.filter((r) => dnsNameKey(r.name) === nameKey);
        const same = ours.some((r) => recordKey(r) === recordKey(record));
        if (same) continue;
        if (entry.state === "probing") {
          // 8.1: any answer for a name we are probing, of any type, means it is taken.
          this.#conflict(entry, ourName, "answer while probing");
          break;
        }
        // 9: same name, type and class with other data is a conflict.
        const sameType = ours.some((r) =>
          r.data.type === record.data.type && r.class === record.class
        );
        if (sameType && record.cacheFlush) {
          this.#c.logger.info("mDNS conflicting answer: probing again", {
            name: dnsNameText(ourName),
          });
          this.#c.counters.conflicts.inc();
          this.#beginProbing(entry, 0);
          break;
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Queries.

  #handleQuery(received: MdnsReceived): void {
    const { message, from } = received;
    this.#c.counters.queriesReceived.inc();
    if (from.port !== MDNS_PORT) {
      this.#answerLegacy(message, from);
      return;
    }
    if (message.authorities.length > 0) this.#checkProbe(message);
    const sourceKey = formatAddress(from);
    const waiting = this.#truncated.get(sourceKey);
    if (waiting) {
      // 7.2: the next packet of a multipacket known-answer list from the same source.
      waiting.questions.push(...message.questions);
      waiting.knownAnswers.push(...message.answers);
      if (message.flags.truncated) return;
      waiting.cancel();
      this.#truncated.delete(sourceKey);
      this.#answer(waiting.questions, waiting.knownAnswers, from, true);
      return;
    }
    if (message.questions.length === 0) return;
    if (message.flags.truncated && this.#truncated.size < MAX_TRUNCATED_QUERIES) {
      const delay = TRUNCATED_QUERY_WAIT_MIN_MS +
        this.#c.random() * (TRUNCATED_QUERY_WAIT_MAX_MS - TRUNCATED_QUERY_WAIT_MIN_MS);
      const query: TruncatedQuery = {
        questions: [...message.questions],
        knownAnswers: [...message.answers],
        cancel: () => {},
      };
      query.cancel = this.#c.scheduler.schedule(delay, () => {
        this.#truncated.delete(sourceKey);
        this.#answer(query.questions, query.knownAnswers, from, true);
      });
      this.#truncated.set(sourceKey, query);
      return;
    }
    this.#answer(message.questions, message.answers, from, false);
  }

  /** Records of ours that answer `question` (names we still probe for are not ours yet). */
  #recordsFor(question: DnsQuestion): DnsRecord[] {
    const out: DnsRecord[] = [];
    if (question.class !== DNS_CLASS_IN && question.class !== 255) return out;
    const key = dnsNameKey(question.name);
    for (const entry of this.#entries) {
      if (entry.state !== "announcing" && entry.state !== "announced") continue;
      for (const record of entry.byName.get(key) ?? []) {
        if (question.type === DnsType.ANY || record.data.type === question.type) out.push(record);
      }
    }
    return out;
  }

  /** Whether `name` is a unique name we own (announcing or announced). */
  #ownsUniqueName(key: string): RegistrationEntry | undefined {
    for (const entry of this.#entries) {
      if (
        (entry.state === "announcing" || entry.state === "announced") &&
        entry.uniqueNames.has(key)
      ) return entry;
    }
    return undefined;
  }

  #answer(
    questions: readonly DnsQuestion[],
    knownAnswers: readonly DnsRecord[],
    from: DatagramAddress,
    waitedForKnownAnswers: boolean,
  ): void {
    const known = new Map<string, number>();
    for (const record of knownAnswers) known.set(recordKey(record), record.ttl);
    const now = this.#c.clock.monotonic();
    const unicast: DnsRecord[] = [];
    const multicast: DnsRecord[] = [];
    let shared = false;
    for (const question of questions) {
      const records = this.#recordsFor(question);
      if (records.length === 0) {
        // 6.1: a unique name of ours asked for a type we do not have: say so with NSEC.
        const owner = this.#ownsUniqueName(dnsNameKey(question.name));
        if (owner && question.type !== DnsType.ANY) {
          const nsec = nsecFor(question.name, owner.records);
          if (nsec) (question.unicastResponse ? unicast : multicast).push(nsec);
        }
        continue;
      }
      for (const record of records) {
        const key = recordKey(record);
        const knownTtl = known.get(key);
        // 7.1: MUST NOT answer when the querier already holds it with at least half our TTL.
        if (knownTtl !== undefined && knownTtl >= record.ttl / 2) {
          this.#c.counters.answersSuppressed.with({ reason: "known-answer" }).inc();
          continue;
        }
        if (!record.cacheFlush) shared = true;
        const last = this.#lastMulticast.get(key);
        // 5.4: a QU question gets a unicast answer unless the record has not been multicast
        // within a quarter of its TTL, in which case everyone should hear it.
        if (
          question.unicastResponse && last !== undefined && now - last < record.ttl * 250
        ) unicast.push(record);
        else multicast.push(record);
      }
    }
    if (unicast.length > 0) {
      const answers = dedupe(unicast);
      this.#c.output.send({
        id: 0,
        flags: MDNS_RESPONSE_FLAGS,
        questions: [],
        answers,
        authorities: [],
        additionals: this.#additionalsFor(answers),
      }, from);
      this.#c.counters.responsesSent.with({ kind: "unicast" }).inc();
    }
    if (multicast.length === 0) return;
    // 6: unique answers go out at once (within 10 ms); any shared answer waits 20-120 ms so
    // several responders' answers aggregate (a query that waited for its TC packets is due now).
    const delay = shared && !waitedForKnownAnswers
      ? SHARED_ANSWER_DELAY_MIN_MS +
        this.#c.random() * (SHARED_ANSWER_DELAY_MAX_MS - SHARED_ANSWER_DELAY_MIN_MS)
      : 0;
    for (const record of multicast) this.#queueMulticast(record, now + delay, false);
  }

  /** 6.7: a one-shot querier (source port not 5353) gets a plain unicast DNS answer. */
  #answerLegacy(message: DnsMessage, from: DatagramAddress): void {
    const answers: DnsRecord[] = [];
    for (const question of message.questions) {
      for (const record of this.#recordsFor(question)) {
        // 6.7: TTL at most 10 s; 10.2: no cache-flush bit towards ports other than 5353.
        answers.push({
          ...record,
          cacheFlush: false,
          ttl: Math.min(record.ttl, LEGACY_UNICAST_TTL_S),
        });
      }
    }
    if (answers.length === 0) return;
    const unique = dedupe(answers);
    this.#c.output.send({
      id: message.id, // 6.7: the ID of the query is echoed
      flags: MDNS_RESPONSE_FLAGS,
      questions: message.questions, // 6.7: and its question repeated
      answers: unique,
      authorities: [],
      additionals: this.#additionalsFor(unique).map((r) => ({
        ...r,
        cacheFlush: false,
        ttl: Math.min(r.ttl, LEGACY_UNICAST_TTL_S),
      })),
    }, from);
    this.#c.counters.responsesSent.with({ kind: "legacy-unicast" }).inc();
  }

  /** A probe (a query with proposed records, RFC 6762 8.2) for names we hold or probe. */
  #checkProbe(message: DnsMessage): void {
    for (const question of message.questions) {
      const key = dnsNameKey(question.name);
      const theirs = message.authorities.filter((r) => dnsNameKey(r.name) === key);
      if (theirs.length === 0) continue;
      for (const entry of [...this.#entries]) {
        if (!entry.uniqueNames.has(key)) continue;
        const ours = entry.records.filter((r) => r.cacheFlush && dnsNameKey(r.name) === key);
        if (entry.state === "probing") {
          // 8.2: simultaneous probes; the lexicographically later data wins, the loser waits
          // one second and probes again. Equal data is our own probe reflected: no conflict.
          const order = compareProbeSets(ours, theirs);
          if (order < 0) {
            this.#c.logger.info("mDNS simultaneous probe lost: probing again in one second", {
              name: dnsNameText(question.name),
            });
            this.#beginProbing(entry, PROBE_TIEBREAK_DEFER_MS);
          }
        } else if (entry.state === "announcing" || entry.state === "announced") {
          if (compareProbeSets(ours, theirs) === 0) continue;
          // 8.1 / 6: defend the name at once, rate-limited to one answer per 250 ms.
          const now = this.#c.clock.monotonic();
          for (const record of ours) this.#queueMulticast(record, now, true);
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Multicast answers: aggregation and the per-record rate limit (RFC 6762 section 6).

  #queueMulticast(record: DnsRecord, dueAt: number, probeDefence: boolean): void {
    const key = recordKey(record);
    const last = this.#lastMulticast.get(key);
    const gap = probeDefence ? PROBE_DEFENCE_RATE_LIMIT_MS : MULTICAST_RATE_LIMIT_MS;
    let due = dueAt;
    if (last !== undefined && due - last < gap) {
      // 6: at most once a second per record (250 ms when defending against a probe): wait.
      due = last + gap;
      this.#c.counters.answersSuppressed.with({ reason: "rate-limit-delayed" }).inc();
    }
    const existing = this.#pending.get(key);
    if (existing) {
      existing.dueAt = Math.min(existing.dueAt, due);
      existing.probeDefence ||= probeDefence;
    } else {
      this.#pending.set(key, { record, dueAt: due, probeDefence });
    }
    this.#armFlush(Math.min(due, existing?.dueAt ?? Infinity));
  }

  #armFlush(at: number): void {
    if (at >= this.#flushAt) return;
    this.#flushTimer?.();
    this.#flushAt = at;
    const delay = Math.max(0, at - this.#c.clock.monotonic());
    this.#flushTimer = this.#c.scheduler.schedule(delay, () => this.#flush());
  }

  #flush(): void {
    this.#flushTimer = undefined;
    this.#flushAt = Infinity;
    if (this.#stopped) return;
    const now = this.#c.clock.monotonic();
    const due: DnsRecord[] = [];
    let next = Infinity;
    for (const [key, answer] of this.#pending) {
      if (answer.dueAt <= now) {
        due.push(answer.record);
        this.#pending.delete(key);
      } else {
        next = Math.min(next, answer.dueAt);
      }
    }
    if (due.length > 0) this.#sendResponse(due, this.#additionalsFor(due), "answer");
    if (next !== Infinity) this.#armFlush(next);
  }

  /** Multicasts a response and notes when each record went out. */
  #sendResponse(answers: readonly DnsRecord[], additionals: DnsRecord[], kind: string): void {
    const now = this.#c.clock.monotonic();
    const unique = dedupe(answers);
    this.#c.output.send({
      id: 0,
      flags: MDNS_RESPONSE_FLAGS,
      questions: [], // RFC 6762 6: multicast responses carry no questions
      answers: unique,
      authorities: [],
      additionals,
    });
    if (kind !== "goodbye") {
      for (const record of unique) this.#lastMulticast.set(recordKey(record), now);
    } else {
      for (const record of unique) this.#lastMulticast.delete(recordKey(record));
    }
    this.#c.counters.responsesSent.with({ kind }).inc();
  }

  /**
   * Records a querier will want next (RFC 6763 12): for a PTR its SRV and TXT, for an SRV the
   * target's addresses, for an address the other family's; plus NSEC for our unique names
   * (RFC 6762 6.1). Only ours, only what is not already among the answers.
   */
  #additionalsFor(answers: readonly DnsRecord[]): DnsRecord[] {
    const inAnswers = new Set(answers.map(recordKey));
    const out = new Map<string, DnsRecord>();
    const add = (record: DnsRecord) => {
      const key = recordKey(record);
      if (!inAnswers.has(key) && !out.has(key)) out.set(key, record);
    };
    const byName = (name: DnsName, types: readonly number[]) =>
      this.#recordsFor({ name, type: DnsType.ANY, class: DNS_CLASS_IN, unicastResponse: false })
        .filter((r) => types.includes(r.data.type));
    const addressesOf = (name: DnsName) => byName(name, [DnsType.A, DnsType.AAAA]).forEach(add);
    for (const record of answers) {
      const data = record.data;
      if (data.type === DnsType.PTR && "target" in data) {
        const instance = byName(data.target, [DnsType.SRV, DnsType.TXT]);
        instance.forEach(add);
        for (const srv of instance) {
          if ("port" in srv.data) addressesOf(srv.data.target);
        }
      } else if (data.type === DnsType.SRV && "port" in data) {
        addressesOf(data.target);
      } else if (data.type === DnsType.A || data.type === DnsType.AAAA) {
        addressesOf(record.name);
      }
    }
    // NSEC for every unique name of ours that appears, listing the types we have for it.
    const names = new Map<string, DnsName>();
    for (const record of [...answers, ...out.values()]) {
      const key = dnsNameKey(record.name);
      if (record.ttl > 0 && this.#ownsUniqueName(key)) names.set(key, record.name);
    }
    for (const [key, name] of names) {
      const owner = this.#ownsUniqueName(key)!;
      const nsec = nsecFor(name, owner.records);
      if (nsec) add(nsec);
    }
    return [...out.values()];
  }
}

/** Our NSEC record for `name`: the types we hold for it (RFC 6762 6.1), TTL of those records. */
function nsecFor(name: DnsName, records: readonly DnsRecord[]): DnsRecord | undefined {
  const key = dnsNameKey(name);
  const mine = records.filter((r) => dnsNameKey(r.name) === key && r.data.type !== DnsType.NSEC);
  if (mine.length === 0) return undefined;
  return {
    name,
    class: DNS_CLASS_IN,
    cacheFlush: true,
    ttl: Math.min(...mine.map((r) => r.ttl)),
    data: {
      type: DnsType.NSEC,
      nextName: name, // 6.1: the Next Domain Name is the record's own name
      types: [...new Set(mine.map((r) => r.data.type))].sort((a, b) => a - b),
    },
  };
}

function dedupe(records: readonly DnsRecord[]): DnsRecord[] {
  const seen = new Set<string>();
  const out: DnsRecord[] = [];
  for (const record of records) {
    const key = recordKey(record);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(record);
  }
  return out;
}
