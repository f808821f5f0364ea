/**
 * DNS-SD browsing (RFC 6763) on top of one interface's MdnsQuerier: PTR browsing of service types
 * (section 4), resolution of each instance's SRV, TXT and host addresses (sections 5, 6, 12) and
 * service type enumeration (section 9). Everything it reports is read back from the cache, so an
 * instance is up while its records are cached and goes down when its PTR or SRV leaves the cache.
 *
 * @module
 */
import { dnsNameKey, dnsNamesEqual } from "../codec/dns/dns_name.ts";
import { SERVICE_TYPE_ENUMERATION_PREFIX } from "./dns_sd_records.ts";
import {
  DNS_CLASS_IN,
  type DnsName,
  type DnsQuestion,
  type DnsRecord,
  DnsType,
} from "../codec/dns/dns_types.ts";
import type { Logger } from "../core/logger.ts";
import type { Counter, Gauge, Metrics } from "../core/metrics.ts";
import { type Cancel, type Scheduler, systemScheduler } from "../core/scheduler.ts";
import type { Unsubscribe } from "./mdns_cache.ts";
import type { MdnsQuerier } from "./mdns_querier.ts";

/** Service types browsed at once. @default */
export const DEFAULT_MAX_BROWSES = 16;
/** Instances tracked at once, resolving or up, over all browsed types. @default */
export const DEFAULT_MAX_INSTANCES = 256;
/** Service types kept from enumeration. @default */
export const DEFAULT_MAX_SERVICE_TYPES = 128;

/** One resolved service instance (RFC 6763 sections 4-6). */
export interface ServiceInstance {
  /** The full instance name: ["superpeer ap1", "_p2psip", "_udp", "local"]. */
  readonly name: DnsName;
  /** The instance label (user-visible, may contain dots): "superpeer ap1". */
  readonly instance: string;
  /** The service type and domain: ["_p2psip", "_udp", "local"]. */
  readonly type: DnsName;
  /** The SRV target host. */
  readonly host: DnsName;
  /** The SRV port. */
  readonly port: number;
  /** The TXT character-strings as received; decode pairs with the codec's decodeTxtPairs. */
  readonly txt: readonly Uint8Array[];
  /** The host's cached addresses, sorted. */
  readonly addresses: { readonly ipv4: readonly string[]; readonly ipv6: readonly string[] };
  /** The interface it was found on (DnsSdBrowserInit.interfaceName). */
  readonly interface?: string;
}

/** Options of a DnsSdBrowser. */
export interface DnsSdBrowserInit {
  /** Service types browsed at once; browse() refuses beyond. @default 16 */
  readonly maxBrowses?: number;
  /** Instances tracked at once; PTRs to further instances are ignored and counted. @default 256 */
  readonly maxInstances?: number;
  /** Service types kept from enumeration; further ones are ignored and counted. @default 128 */
  readonly maxServiceTypes?: number;
  /** Name of the querier's interface, copied into each ServiceInstance. */
  readonly interfaceName?: string;
}

