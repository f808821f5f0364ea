/**
 * What every SIP transaction shares (RFC 3261 section 17): where its messages go, its timers as
 * data (deadlines the table's single timer loop fires), and how it reports to its owner.
 *
 * @module
 */
import type { SipMessage } from "../../codec/sip/mod.ts";
import type { TransactionKey } from "./transaction_key.ts";

/**
 * A remote end as the transport layer names it; the same shape as `SipAddress` of
 * ../via_handling.ts, so the transport layer's send takes it as is. For a client transaction the
 * destination chosen by the TU (RFC 3263); for a server transaction where its responses go:
 * `responseDestination(request.topVia(), arrival)` (section 18.2.2: the arrival connection when
 * reliable, else Via received / rport / sent-by).
 */
export interface TransactionAddress {
  /** Via transport token, upper case: "UDP", "TCP", "TLS", "WS", "WSS", "SCTP". */
  readonly transport: string;
  readonly host: string;
  readonly port: number;
  /**
   * True for TCP, TLS, WS, WSS and SCTP: the transaction then arms no retransmission timer
   * (A, E, G) and its wait timers D, I, J and K are zero (sections 17.1.1.2, 17.1.2.2, 17.2.1,
   * 17.2.2).
   */
  readonly reliable: boolean;
  /**
   * The transport layer's own name for the connection or flow (RFC 5626), passed back untouched.
   */
  readonly flow?: string;
}

/** The four state machines of section 17 (figures 5-8). */
export type TransactionKind =
  | "invite-client"
  | "non-invite-client"
  | "invite-server"
  | "non-invite-server";

/** States of all four machines; "accepted" is RFC 6026's. */
export type TransactionState =
  | "calling"
  | "trying"
  | "proceeding"
  | "completed"
  | "accepted"
  | "confirmed"
  | "terminated";

/**
 * Timers of section 17 and RFC 6026, plus "trying": the INVITE server transaction's wait before it
 * sends 100 (Trying) itself (section 17.2.1).
 */
export type TransactionTimer =
  | "A"
  | "B"
  | "D"
  | "E"
  | "F"
  | "G"
  | "H"
  | "I"
  | "J"
  | "K"
  | "L"
  | "M"
  | "trying";

/** What a send is, for the transport layer's metrics and caches. */
export interface SendContext {
  readonly transaction: Transaction;
  /**
   * True when the transaction layer sends a message it has sent before (a timer or an absorbed
   * retransmission).
   */
  readonly retransmission: boolean;
}

/**
 * Hands a message to the transport layer, which serializes it and sends it. Returns false when it
 * fails at once (no route, closed connection): the transaction then reports a transport error
 * (section 17.1.4, 17.2.4). A failure found later is reported with `transaction.transportError()`.
 */
export type TransactionSend = (
  message: SipMessage,
  destination: TransactionAddress,
  context: SendContext,
) => boolean | void;

/** Timer values a transaction reads; the table fills them from its options. */
export interface TransactionTimerValues {
  readonly t1Ms: number;
  readonly t2Ms: number;
  readonly t4Ms: number;
  readonly timerDMs: number;
  /** null: never send 100 (Trying) on the TU's behalf. */
  readonly tryingDelayMs: number | null;
}

/** Events a transaction reports to its host besides sends; each one is a metric. */
export type TransactionCount =
  | "retransmission"
  | "absorbed"
  | "timeout"
  | "transport_error";

/**
 * What a transaction needs from its owner (the TransactionTable implements it): the time, the
 * transport, the timer loop, and the end of its life. Exported for tests and alternative owners.
 */
export interface TransactionHost {
  readonly timers: TransactionTimerValues;
  /** Monotonic milliseconds. */
  now(): number;
  send: TransactionSend;
  /** The transaction armed a timer due at `at`; the host fires `fireDue` at or after it. */
  wake(transaction: Transaction, at: number): void;
  /** The transaction reached "terminated"; called once. */
  terminated(transaction: Transaction): void;
  count(transaction: Transaction, what: TransactionCount): void;
}

