/**
 * The transaction layer's front door (RFC 3261 section 17): matches incoming requests and
 * responses to transactions (sections 17.1.3, 17.2.3, 9.2), creates them within caps, and drives
 * every transaction's timers from one scheduler callback armed for the earliest deadline.
 *
 * @module
 */
import type { SipMessage } from "../../codec/sip/mod.ts";
import { hasRfc3261Branch } from "../../codec/sip/mod.ts";
import type { Clock } from "../../core/clock.ts";
import type { Logger } from "../../core/logger.ts";
import type { Counter, Gauge, Metrics } from "../../core/metrics.ts";
import type { Cancel, Scheduler } from "../../core/scheduler.ts";
import { ClientTransaction, type ClientTransactionUser } from "./client_transaction.ts";
import {
  DEFAULT_MAX_CLIENT_TRANSACTIONS,
  DEFAULT_MAX_SERVER_TRANSACTIONS,
  DEFAULT_OVERLOAD_RETRY_AFTER_S,
  DEFAULT_T1_MS,
  DEFAULT_T2_MS,
  DEFAULT_T4_MS,
  DEFAULT_TIMER_D_MS,
  DEFAULT_TRYING_DELAY_MS,
} from "./constants.ts";
import { DeadlineQueue } from "./deadline_queue.ts";
import { ServerTransaction } from "./server_transaction.ts";
import type {
  Transaction,
  TransactionAddress,
  TransactionCount,
  TransactionHost,
  TransactionKind,
  TransactionSend,
  TransactionTimerValues,
} from "./transaction.ts";
import {
  clientKeyOfResponse,
  clientTransactionKey,
  inviteKeyOfCancel,
  serverAckKeys,
  serverTransactionKey,
  toTag,
  type TransactionKey,
} from "./transaction_key.ts";

/** Options of a TransactionTable; every one has a default from constants.ts. */
export interface TransactionTableInit {
  /** RTT estimate (section 17.1.1.1). @default {DEFAULT_T1_MS} */
  t1Ms?: number;
  /** Cap of the non-INVITE and response retransmit interval. @default {DEFAULT_T2_MS} */
  t2Ms?: number;
  /** Maximum message lifetime in the network (Timers I, K). @default {DEFAULT_T4_MS} */
  t4Ms?: number;
  /** Timer D over unreliable transports (at least 32 s). @default {DEFAULT_TIMER_D_MS} */
  timerDMs?: number;
  /**
   * Wait before an INVITE server transaction sends 100 (Trying) itself when the TU has sent
   * nothing; 0 sends it at once, null never (a TU that always answers within 200 ms).
   * @default {DEFAULT_TRYING_DELAY_MS}
   */
  tryingDelayMs?: number | null;
  /**
   * Server transactions at once; past it the oldest one that only waits for retransmissions is
   * ended early, and when none does, requests are refused.
   * @default {DEFAULT_MAX_SERVER_TRANSACTIONS}
   */
  maxServerTransactions?: number;
  /**
   * Client transactions at once; past it the oldest one that only waits for retransmissions is
   * ended early, and when none does, createClient refuses.
   * @default {DEFAULT_MAX_CLIENT_TRANSACTIONS}
   */
  maxClientTransactions?: number;
  /** Retry-After seconds suggested with a refusal. @default {DEFAULT_OVERLOAD_RETRY_AFTER_S} */
  overloadRetryAfterS?: number;
}

/** What a TransactionTable is given. */
export interface TransactionTableComponents {
  /** Monotonic time for deadlines. */
  clock: Clock;
  /** Runs the one timer callback (VirtualScheduler in tests). */
  scheduler: Scheduler;
  /** The transport layer: serializes and sends. */
  send: TransactionSend;
  metrics?: Metrics;
  /** Named `superpeer:sip:transaction`; refusals are logged at most every 10 s. */
  logger?: Logger;
}

