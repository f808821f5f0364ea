/**
 * The multicast DNS querier of one interface (RFC 6762 sections 5, 7 and 10): continuous queries
 * with their back-off, known answers from the cache, duplicate question suppression, the cache's
 * refresh and reconfirm queries, and responses into the cache. Pure: messages go out through an
 * MdnsOutput and come in through handleMessage(); time comes from the injected clock and scheduler.
 *
 * @module
 */
import { MDNS_QUERY_FLAGS } from "../codec/dns/constants.ts";
import { dnsNameKey } from "../codec/dns/dns_name.ts";
import type { DnsMessage, DnsQuestion, DnsRecord } from "../codec/dns/dns_types.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Counter, Metrics } from "../core/metrics.ts";
import { type Cancel, type Scheduler, systemScheduler } from "../core/scheduler.ts";
import { MdnsCache } from "./mdns_cache.ts";
import {
  DEFAULT_MAX_CACHE_RECORDS,
  MDNS_PORT,
  QUERY_FIRST_INTERVAL_MS,
  QUERY_INITIAL_DELAY_MAX_MS,
  QUERY_INITIAL_DELAY_MIN_MS,
  QUERY_MAX_INTERVAL_MS,
} from "./mdns_constants.ts";
import type { MdnsOutput, MdnsReceived } from "./mdns_link.ts";
import { recordKey, rrsetKey } from "./record_key.ts";

/** Continuous questions one querier asks at once. @default */
export const DEFAULT_MAX_CONTINUOUS_QUESTIONS = 64;
/** Questions put in one query message; more due at once go in further messages. */
export const MAX_QUESTIONS_PER_QUERY = 16;

/** Options of an MdnsQuerier. */
export interface MdnsQuerierInit {
  /** Distinct continuous questions at once; startQuery() refuses beyond. @default 64 */
  readonly maxQuestions?: number;
  /** Records in the interface's cache. @default 1024 */
  readonly maxCacheRecords?: number;
  /** Questions with an interest in the cache (continuous ones included). @default 2048 */
  readonly maxCacheInterests?: number;
}

/** What an MdnsQuerier needs from outside. */
export interface MdnsQuerierComponents {
  /** The interface's link: queries go to its multicast group. */
  readonly output: MdnsOutput;
  readonly clock: Clock;
  /** On the clock's monotonic time. @default systemScheduler */
  readonly scheduler?: Scheduler;
  /** Uniform in [0, 1), for the first-query delay and the refresh jitter. @default Math.random */
  readonly random?: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Options of one continuous query. */
export interface ContinuousQueryOptions {
  /**
   * Ask for a unicast answer in the first query only (QU, RFC 6762 5.4): for questions active at
   * wake or interface activation; later questions should not. @default false
   */
  readonly unicastResponse?: boolean;
}

interface Continuous {
  /** The question with its QU bit clear. */
  readonly question: DnsQuestion;
  holders: number;
  readonly unicastFirst: boolean;
  sent: number;
  lastSentAt: number | undefined;
  nextAt: number;
  /** The gap after the next query goes (or is treated as gone). */
  intervalMs: number;
}

type QueryKind = "continuous" | "maintenance" | "one_shot";

/**
 * Asks questions on one interface and keeps what the answers say in `cache`.
 *
 * - `startQuery(q)`: continuous querying (RFC 6762 5.2): the first query 20-120 ms later, then
 *   after 1 s, 2 s, 4 s ... up to one hour, each with the cache's known answers for the question
 *   (7.1) in its answer section (the link splits long lists over packets with TC, 7.2). Questions
 *   due together go in one message.
 * - Another host's QM query for the same question, whose known answers are all among ours, counts
 *   as our own next query if it comes in the second half of our current gap (7.3).
 * - Responses (QR set, opcode and rcode 0, source port 5353) go into the cache, answers and
 *   additional records alike; other hosts' queries only feed 7.3 and the cache's passive
 *   observation of failures (10.5).
 *
 * @example
 * ```ts
 * const querier = new MdnsQuerier({}, { output: link, clock, logger, metrics });
 * querier.start();
 * querier.startQuery({ name: ["_p2psip", "_udp", "local"], type: DnsType.PTR, class: 1, unicastResponse: false });
 * link.onMessage((received) => querier.handleMessage(received));
 * ```
 */
export class MdnsQuerier {
  /** The interface's record cache; started and stopped with the querier. */
  readonly cache: MdnsCache;
  readonly maxQuestions: number;
  readonly #output: MdnsOutput;
  readonly #clock: Clock;
  readonly #scheduler: Scheduler;
  readonly #random: () => number;
  readonly #logger: Logger;
  readonly #questions = new Map<string, Continuous>();
  readonly #queries: Record<QueryKind, Counter>;
  readonly #responses: Counter;
  readonly #suppressed: Counter;
  readonly #refused: Counter;
  readonly #ignored: Record<"opcode" | "rcode" | "source_port", Counter>;
  #running = false;
  #timerAt: number | undefined;
  #cancelTimer: Cancel | undefined;
  #lastRefusalLogAt = -Infinity;

