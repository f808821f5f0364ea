/**
 * A stateful SIP proxy core (RFC 3261 section 16) on the transaction layer: request validation
 * (16.3), Route preprocessing (16.4), targets from a resolver (16.5), forwarding with Via,
 * Record-Route and Max-Forwards (16.6), forking, response aggregation (16.7), Timer C, CANCEL
 * (16.10) and the stateless forwarding of ACKs for 2xx (16.11).
 *
 * Pure: no sockets. Requests arrive as server transactions; branches leave as client
 * transactions of the same table; the ACK of a 2xx and stray 2xx responses go out through `send`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import {
  parseNameAddr,
  parseSipUri,
  SipHeaders,
  SipMessage,
  SipParseError,
} from "../../codec/sip/mod.ts";
import type { Logger } from "../../core/logger.ts";
import type { Counter, Metrics } from "../../core/metrics.ts";
import type { Cancel, Scheduler } from "../../core/scheduler.ts";
import { createResponse } from "../sip_response.ts";
import {
  buildCancel,
  type ClientTransaction,
  generateBranch,
  type ServerTransaction,
  type TransactionTable,
} from "../transaction/mod.ts";
import { responseDestination, type SipAddress } from "../via_handling.ts";
import {
  DEFAULT_MAX_BRANCHES,
  DEFAULT_MAX_CONTEXTS,
  DEFAULT_MAX_FORWARDS,
  DEFAULT_PROXY_RETRY_AFTER_S,
  DEFAULT_TIMER_C_MS,
} from "./constants.ts";
import type { ProxyTarget, TargetResolver } from "./proxy_target.ts";

/** Options of a SipProxy. */
export interface SipProxyInit {
  /** The address others reach this proxy at: its Via sent-by and Record-Route URI. */
  readonly advertised: { readonly host: string; readonly port: number };
  /** Add Record-Route so in-dialog requests come back through us (phones behind NAT). @default true */
  readonly recordRoute?: boolean;
  /** @default DEFAULT_MAX_BRANCHES (8) */
  readonly maxBranches?: number;
  /** @default DEFAULT_TIMER_C_MS (181 s) */
  readonly timerCMs?: number;
  /** @default DEFAULT_MAX_CONTEXTS (2048) */
  readonly maxContexts?: number;
  /** Option tags understood in Proxy-Require (section 16.3 step 5). @default [] */
  readonly supported?: readonly string[];
}

/** What a SipProxy works with. */
export interface SipProxyComponents {
  readonly transactions: TransactionTable;
  /** Sends outside any transaction (ACK of a 2xx, stray 2xx). */
  readonly send: (message: SipMessage, to: SipAddress) => boolean;
  readonly targets: TargetResolver;
  /** Whether a URI names this proxy (its address, a Record-Route it wrote). */
  readonly isOwnUri: (uri: string) => boolean;
  readonly scheduler: Scheduler;
  /** Monotonic milliseconds (Timer C deadlines). */
  readonly now: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** To tags for responses the proxy makes itself. */
  readonly newTag: () => string;
}

interface Branch {
  readonly request: SipMessage;
  readonly destination: SipAddress;
  readonly target: ProxyTarget;
  /** Addresses left to fail over to (RFC 3263 section 4.3). */
  readonly alternates: readonly SipAddress[];
  transaction: ClientTransaction | undefined;
  done: boolean;
  /** A provisional response arrived (CANCEL may now be sent, section 9.1). */
  provisional: boolean;
  /** CANCEL wanted before a provisional arrived: sent when one does. */
  cancelWanted: boolean;
  cancelSent: boolean;
  /** Timer C deadline (monotonic ms) while armed; the one sweep fires it. */
  timerCAt: number | undefined;
}

interface Context {
  readonly server: ServerTransaction;
  readonly invite: boolean;
  readonly branches: Branch[];
  /** Best final response so far among 3xx-6xx (section 16.7 step 6), and all 401/407 seen. */
  best: SipMessage | undefined;
  readonly challenges: SipMessage[];
  /** A final response went upstream. */
  answered: boolean;
  cancelled: boolean;
  readonly abort: AbortController;
  /** Told once when the request is finished (the policy's INVITE slot). */
  onFinished: (() => void) | undefined;
}

