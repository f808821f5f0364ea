import type { Scheduler } from "../core/scheduler.ts";
import {
  type DatagramAddress,
  type DatagramHandler,
  type DatagramTransport,
  formatAddress,
} from "../core/transport.ts";
import { TransportError } from "./transport_error.ts";

/** How one link behaves: one-way latency, uniform jitter (±), loss probability (0..1). */
export interface LinkModel {
  readonly latencyMs: number;
  readonly jitterMs: number;
  readonly loss: number;
}

export interface MemoryNetworkInit {
  /** Runs deliveries; a VirtualScheduler for virtual time. */
  readonly scheduler: Scheduler;
  /** Uniform [0, 1) source for jitter and loss (seed it for reproducible runs). */
  readonly random: () => number;
  /**
   * The link between two addresses, asked once per datagram (keep it cheap; return a shared object).
   * @default every link 10 ms, no jitter, no loss (DEFAULT_LINK)
   */
  readonly link?: (from: DatagramAddress, to: DatagramAddress) => LinkModel;
}

/** Counters of everything sent through one MemoryNetwork. */
export interface MemoryNetworkStats {
  /** Datagrams handed to the network by open transports. */
  sent: number;
  /** Datagrams that reached an open transport. */
  delivered: number;
  /** Datagrams dropped by link loss or a partition. */
  lost: number;
  /** Datagrams that arrived at a closed, detached or never attached address. */
  unroutable: number;
  /** Payload bytes of `sent`. */
  bytes: number;
}

/** The link every pair gets when no `link` function is given. */
export const DEFAULT_LINK: LinkModel = Object.freeze({ latencyMs: 10, jitterMs: 0, loss: 0 });

/** The port auto-assigned addresses use (the overlay's default port). */
export const MEMORY_NETWORK_PORT = 6084;

/** First port handed out for `attach({ host, port: 0 })`, as a kernel picks an ephemeral port. */
const FIRST_EPHEMERAL_PORT = 49152;

/** 10.0.0.1 .. 10.255.255.254: more addresses than any simulation attaches. */
const MAX_AUTO_ADDRESSES = (1 << 24) - 2;

/** One cut between two address sets; an entry is "host:port" (formatAddress) or a bare host. */
interface Cut {
  readonly a: ReadonlySet<string>;
  readonly b: ReadonlySet<string>;
}

/**
 * An in-process datagram network for tests and the overlay simulator. Transports attached to it
 * receive copies of the datagrams sent to their address after the link's latency ± uniform jitter
 * (never negative; jitter can reorder, as on a real path), lose them with the link's probability,
 * and can be cut off from each other with `partition`. Datagrams to a closed, detached or unknown
 * address vanish, as UDP's do, and are counted in `stats.unroutable` when they would have arrived.
 *
 * Made for 10,000 transports and millions of datagrams: routing is a host → port → transport map
 * lookup without building strings, and each datagram costs one copy and one scheduled callback.
 * A receive handler that throws propagates out of the scheduler's `step` / `runUntil`, so a
 * simulation sees the bug instead of a silently lost message.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const scheduler = new VirtualScheduler(clock);
 * const network = new MemoryNetwork({ scheduler, random: Math.random });
 * const a = network.attach();
 * const b = network.attach({ host: "10.9.0.1", port: 5060 });
 * b.onDatagram((bytes, from) => console.log(bytes.length, formatAddress(from)));
 * a.send(new Uint8Array(3), b.local);
 * scheduler.runFor(10); // 3 10.0.0.1:6084
 * ```
 */
export class MemoryNetwork {
  readonly #scheduler: Scheduler;
  readonly #random: () => number;
  readonly #link: ((from: DatagramAddress, to: DatagramAddress) => LinkModel) | undefined;
  readonly #hosts = new Map<string, Map<number, MemoryTransport>>();
  #cuts: Cut[] = [];
  #attached = 0;
  #auto = 0;
  readonly stats: MemoryNetworkStats = { sent: 0, delivered: 0, lost: 0, unroutable: 0, bytes: 0 };

  constructor(init: MemoryNetworkInit) {
    this.#scheduler = init.scheduler;
    this.#random = init.random;
    this.#link = init.link;
  }

  /** Transports currently attached. */
  get size(): number {
    return this.#attached;
  }

  /**
   * Adds a transport at `address`; port 0 picks a free port from 49152 up. Without an address it
   * takes the next free 10.x.y.z:6084, counting from 10.0.0.1.
   * @throws {TransportError} with osCode EADDRINUSE when the address is taken
   * @throws {RangeError} when the port is not an integer in 0..65535 or the host is empty
   */
  attach(address?: DatagramAddress): DatagramTransport {
    const local = address === undefined ? this.#nextAutoAddress() : this.#checked(address);
    let ports = this.#hosts.get(local.host);
    if (ports === undefined) {
      ports = new Map();
      this.#hosts.set(local.host, ports);
    }
    if (ports.has(local.port)) {
      throw new TransportError(`Cannot attach a transport: ${formatAddress(local)} is in use`, {
        osCode: "EADDRINUSE",
      });
    }
    const transport = new MemoryTransport(this, local);
    ports.set(local.port, transport);
    this.#attached++;
    return transport;
  }

  /** Removes and closes the transport at `address` (a host that lost power); unknown: nothing. */
  detach(address: DatagramAddress): void {
    const transport = this.#hosts.get(address.host)?.get(address.port);
    if (transport !== undefined) void transport.close();
  }

