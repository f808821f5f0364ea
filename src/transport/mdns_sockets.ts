import { createSocket, type RemoteInfo, type SocketOptions } from "node:dgram";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { type Clock, systemClock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Counter, Gauge, Metrics } from "../core/metrics.ts";
import { type Cancel, type Scheduler, systemScheduler } from "../core/scheduler.ts";
import type { DatagramAddress } from "../core/transport.ts";
import {
  attributeIpv4Source,
  type InterfaceTable,
  isIpv6LinkLocal,
  isOnLinkIpv6,
  type MdnsInterfaceInfo,
  sameInterfaceInfo,
  selectInterfaces,
  withoutZone,
} from "./network_interfaces.ts";
import { TransportError } from "./transport_error.ts";
import { errorCode } from "./udp_metrics.ts";

/** UDP port of multicast DNS (RFC 6762 section 3). */
export const MDNS_SOCKET_PORT = 5353;
/** IPv4 group (RFC 6762 section 3). */
export const MDNS_SOCKET_IPV4_GROUP = "224.0.0.251";
/** IPv6 link-local group (RFC 6762 section 3). */
export const MDNS_SOCKET_IPV6_GROUP = "ff02::fb";
/** How often the interface list is read again, to follow interfaces that come and go. */
export const DEFAULT_MDNS_POLL_INTERVAL_MS = 10_000;
/** Largest packet received or sent (RFC 6762 section 17: 9,000 bytes). */
export const DEFAULT_MDNS_MAX_PACKET_BYTES = 9_000;
/** IPv4 packets waiting while one is in flight (see the class comment); more are refused. */
export const DEFAULT_MDNS_MAX_QUEUED_SENDS = 256;
/** IP TTL / hop limit of everything sent (RFC 6762 section 11: SHOULD be 255). */
const MDNS_TTL = 255;
/** How long close() waits for queued sends (the goodbyes) before closing the sockets anyway. */
const CLOSE_DRAIN_MS = 1_000;
/** How long a multicast packet we sent is remembered, to recognise it when it loops back. */
const SELF_ECHO_WINDOW_MS = 5_000;
/** Packets remembered for that (a ring; older ones are forgotten first). */
const SELF_ECHO_SLOTS = 64;

export interface MdnsSocketsInit {
  /** Interface names; see InterfaceSelection (network_interfaces.ts). */
  readonly interfaces: {
    /** Empty: no interface at all (nothing multicasts unless configured). `"*"`: every non-loopback one. */
    readonly allow: readonly string[];
    /** @default [] */
    readonly deny?: readonly string[];
  };
  /** @default true */
  readonly ipv4?: boolean;
  /** @default true */
  readonly ipv6?: boolean;
  /** 0 reads the interfaces only at start (and on refresh()). @default DEFAULT_MDNS_POLL_INTERVAL_MS */
  readonly pollIntervalMs?: number;
  /** @default DEFAULT_MDNS_MAX_PACKET_BYTES */
  readonly maxPacketBytes?: number;
  /** @default DEFAULT_MDNS_MAX_QUEUED_SENDS */
  readonly maxQueuedSends?: number;
}

