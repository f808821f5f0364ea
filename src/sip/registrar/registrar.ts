/**
 * The REGISTER request handler (RFC 3261 section 10.3): Require, authentication and
 * authorization, the address-of-record, then the location service, and the 200 OK listing every
 * binding. Pure: it returns the response; the SIP service sends it through the server transaction.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import {
  parseNameAddr,
  serializeNameAddr,
  SipMessage,
  type SipParam,
  SipParseError,
} from "../../codec/sip/mod.ts";
import type { Clock } from "../../core/clock.ts";
import type { Counter, Metrics } from "../../core/metrics.ts";
import type { DigestAuthenticator } from "../digest/mod.ts";
import { createResponse } from "../sip_response.ts";
import type { Binding, BindingTable, ContactRequest } from "./binding_table.ts";
import { MAX_PATH_VALUES } from "./constants.ts";
import { canonicalAor } from "./contact_key.ts";

/** Options of a Registrar. */
export interface RegistrarInit {
  /**
   * Domains this registrar serves (lower case); a To for another one gets 404. Empty: any domain
   * (a test mesh).
   * @default []
   */
  readonly domains?: readonly string[];
  /** Option tags understood in Require (RFC 3261 section 8.2.2.3). @default ["path"] */
  readonly supported?: readonly string[];
}

/** What a Registrar works with. */
export interface RegistrarComponents<F> {
  readonly bindings: BindingTable<F>;
  /** Digest authentication; without it every REGISTER is accepted (open test meshes only). */
  readonly authenticator?: DigestAuthenticator | undefined;
  readonly clock: Clock;
  readonly metrics?: Metrics;
  /** To tags for responses. @default 8 random bytes in hex */
  readonly newTag?: () => string;
  /**
   * Extra header fields for the 200 OK of a successful REGISTER (the relay hand-off: TURN
   * credentials for the registered user, issue #6 part 9). `user` is the authenticated user, or
   * the AOR's user part without authentication.
   */
  readonly registeredHeaders?: (user: string, aor: string) => Iterable<readonly [string, string]>;
}

/** Where a REGISTER came from. */
export interface RegisterContext<F> {
  /** The packet's source address (not the Via's): nonces and failure limits are bound to it. */
  readonly sourceIp: string;
  /** The flow the REGISTER arrived on, stored with each binding. */
  readonly flow: F;
}

/** What the registrar decided, for the service's log and the overlay. */
export type RegisterOutcomeLabel =
  | "ok"
  | "challenged"
  | "bad_request"
  | "forbidden"
  | "not_found"
  | "bad_extension"
  | "interval_too_brief"
  | "out_of_order"
  | "full";

/** The response and what it meant. */
export interface RegisterResult<F> {
  readonly response: SipMessage;
  readonly outcome: RegisterOutcomeLabel;
  /** The canonical AOR when it was read. */
  readonly aor?: string;
  /** The AOR's bindings after a successful REGISTER. */
  readonly bindings?: readonly Binding<F>[];
}

const OUTCOMES: readonly RegisterOutcomeLabel[] = [
  "ok",
  "challenged",
  "bad_request",
  "forbidden",
  "not_found",
  "bad_extension",
  "interval_too_brief",
  "out_of_order",
  "full",
];

/**
 * Answers REGISTER requests for the location service it is given.
 *
 * @example
 * ```ts
 * const registrar = new Registrar({ domains: ["mesh.example"] }, { bindings, authenticator, clock });
 * const { response } = registrar.handle(request, { sourceIp: "192.0.2.7", flow });
 * ```
 */
export class Registrar<F> {
  readonly #domains: ReadonlySet<string>;
  readonly #supported: ReadonlySet<string>;
  readonly #bindings: BindingTable<F>;
  readonly #auth: DigestAuthenticator | undefined;
  readonly #clock: Clock;
  readonly #newTag: () => string;
  readonly #registeredHeaders:
    | ((user: string, aor: string) => Iterable<readonly [string, string]>)
    | undefined;
  readonly #counters = new Map<RegisterOutcomeLabel, Counter>();

  constructor(init: RegistrarInit, components: RegistrarComponents<F>) {
    this.#domains = new Set((init.domains ?? []).map((d) => d.toLowerCase()));
    this.#supported = new Set((init.supported ?? ["path"]).map((t) => t.toLowerCase()));
    this.#bindings = components.bindings;
    this.#auth = components.authenticator;
    this.#clock = components.clock;
    this.#newTag = components.newTag ?? (() => randomBytes(8).toString("hex"));
    this.#registeredHeaders = components.registeredHeaders;
    const counter = components.metrics?.counter(
      "superpeer_sip_registrations_total",
      "REGISTER requests answered, by outcome.",
      ["outcome"],
    );
    if (counter !== undefined) {
      for (const outcome of OUTCOMES) this.#counters.set(outcome, counter.with({ outcome }));
    }
  }

  /** Answers one REGISTER (RFC 3261 section 10.3 steps 2 to 8). */
  handle(request: SipMessage, context: RegisterContext<F>): RegisterResult<F> {
    try {
      return this.#handle(request, context);
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      return this.#answer(request, "bad_request", 400, "Bad Request");
    }
  }