/** What a DnsSdBrowser needs from outside. */
export interface DnsSdBrowserComponents {
  /** The interface's querier (and through it, its cache). */
  readonly querier: MdnsQuerier;
  /** Runs the deferred evaluation after a burst of cache changes. @default systemScheduler */
  readonly scheduler?: Scheduler;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

interface Browse {
  readonly name: DnsName;
  /** The instance type: the browsed name without a "<subtype>._sub" prefix (RFC 6763 7.1). */
  readonly type: DnsName;
}

interface Instance {
  readonly name: DnsName;
  readonly key: string;
  readonly type: DnsName;
  /** What was last reported up or changed; undefined while not up. */
  reported: ServiceInstance | undefined;
  hostKey: string | undefined;
  /** Continuous queries this instance holds, by question key. */
  readonly queries: Map<string, DnsQuestion>;
  /** Cache interests this instance holds, by question key. */
  readonly interests: Map<string, DnsQuestion>;
}

type InstanceListener = (instance: ServiceInstance) => void;
type TypeListener = (type: DnsName) => void;

/**
 * Browses DNS-SD service types on one interface.
 *
 * - `browse(type)` asks for the type's PTR records continuously. Each instance a PTR names is
 *   resolved: its SRV and TXT are asked for until cached, then the SRV target's A and AAAA until
 *   one address is cached (answers usually come at once as additional records, RFC 6763 12).
 *   While an instance is tracked the cache refreshes its SRV, TXT and address records (5.2).
 * - `onServiceUp` fires once SRV, TXT and an address are cached; `onServiceChanged` when any of
 *   them changes afterwards (port, host, TXT, addresses); `onServiceDown` when its PTR or its SRV
 *   leaves the cache (goodbye, expiry, flush, eviction), when its browse stops, or on stop().
 * - Changes are evaluated together after each burst of cache events (a scheduler tick), so one
 *   response carrying PTR, SRV, TXT, A and AAAA gives one `onServiceUp`.
 *
 * @example
 * ```ts
 * const browser = new DnsSdBrowser({ interfaceName: "br-lan" }, { querier, logger, metrics });
 * browser.onServiceUp((s) => log.info("found", { host: s.host.join("."), port: s.port }));
 * browser.start();
 * browser.browse(["_p2psip", "_udp", "local"]);
 * ```
 */
export class DnsSdBrowser {
  readonly maxBrowses: number;
  readonly maxInstances: number;
  readonly maxServiceTypes: number;
  readonly #interfaceName: string | undefined;
  readonly #querier: MdnsQuerier;
  readonly #scheduler: Scheduler;
  readonly #logger: Logger;
  readonly #browses = new Map<string, Browse>();
  readonly #instances = new Map<string, Instance>();
  /** Host name key -> keys of the instances whose SRV targets it. */
  readonly #byHost = new Map<string, Set<string>>();
  readonly #dirty = new Set<string>();
  readonly #up: InstanceListener[] = [];
  readonly #changed: InstanceListener[] = [];
  readonly #down: InstanceListener[] = [];
  readonly #typeUp: TypeListener[] = [];
  readonly #typeDown: TypeListener[] = [];
  readonly #refused: Record<"instances" | "types", Counter>;
  readonly #upGauge: Gauge;
  #enumeration: DnsName | undefined;
  readonly #types = new Map<string, DnsName>();
  #running = false;
  #unsubscribe: Unsubscribe[] = [];
  #cancelFlush: Cancel | undefined;