  /**
   * Cuts every link between the address sets `a` and `b`, both ways, until `heal()` (or the
   * returned function, which heals this cut only). Entries are "host:port" as formatAddress writes
   * them ("[::1]:5060" for IPv6) or a bare host, which covers all its ports. Cuts add up: a link is
   * down while any cut separates its ends. Checked when a datagram is sent.
   */
  partition(a: readonly string[], b: readonly string[]): () => void {
    const cut: Cut = { a: new Set(a), b: new Set(b) };
    this.#cuts = [...this.#cuts, cut];
    return () => {
      this.#cuts = this.#cuts.filter((c) => c !== cut);
    };
  }

  /** Removes every partition. */
  heal(): void {
    this.#cuts = [];
  }

  /** @internal MemoryTransport.send of an open transport. */
  transmit(from: MemoryTransport, bytes: Uint8Array, to: DatagramAddress): void {
    const stats = this.stats;
    stats.sent++;
    stats.bytes += bytes.length;
    const host = to.host;
    const port = to.port;
    if (this.#cuts.length > 0 && this.#isCut(from, host, port)) {
      stats.lost++;
      return;
    }
    const link = this.#link === undefined ? DEFAULT_LINK : this.#link(from.local, to);
    if (link.loss > 0 && this.#random() < link.loss) {
      stats.lost++;
      return;
    }
    let delay = link.latencyMs;
    if (link.jitterMs > 0) delay += (this.#random() * 2 - 1) * link.jitterMs;
    if (!(delay > 0)) delay = 0;
    // Copy now: the sender may reuse its buffer as soon as send returns.
    const copy = bytes.slice();
    // Capture the primitives, not `to`: the caller owns that object.
    this.#scheduler.schedule(delay, () => this.#arrive(copy, from.local, host, port));
  }

  /** @internal MemoryTransport.close. */
  remove(transport: MemoryTransport): void {
    const ports = this.#hosts.get(transport.local.host);
    // Only this transport: a newer one may have taken the address since it was detached.
    if (ports?.get(transport.local.port) !== transport) return;
    ports.delete(transport.local.port);
    if (ports.size === 0) this.#hosts.delete(transport.local.host);
    this.#attached--;
  }

  #arrive(bytes: Uint8Array, from: DatagramAddress, host: string, port: number): void {
    const target = this.#hosts.get(host)?.get(port);
    if (target === undefined) {
      this.stats.unroutable++;
      return;
    }
    this.stats.delivered++;
    target.receive(bytes, from);
  }

  #isCut(from: MemoryTransport, host: string, port: number): boolean {
    const fromKey = from.key;
    const fromHost = from.local.host;
    const toKey = formatAddress({ host, port });
    for (const { a, b } of this.#cuts) {
      const fromA = a.has(fromKey) || a.has(fromHost);
      const fromB = b.has(fromKey) || b.has(fromHost);
      if (!fromA && !fromB) continue;
      const toA = a.has(toKey) || a.has(host);
      const toB = b.has(toKey) || b.has(host);
      if ((fromA && toB) || (fromB && toA)) return true;
    }
    return false;
  }

  #nextAutoAddress(): DatagramAddress {
    for (;;) {
      if (this.#auto >= MAX_AUTO_ADDRESSES) {
        throw new TransportError("Cannot attach a transport: every 10.x.y.z address is taken", {
          osCode: "EADDRNOTAVAIL",
        });
      }
      const n = ++this.#auto;
      const host = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
      if (this.#hosts.get(host)?.has(MEMORY_NETWORK_PORT) !== true) {
        return { host, port: MEMORY_NETWORK_PORT };
      }
    }
  }

  #checked(address: DatagramAddress): DatagramAddress {
    const { host, port } = address;
    if (typeof host !== "string" || host === "") {
      throw new RangeError("Cannot attach a transport: host is empty");
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`Cannot attach a transport: port ${port} is not in 0..65535`);
    }
    if (port !== 0) return { host, port };
    const ports = this.#hosts.get(host);
    for (let p = FIRST_EPHEMERAL_PORT; p <= 65535; p++) {
      if (ports?.has(p) !== true) return { host, port: p };
    }
    throw new TransportError(`Cannot attach a transport: no free port on ${host}`, {
      osCode: "EADDRINUSE",
    });
  }
}

/** One endpoint of a MemoryNetwork. */
class MemoryTransport implements DatagramTransport {
  readonly local: DatagramAddress;
  /** formatAddress(local), computed once for partition checks. */
  readonly key: string;
  readonly #network: MemoryNetwork;
  #handler: DatagramHandler | undefined;
  #closed = false;

  constructor(network: MemoryNetwork, local: DatagramAddress) {
    this.#network = network;
    this.local = Object.freeze({ host: local.host, port: local.port });
    this.key = formatAddress(local);
  }

  send(bytes: Uint8Array, to: DatagramAddress): void {
    if (!this.#closed) this.#network.transmit(this, bytes, to);
  }

  onDatagram(handler: DatagramHandler): void {
    this.#handler = handler;
  }

  /** @internal called by the network on arrival. */
  receive(bytes: Uint8Array, from: DatagramAddress): void {
    this.#handler?.(bytes, from);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#network.remove(this);
    }
    return Promise.resolve();
  }
}
