/**
 * Server transactions (RFC 3261 section 17.2): the INVITE machine of figure 7 with RFC 6026's
 * Accepted state, and the non-INVITE machine of figure 8.
 *
 * @module
 */
import type { SipMessage } from "../../codec/sip/mod.ts";
import {
  timeout64,
  Transaction,
  type TransactionAddress,
  type TransactionHost,
  type TransactionKind,
  type TransactionTimer,
} from "./transaction.ts";
import type { TransactionKey } from "./transaction_key.ts";
import { buildTrying } from "./transaction_messages.ts";

/** What a server transaction tells its TU; every member is optional. */
export interface ServerTransactionUser {
  /** Timer H fired: no ACK came for a 300-699 response to INVITE (section 17.2.1). */
  onTimeout?(transaction: ServerTransaction, timer: "H"): void;
  /**
   * The transport could not deliver a response (section 17.2.4). The transaction then ends,
   * except in RFC 6026's Accepted state, where the TU may still retransmit its 2xx.
   */
  onTransportError?(transaction: ServerTransaction, error: unknown): void;
  /** The transaction ended; the table has forgotten it. */
  onTerminated?(transaction: ServerTransaction): void;
}

/**
 * What a server transaction did with a request that matched it:
 * - "absorbed": a retransmission (answered with the last response, if any) or an ACK for a
 *   300-699 response; nothing for the TU;
 * - "ack": an ACK that matched an INVITE transaction in RFC 6026's Accepted state: it
 *   acknowledges a 2xx, so it is not part of the transaction and goes to the TU (a UA core takes
 *   it, a proxy forwards it like any ACK without a transaction).
 */
export type ServerRequestDisposition = "absorbed" | "ack";

const NO_USER: ServerTransactionUser = {};

/**
 * A server transaction: absorbs request retransmissions (replaying the last response), sends the
 * TU's responses, retransmits a 300-699 response to INVITE until the ACK (Timer G) or gives up
 * (Timer H), sends 100 (Trying) for an INVITE the TU has not answered within 200 ms, and waits out
 * late retransmissions (Timers I, J, L). Created by `TransactionTable.receiveRequest`.
 *
 * @example
 * ```ts
 * const result = table.receiveRequest(request, source);
 * if (result.kind === "request") {
 *   result.transaction.setUser({ onTimeout: () => log.info("No ACK") });
 *   result.transaction.respond(createResponse(request, 486, "Busy Here", { toTag }));
 * }
 * ```
 */
export class ServerTransaction extends Transaction {
  readonly kind: TransactionKind;
  /**
   * Where responses go (given to `receiveRequest`, normally per section 18.2.2).
   */
  readonly source: TransactionAddress;
  readonly #invite: boolean;
  #user: ServerTransactionUser = NO_USER;
  /** The most recent response sent (provisional or final); replayed for retransmissions. */
  #last: SipMessage | undefined;
  #interval = 0;

  /** @internal Made by TransactionTable.receiveRequest, which then calls `start()`. */
  constructor(
    host: TransactionHost,
    init: { key: TransactionKey; request: SipMessage; source: TransactionAddress },
  ) {
    const invite = init.request.method === "INVITE";
    super(host, {
      key: init.key,
      request: init.request,
      reliable: init.source.reliable,
      state: invite ? "proceeding" : "trying",
    });
    this.#invite = invite;
    this.kind = invite ? "invite-server" : "non-invite-server";
    this.source = init.source;
  }

  /** The most recent response sent, provisional or final. */
  get lastResponse(): SipMessage | undefined {
    return this.#last;
  }

  /** Sets the TU's callbacks (replacing any set before). */
  setUser(user: ServerTransactionUser): void {
    this.#user = user;
  }

