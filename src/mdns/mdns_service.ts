import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Counter, Metrics } from "../core/metrics.ts";
import type { Scheduler } from "../core/scheduler.ts";
import type { DatagramAddress } from "../core/transport.ts";
import { DnsDecodeError } from "../codec/dns/dns_errors.ts";
import { decodeDnsMessage } from "../codec/dns/dns_message.ts";
import { DnsEncodeError } from "../codec/dns/dns_errors.ts";
import { dnsNameText } from "../codec/dns/dns_name.ts";
import type { DnsMessage, DnsName } from "../codec/dns/dns_types.ts";
import { DnsSdBrowser, type ServiceInstance } from "./dns_sd_browser.ts";
import {
  hostLabelForAttempt,
  hostName,
  hostRecords,
  instanceForAttempt,
  type ServiceAdvert,
  serviceRecords,
} from "./dns_sd_records.ts";
import { DEFAULT_MAX_SEND_BYTES, MAX_MDNS_MESSAGE_BYTES } from "./mdns_constants.ts";
import { type MdnsCounters, mdnsCounters } from "./mdns_counters.ts";
import type { MdnsOutput } from "./mdns_link.ts";
import { packDnsMessage } from "./mdns_packets.ts";
import { MdnsQuerier } from "./mdns_querier.ts";
import { MdnsResponder, type Registration } from "./mdns_responder.ts";

/** One interface as the network layer reports it. */
export interface MdnsInterfaceInfo {
  readonly name: string;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
}

/**
 * The sockets of multicast DNS as the service sees them (implemented by
 * transport/mdns_sockets.ts over node:dgram; by a memory hub in tests). Services never touch
 * node:dgram (STYLE).
 */
export interface MdnsNetwork {
  start(): Promise<void>;
  onInterfaceUp(listener: (info: MdnsInterfaceInfo) => void): void;
  onInterfaceChange(listener: (info: MdnsInterfaceInfo) => void): void;
  onInterfaceDown(listener: (name: string) => void): void;
  onPacket(
    listener: (
      bytes: Uint8Array,
      from: DatagramAddress,
      interfaceName: string,
      fromSelf: boolean,
    ) => void,
  ): void;
  /** To the interface's group of `family` when `to` is absent, else unicast. Never throws. */
  send(bytes: Uint8Array, interfaceName: string, family: 4 | 6, to?: DatagramAddress): void;
  close(): Promise<void>;
}

/** Settings of the mDNS service. */
export interface MdnsServiceInit {
  /** Our host label before any conflict: `<label>.local`. */
  readonly hostLabel: string;
  /** The instance name of every advertised service before any conflict. */
  readonly instanceName: string;
  /** Service types browsed on every interface, e.g. [["_p2psip", "_udp"]]. */
  readonly browse: ReadonlyArray<readonly [string, string]>;
  readonly ipv4: boolean;
  readonly ipv6: boolean;
  /** @default 1024 */
  readonly maxCacheRecords?: number;
  /** Largest packet we send. @default DEFAULT_MAX_SEND_BYTES */
  readonly maxSendBytes?: number;
}

/** What the mDNS service is handed. */
export interface MdnsServiceComponents {
  readonly network: MdnsNetwork;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly random: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The services to advertise now; read at start and on refreshAdverts(). */
  readonly adverts: () => readonly ServiceAdvert[];
  /** A browsed instance was resolved (or changed) on an interface. */
  readonly onServiceUp?: (instance: ServiceInstance, interfaceName: string) => void;
  /** A browsed instance went away (goodbye or expiry) on an interface. */
  readonly onServiceDown?: (instance: ServiceInstance, interfaceName: string) => void;
}

interface Link {
  readonly name: string;
  info: MdnsInterfaceInfo;
  readonly responder: MdnsResponder;
  readonly querier: MdnsQuerier;
  readonly browser: DnsSdBrowser;
  /** The host name in use on this link (a conflict may have renamed it). */
  host: DnsName;
  hostRegistration: Registration | undefined;
  readonly services: Map<string, Registration>;
}

/**
 * Multicast DNS on every configured interface: one responder (our host name and DNS-SD services),
 * one querier with its cache, and one DNS-SD browser per interface, over an injected MdnsNetwork.
 * Follows interfaces and addresses as they come and go; says goodbye on stop.
 *
 * @example
 * ```ts
 * const mdns = new MdnsService({ hostLabel: "ap1", instanceName: "superpeer ap1", browse: [["_p2psip", "_udp"]], ipv4: true, ipv6: true },
 *   { network, clock, scheduler, random: Math.random, logger, metrics, adverts: () => [] });
 * await mdns.start();
 * ```
 */
