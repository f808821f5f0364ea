import { Buffer } from "node:buffer";
import { createServer as createTcpServer, isIP, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { Logger } from "../core/logger.ts";
import type { Counter, Gauge, Metrics } from "../core/metrics.ts";
import type {
  StreamCloseReason,
  StreamConnection,
  StreamListener,
} from "../core/stream_transport.ts";
import type { DatagramAddress } from "../core/transport.ts";
import { TransportError } from "./transport_error.ts";

/** Options of a TCP (or TLS) listener. */
export interface TcpListenerInit {
  /** IP literal to bind (no host names). `::` accepts IPv4 too. */
  readonly host: string;
  /** 0 lets the kernel pick a free port; `local.port` then reports it. */
  readonly port: number;
  /** PEM certificate chain and key: when given, the listener speaks TLS. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  /** Open connections at once; more are closed as they arrive. @default DEFAULT_MAX_STREAM_CONNECTIONS */
  readonly maxConnections?: number;
  /** Open connections from one IP address. @default DEFAULT_MAX_STREAM_CONNECTIONS_PER_IP */
  readonly maxConnectionsPerIp?: number;
  /** Unsent bytes one connection may queue; writes past it are refused. @default DEFAULT_MAX_STREAM_BACKLOG_BYTES */
  readonly maxBacklogBytes?: number;
  /** A TLS handshake not done by then ends the connection. @default DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS */
  readonly handshakeTimeoutMs?: number;
  /** Prefix of the metric names, e.g. `superpeer_relay_stream`. @default "superpeer_transport_stream" */
  readonly metricPrefix?: string;
}

/** What a TCP listener needs from outside. */
export interface TcpListenerComponents {
  /** Suggested name: `superpeer:transport:tcp`. */
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Default cap on connections of one listener. */
export const DEFAULT_MAX_STREAM_CONNECTIONS = 256;
/** Default cap on connections from one IP address (a NAT can hide several clients). */
export const DEFAULT_MAX_STREAM_CONNECTIONS_PER_IP = 32;
/** Default cap on one connection's unsent bytes: about 1 s of a 2 Mbit/s video call. */
export const DEFAULT_MAX_STREAM_BACKLOG_BYTES = 256 * 1024;
/** Default time a TLS client has to finish its handshake. */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Opens a TCP listener on node:net, or a TLS one on node:tls when `tls` is given. Memory is
 * bounded by the connection caps times the backlog cap; nothing a client sends is buffered here
 * (the service frames each chunk as it comes). Writes copy their bytes, because node keeps a
 * reference to whatever the kernel did not take at once and callers reuse their buffers.
 *
 * Metrics (prefix `superpeer_transport_stream` unless `metricPrefix` says otherwise):
 * `_connections` (gauge), `_accepted_total`, `_refused_total{reason}` (max_connections,
 * max_per_ip), `_closed_total{reason}`, `_bytes_total{direction}`, `_write_refused_total`.
 *
 * @throws {TypeError} when `host` is not an IP literal
 * @throws {RangeError} when a number is out of range
 * @throws {TransportError} when listening fails; `osCode` says why (EADDRINUSE, EACCES)
 *
 * @example
 * ```ts
 * const tcp = await openTcpListener({ host: "127.0.0.1", port: 0 }, components);
 * tcp.onConnection((c) => c.onData((chunk) => c.write(chunk))); // echo
 * await tcp.close();
 * ```
 */
export async function openTcpListener(
  init: TcpListenerInit,
  components: TcpListenerComponents,
): Promise<StreamListener> {
  if (isIP(init.host) === 0) {
    throw new TypeError(`Cannot open a TCP listener: host is not an IP literal: ${init.host}`);
  }
  if (!Number.isInteger(init.port) || init.port < 0 || init.port > 65535) {
    throw new RangeError(`Cannot open a TCP listener: port ${init.port} is not in 0..65535`);
  }
  const limits = {
    maxConnections: positive("maxConnections", init.maxConnections, DEFAULT_MAX_STREAM_CONNECTIONS),
    maxPerIp: positive(
      "maxConnectionsPerIp",
      init.maxConnectionsPerIp,
      DEFAULT_MAX_STREAM_CONNECTIONS_PER_IP,
    ),
    maxBacklogBytes: positive(
      "maxBacklogBytes",
      init.maxBacklogBytes,
      DEFAULT_MAX_STREAM_BACKLOG_BYTES,
    ),
  };
  const handshakeTimeoutMs = positive(
    "handshakeTimeoutMs",
    init.handshakeTimeoutMs,
    DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  );
  const server = init.tls === undefined ? createTcpServer({ noDelay: true }) : createTlsServer({
    cert: init.tls.certPem,
    key: init.tls.keyPem,
    handshakeTimeout: handshakeTimeoutMs,
    noDelay: true,
  });
  await listen(server, init.host, init.port);
  return new TcpListener(server, init.tls === undefined ? "tcp" : "tls", limits, {
    ...components,
    prefix: init.metricPrefix ?? "superpeer_transport_stream",
  });
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 1) {
    throw new RangeError(`Cannot open a TCP listener: ${name} ${value} is not a positive integer`);
  }
  return chosen;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      server.close();
      const osCode = (error as { code?: string }).code ?? "UNKNOWN";
      const where = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
      reject(
        new TransportError(`Cannot listen on TCP ${where}: ${osCode}`, { osCode, cause: error }),
      );
    };
    server.once("error", onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

interface Limits {
  readonly maxConnections: number;
  readonly maxPerIp: number;
  readonly maxBacklogBytes: number;
}

class TcpListener implements StreamListener {
  readonly local: DatagramAddress;
  readonly protocol: "tcp" | "tls";
  readonly #server: Server;
  readonly #limits: Limits;
  readonly #log: Logger;
  readonly #open = new Set<TcpConnection>();
  readonly #perIp = new Map<string, number>();
  readonly #metrics: StreamMetrics;
  #handler: ((connection: StreamConnection) => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    server: Server,
    protocol: "tcp" | "tls",
    limits: Limits,
    components: TcpListenerComponents & { prefix: string },
  ) {
    this.#server = server;
    this.protocol = protocol;
    this.#limits = limits;
    this.#log = components.logger;
    this.#metrics = new StreamMetrics(components.metrics, components.prefix);
    const address = server.address();
    if (address === null || typeof address === "string") {
      throw new TransportError("Cannot read the TCP listener's address");
    }
    this.local = Object.freeze({ host: address.address, port: address.port });
    // A TLS server emits the connection once the handshake is done; a TCP server at once.
    server.on(protocol === "tls" ? "secureConnection" : "connection", this.#accept);
    server.on("error", (error) => {
      this.#log.warn("TCP listener error", { error: error.message });
    });
    if (protocol === "tls") {
      server.on("tlsClientError", (error: Error) => {
        this.#metrics.refused("tls_handshake");
        this.#log.debug("TLS handshake failed", { error: error.message });
      });
    }
  }

  onConnection(handler: (connection: StreamConnection) => void): void {
    this.#handler = handler;
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const connection of [...this.#open]) connection.end("listener");
    });
    return this.#closing;
  }

  readonly #accept = (socket: Socket): void => {
    const ip = socket.remoteAddress;
    if (this.#closing !== undefined || ip === undefined) {
      socket.destroy();
      return;
    }
    if (this.#open.size >= this.#limits.maxConnections) {
      this.#metrics.refused("max_connections");
      this.#log.warn("Closed a TCP connection at the connection cap", {
        from: ip,
        max: this.#limits.maxConnections,
      });
      socket.destroy();
      return;
    }
    const fromIp = this.#perIp.get(ip) ?? 0;
    if (fromIp >= this.#limits.maxPerIp) {
      this.#metrics.refused("max_per_ip");
      this.#log.warn("Closed a TCP connection at the per-address cap", {
        from: ip,
        max: this.#limits.maxPerIp,
      });
      socket.destroy();
      return;
    }
    this.#perIp.set(ip, fromIp + 1);
    const connection = new TcpConnection(socket, this.protocol, this.#limits.maxBacklogBytes, {
      metrics: this.#metrics,
      log: this.#log,
      closed: (c, reason) => {
        this.#open.delete(c);
        this.#metrics.closed(reason, this.#open.size);
        const left = (this.#perIp.get(ip) ?? 1) - 1;
        if (left <= 0) this.#perIp.delete(ip);
        else this.#perIp.set(ip, left);
      },
    });
    this.#open.add(connection);
    this.#metrics.accepted(this.#open.size);
    try {
      this.#handler?.(connection);
    } catch (error) {
      this.#log.error("TCP connection handler threw", {
        error: error instanceof Error ? error.message : String(error),
      });
      connection.end("error");
    }
  };
}