/**
 * What `receiveRequest` found:
 * - "request": a new server transaction; the TU handles the request and answers through
 *   `transaction.respond()`. For a CANCEL, `cancels` is the INVITE server transaction it matches
 *   (section 9.2), if any: answer the CANCEL 200 and the INVITE 487 when it is still
 *   "proceeding", or the CANCEL 481 when there is none;
 * - "absorbed": a retransmission or a non-2xx ACK, handled by `transaction`;
 * - "ack": an ACK for the TU, the end-to-end ACK of a 2xx: `transaction` is the INVITE server
 *   transaction in RFC 6026's Accepted state it matched, or undefined (the usual case: a 2xx ACK
 *   carries a branch of its own). No transaction is ever made for an ACK;
 * - "refused": the table is full of transactions still at work (the oldest one that only waits
 *   for retransmissions is ended early to make room instead); answer 503 with `Retry-After: retryAfterS` (a stateless
 *   response; section 21.5.4) or drop it;
 * - "invalid": Via, CSeq, From, To or Call-ID is missing or malformed; answer 400 or drop.
 */
export type IncomingRequestResult =
  | {
    readonly kind: "request";
    readonly transaction: ServerTransaction;
    readonly cancels: ServerTransaction | undefined;
  }
  | { readonly kind: "absorbed"; readonly transaction: ServerTransaction }
  | { readonly kind: "ack"; readonly transaction: ServerTransaction | undefined }
  | { readonly kind: "refused"; readonly reason: "capacity"; readonly retryAfterS: number }
  | { readonly kind: "invalid"; readonly error: unknown };

/** Counts since construction, for tests and /status. */
export interface TransactionTableCounters {
  readonly created: Readonly<Record<TransactionKind, number>>;
  /** New transactions refused at the cap, by side. */
  readonly refused: { readonly server: number; readonly client: number };
  /** Transactions ended early at the cap (they only waited for retransmissions), by side. */
  readonly evicted: { readonly server: number; readonly client: number };
  /** Requests or responses whose transaction-identifying headers did not parse. */
  readonly invalid: number;
  /** Responses that matched no client transaction. */
  readonly strayResponses: number;
  readonly retransmissions: number;
  /** Request and response retransmissions (and non-2xx ACKs) absorbed by a transaction. */
  readonly absorbed: number;
  /** Timers B, F and H. */
  readonly timeouts: number;
  readonly transportErrors: number;
}

const KINDS: readonly TransactionKind[] = [
  "invite-client",
  "non-invite-client",
  "invite-server",
  "non-invite-server",
];

/** Stale timer-queue entries tolerated before the queue is rebuilt without them. */
const COMPACT_MIN_STALE = 1024;
/** Least time between two log lines about refusals. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;
/**
 * States in which a transaction only waits for stray retransmissions (Timers D, I, J, K, L, M):
 * at the cap the oldest of these is ended early to make room (STYLE rule 5: drop the oldest)
 * instead of refusing a new call while the table is full of finished ones.
 */
const WAITING_STATES: ReadonlySet<string> = new Set(["completed", "accepted", "confirmed"]);
/** Transactions looked at, oldest first, for one to end early; past them the request is refused. */
const EVICTION_SCAN = 64;

interface TableMetrics {
  readonly created: Record<TransactionKind, Counter>;
  readonly live: Record<TransactionKind, Gauge>;
  readonly refused: Record<"server" | "client", Counter>;
  readonly evicted: Record<"server" | "client", Counter>;
  readonly dropped: Record<"invalid" | "stray_response", Counter>;
  readonly events: Record<TransactionCount, Counter>;
}

/**
 * The SIP transaction layer of one element: a server table and a client table, both capped, and
 * one timer loop. Pure apart from the injected clock and scheduler: it sends through
 * `components.send` and never touches a socket.
 *
 * @example
 * ```ts
 * const send = (msg: SipMessage, to: TransactionAddress) => transport.send(msg, to);
 * const table = new TransactionTable({ clock, scheduler, send });
 * // a request from the transport layer
 * const from = { transport: "UDP", host: "192.0.2.9", port: 5060, reliable: false };
 * const r = table.receiveRequest(request, from);
 * if (r.kind === "request") {
 *   r.transaction.respond(createResponse(request, 200, "OK", { toTag: "x1" }));
 * }
 * if (r.kind === "refused") sendStateless(createResponse(request, 503, "Service Unavailable",
 *   { headers: [["Retry-After", String(r.retryAfterS)]] }));
 * // a response from the transport layer
 * if (table.receiveResponse(response) === undefined) handleStray(response);
 * ```
 */
