/**
 * The SIP element's dispatch: what the transport layer parsed goes through the transaction table
 * and then to the registrar (REGISTER for a domain we serve, section 10.3 step 1), to an OPTIONS
 * answer (a request for us, section 11.2), or to the proxy (everything else, section 16);
 * responses go to their client transaction, strays to the proxy. Requests the table refuses get a
 * stateless 503, malformed ones a stateless 400.
 *
 * @module
 */
import {
  hasRfc3261Branch,
  parseSipUri,
  serializeSipMessage,
  type SipMessage,
  SipParseError,
} from "../codec/sip/mod.ts";
import type { StatelessAnswers } from "./stateless_answers.ts";
import type { Logger } from "../core/logger.ts";
import type { ProxyGate } from "./peering/proxy_gate.ts";
import type { SipProxy } from "./proxy/sip_proxy.ts";
import type { RegisterResult, Registrar } from "./registrar/registrar.ts";
import { createResponse } from "./sip_response.ts";
import type {
  IncomingRequestResult,
  ServerTransaction,
  TransactionTable,
} from "./transaction/mod.ts";
import { responseDestination, type SipAddress } from "./via_handling.ts";

/** Options of a SipCore. */
export interface SipCoreInit {
  /** Domains served (lower case). */
  readonly domains: readonly string[];
  /** Methods listed in Allow. */
  readonly allow?: readonly string[];
}

/** What a SipCore works with. */
export interface SipCoreComponents {
  readonly transactions: TransactionTable;
  readonly registrar: Registrar<SipAddress>;
  readonly proxy: SipProxy;
  /** Proxy authentication and the peering policy; absent: every request is proxied. */
  readonly gate?: ProxyGate;
  /** Sends outside any transaction (stateless 400 and 503). */
  readonly send: (message: SipMessage, to: SipAddress) => boolean;
  /**
   * Sends serialized bytes; with it, REGISTER is answered statelessly (section 8.2.7) and its
   * answer replayed to retransmissions from `answers`, without a server transaction.
   */
  readonly sendBytes?: (bytes: Uint8Array, to: SipAddress) => boolean;
  /** Kept answers for the stateless REGISTER path. */
  readonly answers?: StatelessAnswers;
  /** Monotonic clock for `answers`. */
  readonly now?: () => number;
  readonly isOwnUri: (uri: string) => boolean;
  readonly logger: Logger;
  readonly newTag: () => string;
  /** Told of every REGISTER answered (the log, /status). */
  readonly onRegister?: (result: RegisterResult<SipAddress>, source: SipAddress) => void;
}

const DEFAULT_ALLOW = [
  "INVITE",
  "ACK",
  "CANCEL",
  "BYE",
  "OPTIONS",
  "REGISTER",
  "MESSAGE",
  "INFO",
  "UPDATE",
  "PRACK",
  "SUBSCRIBE",
  "NOTIFY",
  "REFER",
];

/**
 * Routes parsed messages to the right part of the element.
 *
 * @example
 * ```ts
 * const core = new SipCore({ domains: ["mesh.example"] }, components);
 * transportLayer.onMessage(core);
 * ```
 */
export class SipCore {
  readonly #domains: ReadonlySet<string>;
  readonly #allow: string;
  readonly #c: SipCoreComponents;

  constructor(init: SipCoreInit, components: SipCoreComponents) {
    this.#domains = new Set(init.domains.map((d) => d.toLowerCase()));
    this.#allow = (init.allow ?? DEFAULT_ALLOW).join(", ");
    this.#c = components;
  }

  /** A request from the transport layer (its top Via already stamped). */
  request(message: SipMessage, source: SipAddress): void {
    let destination: SipAddress;
    try {
      destination = responseDestination(message.topVia(), source);
    } catch (error) {
      if (error instanceof SipParseError) return; // no Via to answer to
      throw error;
    }
    if (message.method === "REGISTER" && this.#statelessRegister(message, source, destination)) {
      return;
    }
    const result: IncomingRequestResult = this.#c.transactions.receiveRequest(message, destination);
    switch (result.kind) {
      case "request":
        this.#dispatch(result.transaction, result.cancels, source);
        return;
      case "absorbed":
        return;
      case "ack":
        this.#c.proxy.handleAck(message, source);
        return;
      case "refused":
        // RFC 3261 section 21.5.4: 503 with Retry-After when overloaded (stateless, not for ACK)
        if (message.method !== "ACK") {
          this.#c.send(
            createResponse(message, 503, "Service Unavailable", {
              toTag: this.#c.newTag(),
              headers: [["Retry-After", String(result.retryAfterS)]],
            }),
            destination,
          );
        }
        return;
      case "invalid":
        if (message.method !== "ACK") {
          try {
            this.#c.send(
              createResponse(message, 400, "Bad Request", { toTag: this.#c.newTag() }),
              destination,
            );
          } catch {
            // nothing to copy an answer from
          }
        }
        return;
    }
  }

