import { createSocket, type RemoteInfo, type Socket, type SocketOptions } from "node:dgram";
import { isIP } from "node:net";
import type { Logger } from "../core/logger.ts";
import type { Metrics } from "../core/metrics.ts";
import type { DatagramAddress, DatagramHandler, DatagramTransport } from "../core/transport.ts";
import { runtimeInfo, type RuntimeName } from "../daemon/runtime.ts";
import { TransportError } from "./transport_error.ts";
import { errorCode, UdpMetrics } from "./udp_metrics.ts";

export interface UdpTransportInit {
  /**
   * IP literal to bind (no host names, no brackets). `::` binds dual-stack: IPv4 peers arrive as
   * `::ffff:a.b.c.d` and IPv4 destinations are sent as such. `0.0.0.0` is IPv4 only.
   */
  readonly host: string;
  /** 0 lets the kernel pick a free port; `local.port` then reports it. */
  readonly port: number;
  /**
   * Socket receive buffer, Node only (the kernel caps it at net.core.rmem_max). Never applied on
   * Deno, see DEFAULT_RECV_BUFFER_BYTES.
   * @default DEFAULT_RECV_BUFFER_BYTES (1 MiB)
   */
  readonly recvBufferBytes?: number;
  /** The runtime whose quirks apply; for tests. @default runtimeInfo().name */
  readonly runtime?: RuntimeName;
}

export interface UdpTransportComponents {
  /** Suggested name: `superpeer:transport:udp`. */
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * Receive buffer asked for on Node: absorbs the loss that short event-loop stalls cause
 * (shared/notes/udp-performance.md; coturn asks for 4 MB). Not used on Deno: its node:dgram
 * allocates a recvBufferSize-sized buffer for every datagram, and 4 MB there collapsed throughput
 * to ~750 packets/s at 95 %+ loss and ~500 MB RSS (same note).
 */
export const DEFAULT_RECV_BUFFER_BYTES = 1024 * 1024;

/**
 * Opens a DatagramTransport on node:dgram (udp4 or udp6 from the host literal, SO_REUSEADDR off).
 *
 * `send` never throws. A datagram that cannot go is counted in
 * `superpeer_transport_send_errors_total{code}` and logged as one warning message with the code as
 * a field (the daemon's log sink folds repeats of a message into one line per window). Codes are
 * the socket's (`EHOSTUNREACH`, `ENETUNREACH`, `EMSGSIZE`; Deno's node:dgram reports some as
 * `UNKNOWN`) or the transport's own checks made before the socket sees the datagram:
 * `EAFNOSUPPORT` (an IPv6 destination from an IPv4 socket or the reverse, except IPv4 from a
 * dual-stack `::` socket), `EINVAL` (host not an IP literal, which would otherwise start a DNS
 * lookup per datagram, or port outside 1..65535) and `ERR_SOCKET_DGRAM_NOT_RUNNING` (sent after
 * `close()`: a counted no-op). `superpeer_transport_datagrams_total{direction}` and
 * `superpeer_transport_bytes_total{direction}` count what was received and what the kernel took.
 *
 * The bytes are handed to the socket before `send` returns (a synchronous address lookup replaces
 * node:dgram's default, which defers the send a tick and so would send whatever a caller reusing
 * its buffer wrote next). One exception: when the kernel's send buffer is full, libuv queues the
 * datagram and reads the buffer later. Handler exceptions are caught, counted in
 * `superpeer_transport_handler_errors_total` and logged: one bad datagram must not end the daemon.
 *
 * The handler gets the datagram as a Buffer (a Uint8Array) and the sender as `rinfo.address`
 * reports it, IPv6 zone (`fe80::1%eth0`) included, since replying needs it.
 * Deno 2.9's node:dgram sends a synchronous burst of datagrams in reverse order (measured on
 * loopback); UDP never promised order, so receivers must not rely on it.
 *
 * @throws {TypeError} when `host` is not an IP literal
 * @throws {RangeError} when `port` or `recvBufferBytes` is out of range
 * @throws {TransportError} when binding fails; `osCode` says why (EADDRINUSE, EADDRNOTAVAIL, EACCES)
 *
 * @example
 * ```ts
 * const components = { logger: silentLogger(), metrics: new MetricsRegistry() };
 * const udp = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components);
 * udp.onDatagram((bytes, from) => udp.send(bytes, from)); // echo
 * console.log(udp.local.port); // the port the kernel picked
 * await udp.close();
 * ```
 */
export async function openUdpTransport(
  init: UdpTransportInit,
  components: UdpTransportComponents,
): Promise<DatagramTransport> {
  const family = isIP(init.host);
  if (family === 0) {
    throw new TypeError(`Cannot open a UDP transport: host is not an IP literal: ${init.host}`);
  }
  if (!Number.isInteger(init.port) || init.port < 0 || init.port > 65535) {
    throw new RangeError(`Cannot open a UDP transport: port ${init.port} is not in 0..65535`);
  }
  const recvBufferBytes = init.recvBufferBytes ?? DEFAULT_RECV_BUFFER_BYTES;
  if (!Number.isInteger(recvBufferBytes) || recvBufferBytes <= 0) {
    throw new RangeError(
      `Cannot open a UDP transport: recvBufferBytes ${init.recvBufferBytes} is not a positive integer`,
    );
  }
  // Only the unspecified address (any spelling of ::) can be dual-stack; say so explicitly rather
  // than inherit net.ipv6.bindv6only, which some distributions set to 1.
  const dualStack = family === 6 && /^[0:]+$/.test(init.host);
  const options: SocketOptions = {
    type: family === 6 ? "udp6" : "udp4",
    reuseAddr: false,
    lookup: literalLookup,
    ...(dualStack ? { ipv6Only: false } : {}),
  };
  const socket = createSocket(options);
  await bind(socket, init.host, init.port);
  const runtime = init.runtime ?? runtimeInfo().name;
  if (runtime === "node") {
    setReceiveBuffer(socket, recvBufferBytes, components.logger);
  } else if (init.recvBufferBytes !== undefined) {
    components.logger.info(
      "Ignored the receive buffer size on Deno: its node:dgram allocates that much per datagram",
      {
        recvBufferBytes: init.recvBufferBytes,
      },
    );
  }
  return new UdpTransport(socket, family, dualStack, components);
}

/**
 * node:dgram's `lookup` option, answering at once: the transport only ever passes IP literals
 * (send checks them first), and answering synchronously makes the send happen before `send`
 * returns. The family comes from the literal, so a mismatch fails in the socket, not in DNS.
 */
function literalLookup(
  hostname: string,
  _options: unknown,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, hostname, isIP(hostname));
}