  constructor(init: DnsSdBrowserInit, components: DnsSdBrowserComponents) {
    this.maxBrowses = init.maxBrowses ?? DEFAULT_MAX_BROWSES;
    this.maxInstances = init.maxInstances ?? DEFAULT_MAX_INSTANCES;
    this.maxServiceTypes = init.maxServiceTypes ?? DEFAULT_MAX_SERVICE_TYPES;
    for (
      const [key, value] of [
        ["maxBrowses", this.maxBrowses],
        ["maxInstances", this.maxInstances],
        ["maxServiceTypes", this.maxServiceTypes],
      ] as const
    ) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`Cannot make a DNS-SD browser: ${key} must be a positive integer`);
      }
    }
    this.#interfaceName = init.interfaceName;
    this.#querier = components.querier;
    this.#scheduler = components.scheduler ?? systemScheduler;
    this.#logger = components.logger;
    const refused = components.metrics.counter(
      "superpeer_mdns_browser_refused_total",
      "DNS-SD instances or service types not tracked because the browser was at its cap",
      ["what"],
    );
    this.#refused = {
      instances: refused.with({ what: "instances" }),
      types: refused.with({ what: "types" }),
    };
    this.#upGauge = components.metrics.gauge(
      "superpeer_mdns_browser_services_up",
      "DNS-SD service instances currently up, over all interfaces",
    );
  }

  /** Subscribes to the cache and starts the queries of the browses made so far. Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const cache = this.#querier.cache;
    this.#unsubscribe = [
      cache.onAdded((record) => this.#onRecord(record, true)),
      cache.onRemoved((record) => this.#onRecord(record, false)),
    ];
    for (const browse of this.#browses.values()) this.#begin(browse);
    if (this.#enumeration !== undefined) this.#beginTypes(this.#enumeration);
  }

  /**
   * Stops every query and interest the browser holds and forgets its instances (each one up is
   * reported down) and service types; the browses themselves stay for the next start().
   * Idempotent.
   */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    this.#cancelFlush?.();
    this.#cancelFlush = undefined;
    this.#dirty.clear();
    for (const browse of this.#browses.values()) this.#querier.stopQuery(ptrQuestion(browse.name));
    for (const instance of [...this.#instances.values()]) this.#drop(instance);
    if (this.#enumeration !== undefined) {
      this.#querier.stopQuery(ptrQuestion(this.#enumeration));
    }
    this.#types.clear();
  }

  /**
   * Browses `serviceType` (["_p2psip", "_udp", "local"], or a subtype
   * ["_printer", "_sub", "_http", "_tcp", "local"]). True when browsing (already or now); false
   * at maxBrowses or when the querier refused the question.
   */
  browse(serviceType: DnsName): boolean {
    const key = dnsNameKey(serviceType);
    if (this.#browses.has(key)) return true;
    if (this.#browses.size >= this.maxBrowses) {
      this.#logger.warn("Refused a DNS-SD browse: browser at its cap", { max: this.maxBrowses });
      return false;
    }
    const isSubtype = serviceType.length > 2 && serviceType[1]?.toLowerCase() === "_sub";
    const browse: Browse = {
      name: [...serviceType],
      type: isSubtype ? serviceType.slice(2) : [...serviceType],
    };
    if (this.#running && !this.#begin(browse)) return false;
    this.#browses.set(key, browse);
    return true;
  }

  /** Stops browsing `serviceType`; its instances that were up are reported down. */
  stopBrowse(serviceType: DnsName): void {
    const key = dnsNameKey(serviceType);
    const browse = this.#browses.get(key);
    if (browse === undefined) return;
    this.#browses.delete(key);
    if (!this.#running) return;
    this.#querier.stopQuery(ptrQuestion(browse.name));
    for (const instance of this.#instances.values()) this.#markDirty(instance.key);
  }

  /**
   * Enumerates the service types on the link (RFC 6763 9): a continuous PTR query for
   * _services._dns-sd._udp.<domain>; types are reported with onServiceTypeUp / Down.
   */
  browseTypes(domain: DnsName = ["local"]): void {
    if (this.#enumeration !== undefined) this.stopBrowseTypes();
    this.#enumeration = [...SERVICE_TYPE_ENUMERATION_PREFIX, ...domain];
    if (this.#running) this.#beginTypes(this.#enumeration);
  }

  /** Stops the service type enumeration and forgets its types (without reporting them down). */
  stopBrowseTypes(): void {
    if (this.#enumeration === undefined) return;
    if (this.#running) this.#querier.stopQuery(ptrQuestion(this.#enumeration));
    this.#enumeration = undefined;
    this.#types.clear();
  }

  /** The instances currently up. */
  services(): ServiceInstance[] {
    const out: ServiceInstance[] = [];
    for (const instance of this.#instances.values()) {
      if (instance.reported !== undefined) out.push(instance.reported);
    }
    return out;
  }

  /** The service types found by browseTypes(). */
  serviceTypes(): DnsName[] {
    return [...this.#types.values()];
  }

  /** Calls `listener` when an instance is first resolved (SRV, TXT and an address cached). */
  onServiceUp(listener: InstanceListener): Unsubscribe {
    return subscribe(this.#up, listener);
  }

  /** Calls `listener` with the new state when an up instance's SRV, TXT or addresses change. */
  onServiceChanged(listener: InstanceListener): Unsubscribe {
    return subscribe(this.#changed, listener);
  }

  /** Calls `listener` with the last reported state when an up instance goes away. */
  onServiceDown(listener: InstanceListener): Unsubscribe {
    return subscribe(this.#down, listener);
  }

  /** Calls `listener` with each service type enumeration finds. */
  onServiceTypeUp(listener: TypeListener): Unsubscribe {
    return subscribe(this.#typeUp, listener);
  }

  /** Calls `listener` with each enumerated service type whose PTR leaves the cache. */
  onServiceTypeDown(listener: TypeListener): Unsubscribe {
    return subscribe(this.#typeDown, listener);
  }

  /** Starts the PTR query of a browse and takes the instances already cached. */
  #begin(browse: Browse): boolean {
    if (!this.#querier.startQuery(ptrQuestion(browse.name))) return false;
    for (const ptr of this.#querier.cache.lookup(browse.name, DnsType.PTR)) this.#notePtr(ptr);
    return true;
  }

  #beginTypes(name: DnsName): void {
    this.#querier.startQuery(ptrQuestion(name));
    this.#syncTypes(name);
  }

  #onRecord(record: DnsRecord, added: boolean): void {
    const nameKey = dnsNameKey(record.name);
    switch (record.data.type) {
      case DnsType.PTR:
        if (this.#enumeration !== undefined && dnsNamesEqual(record.name, this.#enumeration)) {
          this.#syncTypes(this.#enumeration);
        }
        if (this.#browses.has(nameKey)) {
          if (added) this.#notePtr(record);
          else if ("target" in record.data) this.#markDirty(dnsNameKey(record.data.target));
        }
        return;
      case DnsType.SRV:
      case DnsType.TXT:
        this.#markDirty(nameKey);
        return;
      case DnsType.A:
      case DnsType.AAAA:
        for (const key of this.#byHost.get(nameKey) ?? []) this.#markDirty(key);
        return;
    }
  }

  /** A PTR of a browsed name: track the instance it names. */
  #notePtr(ptr: DnsRecord): void {
    const browse = this.#browses.get(dnsNameKey(ptr.name));
    if (browse === undefined || !("target" in ptr.data) || "port" in ptr.data) return;
    const target = ptr.data.target;
    // RFC 6763 4.1: <Instance>.<Service>.<Domain>, the instance being a single label.
    if (target.length !== browse.type.length + 1 || !dnsNamesEqual(target.slice(1), browse.type)) {
      return;
    }
    const key = dnsNameKey(target);
    if (!this.#instances.has(key)) {
      if (this.#instances.size >= this.maxInstances) {
        this.#refused.instances.inc();
        return;
      }
      this.#instances.set(key, {
        name: [...target],
        key,
        type: browse.type,
        reported: undefined,
        hostKey: undefined,
        queries: new Map(),
        interests: new Map(),
      });
    }
    this.#markDirty(key);
  }

  #markDirty(instanceKey: string): void {
    if (!this.#running || !this.#instances.has(instanceKey)) return;
    this.#dirty.add(instanceKey);
    if (this.#cancelFlush !== undefined) return;
    this.#cancelFlush = this.#scheduler.schedule(0, () => {
      this.#cancelFlush = undefined;
      const keys = [...this.#dirty];
      this.#dirty.clear();
      for (const key of keys) {
        const instance = this.#instances.get(key);
        if (instance !== undefined) this.#evaluate(instance);
      }
    });
  }

  /** Reads the instance's records back from the cache and reports what changed. */
  #evaluate(instance: Instance): void {
    const cache = this.#querier.cache;
    if (!this.#named(instance)) {
      this.#drop(instance);
      return;
    }
    const srv = cache.lookup(instance.name, DnsType.SRV).find((r) => "port" in r.data);
    const txt = cache.lookup(instance.name, DnsType.TXT).find((r) => "strings" in r.data);
    const srvData = srv !== undefined && "port" in srv.data ? srv.data : undefined;
    const host = srvData?.target;
    this.#setHost(instance, host === undefined ? undefined : dnsNameKey(host));
    const ipv4 = host === undefined ? [] : addresses(cache.lookup(host, DnsType.A));
    const ipv6 = host === undefined ? [] : addresses(cache.lookup(host, DnsType.AAAA));

    const srvQ = question(instance.name, DnsType.SRV);
    const txtQ = question(instance.name, DnsType.TXT);
    const wantQueries = [];
    if (srvData === undefined) wantQueries.push(srvQ);
    if (txt === undefined) wantQueries.push(txtQ);
    const wantInterests = [srvQ, txtQ];
    if (host !== undefined) {
      const aQ = question(host, DnsType.A);
      const aaaaQ = question(host, DnsType.AAAA);
      if (ipv4.length + ipv6.length === 0) wantQueries.push(aQ, aaaaQ);
      wantInterests.push(aQ, aaaaQ);
    }
    this.#sync(instance.queries, wantQueries, (q) => this.#querier.startQuery(q), (q) => {
      this.#querier.stopQuery(q);
    });
    this.#sync(instance.interests, wantInterests, (q) => cache.addInterest(q), (q) => {
      cache.removeInterest(q);
    });

    if (srvData === undefined || host === undefined) {
      if (instance.reported !== undefined) this.#reportDown(instance);
      return;
    }
    const strings = txt !== undefined && "strings" in txt.data ? txt.data.strings : undefined;
    if (instance.reported === undefined) {
      if (strings === undefined || ipv4.length + ipv6.length === 0) return;
      instance.reported = this.#snapshot(instance, host, srvData.port, strings, ipv4, ipv6);
      this.#upGauge.inc();
      this.#emit(this.#up, instance.reported);
      return;
    }
    const next = this.#snapshot(instance, host, srvData.port, strings ?? [], ipv4, ipv6);
    if (!sameService(next, instance.reported)) {
      instance.reported = next;
      this.#emit(this.#changed, next);
    }
  }

  /** Whether a PTR of a browse still names the instance. */
  #named(instance: Instance): boolean {
    for (const browse of this.#browses.values()) {
      if (!dnsNamesEqual(browse.type, instance.type)) continue;
      for (const ptr of this.#querier.cache.lookup(browse.name, DnsType.PTR)) {
        if ("target" in ptr.data && dnsNamesEqual(ptr.data.target, instance.name)) return true;
      }
    }
    return false;
  }

  #snapshot(
    instance: Instance,
    host: DnsName,
    port: number,
    txt: readonly Uint8Array[],
    ipv4: readonly string[],
    ipv6: readonly string[],
  ): ServiceInstance {
    return {
      name: instance.name,
      instance: instance.name[0]!,
      type: instance.type,
      host,
      port,
      txt,
      addresses: { ipv4, ipv6 },
      ...(this.#interfaceName === undefined ? {} : { interface: this.#interfaceName }),
    };
  }

  /** Forgets an instance: its queries and interests are released, and it is reported down. */
  #drop(instance: Instance): void {
    this.#sync(instance.queries, [], () => true, (q) => {
      this.#querier.stopQuery(q);
    });
    const cache = this.#querier.cache;
    this.#sync(instance.interests, [], () => true, (q) => cache.removeInterest(q));
    this.#setHost(instance, undefined);
    this.#instances.delete(instance.key);
    if (instance.reported !== undefined) this.#reportDown(instance);
  }

  #reportDown(instance: Instance): void {
    const last = instance.reported!;
    instance.reported = undefined;
    this.#upGauge.dec();
    this.#emit(this.#down, last);
  }

  #setHost(instance: Instance, hostKey: string | undefined): void {
    if (instance.hostKey === hostKey) return;
    if (instance.hostKey !== undefined) {
      const set = this.#byHost.get(instance.hostKey);
      set?.delete(instance.key);
      if (set?.size === 0) this.#byHost.delete(instance.hostKey);
    }
    instance.hostKey = hostKey;
    if (hostKey !== undefined) {
      let set = this.#byHost.get(hostKey);
      if (set === undefined) {
        set = new Set();
        this.#byHost.set(hostKey, set);
      }
      set.add(instance.key);
    }
  }

  /** Makes `held` hold exactly `wanted`, calling `take` for new questions and `release` for old. */
  #sync(
    held: Map<string, DnsQuestion>,
    wanted: readonly DnsQuestion[],
    take: (q: DnsQuestion) => boolean,
    release: (q: DnsQuestion) => void,
  ): void {
    const keys = new Set<string>();
    for (const q of wanted) {
      const key = `${dnsNameKey(q.name)}|${q.type}`;
      keys.add(key);
      if (!held.has(key) && take(q)) held.set(key, q);
    }
    for (const [key, q] of held) {
      if (keys.has(key)) continue;
      held.delete(key);
      release(q);
    }
  }

  /** Brings the enumerated types in line with the cached PTRs of the enumeration name. */
  #syncTypes(name: DnsName): void {
    if (!this.#running) return;
    const live = new Map<string, DnsName>();
    for (const ptr of this.#querier.cache.lookup(name, DnsType.PTR)) {
      if ("target" in ptr.data && !("port" in ptr.data)) {
        live.set(dnsNameKey(ptr.data.target), ptr.data.target);
      }
    }
    for (const [key, type] of [...this.#types]) {
      if (live.has(key)) continue;
      this.#types.delete(key);
      this.#emit(this.#typeDown, type);
    }
    for (const [key, type] of live) {
      if (this.#types.has(key)) continue;
      if (this.#types.size >= this.maxServiceTypes) {
        this.#refused.types.inc();
        continue;
      }
      this.#types.set(key, type);
      this.#emit(this.#typeUp, type);
    }
  }

  #emit<T>(listeners: Array<(value: T) => void>, value: T): void {
    for (const listener of [...listeners]) {
      try {
        listener(value);
      } catch (error) {
        this.#logger.error("A DNS-SD browser listener failed", { error: String(error) });
      }
    }
  }
}

function question(name: DnsName, type: number): DnsQuestion {
  return { name, type, class: DNS_CLASS_IN, unicastResponse: false };
}

function ptrQuestion(name: DnsName): DnsQuestion {
  return question(name, DnsType.PTR);
}

function addresses(records: readonly DnsRecord[]): string[] {
  const set = new Set<string>();
  for (const record of records) if ("address" in record.data) set.add(record.data.address);
  return [...set].sort();
}

function sameService(a: ServiceInstance, b: ServiceInstance): boolean {
  return a.port === b.port && dnsNamesEqual(a.host, b.host) &&
    sameList(a.addresses.ipv4, b.addresses.ipv4) && sameList(a.addresses.ipv6, b.addresses.ipv6) &&
    a.txt.length === b.txt.length && a.txt.every((s, i) => sameBytes(s, b.txt[i]!));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function subscribe<T>(list: T[], listener: T): Unsubscribe {
  list.push(listener);
  return () => {
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  };
}
