/**
 * Where a superpeer sends a request (RFC 3261 section 16.5, RFC 7904 section 4): an AOR of a
 * domain we serve goes to its local bindings, else to the Proxy Peers the overlay names; a
 * request the overlay routed to us (our address with the AOR's user) to the local bindings only;
 * a request for a registered contact (in-dialog, after Record-Route) over the contact's flow; any
 * other URI with a literal address to that address; a URI of another domain through the outbound
 * router (static routes, default route, RFC 3263 DNS), or 404 without one.
 *
 * @module
 */
import { getParam, parseSipUri, type SipMessage, type SipUri } from "../../codec/sip/mod.ts";
import type { Clock } from "../../core/clock.ts";
import type { SipOverlay } from "../overlay_registrations.ts";
import type { BindingTable } from "../registrar/binding_table.ts";
import { canonicalAor } from "../registrar/contact_key.ts";
import { defaultPort, type SipAddress } from "../via_handling.ts";
import type { OutboundRouter } from "../peering/outbound_router.ts";
import type { ProxyTarget, TargetResolution, TargetResolver } from "./proxy_target.ts";

/** Options of SuperpeerTargets. */
export interface SuperpeerTargetsInit {
  /** Domains served (lower case); the first names AORs of requests routed to our address. */
  readonly domains: readonly string[];
}

/** What SuperpeerTargets works with. */
export interface SuperpeerTargetsComponents {
  readonly bindings: BindingTable<SipAddress>;
  /** The overlay's registrations (absent or empty without an overlay). */
  readonly overlay?: Pick<SipOverlay, "resolve">;
  /** Whether a URI's host and port are this superpeer's SIP address. */
  readonly isOwnUri: (uri: string) => boolean;
  /** Whether a user exists (in the users file): 480 instead of 404 when not registered. */
  readonly knownAor?: (aor: string) => boolean;
  /** Routes requests for other domains (issue #6 part 8); absent: they get 404. */
  readonly outbound?: Pick<OutboundRouter, "route">;
  /** Told of each overlay entry read: its URI names a superpeer's SIP address (peer learning). */
  readonly onPeerEntry?: (uri: string, lifetimeS: number) => void;
  readonly clock: Clock;
}

const NOT_FOUND: TargetResolution = { kind: "refuse", status: 404, reason: "Not Found" };
const UNAVAILABLE: TargetResolution = {
  kind: "refuse",
  status: 480,
  reason: "Temporarily Unavailable",
};
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * The superpeer's target resolver.
 *
 * @example
 * ```ts
 * const targets = new SuperpeerTargets({ domains: ["mesh.example"] }, { bindings, overlay, isOwnUri, clock });
 * const resolution = await targets.resolve(request, { signal });
 * ```
 */
export class SuperpeerTargets implements TargetResolver {
  readonly #domains: ReadonlySet<string>;
  readonly #primary: string | undefined;
  readonly #c: SuperpeerTargetsComponents;

  constructor(init: SuperpeerTargetsInit, components: SuperpeerTargetsComponents) {
    this.#domains = new Set(init.domains.map((d) => d.toLowerCase()));
    this.#primary = init.domains[0]?.toLowerCase();
    this.#c = components;
  }

  async resolve(request: SipMessage, options: { signal: AbortSignal }): Promise<TargetResolution> {
    const uri = parseSipUri(request.uri);
    if (uri.scheme === "tel") {
      return { kind: "refuse", status: 416, reason: "Unsupported URI Scheme" };
    }
    const now = this.#c.clock.monotonic();
    const host = uri.host.toLowerCase();
    if (this.#domains.has(host) && uri.user !== undefined) {
      const aor = canonicalAor(request.uri);
      const local = this.#local(aor, now);
      if (local.length > 0) return { kind: "targets", targets: local };
      const remote = await this.#c.overlay?.resolve(aor, options) ?? [];
      const targets: ProxyTarget[] = [];
      for (const entry of remote) {
        const destination = this.addressOf(entry.uri);
        if (destination === undefined) continue;
        this.#c.onPeerEntry?.(entry.uri, entry.lifetime);
        targets.push({ uri: entry.uri, destination });
      }
      if (targets.length > 0) return { kind: "targets", targets };
      return this.#c.knownAor?.(aor) ? UNAVAILABLE : NOT_FOUND;
    }
    if (this.#c.isOwnUri(request.uri)) {
      // RFC 7904 section 4: another peer found our entry and sent the request to our address
      if (uri.user === undefined || this.#primary === undefined) return NOT_FOUND;
      const aor = canonicalAor(`sip:${uri.user}@${this.#primary}`);
      const local = this.#local(aor, now);
      if (local.length > 0) return { kind: "targets", targets: local };
      return this.#c.knownAor?.(aor) ? UNAVAILABLE : NOT_FOUND;
    }
    const binding = this.#c.bindings.findContact(request.uri, now);
    if (binding !== undefined) {
      return {
        kind: "targets",
        targets: [{ uri: request.uri, destination: binding.flow }],
      };
    }
    const destination = this.addressOf(request.uri);
    if (destination !== undefined) {
      return { kind: "targets", targets: [{ uri: request.uri, destination }] };
    }
    return this.#c.outbound === undefined ? NOT_FOUND : await this.#c.outbound.route(request.uri);
  }

  /**
   * The address of a SIP URI whose host is a literal IP (maddr first, section 18.1.1), with the
   * transport of its transport parameter (UDP by default, TLS for sips), or undefined.
   */
  addressOf(text: string): SipAddress | undefined {
    let uri: SipUri;
    try {
      const parsed = parseSipUri(text);
      if (parsed.scheme === "tel") return undefined;
      uri = parsed;
    } catch {
      return undefined;
    }
    const host = (getParam(uri.params, "maddr") ?? uri.host).replace(/^\[|\]$/g, "");
    if (!IPV4.test(host) && !host.includes(":")) return undefined;
    const param = getParam(uri.params, "transport")?.toUpperCase();
    const transport = param ?? (uri.scheme === "sips" ? "TLS" : "UDP");
    return {
      transport,
      host,
      port: uri.port ?? defaultPort(transport),
      reliable: transport !== "UDP",
    };
  }

  #local(aor: string, now: number): ProxyTarget[] {
    return this.#c.bindings.lookup(aor, now).map((binding) => ({
      uri: binding.uri,
      destination: binding.flow,
      routes: binding.path,
    }));
  }
}

/**
 * A test of "this URI names us": the host is one of our addresses (case-insensitive, brackets
 * ignored) and the port is ours (5060 when absent).
 *
 * @example
 * ```ts
 * const isOwnUri = ownUriTest(["192.0.2.1", "127.0.0.1"], 5060);
 * isOwnUri("sip:192.0.2.1;lr"); // true
 * ```
 */
export function ownUriTest(hosts: readonly string[], port: number): (uri: string) => boolean {
  const own = new Set(hosts.map((h) => h.replace(/^\[|\]$/g, "").toLowerCase()));
  return (text: string) => {
    try {
      const uri = parseSipUri(text);
      if (uri.scheme === "tel") return false;
      const host = uri.host.replace(/^\[|\]$/g, "").toLowerCase();
      return own.has(host) && (uri.port ?? 5060) === port;
    } catch {
      return false;
    }
  };
}