export class TransactionTable {
  readonly #clock: Clock;
  readonly #scheduler: Scheduler;
  readonly #send: TransactionSend;
  readonly #logger: Logger | undefined;
  readonly #timers: TransactionTimerValues;
  readonly #maxServer: number;
  readonly #maxClient: number;
  readonly #retryAfterS: number;
  readonly #host: TransactionHost;
  readonly #servers = new Map<TransactionKey, ServerTransaction>();
  readonly #clients = new Map<TransactionKey, ClientTransaction>();
  readonly #queue = new DeadlineQueue<Transaction>();
  readonly #metrics: TableMetrics | undefined;
  #alarmAt: number | undefined;
  #cancelAlarm: Cancel | undefined;
  #running = false;
  #stopped = false;
  #lastRefusalLog = -Infinity;
  readonly #counters = {
    created: {
      "invite-client": 0,
      "non-invite-client": 0,
      "invite-server": 0,
      "non-invite-server": 0,
    },
    refused: { server: 0, client: 0 },
    evicted: { server: 0, client: 0 },
    invalid: 0,
    strayResponses: 0,
    retransmissions: 0,
    absorbed: 0,
    timeouts: 0,
    transportErrors: 0,
  };

  /**
   * @throws {RangeError} when an option is not a positive integer (tryingDelayMs may also be 0 or
   * null), or t2Ms is below t1Ms
   */
  constructor(components: TransactionTableComponents, init: TransactionTableInit = {}) {
    this.#clock = components.clock;
    this.#scheduler = components.scheduler;
    this.#send = components.send;
    this.#logger = components.logger;
    const t1Ms = positive("t1Ms", init.t1Ms ?? DEFAULT_T1_MS);
    const t2Ms = positive("t2Ms", init.t2Ms ?? DEFAULT_T2_MS);
    if (t2Ms < t1Ms) {
      throw new RangeError(`Cannot make a transaction table: t2Ms ${t2Ms} is below t1Ms ${t1Ms}`);
    }
    const tryingDelayMs = init.tryingDelayMs === undefined
      ? DEFAULT_TRYING_DELAY_MS
      : init.tryingDelayMs;
    if (tryingDelayMs !== null && !(Number.isSafeInteger(tryingDelayMs) && tryingDelayMs >= 0)) {
      throw new RangeError(
        "Cannot make a transaction table: tryingDelayMs must be an integer of 0 or more or null, " +
          `got ${tryingDelayMs}`,
      );
    }
    this.#timers = {
      t1Ms,
      t2Ms,
      t4Ms: positive("t4Ms", init.t4Ms ?? DEFAULT_T4_MS),
      timerDMs: positive("timerDMs", init.timerDMs ?? DEFAULT_TIMER_D_MS),
      tryingDelayMs,
    };
    this.#maxServer = positive(
      "maxServerTransactions",
      init.maxServerTransactions ?? DEFAULT_MAX_SERVER_TRANSACTIONS,
    );
    this.#maxClient = positive(
      "maxClientTransactions",
      init.maxClientTransactions ?? DEFAULT_MAX_CLIENT_TRANSACTIONS,
    );
    this.#retryAfterS = positive(
      "overloadRetryAfterS",
      init.overloadRetryAfterS ?? DEFAULT_OVERLOAD_RETRY_AFTER_S,
    );
    this.#metrics = components.metrics === undefined ? undefined : makeMetrics(components.metrics);
    this.#host = {
      timers: this.#timers,
      now: () => this.#clock.monotonic(),
      send: (message, destination, context) => this.#send(message, destination, context),
      wake: (tx, at) => this.#wake(tx, at),
      terminated: (tx) => this.#forget(tx),
      count: (tx, what) => this.#count(tx, what),
    };
  }

  /** The timer values in force. */
  get timers(): TransactionTimerValues {
    return this.#timers;
  }

  /** Live server transactions. */
  get serverCount(): number {
    return this.#servers.size;
  }

  /** Live client transactions. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /**
   * Entries in the timer queue, stale ones included; bounded by compaction (for tests and /status).
   */
  get queuedTimers(): number {
    return this.#queue.size;
  }

  /** A snapshot of the counters. */
  get counters(): TransactionTableCounters {
    const c = this.#counters;
    return {
      ...c,
      created: { ...c.created },
      refused: { ...c.refused },
      evicted: { ...c.evicted },
    };
  }

  /**
   * Matches a request from the transport layer to its server transaction (section 17.2.3) or
   * makes one. `source` is where the transaction sends its responses, normally
   * `responseDestination(request.topVia(), arrival)` (section 18.2.2); its `reliable` decides the
   * timers. Never throws for a malformed message.
   */
  receiveRequest(request: SipMessage, source: TransactionAddress): IncomingRequestResult {
    if (!request.isRequest) {
      return { kind: "invalid", error: new TypeError("Cannot match a response as a request") };
    }
    try {
      if (request.method === "ACK") return this.#receiveAck(request);
      const key = serverTransactionKey(request);
      const existing = this.#servers.get(key);
      if (existing !== undefined) {
        existing.receiveRequest(request);
        return { kind: "absorbed", transaction: existing };
      }
      // Read everything the transaction and its TU rely on before admitting the request.
      request.cseq();
      request.callId();
      request.from();
      request.to();
      const cancels = request.method === "CANCEL" ? this.findCancelTarget(request) : undefined;
      if (
        this.#stopped ||
        (this.#servers.size >= this.#maxServer && !this.#evictOldestWaiting("server"))
      ) {
        this.#refuse("server");
        return { kind: "refused", reason: "capacity", retryAfterS: this.#retryAfterS };
      }
      const tx = new ServerTransaction(this.#host, { key, request, source });
      this.#servers.set(key, tx);
      this.#created(tx);
      tx.start();
      return { kind: "request", transaction: tx, cancels };
    } catch (error) {
      this.#counters.invalid++;
      this.#metrics?.dropped.invalid.inc();
      return { kind: "invalid", error };
    }
  }

  /**
   * Matches a response from the transport layer to its client transaction (section 17.1.3) and
   * hands it over; returns that transaction, or undefined for a stray response (no match, or no
   * branch). What to do with a stray is the TU's call (section 16.7 for a proxy; a stray 2xx to
   * INVITE is the one worth forwarding or acknowledging).
   */
  receiveResponse(response: SipMessage): ClientTransaction | undefined {
    let key: TransactionKey | undefined;
    try {
      if (response.isRequest) throw new TypeError("Cannot match a request as a response");
      key = clientKeyOfResponse(response);
    } catch {
      this.#counters.invalid++;
      this.#metrics?.dropped.invalid.inc();
      return undefined;
    }
    const tx = key === undefined ? undefined : this.#clients.get(key);
    if (tx === undefined) {
      this.#counters.strayResponses++;
      this.#metrics?.dropped.stray_response.inc();
      return undefined;
    }
    tx.receiveResponse(response);
    return tx;
  }

  /**
   * Starts a client transaction for `request` (any method but ACK, whose top Via the TU has set
   * with a fresh `generateBranch()`), sends it to `destination` and returns it; undefined when
   * the client table is full (counted: answer 503 upstream). The transaction may already be
   * terminated on return if the first send failed (`user.onTransportError` ran).
   * @throws {TypeError} for an ACK, a response, a top Via without an RFC 3261 branch, or a branch
   * and method already in use
   */
  createClient(
    request: SipMessage,
    destination: TransactionAddress,
    user: ClientTransactionUser,
  ): ClientTransaction | undefined {
    if (!request.isRequest) throw new TypeError("Cannot start a client transaction for a response");
    // Section 17.1: an ACK for a 2xx is sent by the TU outside any transaction (section 13.2.2.4).
    if (request.method === "ACK") {
      throw new TypeError("Cannot start a client transaction for an ACK: send it directly");
    }
    const via = request.topVia();
    // Section 8.1.1.7: the branch MUST start with z9hG4bK, and the client key relies on it.
    if (!hasRfc3261Branch(via) || via.branch === undefined) {
      throw new TypeError("Cannot start a client transaction: top Via has no z9hG4bK branch");
    }
    const key = clientTransactionKey(via.branch, request.method);
    if (this.#clients.has(key)) {
      throw new TypeError(
        `Cannot start a client transaction: branch ${via.branch} ${request.method} is in use`,
      );
    }
    request.cseq();
    if (
      this.#stopped ||
      (this.#clients.size >= this.#maxClient && !this.#evictOldestWaiting("client"))
    ) {
      this.#refuse("client");
      return undefined;
    }
    const tx = new ClientTransaction(this.#host, {
      key,
      request,
      branch: via.branch,
      destination,
      user,
    });
    this.#clients.set(key, tx);
    this.#created(tx);
    tx.start();
    return tx;
  }

  /**
   * The INVITE server transaction a CANCEL refers to (section 9.2), or undefined (then the CANCEL
   * is answered 481).
   */
  findCancelTarget(cancel: SipMessage): ServerTransaction | undefined {
    try {
      return this.#servers.get(inviteKeyOfCancel(cancel));
    } catch {
      return undefined;
    }
  }

  /** A live server transaction by key. */
  server(key: TransactionKey): ServerTransaction | undefined {
    return this.#servers.get(key);
  }

  /** A live client transaction by key. */
  client(key: TransactionKey): ClientTransaction | undefined {
    return this.#clients.get(key);
  }

  /**
   * Forgets every transaction without telling their TUs and disarms the timer; later requests
   * are refused. For shutdown. Idempotent.
   */
  stop(): void {
    this.#stopped = true;
    this.#cancelAlarm?.();
    this.#cancelAlarm = undefined;
    this.#alarmAt = undefined;
    this.#queue.clear();
    this.#servers.clear();
    this.#clients.clear();
    for (const kind of KINDS) this.#metrics?.live[kind].set(0);
  }

  #receiveAck(ack: SipMessage): IncomingRequestResult {
    const { key, untagged } = serverAckKeys(ack);
    let tx = this.#servers.get(key);
    if (tx === undefined && untagged !== undefined) {
      // Section 17.2.3 (RFC 2543 rule): the ACK's To tag must be the tag of the response sent.
      const candidate = this.#servers.get(untagged);
      const sent = candidate?.lastResponse;
      if (sent !== undefined && toTag(sent) === toTag(ack)) tx = candidate;
    }
    if (tx === undefined || tx.kind !== "invite-server") {
      return { kind: "ack", transaction: undefined };
    }
    return tx.receiveRequest(ack) === "ack"
      ? { kind: "ack", transaction: tx }
      : { kind: "absorbed", transaction: tx };
  }

  #created(tx: Transaction): void {
    this.#counters.created[tx.kind]++;
    this.#metrics?.created[tx.kind].inc();
    this.#metrics?.live[tx.kind].inc();
  }

  /**
   * Ends the oldest transaction of `side` that only waits for retransmissions (Completed,
   * Accepted, Confirmed), looking at the EVICTION_SCAN oldest; false when none of them does.
   * Its wait for retransmissions is cut short: a request retransmitted later would be new to us.
   */
  #evictOldestWaiting(side: "server" | "client"): boolean {
    const map: Map<TransactionKey, Transaction> = side === "server" ? this.#servers : this.#clients;
    let looked = 0;
    for (const tx of map.values()) {
      if (looked++ === EVICTION_SCAN) break;
      if (!WAITING_STATES.has(tx.state)) continue;
      this.#counters.evicted[side]++;
      this.#metrics?.evicted[side].inc();
      tx.abort();
      return true;
    }
    return false;
  }

  #refuse(side: "server" | "client"): void {
    this.#counters.refused[side]++;
    this.#metrics?.refused[side].inc();
    const now = this.#clock.monotonic();
    if (this.#logger !== undefined && now - this.#lastRefusalLog >= REFUSAL_LOG_INTERVAL_MS) {
      this.#lastRefusalLog = now;
      this.#logger.warn("Refused a SIP transaction: the table is full", {
        side,
        servers: this.#servers.size,
        clients: this.#clients.size,
        refusedServer: this.#counters.refused.server,
        refusedClient: this.#counters.refused.client,
      });
    }
  }

  #count(_tx: Transaction, what: TransactionCount): void {
    const c = this.#counters;
    if (what === "retransmission") c.retransmissions++;
    else if (what === "absorbed") c.absorbed++;
    else if (what === "timeout") c.timeouts++;
    else c.transportErrors++;
    this.#metrics?.events[what].inc();
  }

  #forget(tx: Transaction): void {
    const map: Map<TransactionKey, Transaction> = tx instanceof ServerTransaction
      ? this.#servers
      : this.#clients;
    if (map.get(tx.key) === tx) {
      map.delete(tx.key);
      this.#metrics?.live[tx.kind].dec();
    }
    this.#maybeCompact();
  }

  #wake(tx: Transaction, at: number): void {
    if (this.#stopped || tx.terminated) return;
    if (tx.wakeAt !== undefined && tx.wakeAt <= at) return;
    tx.wakeAt = at;
    this.#queue.push(at, tx);
    this.#maybeCompact();
    if (!this.#running) this.#arm();
  }

  /** Arms the scheduler for the queue's earliest deadline, unless an earlier alarm is armed. */
  #arm(): void {
    const next = this.#queue.peekTime();
    if (next === undefined || this.#stopped) return;
    if (this.#alarmAt !== undefined && this.#alarmAt <= next) return;
    this.#cancelAlarm?.();
    this.#alarmAt = next;
    const delay = Math.max(0, next - this.#clock.monotonic());
    this.#cancelAlarm = this.#scheduler.schedule(delay, () => this.#onAlarm());
  }

  #onAlarm(): void {
    this.#alarmAt = undefined;
    this.#cancelAlarm = undefined;
    this.#running = true;
    try {
      this.#runDue(this.#clock.monotonic());
    } finally {
      this.#running = false;
    }
    this.#arm();
  }

  #runDue(now: number): void {
    for (;;) {
      const time = this.#queue.peekTime();
      if (time === undefined || time > now || this.#stopped) return;
      const tx = this.#queue.pop()!.item;
      // Stale: the transaction ended, or was woken for an earlier deadline since.
      if (tx.terminated || tx.wakeAt !== time) continue;
      tx.wakeAt = undefined;
      tx.fireDue(now);
      if (tx.terminated) continue;
      // Timers restarted while firing woke the queue already, but a timer armed earlier (Timer B
      // behind a doubled Timer A) may now be the earliest.
      const next = tx.nextDeadline;
      if (next !== undefined && (tx.wakeAt === undefined || next < tx.wakeAt)) {
        tx.wakeAt = next;
        this.#queue.push(next, tx);
      }
    }
  }

  /** Rebuilds the queue without stale entries once they outnumber the live transactions. */
  #maybeCompact(): void {
    const live = this.#servers.size + this.#clients.size;
    const stale = this.#queue.size - live;
    if (stale < COMPACT_MIN_STALE || stale <= live) return;
    this.#queue.retain((time, tx) => !tx.terminated && tx.wakeAt === time);
  }
}