/** RFC 3261 section 17: a 64*T1 timeout (B, F, H, J and RFC 6026's L and M). */
export function timeout64(timers: TransactionTimerValues): number {
  return 64 * timers.t1Ms;
}

/**
 * The part of a transaction the table and the TU share: identity, state, timers as deadlines.
 * Subclasses implement the state machines.
 */
export abstract class Transaction {
  /** Section 17.1.3 / 17.2.3 identity; unique in its table. */
  readonly key: TransactionKey;
  /** The request that created the transaction. */
  readonly request: SipMessage;
  /** Whether timers A, E and G stay off and D, I, J, K are zero. */
  readonly reliable: boolean;
  abstract readonly kind: TransactionKind;

  protected readonly host: TransactionHost;
  #state: TransactionState;
  /** Armed timers and their deadlines (at most three at a time). */
  readonly #deadlines = new Map<TransactionTimer, number>();
  /**
   * @internal The earliest deadline the host was woken for and has not fired yet; the table's
   * timer loop uses it to skip stale wake-ups. Not for TUs.
   */
  wakeAt: number | undefined;

  protected constructor(
    host: TransactionHost,
    init: {
      key: TransactionKey;
      request: SipMessage;
      reliable: boolean;
      state: TransactionState;
    },
  ) {
    this.host = host;
    this.key = init.key;
    this.request = init.request;
    this.reliable = init.reliable;
    this.#state = init.state;
  }

  get state(): TransactionState {
    return this.#state;
  }

  get terminated(): boolean {
    return this.#state === "terminated";
  }

  /** The earliest armed timer's deadline (monotonic ms), or undefined when none is armed. */
  get nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const at of this.#deadlines.values()) if (min === undefined || at < min) min = at;
    return min;
  }

  /** Deadline of one timer, or undefined when it is not armed; for tests and /status. */
  deadline(timer: TransactionTimer): number | undefined {
    return this.#deadlines.get(timer);
  }

  /**
   * Fires every timer due at `now`, earliest first. The table's timer loop calls it; a test that
   * drives a transaction by hand may too.
   */
  fireDue(now: number): void {
    for (;;) {
      if (this.terminated) return;
      let due: TransactionTimer | undefined;
      let dueAt = Infinity;
      for (const [timer, at] of this.#deadlines) {
        if (at <= now && at < dueAt) {
          due = timer;
          dueAt = at;
        }
      }
      if (due === undefined) return;
      this.#deadlines.delete(due);
      this.onTimer(due);
    }
  }

  /**
   * Ends the transaction now without sending anything (for a TU that gives up, or a stopping
   * table); the TU's onTerminated runs. Does nothing once terminated.
   */
  abort(): void {
    this.terminate();
  }

  /**
   * The transport layer could not deliver a message of this transaction (section 17.1.4, 17.2.4):
   * the TU is told and the transaction ends (an RFC 6026 Accepted INVITE server transaction stays).
   */
  abstract transportError(error?: unknown): void;

  protected abstract onTimer(timer: TransactionTimer): void;

  protected setState(state: TransactionState): void {
    this.#state = state;
  }

  protected startTimer(timer: TransactionTimer, delayMs: number): void {
    const at = this.host.now() + delayMs;
    this.#deadlines.set(timer, at);
    this.host.wake(this, at);
  }

  protected stopTimer(timer: TransactionTimer): void {
    this.#deadlines.delete(timer);
  }

  /** Sends through the host; false (after reporting the transport error) when the send failed. */
  protected send(
    message: SipMessage,
    destination: TransactionAddress,
    retransmission: boolean,
  ): boolean {
    if (retransmission) this.host.count(this, "retransmission");
    const ok = this.host.send(message, destination, { transaction: this, retransmission });
    if (ok === false) {
      this.transportError(new Error("Cannot send: the transport refused the message"));
      return false;
    }
    return true;
  }

  /** Moves to "terminated", disarms every timer, tells the host, then the TU (via onTerminated). */
  protected terminate(): void {
    if (this.#state === "terminated") return;
    this.#state = "terminated";
    this.#deadlines.clear();
    this.host.terminated(this);
    this.onTerminated();
  }

  protected abstract onTerminated(): void;
}
