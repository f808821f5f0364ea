/**
 * Client transactions (RFC 3261 section 17.1): the INVITE machine of figure 5 with RFC 6026's
 * Accepted state, and the non-INVITE machine of figure 6.
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
import { buildNon2xxAck } from "./transaction_messages.ts";

/**
 * What a client transaction tells its TU (a proxy branch, a UA core). Called synchronously from
 * `receiveResponse`, a timer or a send; the TU may call into the table from inside.
 */
export interface ClientTransactionUser {
  /**
   * A response for the TU: each provisional, the final one, and (INVITE, RFC 6026 Accepted state)
   * every further 2xx, including retransmissions, which a UA acknowledges and a proxy forwards.
   * Retransmissions of a 300-699 final never come here (the transaction ACKs them itself).
   */
  onResponse(response: SipMessage, transaction: ClientTransaction): void;
  /**
   * Timer B (INVITE, still "calling") or F (non-INVITE) fired without a final response: the TU
   * treats it as a 408 (sections 8.1.3.1, 16.7 step 2).
   */
  onTimeout?(transaction: ClientTransaction, timer: "B" | "F"): void;
  /** The transport could not deliver the request or the ACK (section 17.1.4); then terminated. */
  onTransportError?(transaction: ClientTransaction, error: unknown): void;
  /** The transaction ended (after any of the above); the table has forgotten it. */
  onTerminated?(transaction: ClientTransaction): void;
}

/**
 * A client transaction: sends its request, retransmits it over unreliable transports (Timer A,
 * doubling without bound for INVITE; Timer E, doubling up to T2 for non-INVITE), passes responses
 * up, acknowledges 300-699 responses to INVITE itself, and times out (B, F). Created by
 * `TransactionTable.createClient`, which sends the request.
 *
 * @example
 * ```ts
 * const to = { transport: "UDP", host: "192.0.2.4", port: 5060, reliable: false };
 * const tx = table.createClient(invite, to, {
 *   onResponse: (response) => forwardUpstream(response),
 *   onTimeout: () => answer408(),
 * });
 * ```
 */
export class ClientTransaction extends Transaction {
  readonly kind: TransactionKind;
  /** Where the request (and, section 17.1.1.3, any ACK) goes. */
  readonly destination: TransactionAddress;
  /** The branch of the request's top Via. */
  readonly branch: string;
  readonly #user: ClientTransactionUser;
  readonly #invite: boolean;
  /** Current interval of Timer A or E. */
  #interval = 0;
  #ack: SipMessage | undefined;
  #final: SipMessage | undefined;

  /** @internal Made by TransactionTable.createClient, which then calls `start()`. */
  constructor(
    host: TransactionHost,
    init: {
      key: TransactionKey;
      request: SipMessage;
      branch: string;
      destination: TransactionAddress;
      user: ClientTransactionUser;
    },
  ) {
    const invite = init.request.method === "INVITE";
    super(host, {
      key: init.key,
      request: init.request,
      reliable: init.destination.reliable,
      state: invite ? "calling" : "trying",
    });
    this.#invite = invite;
    this.kind = invite ? "invite-client" : "non-invite-client";
    this.destination = init.destination;
    this.branch = init.branch;
    this.#user = init.user;
  }

  /** The ACK sent for a 300-699 response (INVITE only), once there is one. */
  get ack(): SipMessage | undefined {
    return this.#ack;
  }

  /** The first final response received, once there is one. */
  get finalResponse(): SipMessage | undefined {
    return this.#final;
  }

  /**
   * Whether a CANCEL may be sent for this request now (section 9.1: not before a provisional
   * response; a proxy that wants to cancel earlier waits for one, section 16.10).
   */
  get cancellable(): boolean {
    return this.#invite && this.state === "proceeding";
  }