/** How often the one Timer C sweep runs while any branch has it armed (Timer C is 181 s). */
const TIMER_C_SWEEP_MS = 1_000;

/** Why the proxy answered a request itself, for metrics. */
export type ProxyOutcome =
  | "forwarded"
  | "too_many_hops"
  | "bad_extension"
  | "bad_request"
  | "not_found"
  | "refused"
  | "overloaded"
  | "cancelled";

/** Options of one handleRequest() call. */
export interface HandleRequestOptions {
  /** Called once when the proxy is done with the request (answered, or its context forgotten). */
  readonly onFinished?: () => void;
}

const OUTCOMES: readonly ProxyOutcome[] = [
  "forwarded",
  "too_many_hops",
  "bad_extension",
  "bad_request",
  "not_found",
  "refused",
  "overloaded",
  "cancelled",
];

/**
 * The proxy core.
 *
 * @example
 * ```ts
 * const proxy = new SipProxy({ advertised: { host: "192.0.2.1", port: 5060 } }, components);
 * proxy.handleRequest(serverTransaction);   // any request the service does not answer itself
 * proxy.handleCancel(cancelTx, inviteTx);   // a CANCEL and the INVITE it matched
 * proxy.handleAck(ack, source);             // the ACK of a 2xx
 * ```
 */
export class SipProxy {
  readonly #host: string;
  readonly #port: number;
  readonly #recordRoute: string | undefined;
  readonly #maxBranches: number;
  readonly #timerCMs: number;
  readonly #maxContexts: number;
  readonly #supported: ReadonlySet<string>;
  readonly #c: SipProxyComponents;
  readonly #contexts = new Set<Context>();
  /** Branches with Timer C armed (at most maxContexts x maxBranches). */
  readonly #timerC = new Map<Branch, Context>();
  #timerCSweep: Cancel | undefined;
  readonly #outcomes = new Map<ProxyOutcome, Counter>();
  readonly #branches: Counter;
  readonly #statelessAcks: Counter;
  readonly #failovers: Counter;