function positive(key: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot make a transaction table: ${key} must be a positive integer, got ${value}`,
    );
  }
  return value;
}

function makeMetrics(metrics: Metrics): TableMetrics {
  const created = metrics.counter(
    "superpeer_sip_transactions_created_total",
    "SIP transactions created, by kind",
    ["kind"],
  );
  const live = metrics.gauge("superpeer_sip_transactions", "SIP transactions alive, by kind", [
    "kind",
  ]);
  const refused = metrics.counter(
    "superpeer_sip_transactions_refused_total",
    "New SIP transactions refused because the table was full, by side",
    ["side"],
  );
  const evicted = metrics.counter(
    "superpeer_sip_transactions_evicted_total",
    "SIP transactions ended early at the cap while only waiting for retransmissions, by side",
    ["side"],
  );
  const dropped = metrics.counter(
    "superpeer_sip_transaction_dropped_total",
    "SIP messages the transaction layer could not match, by reason",
    ["reason"],
  );
  const events = metrics.counter(
    "superpeer_sip_transaction_events_total",
    "SIP transaction retransmissions, absorbed retransmissions, timeouts and transport errors",
    ["event"],
  );
  const byKind = <T>(make: (kind: TransactionKind) => T) =>
    Object.fromEntries(KINDS.map((k) => [k, make(k)])) as Record<TransactionKind, T>;
  return {
    created: byKind((kind) => created.with({ kind })),
    live: byKind((kind) => live.with({ kind })),
    refused: { server: refused.with({ side: "server" }), client: refused.with({ side: "client" }) },
    evicted: { server: evicted.with({ side: "server" }), client: evicted.with({ side: "client" }) },
    dropped: {
      invalid: dropped.with({ reason: "invalid" }),
      stray_response: dropped.with({ reason: "stray_response" }),
    },
    events: {
      retransmission: events.with({ event: "retransmission" }),
      absorbed: events.with({ event: "absorbed" }),
      timeout: events.with({ event: "timeout" }),
      transport_error: events.with({ event: "transport_error" }),
    },
  };
}