/** The part of a node:dgram Socket that MdnsSockets uses (tests hand in a fake). */
export interface MdnsDgramSocket {
  bind(port: number, address: string, callback: () => void): unknown;
  on(event: "message", listener: (message: Uint8Array, rinfo: RemoteInfo) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  once(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
  addMembership(group: string, interfaceAddress: string): void;
  dropMembership(group: string, interfaceAddress: string): void;
  setMulticastInterface(interfaceAddress: string): void;
  setMulticastTTL(ttl: number): unknown;
  setMulticastLoopback(on: boolean): unknown;
  setTTL(ttl: number): unknown;
  send(
    bytes: Uint8Array,
    port: number,
    address: string,
    callback: (error: Error | null, sent?: number) => void,
  ): void;
  close(callback: () => void): unknown;
}

/** Opens a socket; node:dgram's createSocket by default. */
export type MdnsSocketFactory = (options: SocketOptions) => MdnsDgramSocket;

export interface MdnsSocketsComponents {
  /** Suggested name: `superpeer:transport:mdns`. */
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Runs the interface poll. @default systemScheduler */
  readonly scheduler?: Scheduler;
  /** Times the memory of our own packets. @default systemClock */
  readonly clock?: Clock;
  /** @default node:os networkInterfaces */
  readonly networkInterfaces?: () => InterfaceTable;
  /** @default node:dgram createSocket */
  readonly createSocket?: MdnsSocketFactory;
}

/** Receives one packet. `from.host` carries `%<interface>` when it is IPv6 link-local. */
export type MdnsPacketListener = (
  bytes: Uint8Array,
  from: DatagramAddress,
  interfaceName: string,
  fromSelf: boolean,
) => void;

interface Link {
  info: MdnsInterfaceInfo;
  /** The IPv4 address 224.0.0.251 was joined with, if joined. */
  v4Joined: string | undefined;
  /** The IPv6 socket of this interface, bound to [ff02::fb%name]:5353. */
  v6: MdnsDgramSocket | undefined;
}

interface QueuedSend {
  readonly bytes: Uint8Array;
  readonly port: number;
  readonly host: string;
  /** The interface address to set as multicast interface first; undefined for unicast. */
  readonly multicastInterface: string | undefined;
}

/**
 * node:dgram's `lookup`, answering at once: we only pass IP literals, and answering synchronously
 * hands the datagram to the socket before `send` returns.
 */
function literalLookup(
  hostname: string,
  _options: unknown,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, hostname, isIP(withoutZone(hostname)) === 6 ? 6 : 4);
}

function nodeSocket(options: SocketOptions): MdnsDgramSocket {
  return createSocket(options) as unknown as MdnsDgramSocket;
}

/** FNV-1a over the bytes: the fingerprint of a packet we sent, to know it when it loops back. */
function fingerprint(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The multicast DNS sockets of the host, per interface: the only code that touches node:dgram for
 * mDNS (services get it as an injected network and see interfaces, packets and sends only).
 *
 * Sockets, as measured in the netns lab (test/interop/mdns_sockets_test.ts) on Node 20.20 and
 * Deno 2.9.6:
 * - IPv4: one socket bound to 0.0.0.0:5353 (SO_REUSEADDR, beside avahi or another responder),
 *   joined to 224.0.0.251 on each interface's first IPv4 address, TTL 255, multicast loopback on.
 *   node:dgram does not say which interface a datagram came in on, and Linux hands a group's
 *   packets to every socket that joined it on any interface, so a packet belongs to the interface
 *   whose subnet holds its source (attributeIpv4Source); others are dropped (`off_link`,
 *   `ambiguous_interface`). Sending sets the multicast interface, then sends. On Deno 2.9.6 sends
 *   made just after the socket is bound go out later, all with the multicast interface set last
 *   (measured: four sends alternating eth0 / eth1 right after binding all left on eth1, in reverse
 *   order; 300 ms later they went right): IPv4 sends therefore go one at a time, the next after the
 *   previous one's callback (at most `maxQueuedSends` waiting; bytes queued are copied).
 * - IPv6: one socket per interface bound to [ff02::fb%<name>]:5353 (SO_REUSEADDR), joined and set
 *   as multicast interface there. Linux binds such a socket to the interface, so it receives only
 *   what arrives on it: the packet's interface is exact on both runtimes, even though Deno reports
 *   IPv6 senders without their `%zone`. It receives multicast only: a unicast datagram to our
 *   port 5353 over IPv6 (an answer to a QU question) does not arrive, so don't rely on them
 *   (neither on IPv4: with SO_REUSEADDR only the last socket bound gets unicast, RFC 6762 section
 *   15.1). Hop limit 255 on Node; on Deno 2.9.6 `setMulticastTTL` is a no-op on IPv6 sockets and
 *   multicast leaves with hop limit 1 (avahi and python-zeroconf accept it).
 * - RFC 6762 section 11: packets from off-link sources are dropped (IPv4: no interface subnet holds
 *   the source; IPv6: neither link-local nor in one of the interface's prefixes). A source port
 *   other than 5353 is passed on as is: that is a legacy unicast query (section 6.7), to be
 *   answered by unicast to `from`.
 * - `fromSelf`: the packet has one of this host's addresses as source, port 5353, and the bytes of
 *   a multicast packet we sent in the last 5 s (multicast loopback is on so that two responders on
 *   one host hear each other; comparing addresses alone would also flag another responder on this
 *   host, such as avahi).
 *
 * Interfaces come from `os.networkInterfaces()` at start and every `pollIntervalMs`: onInterfaceUp
 * when one becomes usable, onInterfaceChange when its addresses change, onInterfaceDown when it
 * goes (or a change leaves nothing usable; an interface recreated under the same name goes down,
 * then up). `send` never throws: what cannot go is counted in
 * `superpeer_mdns_send_errors_total{code}` and logged once per code and window by the log sink.
 * Metrics: `superpeer_mdns_packets_received_total{family}`, `superpeer_mdns_packets_sent_total{family}`,
 * `superpeer_mdns_packets_dropped_total{reason}` (received packets not passed on), `..._send_errors_total{code}`,
 * `..._socket_errors_total{op}` (bind, join, leave, setup, socket), `..._handler_errors_total`,
 * `superpeer_mdns_interfaces` (interfaces up).
 *
 * @example
 * ```ts
 * const sockets = new MdnsSockets(
 *   { interfaces: { allow: ["br-lan"] } },
 *   { logger: silentLogger(), metrics: new MetricsRegistry() },
 * );
 * sockets.onInterfaceUp((info) => sockets.send(announcement, info.name, 4));
 * sockets.onPacket((bytes, from, interfaceName, fromSelf) => { if (!fromSelf) handle(bytes); });
 * await sockets.start();
 * await sockets.close();
 * ```
 */
export class MdnsSockets {
  readonly #allow: readonly string[];
  readonly #deny: readonly string[];
  readonly #ipv4: boolean;
  readonly #ipv6: boolean;
  readonly #pollIntervalMs: number;
  readonly #maxPacketBytes: number;
  readonly #maxQueued: number;
  readonly #log: Logger;
  readonly #scheduler: Scheduler;
  readonly #clock: Clock;
  readonly #readInterfaces: () => InterfaceTable;
  readonly #createSocket: MdnsSocketFactory;
  readonly #links = new Map<string, Link>();
  /** Every address of this host (all interfaces, allowed or not), to recognise our own packets. */
  #ownAddresses = new Set<string>();
  #v4: MdnsDgramSocket | undefined;
  #v4Opening: Promise<MdnsDgramSocket | undefined> | undefined;
  readonly #v4Queue: QueuedSend[] = [];
  #v4InFlight = false;
  /** IPv6 sends handed to a socket whose callback has not come yet. */
  #v6InFlight = 0;
  /** Resolves close()'s wait once every queued send is out. */
  #whenDrained: (() => void) | undefined;
  #v4MulticastInterface: string | undefined;
  readonly #echoes = Array.from(
    { length: SELF_ECHO_SLOTS },
    () => ({ hash: 0, length: -1, at: 0 }),
  );
  #echoNext = 0;
  #onUp: ((info: MdnsInterfaceInfo) => void) | undefined;
  #onChange: ((info: MdnsInterfaceInfo) => void) | undefined;
  #onDown: ((name: string) => void) | undefined;
  #onPacket: MdnsPacketListener | undefined;
  #started: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #refreshing: Promise<void> | undefined;
  #cancelPoll: Cancel | undefined;
  readonly #m: {
    received4: Counter;
    received6: Counter;
    sent4: Counter;
    sent6: Counter;
    dropped: Counter;
    sendErrors: Counter;
    socketErrors: Counter;
    handlerErrors: Counter;
    interfaces: Gauge;
  };
  readonly #series = new Map<string, Counter>();

  /**
   * @throws {TypeError} when an interface name is not a non-empty string without whitespace
   * @throws {RangeError} when pollIntervalMs, maxPacketBytes or maxQueuedSends is out of range
   */
  constructor(init: MdnsSocketsInit, components: MdnsSocketsComponents) {
    const names = (list: unknown, key: string): string[] => {
      if (!Array.isArray(list)) {
        throw new TypeError(`Cannot use mDNS interfaces: ${key} is not an array of names`);
      }
      for (const name of list) {
        if (typeof name !== "string" || !/^[^\s%/]{1,64}$/.test(name)) {
          throw new TypeError(`Cannot use mDNS interfaces: ${key} has an invalid name: ${name}`);
        }
      }
      return [...list];
    };
    this.#allow = names(init.interfaces?.allow, "interfaces.allow");
    this.#deny = names(init.interfaces?.deny ?? [], "interfaces.deny");
    this.#ipv4 = init.ipv4 ?? true;
    this.#ipv6 = init.ipv6 ?? true;
    this.#pollIntervalMs = init.pollIntervalMs ?? DEFAULT_MDNS_POLL_INTERVAL_MS;
    if (
      !Number.isInteger(this.#pollIntervalMs) ||
      (this.#pollIntervalMs !== 0 && this.#pollIntervalMs < 100)
    ) {
      throw new RangeError(
        `Cannot use mDNS sockets: pollIntervalMs ${this.#pollIntervalMs} is neither 0 nor an integer of 100 or more`,
      );
    }
    this.#maxPacketBytes = init.maxPacketBytes ?? DEFAULT_MDNS_MAX_PACKET_BYTES;
    if (
      !Number.isInteger(this.#maxPacketBytes) || this.#maxPacketBytes < 512 ||
      this.#maxPacketBytes > 65_507
    ) {
      throw new RangeError(
        `Cannot use mDNS sockets: maxPacketBytes ${this.#maxPacketBytes} is not in 512..65507`,
      );
    }
    this.#maxQueued = init.maxQueuedSends ?? DEFAULT_MDNS_MAX_QUEUED_SENDS;
    if (!Number.isInteger(this.#maxQueued) || this.#maxQueued < 1) {
      throw new RangeError(
        `Cannot use mDNS sockets: maxQueuedSends ${this.#maxQueued} is not a positive integer`,
      );
    }
    this.#log = components.logger;
    this.#scheduler = components.scheduler ?? systemScheduler;
    this.#clock = components.clock ?? systemClock;
    this.#readInterfaces = components.networkInterfaces ??
      (networkInterfaces as unknown as () => InterfaceTable);
    this.#createSocket = components.createSocket ?? nodeSocket;
    const { metrics } = components;
    const received = metrics.counter(
      "superpeer_mdns_packets_received_total",
      "mDNS packets received on the mDNS sockets, before any check",
      ["family"],
    );
    const sent = metrics.counter(
      "superpeer_mdns_packets_sent_total",
      "mDNS packets the kernel took",
      ["family"],
    );
    this.#m = {
      received4: received.with({ family: "4" }),
      received6: received.with({ family: "6" }),
      sent4: sent.with({ family: "4" }),
      sent6: sent.with({ family: "6" }),
      dropped: metrics.counter(
        "superpeer_mdns_packets_dropped_total",
        "Received mDNS packets not passed on, by reason",
        ["reason"],
      ),
      sendErrors: metrics.counter(
        "superpeer_mdns_send_errors_total",
        "mDNS packets not sent, by error code",
        ["code"],
      ),
      socketErrors: metrics.counter(
        "superpeer_mdns_socket_errors_total",
        "mDNS socket operations that failed, by operation",
        ["op"],
      ),
      handlerErrors: metrics.counter(
        "superpeer_mdns_handler_errors_total",
        "Received mDNS packets whose listener threw",
      ),
      interfaces: metrics.gauge("superpeer_mdns_interfaces", "Interfaces mDNS runs on"),
    };
  }

  /** Sets the listener told when an interface becomes usable (also for those found at start). */
  onInterfaceUp(listener: (info: MdnsInterfaceInfo) => void): void {
    this.#onUp = listener;
  }

  /** Sets the listener told when an interface's addresses change. */
  onInterfaceChange(listener: (info: MdnsInterfaceInfo) => void): void {
    this.#onChange = listener;
  }

  /** Sets the listener told when an interface goes away or has no usable address left. */
  onInterfaceDown(listener: (name: string) => void): void {
    this.#onDown = listener;
  }

  /** Sets the one packet listener; `bytes` is valid during the call only (copy to keep). */
  onPacket(listener: MdnsPacketListener): void {
    this.#onPacket = listener;
  }

  /** The interfaces in use now. */
  interfaces(): MdnsInterfaceInfo[] {
    return [...this.#links.values()].map((l) => l.info);
  }

  /**
   * Reads the interfaces, opens and joins what they need and starts the poll. Idempotent.
   * Failures on one interface are logged and counted, and retried at the next poll. An aborted
   * `signal` closes the sockets.
   */
  start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#closing !== undefined) return Promise.resolve();
    this.#started ??= (async () => {
      const signal = options.signal;
      if (signal?.aborted) return await this.close();
      signal?.addEventListener("abort", () => void this.close(), { once: true });
      await this.refresh();
      this.#schedulePoll();
    })();
    return this.#started;
  }

  /** Reads the interface list now (the poll does this every pollIntervalMs). */
  refresh(): Promise<void> {
    if (this.#closing !== undefined) return Promise.resolve();
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /**
   * Sends `bytes` on `interfaceName` to the group of `family`, or unicast to `to` (an IP literal;
   * an IPv6 link-local one gets `%interfaceName` when it has no zone). Never throws.
   */
  send(bytes: Uint8Array, interfaceName: string, family: 4 | 6, to?: DatagramAddress): void {
    if (this.#closing !== undefined) return this.#sendFailed("closed", interfaceName, to);
    const link = this.#links.get(interfaceName);
    if (bytes.length > this.#maxPacketBytes) return this.#sendFailed("EMSGSIZE", interfaceName, to);
    if (to !== undefined && !(Number.isInteger(to.port) && to.port > 0 && to.port <= 65535)) {
      return this.#sendFailed("EINVAL", interfaceName, to);
    }
    if (family === 4) {
      const socket = this.#v4;
      if (link?.v4Joined === undefined || socket === undefined) {
        return this.#sendFailed("no_interface", interfaceName, to);
      }
      if (to !== undefined && isIP(to.host) !== 4) {
        return this.#sendFailed("EAFNOSUPPORT", interfaceName, to);
      }
      if (to === undefined) this.#remember(bytes);
      this.#queueV4({
        bytes,
        port: to?.port ?? MDNS_SOCKET_PORT,
        host: to?.host ?? MDNS_SOCKET_IPV4_GROUP,
        multicastInterface: to === undefined ? link.v4Joined : undefined,
      });
      return;
    }
    const socket = link?.v6;
    if (socket === undefined) return this.#sendFailed("no_interface", interfaceName, to);
    let host = `${MDNS_SOCKET_IPV6_GROUP}%${interfaceName}`;
    if (to !== undefined) {
      const bare = withoutZone(to.host);
      if (isIP(bare) !== 6) return this.#sendFailed("EAFNOSUPPORT", interfaceName, to);
      host = isIpv6LinkLocal(bare) && !to.host.includes("%") ? `${bare}%${interfaceName}` : to.host;
    } else {
      this.#remember(bytes);
    }
    try {
      this.#v6InFlight++;
      socket.send(bytes, to?.port ?? MDNS_SOCKET_PORT, host, this.#onSent6);
    } catch (error) {
      this.#v6InFlight--;
      this.#sendFailed(errorCode(error), interfaceName, to);
    }
  }

  /** Stops the poll, leaves the groups and closes every socket. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#cancelPoll?.();
      this.#cancelPoll = undefined;
      // Goodbyes (RFC 6762 10.1) are usually the last sends: let them out before closing.
      await this.#drain(CLOSE_DRAIN_MS);
      await this.#refreshing?.catch(() => {});
      const closing: Promise<void>[] = [];
      for (const [name, link] of this.#links) {
        this.#leaveV4(name, link);
        if (link.v6 !== undefined) closing.push(closeSocket(link.v6));
      }
      this.#links.clear();
      this.#v4Queue.length = 0;
      const v4 = this.#v4 ?? await this.#v4Opening?.catch(() => undefined);
      if (v4 !== undefined) closing.push(closeSocket(v4));
      this.#v4 = undefined;
      this.#m.interfaces.set(0);
      await Promise.all(closing);
    })();
    return this.#closing;
  }

  #drain(timeoutMs: number): Promise<void> {
    if (this.#isDrained()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const cancel = this.#scheduler.schedule(timeoutMs, () => {
        this.#whenDrained = undefined;
        resolve();
      });
      this.#whenDrained = () => {
        cancel();
        this.#whenDrained = undefined;
        resolve();
      };
    });
  }

  #isDrained(): boolean {
    return !this.#v4InFlight && this.#v4Queue.length === 0 && this.#v6InFlight === 0;
  }

  #schedulePoll(): void {
    if (this.#pollIntervalMs === 0 || this.#closing !== undefined) return;
    this.#cancelPoll = this.#scheduler.schedule(this.#pollIntervalMs, () => {
      this.refresh().catch((error) =>
        this.#log.error("mDNS interface poll failed", { error: String(error) })
      ).finally(() => this.#schedulePoll());
    });
  }

  async #refresh(): Promise<void> {
    let table: InterfaceTable;
    try {
      table = this.#readInterfaces();
    } catch (error) {
      this.#count(this.#m.socketErrors, "op", "interfaces");
      this.#log.warn("Could not read the network interfaces", { error: String(error) });
      return;
    }
    const own = new Set<string>();
    for (const entries of Object.values(table)) {
      for (const e of entries ?? []) own.add(withoutZone(e.address));
    }
    this.#ownAddresses = own;
    const wanted = selectInterfaces(table, {
      allow: this.#allow,
      deny: this.#deny,
      ipv4: this.#ipv4,
      ipv6: this.#ipv6,
    });
    const names = new Set(wanted.map((w) => w.name));
    for (const [name, link] of [...this.#links]) {
      if (!names.has(name)) await this.#remove(name, link);
    }
    for (const info of wanted) {
      if (this.#closing !== undefined) return;
      const link = this.#links.get(info.name);
      if (link === undefined) {
        await this.#add(info);
      } else if (link.info.index !== info.index && link.info.index !== 0 && info.index !== 0) {
        // Recreated under the same name: the old memberships and bound socket point at a dead index.
        await this.#remove(info.name, link);
        await this.#add(info);
      } else if (!sameInterfaceInfo(link.info, info)) {
        await this.#change(link, info);
      }
    }
    this.#m.interfaces.set(this.#links.size);
  }

  async #add(info: MdnsInterfaceInfo): Promise<void> {
    const link: Link = { info, v4Joined: undefined, v6: undefined };
    await this.#joinV4(link, info);
    await this.#openV6(link, info);
    if (this.#closing !== undefined) {
      if (link.v6 !== undefined) await closeSocket(link.v6);
      return;
    }
    if (link.v4Joined === undefined && link.v6 === undefined) return; // retried at the next poll
    link.info = usable(info, link);
    this.#links.set(info.name, link);
    this.#log.info("mDNS interface up", {
      name: info.name,
      ipv4: link.info.ipv4.join(" "),
      ipv6: link.info.ipv6.join(" "),
    });
    this.#emit(() => this.#onUp?.(link.info));
  }

  async #change(link: Link, info: MdnsInterfaceInfo): Promise<void> {
    const name = info.name;
    if (link.v4Joined !== undefined && !info.ipv4.includes(link.v4Joined)) {
      this.#leaveV4(name, link);
    }
    if (link.v4Joined === undefined) await this.#joinV4(link, info);
    if (link.v6 !== undefined && info.ipv6.length === 0) {
      const socket = link.v6;
      link.v6 = undefined;
      await closeSocket(socket);
    }
    if (link.v6 === undefined) await this.#openV6(link, info);
    if (link.v4Joined === undefined && link.v6 === undefined) {
      await this.#remove(name, link);
      return;
    }
    const before = link.info;
    link.info = usable(info, link);
    if (sameInterfaceInfo(before, link.info)) return;
    this.#log.info("mDNS interface changed", {
      name,
      ipv4: link.info.ipv4.join(" "),
      ipv6: link.info.ipv6.join(" "),
    });
    this.#emit(() => this.#onChange?.(link.info));
  }

  async #remove(name: string, link: Link): Promise<void> {
    this.#links.delete(name);
    this.#leaveV4(name, link);
    if (link.v6 !== undefined) {
      const socket = link.v6;
      link.v6 = undefined;
      await closeSocket(socket);
    }
    this.#log.info("mDNS interface down", { name });
    this.#emit(() => this.#onDown?.(name));
  }

  async #joinV4(link: Link, info: MdnsInterfaceInfo): Promise<void> {
    const address = info.ipv4[0];
    if (address === undefined) return;
    const socket = await this.#openV4();
    if (socket === undefined) return;
    try {
      socket.addMembership(MDNS_SOCKET_IPV4_GROUP, address);
      link.v4Joined = address;
    } catch (error) {
      // Already a member through this address (an address that moved back): keep it.
      if (errorCode(error) === "EADDRINUSE") {
        link.v4Joined = address;
        return;
      }
      this.#socketFailed("join", error, {
        name: info.name,
        group: MDNS_SOCKET_IPV4_GROUP,
        address,
      });
    }
  }

  #leaveV4(name: string, link: Link): void {
    const address = link.v4Joined;
    link.v4Joined = undefined;
    if (address === undefined || this.#v4 === undefined) return;
    if (this.#v4MulticastInterface === address) this.#v4MulticastInterface = undefined;
    try {
      this.#v4.dropMembership(MDNS_SOCKET_IPV4_GROUP, address);
    } catch (error) {
      // The address is gone with its interface, and the kernel dropped the membership with it.
      if (errorCode(error) !== "EADDRNOTAVAIL") {
        this.#socketFailed("leave", error, { name, group: MDNS_SOCKET_IPV4_GROUP, address });
      }
    }
  }

  /** The shared IPv4 socket, bound on first use; undefined when it cannot be bound (logged). */
  #openV4(): Promise<MdnsDgramSocket | undefined> {
    if (this.#v4 !== undefined) return Promise.resolve(this.#v4);
    this.#v4Opening ??= (async () => {
      const socket = this.#createSocket({ type: "udp4", reuseAddr: true, lookup: literalLookup });
      try {
        await bind(socket, "0.0.0.0", MDNS_SOCKET_PORT);
      } catch (error) {
        this.#socketFailed("bind", error, { address: `0.0.0.0:${MDNS_SOCKET_PORT}` });
        return undefined;
      }
      try {
        socket.setMulticastTTL(MDNS_TTL);
        socket.setTTL(MDNS_TTL);
        socket.setMulticastLoopback(true);
      } catch (error) {
        this.#socketFailed("setup", error, { family: 4 });
      }
      socket.on("message", this.#onMessage4);
      socket.on("error", this.#onSocketError);
      this.#v4 = socket;
      return socket;
    })().finally(() => (this.#v4Opening = undefined));
    return this.#v4Opening;
  }

  async #openV6(link: Link, info: MdnsInterfaceInfo): Promise<void> {
    if (info.ipv6.length === 0) return;
    const name = info.name;
    const socket = this.#createSocket({
      type: "udp6",
      reuseAddr: true,
      ipv6Only: true,
      lookup: literalLookup,
    });
    // Bound to the group with the interface as scope: Linux then delivers only what arrives on it.
    const where = `${MDNS_SOCKET_IPV6_GROUP}%${name}`;
    try {
      await bind(socket, where, MDNS_SOCKET_PORT);
    } catch (error) {
      this.#socketFailed("bind", error, { name, address: `[${where}]:${MDNS_SOCKET_PORT}` });
      return;
    }
    try {
      socket.addMembership(MDNS_SOCKET_IPV6_GROUP, `::%${name}`);
    } catch (error) {
      this.#socketFailed("join", error, { name, group: MDNS_SOCKET_IPV6_GROUP });
      await closeSocket(socket);
      return;
    }
    try {
      socket.setMulticastInterface(`::%${name}`);
      socket.setMulticastTTL(MDNS_TTL); // a no-op on Deno 2.9.6: hop limit 1
      socket.setTTL(MDNS_TTL);
      socket.setMulticastLoopback(true);
    } catch (error) {
      this.#socketFailed("setup", error, { name, family: 6 });
    }
    socket.on("message", (message, rinfo) => this.#onMessage6(name, message, rinfo));
    socket.on("error", this.#onSocketError);
    link.v6 = socket;
  }

  #queueV4(item: QueuedSend): void {
    if (!this.#v4InFlight && this.#v4Queue.length === 0) {
      this.#sendV4(item);
      return;
    }
    if (this.#v4Queue.length >= this.#maxQueued) {
      return this.#sendFailed("queue_full", undefined, { host: item.host, port: item.port });
    }
    this.#v4Queue.push({ ...item, bytes: item.bytes.slice() });
  }

  #sendV4(item: QueuedSend): void {
    const socket = this.#v4;
    if (socket === undefined) return this.#sendFailed("closed", undefined, undefined);
    if (
      item.multicastInterface !== undefined &&
      item.multicastInterface !== this.#v4MulticastInterface
    ) {
      try {
        socket.setMulticastInterface(item.multicastInterface);
        this.#v4MulticastInterface = item.multicastInterface;
      } catch (error) {
        this.#v4MulticastInterface = undefined;
        this.#sendFailed(errorCode(error), undefined, { host: item.host, port: item.port });
        return this.#pumpV4();
      }
    }
    this.#v4InFlight = true;
    try {
      socket.send(item.bytes, item.port, item.host, this.#onSent4);
    } catch (error) {
      this.#v4InFlight = false;
      this.#sendFailed(errorCode(error), undefined, { host: item.host, port: item.port });
      this.#pumpV4();
    }
  }

  #pumpV4(): void {
    const next = this.#v4Queue.shift();
    if (next !== undefined) this.#sendV4(next);
  }

  readonly #onSent4 = (error: Error | null): void => {
    this.#v4InFlight = false;
    if (error) this.#sendFailed(errorCode(error), undefined, undefined);
    else this.#m.sent4.inc();
    this.#pumpV4();
    if (this.#isDrained()) this.#whenDrained?.();
  };

  readonly #onSent6 = (error: Error | null): void => {
    this.#v6InFlight--;
    if (error) this.#sendFailed(errorCode(error), undefined, undefined);
    else this.#m.sent6.inc();
    if (this.#isDrained()) this.#whenDrained?.();
  };

  readonly #onSocketError = (error: Error): void => {
    this.#socketFailed("socket", error, {});
  };

  readonly #onMessage4 = (message: Uint8Array, rinfo: RemoteInfo): void => {
    this.#m.received4.inc();
    if (this.#closing !== undefined) return;
    if (message.length > this.#maxPacketBytes) return this.#drop("too_big");
    const links: MdnsInterfaceInfo[] = [];
    for (const link of this.#links.values()) if (link.v4Joined !== undefined) links.push(link.info);
    const where = attributeIpv4Source(rinfo.address, links);
    if ("dropped" in where) return this.#drop(where.dropped);
    this.#deliver(message, { host: rinfo.address, port: rinfo.port }, where.interfaceName);
  };

  #onMessage6(name: string, message: Uint8Array, rinfo: RemoteInfo): void {
    this.#m.received6.inc();
    if (this.#closing !== undefined) return;
    if (message.length > this.#maxPacketBytes) return this.#drop("too_big");
    const link = this.#links.get(name);
    if (link === undefined) return this.#drop("no_interface");
    const source = withoutZone(rinfo.address);
    if (!isOnLinkIpv6(source, link.info)) return this.#drop("off_link");
    const host = isIpv6LinkLocal(source) ? `${source}%${name}` : source;
    this.#deliver(message, { host, port: rinfo.port }, name);
  }

  #deliver(message: Uint8Array, from: DatagramAddress, interfaceName: string): void {
    const listener = this.#onPacket;
    if (listener === undefined) return;
    const fromSelf = from.port === MDNS_SOCKET_PORT &&
      this.#ownAddresses.has(withoutZone(from.host)) && this.#isEcho(message);
    try {
      listener(message, from, interfaceName, fromSelf);
    } catch (error) {
      this.#m.handlerErrors.inc();
      this.#log.error("mDNS packet listener threw", {
        from: from.host,
        interfaceName,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  #remember(bytes: Uint8Array): void {
    const slot = this.#echoes[this.#echoNext]!;
    slot.hash = fingerprint(bytes);
    slot.length = bytes.length;
    slot.at = this.#clock.monotonic();
    this.#echoNext = (this.#echoNext + 1) % SELF_ECHO_SLOTS;
  }

  #isEcho(bytes: Uint8Array): boolean {
    const since = this.#clock.monotonic() - SELF_ECHO_WINDOW_MS;
    let hash: number | undefined;
    for (const slot of this.#echoes) {
      if (slot.length !== bytes.length || slot.at < since) continue;
      hash ??= fingerprint(bytes);
      if (slot.hash === hash) return true;
    }
    return false;
  }

  #emit(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.#m.handlerErrors.inc();
      this.#log.error("mDNS interface listener threw", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  #drop(reason: string): void {
    this.#count(this.#m.dropped, "reason", reason);
    if (this.#log.enabled("debug")) this.#log.debug("Dropped a received mDNS packet", { reason });
  }

  #sendFailed(
    code: string,
    interfaceName: string | undefined,
    to: DatagramAddress | undefined,
  ): void {
    this.#count(this.#m.sendErrors, "code", code);
    if (this.#log.enabled("warn")) {
      this.#log.warn("Dropped an outgoing mDNS packet", {
        code,
        ...(interfaceName === undefined ? {} : { interfaceName }),
        ...(to === undefined ? {} : { to: to.host, port: to.port }),
      });
    }
  }

  #socketFailed(op: string, error: unknown, fields: Record<string, string | number>): void {
    const code = errorCode(error);
    this.#count(this.#m.socketErrors, "op", op);
    this.#log.warn("mDNS socket operation failed", {
      op,
      code,
      ...fields,
      error: error instanceof Error ? error.message : String(error),
    });
  }

  /** One child series per label value, looked up once; at most 32 values per metric, then "other". */
  #count(counter: Counter, label: string, value: string): void {
    const key = `${label}\u0000${value}`;
    let found = this.#series.get(key);
    if (found === undefined) {
      const used = [...this.#series.keys()].filter((k) => k.startsWith(`${label}\u0000`)).length;
      found = counter.with({ [label]: used >= 32 ? "other" : value });
      this.#series.set(key, found);
    }
    found.inc();
  }
}

/** The info as it works: without the families whose socket or membership failed. */
function usable(info: MdnsInterfaceInfo, link: Link): MdnsInterfaceInfo {
  const v4 = link.v4Joined !== undefined;
  const v6 = link.v6 !== undefined;
  if (v4 && v6) return info;
  return {
    ...info,
    ipv4: v4 ? info.ipv4 : [],
    ipv6: v6 ? info.ipv6 : [],
    addresses: info.addresses.filter((a) => (a.family === 4 ? v4 : v6)),
  };
}

function bind(socket: MdnsDgramSocket, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      closeSocket(socket).catch(() => {});
      const osCode = errorCode(error);
      reject(
        new TransportError(`Cannot bind an mDNS socket: ${host}:${port}: ${osCode}`, {
          osCode,
          cause: error,
        }),
      );
    };
    socket.once("error", onError);
    try {
      socket.bind(port, host, () => {
        socket.off("error", onError);
        resolve();
      });
    } catch (error) {
      socket.off("error", onError);
      onError(error as Error);
    }
  });
}

function closeSocket(socket: MdnsDgramSocket): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