  #handle(request: SipMessage, context: RegisterContext<F>): RegisterResult<F> {
    // RFC 3261 section 8.2.2.3: a Require tag we do not understand: 420 listing it in Unsupported
    const unsupported = this.#unsupported(request);
    if (unsupported.length > 0) {
      return this.#answer(request, "bad_extension", 420, "Bad Extension", [
        ["Unsupported", unsupported.join(", ")],
      ]);
    }
    // RFC 3261 section 10.3 step 3: authenticate the UA
    let user: string | undefined;
    if (this.#auth !== undefined) {
      const decision = this.#auth.authenticate({
        method: request.method,
        requestUri: request.uri,
        credentials: request.headers.getAll("authorization"),
        sourceIp: context.sourceIp,
      }, { proxy: false });
      if (!decision.ok) {
        if (decision.status === 401) {
          return this.#answer(
            request,
            "challenged",
            401,
            "Unauthorized",
            decision.headerValues.map((value) => [decision.headerName, value] as const),
          );
        }
        if (decision.status === 403) {
          return this.#answer(request, "forbidden", 403, "Forbidden", [
            ["Retry-After", String(decision.retryAfterSeconds)],
          ]);
        }
        return this.#answer(request, "bad_request", decision.status, "Bad Request");
      }
      user = decision.user;
    }
    // RFC 3261 section 10.3 step 5: the To header field holds the address-of-record
    let aor: string;
    try {
      aor = canonicalAor(request.to().uri);
    } catch (error) {
      if (error instanceof RangeError) {
        return this.#answer(request, "bad_request", 400, "Bad Request");
      }
      throw error;
    }
    const host = aor.slice(aor.indexOf("@") + 1).replace(/:\d+$/, "");
    if (this.#domains.size > 0 && !this.#domains.has(host)) {
      return this.#answer(request, "not_found", 404, "Not Found");
    }
    // RFC 3261 section 10.3 step 4: the authenticated user may only register its own AOR
    if (user !== undefined && aor.slice(4, aor.indexOf("@")) !== user) {
      return this.#answer(request, "forbidden", 403, "Forbidden");
    }
    const contacts = request.contacts();
    const path = request.headers.values("path");
    if (path === undefined || path.length > MAX_PATH_VALUES) {
      return this.#answer(request, "bad_request", 400, "Bad Request");
    }
    // RFC 3327 section 4: Path values are name-addrs; the proxy later parses them as Route, so a
    // value that does not parse is refused here (a SipParseError, answered 400 by handle())
    for (const value of path) parseNameAddr(value, "Path");
    const now = this.#clock.monotonic();
    const outcome = this.#bindings.register({
      aor,
      callId: request.callId(),
      cseq: request.cseq().seq,
      contacts: contacts === "*" ? "*" : contacts.map((c): ContactRequest => ({
        uri: c.uri,
        displayName: c.displayName,
        params: c.params,
      })),
      expires: request.expires(),
      path,
      flow: context.flow,
    }, now);
    if (!outcome.ok) {
      switch (outcome.status) {
        case 423:
          return this.#answer(request, "interval_too_brief", 423, outcome.reason, [
            ["Min-Expires", String(outcome.minExpires)],
          ], aor);
        case 503:
          return this.#answer(request, "full", 503, "Service Unavailable", [
            ["Retry-After", String(outcome.retryAfter)],
          ], aor);
        case 500:
          return this.#answer(request, "out_of_order", 500, outcome.reason, [], aor);
        default:
          return this.#answer(request, "bad_request", 400, outcome.reason, [], aor);
      }
    }
    // RFC 3261 section 10.3 step 8: 200 OK with every current binding and its remaining expiry
    const fields: Array<readonly [string, string]> = outcome.bindings.map((binding) => [
      "Contact",
      contactValue(binding, now),
    ]);
    // RFC 3327 section 5.3: Path is echoed to a UA that supports it
    const supported = request.headers.values("supported") ?? [];
    if (path.length > 0 && supported.some((tag) => tag.trim().toLowerCase() === "path")) {
      for (const value of path) fields.push(["Path", value]);
    }
    fields.push(["Date", new Date(this.#clock.now()).toUTCString()]);
    if (this.#registeredHeaders !== undefined && outcome.bindings.length > 0) {
      for (const field of this.#registeredHeaders(user ?? aor.slice(4, aor.indexOf("@")), aor)) {
        fields.push(field);
      }
    }
    return {
      ...this.#answer(request, "ok", 200, "OK", fields, aor),
      bindings: outcome.bindings,
    };
  }

  #unsupported(request: SipMessage): string[] {
    const required = request.headers.values("require");
    if (required === undefined) return [];
    return required.map((t) => t.trim()).filter((t) => !this.#supported.has(t.toLowerCase()));
  }

  #answer(
    request: SipMessage,
    outcome: RegisterOutcomeLabel,
    status: number,
    reason: string,
    headers: Iterable<readonly [string, string]> = [],
    aor?: string,
  ): RegisterResult<F> {
    this.#counters.get(outcome)?.inc();
    const response = createResponse(request, status, reason, { toTag: this.#newTag(), headers });
    return aor === undefined ? { response, outcome } : { response, outcome, aor };
  }
}

function contactValue<F>(binding: Binding<F>, now: number): string {
  const remaining = Math.max(0, Math.ceil((binding.expiresAt - now) / 1000));
  const params: SipParam[] = [...binding.params, { name: "expires", value: String(remaining) }];
  return serializeNameAddr({ displayName: binding.displayName, uri: binding.uri, params });
}