function bind(socket: Socket, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      try {
        socket.close();
      } catch {
        // Never bound: nothing to release.
      }
      const osCode = errorCode(error);
      const where = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
      reject(
        new TransportError(`Cannot bind a UDP socket: ${where}: ${osCode}`, {
          osCode,
          cause: error,
        }),
      );
    };
    socket.once("error", onError);
    socket.bind(port, host, () => {
      socket.off("error", onError);
      resolve();
    });
  });
}

function setReceiveBuffer(socket: Socket, bytes: number, logger: Logger): void {
  try {
    socket.setRecvBufferSize(bytes);
  } catch (error) {
    logger.warn("Could not set the socket receive buffer", {
      requested: bytes,
      error: (error as Error).message,
    });
    return;
  }
  // Linux reports twice what it granted and caps the grant at net.core.rmem_max.
  let effective: number | undefined;
  try {
    effective = socket.getRecvBufferSize();
  } catch {
    effective = undefined;
  }
  if (effective !== undefined && effective < bytes) {
    logger.warn("Receive buffer is smaller than asked: raise net.core.rmem_max", {
      requested: bytes,
      effective,
    });
  } else {
    logger.debug("Receive buffer set", { requested: bytes, effective });
  }
}

class UdpTransport implements DatagramTransport {
  readonly local: DatagramAddress;
  readonly #socket: Socket;
  readonly #family: 4 | 6;
  readonly #dualStack: boolean;
  readonly #log: Logger;
  readonly #m: UdpMetrics;
  #handler: DatagramHandler | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    socket: Socket,
    family: number,
    dualStack: boolean,
    components: UdpTransportComponents,
  ) {
    this.#socket = socket;
    this.#family = family === 6 ? 6 : 4;
    this.#dualStack = dualStack;
    this.#log = components.logger;
    const { metrics } = components;
    this.#m = new UdpMetrics(metrics);
    const address = socket.address();
    this.local = Object.freeze({ host: address.address, port: address.port });
    socket.on("message", this.#onMessage);
    socket.on("error", (error) => {
      const code = errorCode(error);
      this.#m.socketError(code).inc();
      this.#log.warn("UDP socket error", { code, error: error.message });
    });
  }

  send(bytes: Uint8Array, to: DatagramAddress): void {
    if (this.#closing !== undefined) return this.#failed("ERR_SOCKET_DGRAM_NOT_RUNNING", to);
    let host = to.host;
    const port = to.port;
    if (!(port > 0 && port <= 65535 && Number.isInteger(port))) return this.#failed("EINVAL", to);
    const family = isIP(host);
    if (family !== this.#family) {
      if (family === 0) return this.#failed("EINVAL", to);
      if (family === 4 && this.#dualStack) host = `::ffff:${host}`;
      else return this.#failed("EAFNOSUPPORT", to);
    }
    try {
      this.#socket.send(bytes, port, host, this.#onSent);
    } catch (error) {
      this.#failed(errorCode(error), to);
    }
  }

  onDatagram(handler: DatagramHandler): void {
    this.#handler = handler;
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve(); // Already closed underneath us: nothing left to release.
      }
    });
    return this.#closing;
  }

  /** One shared completion callback: no closure per datagram. */
  readonly #onSent = (error: Error | null, sent?: number): void => {
    if (error) {
      this.#failed(errorCode(error), undefined);
      return;
    }
    this.#m.out.inc();
    if (sent !== undefined && sent > 0) this.#m.bytesOut.inc(sent);
  };

  readonly #onMessage = (message: Uint8Array, rinfo: RemoteInfo): void => {
    this.#m.in.inc();
    this.#m.bytesIn.inc(message.length);
    const handler = this.#handler;
    if (handler === undefined) return;
    try {
      handler(message, { host: rinfo.address, port: rinfo.port });
    } catch (error) {
      this.#m.handlerErrors.inc();
      this.#log.error("UDP datagram handler threw", {
        from: rinfo.address,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };

  #failed(code: string, to: DatagramAddress | undefined): void {
    this.#m.sendError(code).inc();
    if (this.#log.enabled("warn")) {
      this.#log.warn("Dropped an outgoing UDP datagram", {
        code,
        ...(to === undefined ? {} : { to: to.host, port: to.port }),
      });
    }
  }
}
