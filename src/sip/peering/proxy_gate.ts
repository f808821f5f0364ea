/**
 * What a request must pass before the proxy routes it (issue #6 part 8). By its packet's source
 * and its From:
 *
 * - **peer**: the source is a superpeer (SuperpeerPeers: `sip.peers` blocks, or the SIP address of
 *   an overlay entry, also the From AOR's own entry): proxied as it is; the peer authenticated its
 *   phone.
 * - **in-dialog**: a To tag and our Record-Route (first Route or Request-URI naming us): not
 *   challenged (RFC 3261 section 22.3 lets a proxy challenge, and phones rarely expect it
 *   mid-dialog); from outside our domains only the source and rate checks apply.
 * - **phone**: From is one of our domains (any From when we serve no domain list): with
 *   `sip.auth` digest and `proxyAuth`, challenged with 407 and Proxy-Authenticate (RFC 3261
 *   section 22.3) until its Proxy-Authorization is valid, for the From user itself (403 otherwise);
 *   the credentials of our realm are then removed before forwarding.
 * - **outside**: anything else: the peering policy (PeeringPolicy), which also keeps the
 *   Proxy Peer from being an open relay.
 *
 * ACK and CANCEL never come here (RFC 3261 section 22.1: they are not challenged).
 *
 * @module
 */
import { parseNameAddr, parseSipUri, type SipMessage, SipParseError } from "../../codec/sip/mod.ts";
import type { Counter, Metrics } from "../../core/metrics.ts";
import { parseAuthHeader } from "../digest/auth_header.ts";
import type { DigestAuthenticator } from "../digest/digest_authenticator.ts";
import { AuthHeaderError } from "../digest/digest_errors.ts";
import { canonicalAor } from "../registrar/contact_key.ts";
import type { SipAddress } from "../via_handling.ts";
import type { PeeringPolicy } from "./peering_policy.ts";
import type { SuperpeerPeers } from "./superpeer_peers.ts";

/** Where a request came from, as the gate judged it. */
export type RequestOrigin = "peer" | "in_dialog" | "phone" | "outside";

/** Options of a ProxyGate. */
export interface ProxyGateInit {
  /** Domains served (lower case); empty: every From counts as ours. */
  readonly domains: readonly string[];
  /** Challenge our phones' requests with 407 (needs an authenticator). @default true */
  readonly proxyAuth?: boolean;
}

/** What a ProxyGate works with. */
export interface ProxyGateComponents {
  readonly peers: SuperpeerPeers;
  readonly policy: PeeringPolicy;
  readonly authenticator?: DigestAuthenticator;
  /** Whether a URI names this element (its address, our Record-Route). */
  readonly isOwnUri: (uri: string) => boolean;
  /** Whether a URI is a phone's registered contact here (in-dialog requests to our phones). */
  readonly isLocalContact: (uri: string) => boolean;
  readonly metrics: Metrics;
}

/** The gate's answer. */
export type GateDecision =
  | { readonly pass: true; readonly origin: RequestOrigin; readonly onFinished?: () => void }
  | {
    readonly pass: false;
    readonly origin: RequestOrigin;
    readonly status: number;
    readonly phrase: string;
    readonly headers: readonly (readonly [string, string])[];
  };

const ORIGINS: readonly RequestOrigin[] = ["peer", "in_dialog", "phone", "outside"];

/**
 * Classifies and admits requests before proxying.
 *
 * @example
 * ```ts
 * const gate = new ProxyGate({ domains: ["mesh.example"] }, { peers, policy, authenticator, isOwnUri, isLocalContact, metrics });
 * const decision = await gate.check(request, source, { signal });
 * ```
 */
export class ProxyGate {
  readonly #domains: ReadonlySet<string>;
  readonly #proxyAuth: boolean;
  readonly #c: ProxyGateComponents;
  readonly #origins = new Map<RequestOrigin, Counter>();

  constructor(init: ProxyGateInit, components: ProxyGateComponents) {
    this.#domains = new Set(init.domains.map((d) => d.toLowerCase()));
    this.#proxyAuth = init.proxyAuth ?? true;
    this.#c = components;
    const counter = components.metrics.counter(
      "superpeer_sip_proxy_origin_total",
      "Requests reaching the proxy, by where they came from (peer, in_dialog, phone, outside)",
      ["origin"],
    );
    for (const origin of ORIGINS) this.#origins.set(origin, counter.with({ origin }));
  }

  /** Decides about one request (not ACK or CANCEL) from `source`. */
  async check(
    request: SipMessage,
    source: SipAddress,
    options: { signal?: AbortSignal } = {},
  ): Promise<GateDecision> {
    const decision = await this.#decide(request, source, options);
    this.#origins.get(decision.origin)?.inc();
    return decision;
  }