class StreamMetrics {
  readonly #connections: Gauge;
  readonly #accepted: Counter;
  readonly #refused: Counter;
  readonly #closed: Counter;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly writeRefused: Counter;

  constructor(metrics: Metrics, prefix: string) {
    this.#connections = metrics.gauge(`${prefix}_connections`, "Open stream connections");
    this.#accepted = metrics.counter(`${prefix}_accepted_total`, "Stream connections accepted");
    this.#refused = metrics.counter(
      `${prefix}_refused_total`,
      "Stream connections closed on arrival, by reason",
      ["reason"],
    );
    this.#closed = metrics.counter(
      `${prefix}_closed_total`,
      "Stream connections ended, by reason",
      ["reason"],
    );
    const bytes = metrics.counter(
      `${prefix}_bytes_total`,
      "Stream bytes received (in) and queued to send (out)",
      ["direction"],
    );
    this.bytesIn = bytes.with({ direction: "in" });
    this.bytesOut = bytes.with({ direction: "out" });
    this.writeRefused = metrics.counter(
      `${prefix}_write_refused_total`,
      "Writes refused because the connection was closed or its backlog was full",
    );
  }

  accepted(open: number): void {
    this.#accepted.inc();
    this.#connections.set(open);
  }

  refused(reason: string): void {
    this.#refused.with({ reason }).inc();
  }

  closed(reason: StreamCloseReason, open: number): void {
    this.#closed.with({ reason }).inc();
    this.#connections.set(open);
  }
}