  /** @internal Sends the request and arms the first timers (section 17.1.1.2, 17.1.2.2). */
  start(): void {
    const t = this.host.timers;
    // Section 17.1.1.2 / 17.1.2.2: Timer B / F with 64*T1 for any transport.
    this.startTimer(this.#invite ? "B" : "F", timeout64(t));
    if (!this.reliable) {
      this.#interval = t.t1Ms;
      this.startTimer(this.#invite ? "A" : "E", t.t1Ms);
    }
    this.send(this.request, this.destination, false);
  }

  /**
   * A response whose top Via branch and CSeq method match (section 17.1.3); the table routes it
   * here. Returns false when the transaction absorbed it instead of passing it up.
   */
  receiveResponse(response: SipMessage): boolean {
    const status = response.status;
    if (this.#invite) return this.#inviteResponse(response, status);
    return this.#nonInviteResponse(response, status);
  }

  transportError(error?: unknown): void {
    if (this.terminated) return;
    this.host.count(this, "transport_error");
    this.#user.onTransportError?.(this, error);
    this.terminate();
  }

  #inviteResponse(response: SipMessage, status: number): boolean {
    const state = this.state;
    if (status < 200) {
      if (state !== "calling" && state !== "proceeding") return this.#absorb();
      if (state === "calling") {
        // Section 17.1.1.2: no more retransmissions in Proceeding; Timer B only bounds Calling.
        this.setState("proceeding");
        this.stopTimer("A");
        this.stopTimer("B");
      }
      this.#user.onResponse(response, this);
      return true;
    }
    if (status < 300) {
      if (state === "accepted") {
        // Section 17.1.1.2 as updated by RFC 6026: 2xx retransmissions and other forks' 2xx go up
        // to the TU.
        this.#user.onResponse(response, this);
        return true;
      }
      if (state !== "calling" && state !== "proceeding") return this.#absorb();
      // Section 17.1.1.2 as updated by RFC 6026: a 2xx moves the INVITE client transaction to
      // Accepted, Timer M.
      this.setState("accepted");
      this.stopTimer("A");
      this.stopTimer("B");
      this.startTimer("M", timeout64(this.host.timers));
      this.#final = response;
      this.#user.onResponse(response, this);
      return true;
    }
    if (state === "completed") {
      // Section 17.1.1.2: a retransmitted final response gets the ACK again, not the TU.
      if (this.#ack !== undefined) this.send(this.#ack, this.destination, true);
      return this.#absorb();
    }
    if (state !== "calling" && state !== "proceeding") return this.#absorb();
    this.setState("completed");
    this.stopTimer("A");
    this.stopTimer("B");
    this.#final = response;
    this.#ack = buildNon2xxAck(this.request, response);
    this.#user.onResponse(response, this);
    if (this.terminated) return true;
    // Section 17.1.1.3: the ACK goes to the same address, port and transport as the INVITE.
    if (!this.send(this.#ack, this.destination, false)) return true;
    // Section 17.1.1.2: Timer D at least 32 s for unreliable transports, zero for reliable ones.
    if (this.reliable) this.terminate();
    else this.startTimer("D", this.host.timers.timerDMs);
    return true;
  }

  #nonInviteResponse(response: SipMessage, status: number): boolean {
    const state = this.state;
    if (state !== "trying" && state !== "proceeding") return this.#absorb();
    if (status < 200) {
      this.setState("proceeding");
      this.#user.onResponse(response, this);
      return true;
    }
    this.setState("completed");
    this.stopTimer("E");
    this.stopTimer("F");
    this.#final = response;
    this.#user.onResponse(response, this);
    if (this.terminated) return true;
    // Section 17.1.2.2: Timer K is T4 for unreliable transports, zero for reliable ones.
    if (this.reliable) this.terminate();
    else this.startTimer("K", this.host.timers.t4Ms);
    return true;
  }

  #absorb(): false {
    this.host.count(this, "absorbed");
    return false;
  }

  protected onTimer(timer: TransactionTimer): void {
    const t = this.host.timers;
    switch (timer) {
      case "A":
        // Section 17.1.1.2: retransmit and double Timer A, with no upper bound (Timer B ends it).
        if (this.state !== "calling") return;
        this.#interval *= 2;
        this.startTimer("A", this.#interval);
        this.send(this.request, this.destination, true);
        return;
      case "E":
        if (this.state !== "trying" && this.state !== "proceeding") return;
        // Section 17.1.2.2: double up to T2 in Trying; T2 flat in Proceeding.
        this.#interval = this.state === "trying" ? Math.min(2 * this.#interval, t.t2Ms) : t.t2Ms;
        this.startTimer("E", this.#interval);
        this.send(this.request, this.destination, true);
        return;
      case "B":
      case "F":
        this.host.count(this, "timeout");
        this.#user.onTimeout?.(this, timer);
        this.terminate();
        return;
      default:
        // D, K, M: the wait for stray retransmissions is over.
        this.terminate();
    }
  }

  protected onTerminated(): void {
    this.#user.onTerminated?.(this);
  }
}
