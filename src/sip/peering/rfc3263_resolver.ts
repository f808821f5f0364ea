/**
 * Locating SIP servers (RFC 3263): the next-hop addresses of a SIP URI, through NAPTR, SRV and
 * A/AAAA records, with the look-ups injected (the daemon wires node:dns; tests a fake) so this
 * file does no I/O.
 *
 * - A literal IP: that address, the transport of `transport=` (UDP; TLS for sips) and the port
 *   given or the default (section 4.1, 4.2).
 * - A host name with a port: A/AAAA of the name (section 4.2).
 * - A host name with `transport=`: SRV `_sip._udp` / `_sip._tcp` / `_sips._tcp` of the name, else
 *   A/AAAA with the default port.
 * - Otherwise NAPTR (services SIP+D2U, SIP+D2T, SIPS+D2T, flag "s", by order then preference),
 *   else SRV of each supported transport (section 4.1: "those transport protocols it supports"),
 *   else A/AAAA over UDP.
 *
 * SRV targets are ordered by priority and, within one priority, by the weighted random choice of
 * RFC 2782; each target's IPv4 then IPv6 addresses follow. Only `transports` are kept (UDP by
 * default: superpeer opens no TCP or TLS client connections yet). Answers are cached in a bounded
 * map for their TTL (A/AAAA) or a fixed lifetime (NAPTR and SRV, whose TTL node does not give),
 * empty answers for a shorter time; failures are not cached.
 *
 * @module
 */
import { getParam, type SipUri } from "../../codec/sip/mod.ts";
import { BoundedMap } from "../../core/bounded_map.ts";
import type { Clock } from "../../core/clock.ts";
import type { Metrics } from "../../core/metrics.ts";
import { defaultPort, type SipAddress } from "../via_handling.ts";
import {
  DEFAULT_DNS_CACHE_ENTRIES,
  DEFAULT_DNS_TTL_S,
  DNS_NEGATIVE_TTL_S,
  MAX_DNS_TTL_S,
  MAX_OUTBOUND_ADDRESSES,
} from "./constants.ts";

/** One NAPTR record (RFC 3403), as node:dns resolveNaptr gives it. */
export interface NaptrRecord {
  readonly flags: string;
  readonly service: string;
  readonly regexp: string;
  readonly replacement: string;
  readonly order: number;
  readonly preference: number;
}

/** One SRV record (RFC 2782), as node:dns resolveSrv gives it. */
export interface SrvRecord {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/** One A or AAAA record; ttl in seconds when known. */
export interface AddressRecord {
  readonly address: string;
  readonly ttl?: number;
}

/**
 * The DNS look-ups RFC 3263 needs. Each resolves to the records, `[]` when the name or the
 * record type does not exist (NXDOMAIN, NODATA), and rejects on any other failure (timeout,
 * SERVFAIL, refused).
 */
export interface SipDnsLookup {
  naptr(name: string): Promise<readonly NaptrRecord[]>;
  srv(name: string): Promise<readonly SrvRecord[]>;
  a(name: string): Promise<readonly AddressRecord[]>;
  aaaa(name: string): Promise<readonly AddressRecord[]>;
}

/** Transports a resolved address may use. */
export type SipTransportName = "UDP" | "TCP" | "TLS";

/** Options of an Rfc3263Resolver. */
export interface Rfc3263ResolverInit {
  /** Transports we can send on, in preference order. @default ["UDP"] */
  readonly transports?: readonly SipTransportName[];
  /** @default DEFAULT_DNS_CACHE_ENTRIES (512) */
  readonly cacheEntries?: number;
  /** Addresses returned at most. @default MAX_OUTBOUND_ADDRESSES (4) */
  readonly maxAddresses?: number;
}

/** What an Rfc3263Resolver works with. */
export interface Rfc3263ResolverComponents {
  readonly dns: SipDnsLookup;
  readonly clock: Clock;
  /** Uniform in [0, 1) for the SRV weight choice. @default Math.random */
  readonly random?: () => number;
  readonly metrics?: Metrics;
}

/** The addresses to try in order, or why there are none. */
export type Rfc3263Result =
  | { readonly kind: "addresses"; readonly addresses: readonly SipAddress[] }
  | {
    readonly kind: "none";
    /** "no-records": nothing in the DNS; "no-transport": only transports we cannot use. */
    readonly why: "no-records" | "no-transport";
  };

const NAPTR_SERVICES: Readonly<Record<string, { transport: SipTransportName; secure: boolean }>> = {
  "sip+d2u": { transport: "UDP", secure: false },
  "sip+d2t": { transport: "TCP", secure: false },
  "sips+d2t": { transport: "TLS", secure: true },
};

const SRV_PREFIX: Readonly<Record<SipTransportName, string>> = {
  UDP: "_sip._udp.",
  TCP: "_sip._tcp.",
  TLS: "_sips._tcp.",
};

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

interface Cached {
  readonly until: number;
  readonly records: readonly unknown[];
}

/**
 * Resolves SIP URIs to next-hop addresses.
 *
 * @example
 * ```ts
 * const resolver = new Rfc3263Resolver({}, { dns, clock });
 * const result = await resolver.resolve(parseSipUri("sip:bob@example.org"));
 * ```
 */
export class Rfc3263Resolver {
  readonly #transports: readonly SipTransportName[];
  readonly #max: number;
  readonly #cache: BoundedMap<string, Cached>;
  readonly #c: Rfc3263ResolverComponents;
  readonly #random: () => number;

