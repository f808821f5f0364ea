import type { Scheduler } from "../core/scheduler.ts";
import {
  type DatagramAddress,
  type DatagramHandler,
  type DatagramTransport,
  formatAddress,
} from "../core/transport.ts";

/** How one link behaves: one-way latency, uniform jitter (±), loss probability. */
export interface LinkModel {
  readonly latencyMs: number;
  readonly jitterMs: number;
  readonly loss: number;
}

export interface MemoryNetworkInit {
  readonly scheduler: Scheduler;
  /** Uniform [0, 1) source for jitter and loss (seed it for reproducible runs). */
  readonly random: () => number;
  /** @default 10 ms, no jitter, no loss */
  readonly link?: (from: DatagramAddress, to: DatagramAddress) => LinkModel;
}

const DEFAULT_LINK: LinkModel = { latencyMs: 10, jitterMs: 0, loss: 0 };

/**
 * An in-process datagram network for tests and the overlay simulator: transports attached to it
 * exchange copies of datagrams after the link's latency, lose them with the link's probability,
 * and can be partitioned. Datagrams to a detached or unknown address vanish, as UDP's do.
 */
export class MemoryNetwork {
  readonly #init: MemoryNetworkInit;
  readonly #endpoints = new Map<string, MemoryTransport>();
  readonly #partition = new Map<string, number>();
  #auto = 0;
  readonly stats = { sent: 0, delivered: 0, lost: 0, unroutable: 0, bytes: 0 };

  constructor(init: MemoryNetworkInit) {
    this.#init = init;
  }

  /** Adds a transport at `address` (or the next free 10.0.x.y:6084). */
  attach(address?: DatagramAddress): DatagramTransport {
    let local = address;
    while (
      local === undefined || (address === undefined && this.#endpoints.has(formatAddress(local)))
    ) {
      const n = ++this.#auto;
      local = { host: `10.0.${(n >> 8) & 255}.${n & 255}`, port: 6084 };
    }
    const key = formatAddress(local);
    if (this.#endpoints.has(key)) throw new RangeError(`Cannot attach: ${key} is in use`);
    const transport = new MemoryTransport(this, local);
    this.#endpoints.set(key, transport);
    return transport;
  }

  /** Removes the transport at `address` (a crashed host). */
  detach(address: DatagramAddress): void {
    this.#endpoints.delete(formatAddress(address));
  }

  /** Cuts every link between the two address sets (host:port strings). */
  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a) this.#partition.set(x, 1);
    for (const x of b) this.#partition.set(x, 2);
  }

  heal(): void {
    this.#partition.clear();
  }

  /** @internal used by MemoryTransport */
  deliver(bytes: Uint8Array, from: DatagramAddress, to: DatagramAddress): void {
    this.stats.sent++;
    this.stats.bytes += bytes.length;
    const fromKey = formatAddress(from);
    const toKey = formatAddress(to);
    const sideA = this.#partition.get(fromKey);
    const sideB = this.#partition.get(toKey);
    if (sideA !== undefined && sideB !== undefined && sideA !== sideB) {
      this.stats.lost++;
      return;
    }
    const link = this.#init.link?.(from, to) ?? DEFAULT_LINK;
    if (link.loss > 0 && this.#init.random() < link.loss) {
      this.stats.lost++;
      return;
    }
    const delay = Math.max(
      0,
      link.latencyMs + (link.jitterMs > 0 ? (this.#init.random() * 2 - 1) * link.jitterMs : 0),
    );
    const copy = bytes.slice();
    this.#init.scheduler.schedule(delay, () => {
      const target = this.#endpoints.get(toKey);
      if (target === undefined || target.closed) {
        this.stats.unroutable++;
        return;
      }
      this.stats.delivered++;
      target.receive(copy, from);
    });
  }
}

class MemoryTransport implements DatagramTransport {
  readonly local: DatagramAddress;
  readonly #network: MemoryNetwork;
  #handler: DatagramHandler = () => {};
  closed = false;

  constructor(network: MemoryNetwork, local: DatagramAddress) {
    this.#network = network;
    this.local = local;
  }

  send(bytes: Uint8Array, to: DatagramAddress): void {
    if (!this.closed) this.#network.deliver(bytes, this.local, to);
  }

  onDatagram(handler: DatagramHandler): void {
    this.#handler = handler;
  }

  receive(bytes: Uint8Array, from: DatagramAddress): void {
    this.#handler(bytes, from);
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.#network.detach(this.local);
    }
    return Promise.resolve();
  }
}