  constructor(init: MdnsQuerierInit, components: MdnsQuerierComponents) {
    this.maxQuestions = init.maxQuestions ?? DEFAULT_MAX_CONTINUOUS_QUESTIONS;
    if (!Number.isInteger(this.maxQuestions) || this.maxQuestions < 1) {
      throw new RangeError(
        `Cannot make an mDNS querier: maxQuestions must be a positive integer, got ${this.maxQuestions}`,
      );
    }
    this.#output = components.output;
    this.#clock = components.clock;
    this.#scheduler = components.scheduler ?? systemScheduler;
    this.#random = components.random ?? Math.random;
    this.#logger = components.logger;
    this.cache = new MdnsCache({
      maxRecords: init.maxCacheRecords ?? DEFAULT_MAX_CACHE_RECORDS,
      ...(init.maxCacheInterests === undefined ? {} : { maxInterests: init.maxCacheInterests }),
    }, {
      clock: components.clock,
      scheduler: this.#scheduler,
      random: this.#random,
      logger: components.logger,
      metrics: components.metrics,
    });
    this.cache.onQueryNeeded((records) => this.#sendMaintenance(records));
    const m = components.metrics;
    const queries = m.counter(
      "superpeer_mdns_querier_queries_total",
      "mDNS query messages sent by the querier, by kind",
      ["kind"],
    );
    this.#queries = {
      continuous: queries.with({ kind: "continuous" }),
      maintenance: queries.with({ kind: "maintenance" }),
      one_shot: queries.with({ kind: "one_shot" }),
    };
    this.#responses = m.counter(
      "superpeer_mdns_querier_responses_total",
      "mDNS responses taken into the cache",
    );
    this.#suppressed = m.counter(
      "superpeer_mdns_querier_suppressed_total",
      "Continuous queries not sent because another host asked the same (RFC 6762 7.3)",
    );
    this.#refused = m.counter(
      "superpeer_mdns_querier_refused_total",
      "Continuous questions refused because the querier was at maxQuestions",
    );
    const ignored = m.counter(
      "superpeer_mdns_querier_ignored_total",
      "Received mDNS messages the querier ignored, by reason",
      ["reason"],
    );
    this.#ignored = {
      opcode: ignored.with({ reason: "opcode" }),
      rcode: ignored.with({ reason: "rcode" }),
      source_port: ignored.with({ reason: "source_port" }),
    };
  }

  /** Distinct continuous questions being asked. */
  get activeQuestions(): number {
    return this.#questions.size;
  }

  /** Starts the cache and the query schedule (first queries 20-120 ms from now). Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.cache.start();
    const now = this.#clock.monotonic();
    for (const c of this.#questions.values()) {
      c.sent = 0;
      c.lastSentAt = undefined;
      c.intervalMs = QUERY_FIRST_INTERVAL_MS;
      c.nextAt = now + this.#initialDelay();
    }
    this.#armNext();
  }

  /** Stops sending; questions and cached records stay for the next start(). Idempotent. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#timerAt = undefined;
    this.cache.stop();
  }

  /**
   * Asks `question` continuously until stopQuery() (RFC 6762 5.2) and registers an interest in
   * its answers, so the cache refreshes them. Counted per question: each call needs a matching
   * stopQuery(). False, and nothing asked, when `maxQuestions` distinct questions are running.
   */
  startQuery(question: DnsQuestion, options: ContinuousQueryOptions = {}): boolean {
    const key = questionKey(question);
    const existing = this.#questions.get(key);
    if (existing !== undefined) {
      existing.holders++;
      return true;
    }
    if (this.#questions.size >= this.maxQuestions) {
      this.#refused.inc();
      const now = this.#clock.monotonic();
      if (now - this.#lastRefusalLogAt >= 60_000) {
        this.#lastRefusalLogAt = now;
        this.#logger.warn("Refused a continuous mDNS question: querier at its cap", {
          max: this.maxQuestions,
        });
      }
      return false;
    }
    const plain: DnsQuestion = { ...question, unicastResponse: false };
    const c: Continuous = {
      question: plain,
      holders: 1,
      unicastFirst: options.unicastResponse ?? false,
      sent: 0,
      lastSentAt: undefined,
      nextAt: this.#clock.monotonic() + this.#initialDelay(),
      intervalMs: QUERY_FIRST_INTERVAL_MS,
    };
    this.#questions.set(key, c);
    this.cache.addInterest(plain);
    this.#arm(c.nextAt);
    return true;
  }

  /** Drops one holder of a continuous question; the last one stops it. False when not asked. */
  stopQuery(question: DnsQuestion): boolean {
    const key = questionKey(question);
    const c = this.#questions.get(key);
    if (c === undefined) return false;
    if (--c.holders > 0) return true;
    this.#questions.delete(key);
    this.cache.removeInterest(c.question);
    return true;
  }

  /** Whether `question` is being asked continuously. */
  isQuerying(question: DnsQuestion): boolean {
    return this.#questions.has(questionKey(question));
  }

  /**
   * Sends one query now for `questions` (QU bits as given), with the cache's known answers; no
   * repetition. Answers arrive in the cache.
   */
  query(questions: DnsQuestion | readonly DnsQuestion[]): void {
    const list = "name" in questions ? [questions] : [...questions];
    for (let i = 0; i < list.length; i += MAX_QUESTIONS_PER_QUERY) {
      this.#send(list.slice(i, i + MAX_QUESTIONS_PER_QUERY), "one_shot");
    }
  }

  /**
   * A hint that `record` has failed (RFC 6762 10.4), e.g. its service did not answer: it is
   * queried again and flushed if nobody answers for it within 10 s. False when not cached.
   */
  reconfirm(record: DnsRecord): boolean {
    return this.cache.reconfirm(record);
  }

  /** Takes one message received on the interface (its source already checked to be on-link). */
  handleMessage(received: MdnsReceived): void {
    const { message } = received;
    // RFC 6762 18.3: messages with a non-zero opcode MUST be silently ignored.
    if (message.flags.opcode !== 0) {
      this.#ignored.opcode.inc();
      return;
    }
    if (message.flags.response) this.#takeResponse(received);
    else this.#observeQuery(message);
  }

  #takeResponse(received: MdnsReceived): void {
    const { message } = received;
    // RFC 6762 18.11: a response with a non-zero rcode MUST be silently ignored.
    if (message.flags.rcode !== 0) {
      this.#ignored.rcode.inc();
      return;
    }
    // RFC 6762 6: responses from a source port other than 5353 MUST be silently ignored.
    if (received.from.port !== MDNS_PORT) {
      this.#ignored.source_port.inc();
      return;
    }
    this.#responses.inc();
    // Questions in a response are ignored (RFC 6762 6); authority records only matter to probes.
    const now = this.#clock.monotonic();
    for (const record of message.answers) this.cache.add(record, now);
    for (const record of message.additionals) this.cache.add(record, now);
  }

  /** Another host's query: duplicate question suppression (7.3) and passive observation (10.5). */
  #observeQuery(message: DnsMessage): void {
    // With TC set, the rest of its known answers come in later packets we cannot see here: a
    // record missing from this part may be in the next, so neither rule can use it.
    if (message.flags.truncated) return;
    const now = this.#clock.monotonic();
    for (const question of message.questions) {
      // Both rules are about queries answered by multicast: QM questions only.
      if (question.unicastResponse) continue;
      const theirs = new Set<string>();
      for (const record of message.answers) {
        if (answers(question, record)) theirs.add(recordKey(record));
      }
      this.cache.noteQuery(question, theirs);
      const c = this.#questions.get(questionKey(question));
      if (c === undefined) continue;
      // Too soon after our own query (or our own query looped back): it is not our next one.
      if (c.lastSentAt !== undefined && now - c.lastSentAt < (c.nextAt - c.lastSentAt) / 2) {
        continue;
      }
      const ours = new Set(this.cache.knownAnswers(c.question).map(recordKey));
      let covered = true;
      for (const key of theirs) {
        if (!ours.has(key)) {
          covered = false;
          break;
        }
      }
      // RFC 6762 7.3: their known answers are all in our list: answers to theirs serve us.
      if (covered) {
        this.#suppressed.inc();
        this.#advance(c, now);
      }
    }
  }

  #sendDue(): void {
    const now = this.#clock.monotonic();
    const due: Continuous[] = [];
    for (const c of this.#questions.values()) if (c.nextAt <= now) due.push(c);
    for (let i = 0; i < due.length; i += MAX_QUESTIONS_PER_QUERY) {
      const batch = due.slice(i, i + MAX_QUESTIONS_PER_QUERY);
      this.#send(
        batch.map((c) =>
          c.unicastFirst && c.sent === 0 ? { ...c.question, unicastResponse: true } : c.question
        ),
        "continuous",
      );
    }
    for (const c of due) this.#advance(c, now);
    this.#armNext();
  }

  /** Our query went (or counts as gone) at `now`: the next after the gap, which then doubles. */
  #advance(c: Continuous, now: number): void {
    c.sent++;
    c.lastSentAt = now;
    c.nextAt = now + c.intervalMs;
    // RFC 6762 5.2: gaps at least double, from at least 1 s; capped at one hour.
    c.intervalMs = Math.min(c.intervalMs * 2, QUERY_MAX_INTERVAL_MS);
  }

  /** One query for the rrsets of records the cache wants refreshed or reconfirmed. */
  #sendMaintenance(records: readonly DnsRecord[]): void {
    if (!this.#running) return;
    const questions = new Map<string, DnsQuestion>();
    for (const record of records) {
      const key = rrsetKey(record);
      if (!questions.has(key)) {
        questions.set(key, {
          name: record.name,
          type: record.data.type,
          class: record.class,
          unicastResponse: false,
        });
      }
    }
    const list = [...questions.values()];
    for (let i = 0; i < list.length; i += MAX_QUESTIONS_PER_QUERY) {
      this.#send(list.slice(i, i + MAX_QUESTIONS_PER_QUERY), "maintenance");
    }
  }

  #send(questions: readonly DnsQuestion[], kind: QueryKind): void {
    const known = new Map<string, DnsRecord>();
    for (const question of questions) {
      for (const record of this.cache.knownAnswers(question)) known.set(recordKey(record), record);
    }
    // RFC 6762 18.1: the ID of a multicast query SHOULD be zero.
    const message: DnsMessage = {
      id: 0,
      flags: MDNS_QUERY_FLAGS,
      questions,
      answers: [...known.values()],
      authorities: [],
      additionals: [],
    };
    this.#queries[kind].inc();
    this.#output.send(message);
  }

  #initialDelay(): number {
    return QUERY_INITIAL_DELAY_MIN_MS +
      this.#random() * (QUERY_INITIAL_DELAY_MAX_MS - QUERY_INITIAL_DELAY_MIN_MS);
  }

  #armNext(): void {
    let next = Infinity;
    for (const c of this.#questions.values()) next = Math.min(next, c.nextAt);
    this.#arm(next);
  }

  #arm(at: number): void {
    if (!this.#running || at === Infinity) return;
    if (this.#timerAt !== undefined && this.#timerAt <= at) return;
    this.#cancelTimer?.();
    this.#timerAt = at;
    this.#cancelTimer = this.#scheduler.schedule(at - this.#clock.monotonic(), () => {
      this.#timerAt = undefined;
      this.#cancelTimer = undefined;
      this.#sendDue();
    });
  }
}

function questionKey(question: DnsQuestion): string {
  return `${dnsNameKey(question.name)}|${question.type}|${question.class}`;
}

/** Whether `record` answers `question` (type and class ANY match all). */
function answers(question: DnsQuestion, record: DnsRecord): boolean {
  return (question.type === 255 || record.data.type === question.type) &&
    (question.class === 255 || record.class === question.class) &&
    dnsNameKey(record.name) === dnsNameKey(question.name);
}