class TcpConnection implements StreamConnection {
  readonly remote: DatagramAddress;
  readonly local: DatagramAddress;
  readonly protocol: "tcp" | "tls";
  readonly #socket: Socket;
  readonly #maxBacklog: number;
  readonly #metrics: StreamMetrics;
  readonly #log: Logger;
  readonly #closed: (connection: TcpConnection, reason: StreamCloseReason) => void;
  #onClose: ((reason: StreamCloseReason) => void) | undefined;
  #ended = false;
  #reason: StreamCloseReason = "remote";

  constructor(
    socket: Socket,
    protocol: "tcp" | "tls",
    maxBacklog: number,
    hooks: {
      metrics: StreamMetrics;
      log: Logger;
      closed: (connection: TcpConnection, reason: StreamCloseReason) => void;
    },
  ) {
    this.#log = hooks.log;
    this.#socket = socket;
    this.protocol = protocol;
    this.#maxBacklog = maxBacklog;
    this.#metrics = hooks.metrics;
    this.#closed = hooks.closed;
    this.remote = Object.freeze({
      host: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    });
    this.local = Object.freeze({ host: socket.localAddress ?? "", port: socket.localPort ?? 0 });
    socket.setNoDelay(true);
    socket.on("error", () => {
      if (!this.#ended) this.#reason = "error";
    });
    socket.on("close", () => this.#finish());
  }

  write(bytes: Uint8Array): boolean {
    const socket = this.#socket;
    if (
      this.#ended || socket.destroyed || socket.writableLength + bytes.length > this.#maxBacklog
    ) {
      this.#metrics.writeRefused.inc();
      return false;
    }
    socket.write(Buffer.from(bytes));
    this.#metrics.bytesOut.inc(bytes.length);
    return true;
  }

  onData(handler: (chunk: Uint8Array) => void): void {
    this.#socket.removeAllListeners("data");
    this.#socket.on("data", (chunk: Uint8Array) => {
      this.#metrics.bytesIn.inc(chunk.length);
      try {
        handler(chunk);
      } catch (error) {
        // One bad client must not take the process down: end its connection only.
        this.#log.error("Stream data handler threw; closing the connection", {
          from: this.remote.host,
          error: error instanceof Error ? error.message : String(error),
        });
        this.end("error");
      }
    });
  }

  onClose(handler: (reason: StreamCloseReason) => void): void {
    this.#onClose = handler;
  }

  close(): void {
    this.end("local");
  }

  /** Ends the connection for `reason` (the listener uses "listener"). */
  end(reason: StreamCloseReason): void {
    if (this.#ended) return;
    this.#reason = reason;
    this.#socket.destroy();
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#closed(this, this.#reason);
    this.#onClose?.(this.#reason);
  }
}