  /**
   * A REGISTER for us with an RFC 3261 branch, answered without a transaction (RFC 3261 section
   * 8.2.7): a retransmission (same branch, sent-by and method, section 17.2.3) gets the kept
   * answer again. False when the request is not one for this path.
   */
  #statelessRegister(message: SipMessage, source: SipAddress, destination: SipAddress): boolean {
    const { sendBytes, answers, now } = this.#c;
    if (sendBytes === undefined || answers === undefined || now === undefined) return false;
    let key: string;
    try {
      const via = message.topVia();
      if (!hasRfc3261Branch(via) || !this.#addressedToUs(message.uri)) return false;
      key = `${via.branch}\n${via.host}:${via.port ?? ""}\n${source.flow ?? ""}`;
    } catch (error) {
      if (error instanceof SipParseError) return false;
      throw error;
    }
    const kept = answers.lookup(key, now());
    if (kept !== undefined) {
      sendBytes(kept, destination);
      return true;
    }
    const result = this.#c.registrar.handle(message, { sourceIp: source.host, flow: source });
    let bytes: Uint8Array;
    try {
      bytes = serializeSipMessage(result.response);
    } catch (error) {
      this.#c.logger.warn("Could not serialize a REGISTER answer", {
        error: error instanceof Error ? error.message : String(error),
      });
      return true;
    }
    answers.remember(key, bytes, now());
    sendBytes(bytes, destination);
    this.#c.onRegister?.(result, source);
    return true;
  }

  /** A response from the transport layer: to its client transaction, else a stray. */
  response(message: SipMessage, _source: SipAddress): void {
    const transaction = this.#c.transactions.receiveResponse(message);
    if (transaction === undefined) this.#c.proxy.handleStrayResponse(message);
  }

  #dispatch(
    transaction: ServerTransaction,
    cancels: ServerTransaction | undefined,
    source: SipAddress,
  ): void {
    const request = transaction.request;
    if (request.method === "CANCEL") {
      this.#c.proxy.handleCancel(transaction, cancels);
      return;
    }
    const forUs = this.#addressedToUs(request.uri);
    if (request.method === "REGISTER" && forUs) {
      // RFC 3261 section 10.3 step 1: a REGISTER for a domain we serve is ours to answer
      const result = this.#c.registrar.handle(request, { sourceIp: source.host, flow: source });
      transaction.respond(result.response);
      this.#c.onRegister?.(result, source);
      return;
    }
    if (request.method === "OPTIONS" && forUs) {
      // RFC 3261 section 11.2: OPTIONS to the element itself: what it can do
      transaction.respond(
        createResponse(request, 200, "OK", {
          toTag: this.#c.newTag(),
          headers: [["Allow", this.#allow], ["Accept", "application/sdp"], [
            "Supported",
            "path",
          ]],
        }),
      );
      return;
    }
    const gate = this.#c.gate;
    if (gate === undefined) {
      this.#c.proxy.handleRequest(transaction);
      return;
    }
    gate.check(request, source).then((decision) => {
      if (decision.pass) {
        this.#c.proxy.handleRequest(
          transaction,
          decision.onFinished === undefined ? {} : { onFinished: decision.onFinished },
        );
        return;
      }
      transaction.respond(
        createResponse(request, decision.status, decision.phrase, {
          toTag: this.#c.newTag(),
          headers: decision.headers,
        }),
      );
    }).catch((error) => {
      // transaction.respond() ignores a second final response, so answering 500 here is safe
      this.#c.logger.warn("Could not check or proxy a request", {
        method: request.method,
        error: error instanceof Error ? error.message : String(error),
      });
      transaction.respond(
        createResponse(request, 500, "Server Internal Error", { toTag: this.#c.newTag() }),
      );
    });
  }

  /** A Request-URI with no user part naming a domain we serve or our own address. */
  #addressedToUs(uri: string): boolean {
    try {
      const parsed = parseSipUri(uri);
      if (parsed.scheme === "tel" || parsed.user !== undefined) return false;
      return this.#domains.has(parsed.host.toLowerCase()) || this.#c.isOwnUri(uri);
    } catch {
      return false;
    }
  }
}