export class MdnsService {
  readonly #init: MdnsServiceInit;
  readonly #c: MdnsServiceComponents;
  readonly #links = new Map<string, Link>();
  readonly #counters: MdnsCounters;
  readonly #received: Counter;
  readonly #dropped: Counter;
  readonly #sent: Counter;
  #adverts: readonly ServiceAdvert[] = [];
  #running = false;

  constructor(init: MdnsServiceInit, components: MdnsServiceComponents) {
    this.#init = init;
    this.#c = components;
    const metrics = components.metrics;
    this.#counters = mdnsCounters(metrics);
    this.#received = metrics.counter(
      "superpeer_mdns_messages_received_total",
      "mDNS messages decoded, by kind",
      ["kind"],
    );
    this.#dropped = metrics.counter(
      "superpeer_mdns_messages_dropped_total",
      "mDNS packets dropped before the state machines, by reason",
      ["reason"],
    );
    this.#sent = metrics.counter(
      "superpeer_mdns_messages_sent_total",
      "mDNS packets handed to the sockets, by kind",
      ["kind"],
    );
  }

  /** Opens the sockets and starts on every interface already up. Idempotent. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#adverts = this.#c.adverts();
    const network = this.#c.network;
    network.onInterfaceUp((info) => this.#linkUp(info));
    network.onInterfaceChange((info) => this.#linkChanged(info));
    network.onInterfaceDown((name) => this.#linkDown(name, "interface gone"));
    network.onPacket((bytes, from, name, fromSelf) => this.#packet(bytes, from, name, fromSelf));
    await network.start();
  }

  /**
   * Says goodbye for every record on every interface (RFC 6762 10.1), then closes the sockets.
   * Idempotent.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const name of [...this.#links.keys()]) this.#linkDown(name, "stopping", true);
    await this.#c.network.close();
  }

  /** Reads the adverts again (a service started or stopped) and publishes the difference. */
  refreshAdverts(): void {
    this.#adverts = this.#c.adverts();
    for (const link of this.#links.values()) this.#syncServices(link);
  }

  /** A JSON-safe summary for /status. */
  status(): Record<string, unknown> {
    return {
      interfaces: [...this.#links.values()].map((link) => ({
        name: link.name,
        ipv4: link.info.ipv4,
        ipv6: link.info.ipv6,
        host: dnsNameText(link.host),
        records: link.responder.status(),
        cachedRecords: link.querier.cache.size,
        services: link.browser.services().map((i) => ({
          name: dnsNameText(i.name),
          host: dnsNameText(i.host),
          port: i.port,
        })),
      })),
    };
  }

  // -------------------------------------------------------------------------------------------

  #linkUp(info: MdnsInterfaceInfo): void {
    if (!this.#running || this.#links.has(info.name)) return;
    const logger = this.#c.logger;
    const output: MdnsOutput = { send: (message, to) => this.#send(info.name, message, to) };
    const responder = new MdnsResponder({
      clock: this.#c.clock,
      scheduler: this.#c.scheduler,
      output,
      random: this.#c.random,
      logger,
      counters: this.#counters,
    });
    const querier = new MdnsQuerier({ maxCacheRecords: this.#init.maxCacheRecords ?? 1024 }, {
      output,
      clock: this.#c.clock,
      scheduler: this.#c.scheduler,
      random: this.#c.random,
      logger,
      metrics: this.#c.metrics,
    });
    const browser = new DnsSdBrowser({ interfaceName: info.name }, {
      querier,
      scheduler: this.#c.scheduler,
      logger,
      metrics: this.#c.metrics,
    });
    const link: Link = {
      name: info.name,
      info,
      responder,
      querier,
      browser,
      host: hostName(this.#init.hostLabel),
      hostRegistration: undefined,
      services: new Map(),
    };
    this.#links.set(info.name, link);
    querier.start();
    browser.start();
    browser.onServiceUp((instance) => this.#c.onServiceUp?.(instance, info.name));
    browser.onServiceChanged((instance) => this.#c.onServiceUp?.(instance, info.name));
    browser.onServiceDown((instance) => this.#c.onServiceDown?.(instance, info.name));
    for (const type of this.#init.browse) browser.browse([type[0], type[1], "local"]);
    link.hostRegistration = responder.register({
      records: (attempt) => {
        link.host = hostName(hostLabelForAttempt(this.#init.hostLabel, attempt));
        return hostRecords(link.host, this.#v4(link), this.#v6(link));
      },
      onRenamed: () => {
        // Our SRV records name the host: point them at the new name.
        for (const registration of link.services.values()) registration.update();
      },
    });
    this.#syncServices(link);
    logger.info("mDNS running on an interface", {
      interface: info.name,
      ipv4: info.ipv4.join(" "),
      ipv6: info.ipv6.join(" "),
    });
  }

  #linkChanged(info: MdnsInterfaceInfo): void {
    const link = this.#links.get(info.name);
    if (!link) return this.#linkUp(info);
    link.info = info;
    link.hostRegistration?.update();
  }

  #linkDown(name: string, reason: string, goodbye = false): void {
    const link = this.#links.get(name);
    if (!link) return;
    // A vanished interface cannot carry goodbyes; a stopping service sends them.
    if (goodbye) link.responder.stop();
    this.#links.delete(name);
    link.browser.stop();
    link.querier.stop();
    this.#c.logger.info("mDNS stopped on an interface", { interface: name, reason });
  }

  #syncServices(link: Link): void {
    const wanted = new Map(this.#adverts.map((a) => [advertKey(a), a]));
    for (const [key, registration] of link.services) {
      if (!wanted.has(key)) {
        registration.withdraw();
        link.services.delete(key);
      }
    }
    for (const [key, advert] of wanted) {
      if (link.services.has(key)) continue;
      link.services.set(
        key,
        link.responder.register({
          records: (attempt) =>
            serviceRecords(advert, instanceForAttempt(advert.instance, attempt), link.host),
        }),
      );
    }
  }

  #v4(link: Link): readonly string[] {
    return this.#init.ipv4 ? link.info.ipv4 : [];
  }

  #v6(link: Link): readonly string[] {
    return this.#init.ipv6 ? link.info.ipv6 : [];
  }

  #send(name: string, message: DnsMessage, to?: DatagramAddress): void {
    const link = this.#links.get(name);
    if (!link) return;
    let packets: Uint8Array[];
    try {
      packets = packDnsMessage(message, this.#init.maxSendBytes ?? DEFAULT_MAX_SEND_BYTES);
    } catch (error) {
      if (!(error instanceof DnsEncodeError)) throw error;
      this.#dropped.with({ reason: "unencodable" }).inc();
      this.#c.logger.warn("mDNS message not sent: it cannot be encoded", {
        error: error.message,
      });
      return;
    }
    const kind = message.flags.response ? "response" : "query";
    const info = link.info;
    for (const bytes of packets) {
      if (to !== undefined) {
        this.#c.network.send(bytes, name, to.host.includes(":") ? 6 : 4, to);
        this.#sent.with({ kind: `${kind}-unicast` }).inc();
        continue;
      }
      if (this.#init.ipv4 && info.ipv4.length > 0) {
        this.#c.network.send(bytes, name, 4);
        this.#sent.with({ kind }).inc();
      }
      if (this.#init.ipv6 && info.ipv6.length > 0) {
        this.#c.network.send(bytes, name, 6);
        this.#sent.with({ kind }).inc();
      }
    }
  }

  #packet(bytes: Uint8Array, from: DatagramAddress, name: string, fromSelf: boolean): void {
    if (!this.#running) return;
    if (fromSelf) {
      this.#dropped.with({ reason: "own" }).inc();
      return;
    }
    const link = this.#links.get(name);
    if (!link) {
      this.#dropped.with({ reason: "interface" }).inc();
      return;
    }
    if (bytes.length > MAX_MDNS_MESSAGE_BYTES) {
      this.#dropped.with({ reason: "oversize" }).inc();
      return;
    }
    let message: DnsMessage;
    try {
      message = decodeDnsMessage(bytes);
    } catch (error) {
      if (!(error instanceof DnsDecodeError)) throw error;
      this.#dropped.with({ reason: "malformed" }).inc();
      // The log sink writes one line per window for a repeated warning.
      this.#c.logger.warn("Dropped a malformed mDNS packet", {
        from: from.host,
        interface: name,
        error: error.message,
      });
      return;
    }
    this.#received.with({ kind: message.flags.response ? "response" : "query" }).inc();
    const received = { message, from };
    link.responder.handle(received);
    link.querier.handleMessage(received);
  }
}

function advertKey(advert: ServiceAdvert): string {
  const txt = advert.txt.map((s) => [...s].join(",")).join("|");
  return `${advert.instance}\u0000${advert.type.join(".")}\u0000${advert.port}\u0000${txt}`;
}