  async #decide(
    request: SipMessage,
    source: SipAddress,
    options: { signal?: AbortSignal },
  ): Promise<GateDecision> {
    if (this.#c.peers.isPeer(source)) return { pass: true, origin: "peer" };
    let fromUri: string;
    let fromHost: string;
    let fromUser: string | undefined;
    let inDialog: boolean;
    try {
      fromUri = request.from().uri;
      const parsed = parseSipUri(fromUri);
      fromHost = parsed.scheme === "tel" ? "" : parsed.host.toLowerCase();
      fromUser = parsed.scheme === "tel" ? undefined : parsed.user;
      const firstRoute = request.headers.values("route")?.[0];
      inDialog = request.to().params.some((p) => p.name.toLowerCase() === "tag") &&
        (this.#c.isOwnUri(request.uri) ||
          (firstRoute !== undefined && this.#c.isOwnUri(parseNameAddr(firstRoute).uri)));
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      return refusal("outside", 400, "Bad Request");
    }
    const ours = this.#domains.size === 0 || this.#domains.has(fromHost);
    if (inDialog) {
      if (ours) return { pass: true, origin: "in_dialog" };
      return this.#admit(request, source, fromHost, "in_dialog", true);
    }
    if (!ours) {
      return this.#admit(request, source, fromHost, "outside", this.#forUs(request.uri));
    }
    const auth = this.#c.authenticator;
    if (auth === undefined || !this.#proxyAuth) return { pass: true, origin: "phone" };
    const credentials = request.headers.getAll("proxy-authorization");
    if (credentials.length === 0 && fromUser !== undefined) {
      // a request From one of our users without credentials may come from the user's own Proxy
      // Peer (a superpeer we did not know yet): the overlay's entry for the AOR says so
      let aor: string | undefined;
      try {
        aor = canonicalAor(fromUri);
      } catch {
        aor = undefined;
      }
      if (aor !== undefined && await this.#c.peers.vouches(aor, source, options)) {
        return { pass: true, origin: "peer" };
      }
    }
    // RFC 3261 section 22.3: a proxy challenges with 407 and Proxy-Authenticate
    const outcome = auth.authenticate({
      method: request.method,
      requestUri: request.uri,
      credentials,
      sourceIp: source.host,
    }, { proxy: true });
    if (!outcome.ok) {
      if (outcome.status === 407 || outcome.status === 401) {
        return refusal(
          "phone",
          407,
          "Proxy Authentication Required",
          outcome.headerValues.map((v) => ["Proxy-Authenticate", v] as const),
        );
      }
      if (outcome.status === 403) {
        return refusal("phone", 403, "Forbidden", [[
          "Retry-After",
          String(outcome.retryAfterSeconds),
        ]]);
      }
      return refusal("phone", 400, "Bad Request");
    }
    if (outcome.user !== fromUser) {
      // the credentials are some user's, but not the user the request claims to be from
      this.#c.policy.refuse("identity", source.host);
      return refusal("phone", 403, "Forbidden");
    }
    // RFC 3261 section 22.3: credentials for our realm are consumed here, others passed on
    consumeCredentials(request, auth.realm);
    return { pass: true, origin: "phone" };
  }

  #admit(
    request: SipMessage,
    source: SipAddress,
    fromDomain: string,
    origin: RequestOrigin,
    forUs: boolean,
  ): GateDecision {
    const decision = this.#c.policy.admit({
      method: request.method,
      sourceIp: source.host,
      fromDomain,
      forUs,
    });
    if (decision.ok) return { pass: true, origin, onFinished: decision.release };
    return refusal(
      origin,
      decision.status,
      decision.phrase,
      decision.retryAfterSeconds === undefined
        ? []
        : [["Retry-After", String(decision.retryAfterSeconds)]],
    );
  }

  /** A Request-URI for one of our domains, our own address, or a phone registered here. */
  #forUs(uri: string): boolean {
    try {
      const parsed = parseSipUri(uri);
      if (parsed.scheme === "tel") return false;
      if (this.#domains.has(parsed.host.toLowerCase())) return true;
    } catch {
      return false;
    }
    return this.#c.isOwnUri(uri) || this.#c.isLocalContact(uri);
  }
}

/** Removes the Proxy-Authorization values of `realm`, keeping the others in order. */
export function consumeCredentials(request: SipMessage, realm: string): void {
  const values = request.headers.getAll("proxy-authorization");
  if (values.length === 0) return;
  const kept = values.filter((value) => {
    try {
      const header = parseAuthHeader(value);
      return header.scheme.toLowerCase() !== "digest" ||
        header.params.get("realm")?.value !== realm;
    } catch (error) {
      if (error instanceof AuthHeaderError) return true;
      throw error;
    }
  });
  request.headers.remove("proxy-authorization");
  for (const value of kept) request.headers.append("Proxy-Authorization", value);
}

function refusal(
  origin: RequestOrigin,
  status: number,
  phrase: string,
  headers: readonly (readonly [string, string])[] = [],
): GateDecision {
  return { pass: false, origin, status, phrase, headers };
}