  constructor(init: Rfc3263ResolverInit, components: Rfc3263ResolverComponents) {
    this.#transports = init.transports ?? ["UDP"];
    this.#max = init.maxAddresses ?? MAX_OUTBOUND_ADDRESSES;
    const dropped = components.metrics?.counter(
      "superpeer_sip_dns_cache_dropped_total",
      "DNS answers dropped from the SIP resolver's cache at its cap",
    );
    this.#cache = new BoundedMap({
      maxEntries: init.cacheEntries ?? DEFAULT_DNS_CACHE_ENTRIES,
      onEvict: () => dropped?.inc(),
    });
    this.#c = components;
    this.#random = components.random ?? Math.random;
  }

  /** Cached answers held. */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /** The addresses of `uri` to try in order (RFC 3263 section 4). Rejects on DNS failures. */
  async resolve(uri: SipUri): Promise<Rfc3263Result> {
    const secure = uri.scheme === "sips";
    const host = (getParam(uri.params, "maddr") ?? uri.host).replace(/^\[|\]$/g, "");
    const param = getParam(uri.params, "transport")?.toUpperCase();
    // RFC 3263 section 4.1: sips means TLS; transport=tcp with sips is TLS too
    const explicit: SipTransportName | undefined = secure
      ? (param === undefined || param === "TCP" || param === "TLS" ? "TLS" : undefined)
      : param === "UDP" || param === "TCP" || param === "TLS"
      ? param
      : undefined;
    if (param !== undefined && explicit === undefined) return { kind: "none", why: "no-transport" };
    if (IPV4.test(host) || host.includes(":")) {
      // RFC 3263 section 4.1 and 4.2: a numeric address is used as it is
      const transport = explicit ?? (secure ? "TLS" : "UDP");
      if (!this.#transports.includes(transport)) return { kind: "none", why: "no-transport" };
      return {
        kind: "addresses",
        addresses: [address(transport, host, uri.port ?? defaultPort(transport))],
      };
    }
    if (uri.port !== undefined) {
      // RFC 3263 section 4.2: a port but no numeric address: A/AAAA of the name, no SRV
      const transport = explicit ?? (secure ? "TLS" : "UDP");
      if (!this.#transports.includes(transport)) return { kind: "none", why: "no-transport" };
      return this.#result(await this.#addresses(host, transport, uri.port));
    }
    if (explicit !== undefined) {
      // RFC 3263 section 4.2: a transport but no port: SRV for it, else A/AAAA
      if (!this.#transports.includes(explicit)) return { kind: "none", why: "no-transport" };
      const viaSrv = await this.#srvAddresses(SRV_PREFIX[explicit] + host, explicit);
      if (viaSrv.length > 0) return this.#result(viaSrv);
      return this.#result(await this.#addresses(host, explicit, defaultPort(explicit)));
    }
    // RFC 3263 section 4.1: NAPTR first
    const naptr = (await this.#lookup("naptr", host)) as readonly NaptrRecord[];
    const usable = naptr
      .map((record) => ({ record, service: NAPTR_SERVICES[record.service.toLowerCase()] }))
      .filter((n) => n.service !== undefined && n.record.flags.toLowerCase() === "s")
      // RFC 3263 section 4.1: a sips URI uses only SIPS services
      .filter((n) => !secure || n.service!.secure)
      .sort((x, y) => x.record.order - y.record.order || x.record.preference - y.record.preference);
    if (usable.length > 0) {
      const supported = usable.filter((n) => this.#transports.includes(n.service!.transport));
      if (supported.length === 0) return { kind: "none", why: "no-transport" };
      const out: SipAddress[] = [];
      for (const n of supported) {
        if (out.length >= this.#max) break;
        out.push(...await this.#srvAddresses(n.record.replacement, n.service!.transport));
      }
      return this.#result(out);
    }
    // RFC 3263 section 4.1: no NAPTR: SRV for each transport we support, in our preference order
    const wanted = this.#transports.filter((t) => secure ? t === "TLS" : t !== "TLS");
    const out: SipAddress[] = [];
    for (const transport of wanted) {
      if (out.length >= this.#max) break;
      out.push(...await this.#srvAddresses(SRV_PREFIX[transport] + host, transport));
    }
    if (out.length > 0) return this.#result(out);
    // RFC 3263 section 4.2: no SRV either: A/AAAA, UDP (TLS for sips) on the default port
    const transport: SipTransportName = secure ? "TLS" : "UDP";
    if (!this.#transports.includes(transport)) return { kind: "none", why: "no-transport" };
    return this.#result(await this.#addresses(host, transport, defaultPort(transport)));
  }

  #result(addresses: readonly SipAddress[]): Rfc3263Result {
    if (addresses.length === 0) return { kind: "none", why: "no-records" };
    return { kind: "addresses", addresses: addresses.slice(0, this.#max) };
  }

  /** SRV targets of `name` in RFC 2782 order, each expanded to its addresses. */
  async #srvAddresses(name: string, transport: SipTransportName): Promise<SipAddress[]> {
    const records = (await this.#lookup("srv", name)) as readonly SrvRecord[];
    const out: SipAddress[] = [];
    for (const record of orderSrv(records, this.#random)) {
      if (out.length >= this.#max) break;
      out.push(...await this.#addresses(record.name, transport, record.port));
    }
    return out;
  }

  async #addresses(host: string, transport: SipTransportName, port: number): Promise<SipAddress[]> {
    const v4 = (await this.#lookup("a", host)) as readonly AddressRecord[];
    const v6 = (await this.#lookup("aaaa", host)) as readonly AddressRecord[];
    return [...v4, ...v6].map((r) => address(transport, r.address, port));
  }

  async #lookup(type: keyof SipDnsLookup, name: string): Promise<readonly unknown[]> {
    const key = `${type} ${name.toLowerCase()}`;
    const now = this.#c.clock.monotonic();
    const hit = this.#cache.get(key);
    if (hit !== undefined && hit.until > now) return hit.records;
    const records = await this.#c.dns[type](name);
    let ttl = DEFAULT_DNS_TTL_S;
    if (records.length === 0) ttl = DNS_NEGATIVE_TTL_S;
    else if (type === "a" || type === "aaaa") {
      const ttls = (records as readonly AddressRecord[]).map((r) => r.ttl ?? DEFAULT_DNS_TTL_S);
      ttl = Math.min(...ttls);
    }
    this.#cache.delete(key);
    this.#cache.set(key, {
      until: this.#c.clock.monotonic() + Math.min(ttl, MAX_DNS_TTL_S) * 1000,
      records,
    });
    return records;
  }
}

/**
 * SRV records in the order to try (RFC 2782): ascending priority; within one priority a
 * weighted random order (zero weights first in the running sum, as the RFC says, so they are
 * picked rarely). Targets "." (service not offered) are left out.
 */
export function orderSrv(records: readonly SrvRecord[], random: () => number): SrvRecord[] {
  const usable = records.filter((r) => r.name !== "." && r.name !== "");
  const priorities = [...new Set(usable.map((r) => r.priority))].sort((a, b) => a - b);
  const out: SrvRecord[] = [];
  for (const priority of priorities) {
    const left = usable.filter((r) => r.priority === priority)
      .sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (left.length > 0) {
      const total = left.reduce((sum, r) => sum + r.weight, 0);
      const pick = total === 0 ? 0 : random() * total;
      let running = 0;
      let index = left.length - 1;
      for (let i = 0; i < left.length; i++) {
        running += left[i]!.weight;
        if (running > pick || (total === 0 && i === 0)) {
          index = i;
          break;
        }
      }
      out.push(left.splice(index, 1)[0]!);
    }
  }
  return out;
}

function address(transport: SipTransportName, host: string, port: number): SipAddress {
  return { transport, host, port, reliable: transport !== "UDP" };
}