  constructor(init: SipProxyInit, components: SipProxyComponents) {
    this.#host = init.advertised.host.includes(":") && !init.advertised.host.startsWith("[")
      ? `[${init.advertised.host}]`
      : init.advertised.host;
    this.#port = init.advertised.port;
    this.#recordRoute = (init.recordRoute ?? true)
      ? `<sip:${this.#host}:${this.#port};lr>`
      : undefined;
    this.#maxBranches = init.maxBranches ?? DEFAULT_MAX_BRANCHES;
    this.#timerCMs = init.timerCMs ?? DEFAULT_TIMER_C_MS;
    this.#maxContexts = init.maxContexts ?? DEFAULT_MAX_CONTEXTS;
    this.#supported = new Set((init.supported ?? []).map((t) => t.toLowerCase()));
    this.#c = components;
    const outcomes = components.metrics.counter(
      "superpeer_sip_proxy_requests_total",
      "Requests the proxy handled, by outcome",
      ["outcome"],
    );
    for (const outcome of OUTCOMES) this.#outcomes.set(outcome, outcomes.with({ outcome }));
    this.#branches = components.metrics.counter(
      "superpeer_sip_proxy_branches_total",
      "Client transactions the proxy started (forks count one each)",
    );
    this.#failovers = components.metrics.counter(
      "superpeer_sip_proxy_failovers_total",
      "Branches retried at a target's next address after a 503 or no answer (RFC 3263 4.3)",
    );
    this.#statelessAcks = components.metrics.counter(
      "superpeer_sip_proxy_stateless_total",
      "ACKs for 2xx and stray 2xx responses forwarded statelessly (section 16.11, 16.7)",
    );
  }

  /** Requests being proxied now. */
  get contextCount(): number {
    return this.#contexts.size;
  }

  /** Proxies the request of a new server transaction (RFC 3261 sections 16.3 to 16.6). */
  handleRequest(server: ServerTransaction, options: HandleRequestOptions = {}): void {
    const request = server.request;
    const finishedEarly = () => options.onFinished?.();
    let routed: { readonly request: SipMessage; readonly routeNext: boolean };
    try {
      const refusal = this.#validate(request);
      if (refusal !== undefined) {
        this.#answer(server, refusal.status, refusal.reason, refusal.outcome, refusal.headers);
        finishedEarly();
        return;
      }
      routed = this.#preprocessRoutes(request);
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      this.#answer(server, 400, "Bad Request", "bad_request");
      finishedEarly();
      return;
    }
    if (this.#contexts.size >= this.#maxContexts) {
      this.#answer(server, 503, "Service Unavailable", "overloaded", [[
        "Retry-After",
        String(DEFAULT_PROXY_RETRY_AFTER_S),
      ]]);
      finishedEarly();
      return;
    }
    const context: Context = {
      server,
      invite: request.method === "INVITE",
      branches: [],
      best: undefined,
      challenges: [],
      answered: false,
      cancelled: false,
      abort: new AbortController(),
      onFinished: options.onFinished,
    };
    this.#contexts.add(context);
    server.setUser({
      onTerminated: () => this.#forget(context),
      onTransportError: () => this.#forget(context),
    });
    if (routed.routeNext) {
      // RFC 3261 section 16.5: a Request-URI not ours with a Route left: it is the only target,
      // sent to the next Route's address (section 16.6 step 7)
      const route = this.#firstRoute(routed.request);
      const destination = route === undefined ? undefined : this.#c.targets.addressOf(route);
      if (destination === undefined) {
        this.#finish(context, 404, "Not Found", "not_found");
        return;
      }
      this.#forward(context, [{ uri: routed.request.uri, destination }]);
      return;
    }
    this.#c.targets.resolve(routed.request, { signal: context.abort.signal }).then(
      (resolution) => {
        if (context.answered || context.cancelled) return;
        if (resolution.kind === "refuse") {
          const outcome = resolution.status === 404 || resolution.status === 480
            ? "not_found"
            : "refused";
          this.#finish(context, resolution.status, resolution.reason, outcome);
          return;
        }
        if (resolution.targets.length === 0) {
          this.#finish(context, 480, "Temporarily Unavailable", "not_found");
          return;
        }
        this.#forward(context, resolution.targets.slice(0, this.#maxBranches));
      },
    ).catch(
      // a fault while resolving or forwarding answers 500 rather than leaving the request open
      (error) => {
        if (context.answered || context.cancelled) return;
        this.#c.logger.warn("Could not resolve the targets of a request or forward it", {
          method: request.method,
          error: error instanceof Error ? error.message : String(error),
        });
        this.#finish(context, 500, "Server Internal Error", "refused");
      },
    );
  }

  /**
   * A CANCEL (RFC 3261 section 16.10): 200 to the CANCEL when it matched an INVITE being proxied,
   * and every pending branch of that INVITE cancelled (the 487s come back and are aggregated);
   * 200 without effect when the INVITE is already answered; 481 when it matched nothing.
   */
  handleCancel(cancel: ServerTransaction, invite: ServerTransaction | undefined): void {
    const context = invite === undefined
      ? undefined
      : [...this.#contexts].find((c) => c.server === invite);
    if (invite === undefined) {
      cancel.respond(
        createResponse(cancel.request, 481, "Call/Transaction Does Not Exist", {
          toTag: this.#c.newTag(),
        }),
      );
      return;
    }
    if (context === undefined) {
      // RFC 3261 section 9.2: the CANCEL matched a transaction that has its final response
      // already: 200 to the CANCEL, and it has no effect
      cancel.respond(createResponse(cancel.request, 200, "OK", { toTag: this.#c.newTag() }));
      return;
    }
    cancel.respond(createResponse(cancel.request, 200, "OK", { toTag: this.#c.newTag() }));
    context.cancelled = true;
    context.abort.abort();
    if (context.branches.length === 0 && !context.answered) {
      // still resolving targets: nothing downstream to cancel
      this.#finish(context, 487, "Request Terminated", "cancelled");
      return;
    }
    for (const branch of context.branches) this.#cancelBranch(branch);
  }

  /**
   * The ACK of a 2xx, or any request the table says has no transaction (RFC 3261 section 16.11:
   * stateless forwarding): our Route popped, Max-Forwards decremented, a Via with a branch derived
   * from the incoming one (so retransmissions get the same), sent to the next Route or the
   * Request-URI's address.
   */
  handleAck(ack: SipMessage, _source: SipAddress): void {
    let routed: { readonly request: SipMessage; readonly routeNext: boolean };
    try {
      const maxForwards = ack.maxForwards();
      if (maxForwards === 0) return;
      routed = this.#preprocessRoutes(ack);
    } catch (error) {
      if (error instanceof SipParseError) return;
      throw error;
    }
    const request = routed.request;
    const route = this.#firstRoute(request);
    const destination = route !== undefined
      ? this.#c.targets.addressOf(route)
      : this.#c.targets.addressOf(request.uri);
    if (destination === undefined) return;
    const forwarded = this.#copy(request, request.uri);
    const maxForwards = request.maxForwards();
    forwarded.headers.set("Max-Forwards", String((maxForwards ?? DEFAULT_MAX_FORWARDS + 1) - 1));
    const incoming = request.topVia().branch ?? request.headers.get("via") ?? "";
    const branch = "z9hG4bK" +
      createHash("sha256").update(incoming).update(request.uri).digest("hex").slice(0, 24);
    forwarded.headers.prepend("Via", this.#via(destination, branch));
    this.#statelessAcks.inc();
    this.#c.send(forwarded, destination);
  }

  /**
   * A 2xx to INVITE that matched no client transaction (a retransmission after Timer M, or another
   * branch's): forwarded statelessly on its next Via (RFC 3261 section 16.7 step 5 and 18.2.2);
   * other stray responses are dropped by the caller.
   */
  handleStrayResponse(response: SipMessage): void {
    try {
      if (response.status < 200 || response.status >= 300 || response.cseq().method !== "INVITE") {
        return;
      }
      const top = response.topVia();
      if (top.host !== this.#host || (top.port ?? 5060) !== this.#port) return;
      response.headers.shift("via");
      const next = response.topVia();
      this.#statelessAcks.inc();
      this.#c.send(
        response,
        responseDestination(next, {
          transport: next.transport,
          host: next.received ?? next.host,
          port: next.port ?? 5060,
          reliable: false,
        }),
      );
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
    }
  }

  /** Ends every context (the service is stopping): pending requests get 503. */
  stop(): void {
    for (const context of [...this.#contexts]) {
      context.abort.abort();
      for (const branch of context.branches) this.#disarmTimerC(branch);
      if (!context.answered) this.#finish(context, 503, "Service Unavailable", "overloaded");
      this.#contexts.delete(context);
    }
    this.#timerC.clear();
    this.#timerCSweep?.();
    this.#timerCSweep = undefined;
  }

  // ---- 16.3 and 16.4 ---------------------------------------------------------------------------

  #validate(
    request: SipMessage,
  ):
    | {
      status: number;
      reason: string;
      outcome: ProxyOutcome;
      headers?: Iterable<readonly [string, string]>;
    }
    | undefined {
    // RFC 3261 section 16.3 step 2: a Request-URI scheme we do not understand: 416
    parseSipUri(request.uri);
    // RFC 3261 section 16.3 step 3: Max-Forwards 0: 483 Too Many Hops
    if (request.maxForwards() === 0) {
      return { status: 483, reason: "Too Many Hops", outcome: "too_many_hops" };
    }
    // RFC 3261 section 16.3 step 5: Proxy-Require tags we do not support: 420 with Unsupported
    const required = request.headers.values("proxy-require") ?? [];
    const unsupported = required.map((t) => t.trim()).filter((t) =>
      !this.#supported.has(t.toLowerCase())
    );
    if (unsupported.length > 0) {
      return {
        status: 420,
        reason: "Bad Extension",
        outcome: "bad_extension",
        headers: [["Unsupported", unsupported.join(", ")]],
      };
    }
    return undefined;
  }

  /**
   * RFC 3261 section 16.4: a Request-URI we put in a Record-Route (a strict router upstream) is
   * replaced by the last Route; a first Route naming us is removed. `routeNext` says a Route is
   * left and the Request-URI is not ours: the request goes to that Route.
   */
  #preprocessRoutes(request: SipMessage): { request: SipMessage; routeNext: boolean } {
    if (this.#c.isOwnUri(request.uri)) {
      const routes = request.headers.values("route") ?? [];
      const last = routes.at(-1);
      if (last !== undefined) {
        request.uri = parseNameAddr(last).uri;
        const kept = routes.slice(0, -1);
        request.headers.remove("route");
        for (const value of kept) request.headers.append("Route", value);
      }
    }
    const first = this.#firstRoute(request);
    if (first !== undefined && this.#c.isOwnUri(first)) request.headers.shift("route");
    const next = this.#firstRoute(request);
    return { request, routeNext: next !== undefined && !this.#c.isOwnUri(request.uri) };
  }

  #firstRoute(request: SipMessage): string | undefined {
    const value = request.headers.values("route")?.[0];
    return value === undefined ? undefined : parseNameAddr(value).uri;
  }

  // ---- 16.6 --------------------------------------------------------------------------------------

  #forward(context: Context, targets: readonly ProxyTarget[]): void {
    for (const target of targets) {
      this.#startBranch(context, target, target.destination, target.alternates ?? []);
    }
    this.#outcomes.get("forwarded")?.inc();
  }

  #startBranch(
    context: Context,
    target: ProxyTarget,
    address: SipAddress,
    alternates: readonly SipAddress[],
  ): void {
    const request = this.#copy(context.server.request, target.uri);
    // RFC 3261 section 16.6 step 3: decrement Max-Forwards, or add one
    const maxForwards = context.server.request.maxForwards();
    request.headers.set(
      "Max-Forwards",
      String(maxForwards === undefined ? DEFAULT_MAX_FORWARDS : maxForwards - 1),
    );
    // RFC 3261 section 16.6 step 4: Record-Route so in-dialog requests reach us (and the flow)
    if (this.#recordRoute !== undefined && request.method !== "REGISTER") {
      request.headers.prepend("Record-Route", this.#recordRoute);
    }
    // RFC 3327 section 5.3 / RFC 3261 16.6 step 6: the binding's Path becomes the first Routes
    const routes = target.routes ?? [];
    for (let i = routes.length - 1; i >= 0; i--) request.headers.prepend("Route", routes[i]!);
    let destination = address;
    if (routes.length > 0) {
      const next = this.#c.targets.addressOf(parseNameAddr(routes[0]!).uri);
      if (next !== undefined) destination = next;
    }
    // RFC 3261 section 16.6 step 8: our Via with a fresh branch on top
    request.headers.prepend("Via", this.#via(destination, generateBranch()));
    const branch: Branch = {
      request,
      destination,
      target,
      alternates,
      transaction: undefined,
      done: false,
      provisional: false,
      cancelWanted: false,
      cancelSent: false,
      timerCAt: undefined,
    };
    context.branches.push(branch);
    const transaction = this.#c.transactions.createClient(request, destination, {
      onResponse: (response) => this.#onResponse(context, branch, response),
      onTimeout: () => this.#branchFailed(context, branch, 408, "Request Timeout"),
      onTransportError: () => this.#branchFailed(context, branch, 503, "Service Unavailable"),
    });
    if (transaction === undefined) {
      this.#branchFailed(context, branch, 503, "Service Unavailable");
      return;
    }
    this.#branches.inc();
    branch.transaction = transaction;
    if (context.invite) this.#armTimerC(context, branch);
  }

  /**
   * RFC 3263 section 4.3: a 503 or no answer from one address of a target: the next address, in
   * a new client transaction (fresh branch), unless the request is cancelled or answered.
   */
  #failOver(context: Context, branch: Branch): boolean {
    const [next, ...rest] = branch.alternates;
    if (next === undefined || context.cancelled || context.answered || branch.cancelSent) {
      return false;
    }
    branch.done = true;
    this.#disarmTimerC(branch);
    this.#failovers.inc();
    this.#startBranch(context, branch.target, next, rest);
    return true;
  }

  /**
   * RFC 3261 section 16.6 step 11: Timer C, one deadline per INVITE branch, all kept in one map and
   * fired by one sweep (not a timer each); re-armed by every provisional (16.7 step 2).
   */
  #armTimerC(context: Context, branch: Branch): void {
    branch.timerCAt = this.#c.now() + this.#timerCMs;
    this.#timerC.set(branch, context);
    if (this.#timerCSweep === undefined) {
      this.#timerCSweep = this.#c.scheduler.schedule(TIMER_C_SWEEP_MS, () => this.#sweepTimerC());
    }
  }

  #disarmTimerC(branch: Branch): void {
    branch.timerCAt = undefined;
    this.#timerC.delete(branch);
  }

  /** RFC 3261 section 16.8: at Timer C a branch with a provisional is cancelled, else a 408. */
  #sweepTimerC(): void {
    this.#timerCSweep = undefined;
    const now = this.#c.now();
    for (const [branch, context] of [...this.#timerC]) {
      if (branch.timerCAt === undefined || branch.timerCAt > now) continue;
      this.#disarmTimerC(branch);
      if (branch.done) continue;
      if (branch.provisional) this.#cancelBranch(branch);
      else {
        branch.transaction?.abort();
        this.#branchFailed(context, branch, 408, "Request Timeout");
      }
    }
    if (this.#timerC.size > 0) {
      this.#timerCSweep = this.#c.scheduler.schedule(TIMER_C_SWEEP_MS, () => this.#sweepTimerC());
    }
  }

  // ---- 16.7 --------------------------------------------------------------------------------------

  #onResponse(context: Context, branch: Branch, response: SipMessage): void {
    const status = response.status;
    if (status < 200) {
      branch.provisional = true;
      if (branch.cancelWanted) this.#cancelBranch(branch);
      else if (context.invite) this.#armTimerC(context, branch); // section 16.7 step 2: reset
      // RFC 3261 section 16.7 step 5: a 100 is not forwarded
      if (status === 100 || context.answered) return;
      this.#upstream(context, response);
      return;
    }
    if (status < 300) {
      branch.done = true;
      this.#disarmTimerC(branch);
      // RFC 3261 section 16.7 step 5: every 2xx goes upstream at once
      this.#upstream(context, response);
      if (context.invite) {
        // RFC 3261 section 16.7 step 10: a 2xx to INVITE cancels the other branches
        for (const other of context.branches) if (other !== branch) this.#cancelBranch(other);
      }
      this.#markAnswered(context);
      return;
    }
    if (status === 503 && this.#failOver(context, branch)) return;
    branch.done = true;
    this.#disarmTimerC(branch);
    this.#keep(context, response);
    if (context.invite && status >= 600) {
      // RFC 3261 section 16.7 step 10: a 6xx cancels the other branches
      for (const other of context.branches) if (other !== branch) this.#cancelBranch(other);
    }
    this.#maybeFinish(context);
  }

  #branchFailed(context: Context, branch: Branch, status: number, reason: string): void {
    if (branch.done) return;
    if (this.#failOver(context, branch)) return;
    branch.done = true;
    this.#disarmTimerC(branch);
    // RFC 3261 section 16.7 step 2 (timeout: 408) and 16.9 (transport error: as a 503)
    this.#keep(
      context,
      createResponse(branch.request, status, reason, { toTag: this.#c.newTag() }),
    );
    this.#maybeFinish(context);
  }

  /** RFC 3261 section 16.7 step 6: keep the best final response; all 401/407 for step 7. */
  #keep(context: Context, response: SipMessage): void {
    if (response.status === 401 || response.status === 407) context.challenges.push(response);
    const best = context.best;
    if (best === undefined || rank(response.status) < rank(best.status)) context.best = response;
  }

  #maybeFinish(context: Context): void {
    if (context.answered || context.branches.some((b) => !b.done)) return;
    const best = context.best;
    if (best === undefined) {
      this.#finish(context, 408, "Request Timeout", "refused");
      return;
    }
    if (best.status === 503) {
      // RFC 3261 section 16.7 step 6: a 503 upstream would stop the caller trying elsewhere: 500
      this.#finish(context, 500, "Server Internal Error", "refused");
      return;
    }
    if (best.status === 401 || best.status === 407) {
      // RFC 3261 section 16.7 step 7: every challenge of every branch goes into the response
      for (const other of context.challenges) {
        if (other === best) continue;
        for (const name of ["WWW-Authenticate", "Proxy-Authenticate"]) {
          for (const value of other.headers.getAll(name)) best.headers.append(name, value);
        }
      }
    }
    this.#upstream(context, best);
    this.#markAnswered(context);
  }

  /** A response from downstream goes upstream: our Via off (16.7 step 3), then the server tx. */
  #upstream(context: Context, response: SipMessage): void {
    const via = response.headers.values("via");
    if (via !== undefined && via.length > 1) {
      const top = response.topVia();
      if (top.host === this.#host && (top.port ?? 5060) === this.#port) {
        response.headers.shift("via");
      }
    }
    context.server.respond(response);
  }

  #finish(context: Context, status: number, reason: string, outcome: ProxyOutcome): void {
    if (context.answered) return;
    this.#markAnswered(context);
    this.#outcomes.get(outcome)?.inc();
    context.server.respond(
      createResponse(context.server.request, status, reason, { toTag: this.#c.newTag() }),
    );
  }

  #cancelBranch(branch: Branch): void {
    if (branch.done || branch.cancelSent || branch.transaction === undefined) return;
    if (!branch.provisional || !branch.transaction.cancellable) {
      // RFC 3261 section 9.1: no CANCEL before a provisional response; it waits for one
      branch.cancelWanted = true;
      return;
    }
    branch.cancelSent = true;
    this.#c.transactions.createClient(buildCancel(branch.request), branch.destination, {
      onResponse: () => {},
    });
  }

  #answer(
    server: ServerTransaction,
    status: number,
    reason: string,
    outcome: ProxyOutcome,
    headers: Iterable<readonly [string, string]> = [],
  ): void {
    this.#outcomes.get(outcome)?.inc();
    server.respond(
      createResponse(server.request, status, reason, { toTag: this.#c.newTag(), headers }),
    );
  }

  /**
   * A final response went upstream: the request is finished for whoever waits on it, and its
   * context leaves the cap's count (the server transaction lingers for Timer L or J, 32 s, but
   * needs nothing more of the proxy: later 2xx of other branches still reach it through their
   * client transactions).
   */
  #markAnswered(context: Context): void {
    context.answered = true;
    const finished = context.onFinished;
    context.onFinished = undefined;
    finished?.();
    this.#contexts.delete(context);
  }

  #forget(context: Context): void {
    const finished = context.onFinished;
    context.onFinished = undefined;
    finished?.();
    context.abort.abort();
    for (const branch of context.branches) this.#disarmTimerC(branch);
    this.#contexts.delete(context);
  }

  #copy(request: SipMessage, uri: string): SipMessage {
    return SipMessage.request({
      method: request.method,
      uri,
      headers: new SipHeaders(request.headers.entries()),
      body: request.body,
    });
  }

  #via(destination: SipAddress, branch: string): string {
    return `SIP/2.0/${destination.transport} ${this.#host}:${this.#port};branch=${branch}`;
  }
}

/** Lower is better (RFC 3261 section 16.7 step 6): 6xx first, then the lowest class. */
function rank(status: number): number {
  if (status >= 600) return 0;
  return status;
}
