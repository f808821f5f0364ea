import { createSocket, type Socket } from "node:dgram";
import type { Logger } from "../core/logger.ts";
import type { Counter, Metrics } from "../core/metrics.ts";
import type { DatagramAddress, DatagramHandler, DatagramTransport } from "../core/transport.ts";
import { runtimeInfo } from "../daemon/runtime.ts";

export interface UdpTransportInit {
  /** IP literal to bind: an IPv4 address, an IPv6 one, `0.0.0.0` or `::` (dual stack). */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Socket receive buffer on Node; never set on Deno (see below). @default 1 MiB */
  readonly recvBufferBytes?: number;
}

export const DEFAULT_RECV_BUFFER_BYTES = 1024 * 1024;

/**
 * A DatagramTransport on node:dgram, for the overlay's control traffic (the relay's data path gets a
 * Deno-native transport of its own, issue #5). `send` never throws: network errors are counted by
 * code and logged (the daemon's log sink folds repeats into one line per window).
 *
 * shared/notes/udp-performance.md: on Node a larger receive buffer absorbs scheduler stalls; on
 * Deno's node:dgram a large recvBufferSize makes every datagram allocate that much, so Deno keeps
 * the default.
 *
 * @example
 * ```ts
 * const udp = await openUdpTransport({ host: "127.0.0.1", port: 0 }, { logger, metrics });
 * udp.onDatagram((bytes, from) => ...);
 * udp.send(bytes, { host: "127.0.0.1", port: 6084 });
 * ```
 */
export async function openUdpTransport(
  init: UdpTransportInit,
  components: { logger: Logger; metrics: Metrics },
): Promise<DatagramTransport> {
  const ipv6 = init.host.includes(":");
  const socket = createSocket({ type: ipv6 ? "udp6" : "udp4", reuseAddr: false, ipv6Only: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(init.port, init.host, () => {
      socket.off("error", reject);
      resolve();
    });
  }).catch((error) => {
    socket.close();
    throw new Error(
      `cannot bind UDP ${ipv6 ? `[${init.host}]` : init.host}:${init.port}: ${
        (error as Error).message
      }`,
    );
  });
  if (runtimeInfo().name === "node") {
    try {
      socket.setRecvBufferSize(init.recvBufferBytes ?? DEFAULT_RECV_BUFFER_BYTES);
    } catch {
      // The kernel caps it (net.core.rmem_max); the default still works.
    }
  }
  return new UdpTransport(socket, ipv6, components);
}

class UdpTransport implements DatagramTransport {
  readonly local: DatagramAddress;
  readonly #socket: Socket;
  readonly #ipv6: boolean;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #in: Counter;
  readonly #out: Counter;
  readonly #bytesIn: Counter;
  readonly #bytesOut: Counter;
  readonly #errors = new Map<string, Counter>();
  #handler: DatagramHandler = () => {};
  #closed = false;

  constructor(socket: Socket, ipv6: boolean, components: { logger: Logger; metrics: Metrics }) {
    this.#socket = socket;
    this.#ipv6 = ipv6;
    this.#log = components.logger;
    this.#metrics = components.metrics;
    const datagrams = components.metrics.counter(
      "superpeer_transport_datagrams_total",
      "UDP datagrams",
      ["direction"],
    );
    const bytes = components.metrics.counter(
      "superpeer_transport_bytes_total",
      "UDP payload bytes",
      ["direction"],
    );
    this.#in = datagrams.with({ direction: "in" });
    this.#out = datagrams.with({ direction: "out" });
    this.#bytesIn = bytes.with({ direction: "in" });
    this.#bytesOut = bytes.with({ direction: "out" });
    const address = socket.address();
    this.local = { host: address.address, port: address.port };
    socket.on("message", (message, rinfo) => {
      this.#in.inc();
      this.#bytesIn.inc(message.length);
      this.#handler(message, { host: rinfo.address, port: rinfo.port });
    });
    socket.on("error", (error) => this.#error(error));
  }

  send(bytes: Uint8Array, to: DatagramAddress): void {
    if (this.#closed) return this.#countError("ECLOSED");
    if (to.host.includes(":") && !this.#ipv6) return this.#countError("EAFNOSUPPORT");
    this.#out.inc();
    this.#bytesOut.inc(bytes.length);
    try {
      this.#socket.send(bytes, to.port, to.host, (error) => {
        if (error) this.#error(error);
      });
    } catch (error) {
      this.#error(error as Error);
    }
  }

  onDatagram(handler: DatagramHandler): void {
    this.#handler = handler;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #error(error: Error): void {
    const code = (error as { code?: string }).code ?? "EUNKNOWN";
    this.#countError(code);
    this.#log.warn("UDP send or receive failed", { code, error: error.message });
  }

  #countError(code: string): void {
    let counter = this.#errors.get(code);
    if (counter === undefined) {
      counter = this.#metrics.counter("superpeer_transport_errors_total", "UDP errors by code", [
        "code",
      ]).with({ code });
      this.#errors.set(code, counter);
    }
    counter.inc();
  }
}
