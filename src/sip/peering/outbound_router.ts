/**
 * Where a request for another SIP domain goes (issue #6 part 8): a static route for its domain
 * (`sip.routes`: `domain=host[:port][;transport=udp]`), else the default route (`sip.defaultRoute`,
 * e.g. a Proxy Peer with Internet access), else RFC 3263 resolution of the Request-URI. A next
 * hop given by name is itself resolved by RFC 3263 (with its port: A/AAAA only). The Request-URI
 * is not changed; the first address is the destination and the rest are failover alternates
 * (RFC 3263 section 4.3).
 *
 * @module
 */
import { parseSipUri, type SipUri } from "../../codec/sip/mod.ts";
import type { ProxyTarget, TargetResolution } from "../proxy/proxy_target.ts";
import type { Rfc3263Resolver } from "./rfc3263_resolver.ts";

/** Options of an OutboundRouter. */
export interface OutboundRouterInit {
  /** `domain=host[:port][;transport=udp]` entries. @default [] */
  readonly routes?: readonly string[];
  /** `host[:port][;transport=udp]` for every other domain; empty: RFC 3263. @default "" */
  readonly defaultRoute?: string;
}

/** What an OutboundRouter works with. */
export interface OutboundRouterComponents {
  /** RFC 3263 resolution; without it only literal next hops and static routes work. */
  readonly resolver?: Rfc3263Resolver;
}

/** A route entry that does not parse (config validation names it). */
export class OutboundRouteError extends TypeError {
  constructor(readonly entry: string, detail: string) {
    super(`Cannot use SIP route "${entry}": ${detail}`);
    this.name = "OutboundRouteError";
  }
}

const DOMAIN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Parses a next hop (`host[:port][;transport=udp|tcp]`, IPv6 in brackets) into a SIP URI with
 * `lr`; throws OutboundRouteError.
 *
 * @example
 * ```ts
 * parseNextHop("192.0.2.10:5080;transport=udp"); // { scheme: "sip", host: "192.0.2.10", port: 5080, ... }
 * ```
 */
export function parseNextHop(text: string): SipUri {
  let uri;
  try {
    uri = parseSipUri(`sip:${text}`);
  } catch (error) {
    throw new OutboundRouteError(text, error instanceof Error ? error.message : String(error));
  }
  if (uri.scheme === "tel" || uri.user !== undefined) {
    throw new OutboundRouteError(text, "give host[:port][;transport=udp|tcp], no user part");
  }
  for (const param of uri.params) {
    const name = param.name.toLowerCase();
    const value = param.value?.toLowerCase();
    if (name !== "transport" || (value !== "udp" && value !== "tcp")) {
      throw new OutboundRouteError(
        text,
        `unknown parameter ${param.name} (only transport=udp|tcp)`,
      );
    }
  }
  return uri;
}

/**
 * Parses one `sip.routes` entry; throws OutboundRouteError.
 *
 * @example
 * ```ts
 * parseRoute("other.example=192.0.2.10:5060"); // { domain: "other.example", hop: {...} }
 * ```
 */
export function parseRoute(entry: string): { domain: string; hop: SipUri } {
  const eq = entry.indexOf("=");
  if (eq < 0) throw new OutboundRouteError(entry, "expected domain=host[:port][;transport=udp]");
  const domain = entry.slice(0, eq).trim().toLowerCase();
  if (!DOMAIN.test(domain)) throw new OutboundRouteError(entry, `${domain} is not a domain name`);
  return { domain, hop: parseNextHop(entry.slice(eq + 1).trim()) };
}

const NOT_FOUND: TargetResolution = { kind: "refuse", status: 404, reason: "Not Found" };

/**
 * Routes requests for other domains.
 *
 * @example
 * ```ts
 * const router = new OutboundRouter({ routes: ["other.example=192.0.2.10"] }, { resolver });
 * const resolution = await router.route("sip:bob@other.example");
 * ```
 */
export class OutboundRouter {
  readonly #routes: ReadonlyMap<string, SipUri>;
  readonly #default: SipUri | undefined;
  readonly #c: OutboundRouterComponents;

  constructor(init: OutboundRouterInit, components: OutboundRouterComponents) {
    const routes = new Map<string, SipUri>();
    for (const entry of init.routes ?? []) {
      const { domain, hop } = parseRoute(entry);
      routes.set(domain, hop);
    }
    this.#routes = routes;
    this.#default = (init.defaultRoute ?? "") === "" ? undefined : parseNextHop(init.defaultRoute!);
    this.#c = components;
  }

  /** The target of a request for `requestUri` (a domain we do not serve). */
  async route(requestUri: string): Promise<TargetResolution> {
    let uri;
    try {
      uri = parseSipUri(requestUri);
    } catch {
      return NOT_FOUND;
    }
    if (uri.scheme === "tel") {
      return { kind: "refuse", status: 416, reason: "Unsupported URI Scheme" };
    }
    const hop = this.#routes.get(uri.host.toLowerCase()) ?? this.#default ?? uri;
    const resolver = this.#c.resolver;
    let result;
    if (resolver === undefined) {
      // no DNS: a static route with a literal next hop only
      if (hop === uri || !/^[\d.]+$|:/.test(hop.host)) return NOT_FOUND;
      result = literalResult(hop);
    } else {
      try {
        result = await resolver.resolve(hop);
      } catch {
        // RFC 3261 section 21.5.5: no timely answer from an external server (the DNS)
        return { kind: "refuse", status: 504, reason: "Server Time-out" };
      }
    }
    if (result.kind === "none") {
      return result.why === "no-records"
        ? NOT_FOUND
        : { kind: "refuse", status: 502, reason: "Bad Gateway" };
    }
    const [first, ...rest] = result.addresses;
    const target: ProxyTarget = {
      uri: requestUri,
      destination: first!,
      ...(rest.length > 0 ? { alternates: rest } : {}),
    };
    return { kind: "targets", targets: [target] };
  }
}

function literalResult(hop: SipUri) {
  const transport = (hop.params.find((p) => p.name.toLowerCase() === "transport")?.value ?? "udp")
    .toUpperCase();
  if (transport !== "UDP") return { kind: "none" as const, why: "no-transport" as const };
  return {
    kind: "addresses" as const,
    addresses: [{
      transport,
      host: hop.host.replace(/^\[|\]$/g, ""),
      port: hop.port ?? 5060,
      reliable: false,
    }],
  };
}