  /**
   * @internal Arms the 100 (Trying) wait of an INVITE (section 17.2.1: MUST send one unless the
   * TU answers within 200 ms); a delay of 0 sends it at once.
   */
  start(): void {
    const delay = this.host.timers.tryingDelayMs;
    if (!this.#invite || delay === null) return;
    if (delay === 0) this.#sendTrying();
    else this.startTimer("trying", delay);
  }

  /**
   * Sends `response` (any status 100-699) for the TU, moving the state machine. Returns false,
   * sending nothing, when the state takes no such response: a final after the final (except a
   * 2xx to INVITE in the Accepted state, section 17.2.1 as updated by RFC 6026: the TU's 2xx
   * retransmissions and, for a proxy, the 2xx of other branches, section 16.7 step 5), or
   * anything once terminated.
   * @throws {TypeError} when `response` is a request or its status is outside 100-699
   */
  respond(response: SipMessage): boolean {
    const status = response.status;
    if (response.isRequest || !Number.isInteger(status) || status < 100 || status > 699) {
      throw new TypeError(`Cannot respond with status ${status}: not a SIP response`);
    }
    return this.#invite
      ? this.#inviteRespond(response, status)
      : this.#plainRespond(response, status);
  }

  /**
   * @internal A request the table matched to this transaction (a retransmission or an ACK).
   */
  receiveRequest(request: SipMessage): ServerRequestDisposition {
    const state = this.state;
    if (request.method === "ACK") {
      if (state === "accepted") return "ack";
      if (state === "completed") {
        // Section 17.2.1: the ACK confirms; Timer I (T4, zero for reliable) absorbs its copies.
        this.setState("confirmed");
        this.stopTimer("G");
        this.stopTimer("H");
        this.host.count(this, "absorbed");
        if (this.reliable) this.terminate();
        else this.startTimer("I", this.host.timers.t4Ms);
        return "absorbed";
      }
      this.host.count(this, "absorbed");
      return "absorbed";
    }
    this.host.count(this, "absorbed");
    // Sections 17.2.1 and 17.2.2: Proceeding replays the latest provisional, Completed the final;
    // Trying, Confirmed and Accepted (section 17.2.1 as updated by RFC 6026) absorb silently.
    if ((state === "proceeding" || state === "completed") && this.#last !== undefined) {
      this.send(this.#last, this.source, true);
    }
    return "absorbed";
  }

  transportError(error?: unknown): void {
    if (this.terminated || this.state === "confirmed") return;
    this.host.count(this, "transport_error");
    this.#user.onTransportError?.(this, error);
    // RFC 6026 figure 7: a transport error in Accepted informs the TU and stays.
    if (this.state !== "accepted") this.terminate();
  }

  #inviteRespond(response: SipMessage, status: number): boolean {
    const state = this.state;
    if (state === "accepted") {
      if (status < 200 || status >= 300) return false;
      this.send(response, this.source, false);
      return true;
    }
    if (state !== "proceeding") return false;
    this.stopTimer("trying");
    this.#last = response;
    if (status < 200) {
      this.send(response, this.source, false);
      return true;
    }
    const t = this.host.timers;
    if (status < 300) {
      // Section 17.2.1 as updated by RFC 6026: a 2xx moves to Accepted with Timer L = 64*T1; no 2xx
      // retransmission by the transaction
      // by the transaction (the TU does it, section 13.3.1.4).
      this.setState("accepted");
      this.startTimer("L", timeout64(t));
    } else {
      // Section 17.2.1: Timer G (unreliable only) and Timer H = 64*T1.
      this.setState("completed");
      this.startTimer("H", timeout64(t));
      if (!this.reliable) {
        this.#interval = t.t1Ms;
        this.startTimer("G", t.t1Ms);
      }
    }
    this.send(response, this.source, false);
    return true;
  }

  #plainRespond(response: SipMessage, status: number): boolean {
    const state = this.state;
    if (state !== "trying" && state !== "proceeding") return false;
    this.#last = response;
    if (status < 200) {
      this.setState("proceeding");
      this.send(response, this.source, false);
      return true;
    }
    this.setState("completed");
    if (!this.send(response, this.source, false)) return true;
    // Section 17.2.2: Timer J is 64*T1 for unreliable transports, zero for reliable ones.
    if (this.reliable) this.terminate();
    else this.startTimer("J", timeout64(this.host.timers));
    return true;
  }

  #sendTrying(): void {
    const trying = buildTrying(this.request);
    this.#last = trying;
    this.send(trying, this.source, false);
  }

  protected onTimer(timer: TransactionTimer): void {
    switch (timer) {
      case "trying":
        if (this.state === "proceeding" && this.#last === undefined) this.#sendTrying();
        return;
      case "G":
        if (this.state !== "completed" || this.#last === undefined) return;
        // Section 17.2.1: retransmit, doubling G up to T2.
        this.#interval = Math.min(2 * this.#interval, this.host.timers.t2Ms);
        this.startTimer("G", this.#interval);
        this.send(this.#last, this.source, true);
        return;
      case "H":
        this.host.count(this, "timeout");
        this.#user.onTimeout?.(this, "H");
        this.terminate();
        return;
      default:
        // I, J, L: the wait for stray retransmissions is over.
        this.terminate();
    }
  }

  protected onTerminated(): void {
    this.#user.onTerminated?.(this);
  }
}
