/**
 * SIP over WebSocket (RFC 7118) for browser softphones: a node:http (or node:https) server that
 * upgrades requests offering the "sip" subprotocol and then carries one SIP message per WebSocket
 * message (RFC 7118 section 4.2). The wire format lives in codec/websocket; this file owns the
 * sockets, the caps, keep-alive and the close handshake.
 *
 * @module
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { isIP, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import {
  acceptWebSocketUpgrade,
  DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES,
  encodeWebSocketClose,
  encodeWebSocketFrame,
  encodeWebSocketRefusal,
  encodeWebSocketUpgradeResponse,
  isUtf8,
  MAX_WEBSOCKET_MESSAGE_BYTES,
  SIP_SUBPROTOCOL,
  WebSocketCloseCode,
  type WebSocketFrameHandlers,
  WebSocketFrameParser,
  WebSocketHandshakeError,
  WebSocketOpcode,
  WebSocketProtocolError,
  type WebSocketUpgrade,
} from "../codec/websocket/mod.ts";
import type { Logger } from "../core/logger.ts";
import type { Counter, Gauge, Metrics } from "../core/metrics.ts";
import type { DatagramAddress } from "../core/transport.ts";
import { TransportError } from "./transport_error.ts";

/** Options of a WebSocket listener. */
export interface WebSocketListenerInit {
  /** IP literal to bind (no host names). `::` accepts IPv4 too. */
  readonly host: string;
  /** 0 lets the kernel pick a free port; `local.port` then reports it. */
  readonly port: number;
  /** PEM certificate chain and key: when given, the listener speaks TLS (wss:). */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  /** When given, the only request path upgraded (others get 404); otherwise any path. */
  readonly path?: string;
  /**
   * When given, the only Origin values accepted (403 otherwise; requests without Origin, which
   * browsers always send, are accepted). By default every origin is: SIP Digest authentication,
   * not the page a softphone was loaded from, decides who may register.
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Open sockets at once, those still in their HTTP handshake included; more are closed as they
   * arrive. @default DEFAULT_MAX_WEBSOCKET_CONNECTIONS
   */
  readonly maxConnections?: number;
  /** Open sockets from one IP address. @default DEFAULT_MAX_WEBSOCKET_CONNECTIONS_PER_IP */
  readonly maxConnectionsPerIp?: number;
  /** Largest message received (all fragments); a larger one closes with 1009. @default DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
  /** Unsent bytes one connection may queue; sends past it are refused. @default DEFAULT_MAX_WEBSOCKET_BACKLOG_BYTES */
  readonly sendBacklogBytes?: number;
  /**
   * A connection that has received nothing for this long gets a ping; one that then receives
   * nothing for as long again is dropped as dead. Seconds, fractions allowed.
   * @default DEFAULT_WEBSOCKET_PING_INTERVAL_SECONDS
   */
  readonly pingIntervalSeconds?: number;
  /**
   * A connection with no message in either direction for this long is closed with 1001 (pings
   * and pongs do not count). Seconds, fractions allowed. @default DEFAULT_WEBSOCKET_IDLE_SECONDS
   */
  readonly idleSeconds?: number;
  /** Time from TCP accept to a finished upgrade (TLS included). @default DEFAULT_WEBSOCKET_HANDSHAKE_TIMEOUT_MS */
  readonly handshakeTimeoutMs?: number;
  /** Wait for the peer's close frame after ours before destroying the socket. @default DEFAULT_WEBSOCKET_CLOSE_TIMEOUT_MS */
  readonly closeTimeoutMs?: number;
  /** Prefix of the metric names. @default "superpeer_transport_websocket" */
  readonly metricPrefix?: string;
}

/** What a WebSocket listener needs from outside. */
export interface WebSocketListenerComponents {
  /** Suggested name: `superpeer:transport:websocket`. */
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Why a WebSocket connection ended, for logs and the `reason` label of metrics. */
export type WebSocketCloseReason =
  | "remote" // the peer sent a close frame, or closed or reset the socket
  | "local" // close() was called
  | "error" // a socket error, or a message handler threw (close code 1011)
  | "listener" // the listener was closed (close code 1001)
  | "protocol" // the peer broke RFC 6455 (close code 1002 or 1007)
  | "too_big" // a message over maxMessageBytes (close code 1009)
  | "timeout" // no answer to a ping: the peer is gone
  | "idle"; // no message for idleSeconds (close code 1001)

/** How a received message was framed (RFC 7118 section 4.2 allows both). */
export type WebSocketMessageKind = "text" | "binary";

/** One upgraded connection. */
export interface WebSocketConnection {
  /** Unique among this listener's connections, never reused: a flow id. */
  readonly id: number;
  /** The client's address. */
  readonly remote: DatagramAddress;
  /** Our address on this connection. */
  readonly local: DatagramAddress;
  /** "ws" or "wss" (RFC 7118 section 5: Via transport WS or WSS). */
  readonly protocol: "ws" | "wss";
  /** The request's path (without its query). */
  readonly path: string;
  /** The Origin header of the upgrade request (browsers send one), if any. */
  readonly origin: string | undefined;
  /**
   * Sends one message: a string as a text frame; bytes as a binary frame, or as a text frame with
   * `{ text: true }` (refused unless they are UTF-8). Returns false, sending nothing, when the
   * connection is closing or closed or its unsent backlog would pass the cap; never throws.
   */
  send(message: Uint8Array | string, options?: { readonly text?: boolean }): boolean;
  /** Sets the one handler of received messages; `message` is only valid during the call. */
  onMessage(handler: (message: Uint8Array, kind: WebSocketMessageKind) => void): void;
  /**
   * Called once when the connection has ended, with why and the close code sent or received
   * (1005 when the peer's close frame had none, 1006 when the socket ended without one).
   */
  onClose(handler: (reason: WebSocketCloseReason, code: number) => void): void;
  /** Starts the close handshake (no more messages either way). Idempotent. */
  close(code?: number, reason?: string): void;
}

/** A listening WebSocket server. */
export interface WebSocketListener {
  /** Where it listens (the real port when bound to port 0). */
  readonly local: DatagramAddress;
  readonly protocol: "ws" | "wss";
  /** Sets the one handler of upgraded connections. */
  onConnection(handler: (connection: WebSocketConnection) => void): void;
  /** Open connections by id. */
  connection(id: number): WebSocketConnection | undefined;
  /**
   * Sends close 1001 on every connection, stops listening, and resolves once every socket is
   * closed (those that do not answer within `closeTimeoutMs` are destroyed). Idempotent.
   */
  close(): Promise<void>;
}

/** Default cap on sockets of one listener. */
export const DEFAULT_MAX_WEBSOCKET_CONNECTIONS = 256;
/** Default cap on sockets from one IP address (a NAT can hide several phones). */
export const DEFAULT_MAX_WEBSOCKET_CONNECTIONS_PER_IP = 32;
/** Default cap on one connection's unsent bytes: a few INVITEs with large WebRTC SDP bodies. */
export const DEFAULT_MAX_WEBSOCKET_BACKLOG_BYTES = 256 * 1024;
/** Default silence before a ping: under the 60 s or so after which home NATs forget a flow. */
export const DEFAULT_WEBSOCKET_PING_INTERVAL_SECONDS = 30;
/**
 * Default time without messages before a connection is closed: longer than a 3,600 s REGISTER
 * refresh, so a registered softphone's flow is never closed under it.
 */
export const DEFAULT_WEBSOCKET_IDLE_SECONDS = 3_900;
/** Default time a client has from TCP accept to upgraded. */
export const DEFAULT_WEBSOCKET_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Default wait for the peer's close frame after ours, before the socket is destroyed. */
export const DEFAULT_WEBSOCKET_CLOSE_TIMEOUT_MS = 2_000;

/** At most one protocol-error log line per this interval (the rest are counted in it). */
const PROTOCOL_LOG_INTERVAL_MS = 60_000;
/** Bounds of the keep-alive sweep period. */
const MIN_SWEEP_MS = 10;
const MAX_SWEEP_MS = 1_000;
/** Largest HTTP request head accepted before the upgrade. */
const MAX_HEADER_BYTES = 8 * 1024;

/**
 * Opens a WebSocket listener for SIP on node:http, or node:https when `tls` is given. Only upgrade
 * requests offering the "sip" subprotocol are accepted (RFC 7118 section 4.1); anything else gets
 * an HTTP error and is closed. Memory is bounded by the socket caps times (message cap + backlog
 * cap). One timer per listener sweeps keep-alive, idle, handshake and close deadlines.
 *
 * Metrics (prefix `superpeer_transport_websocket` unless `metricPrefix` says otherwise):
 * `_connections` (gauge, upgraded connections), `_accepted_total`, `_refused_total{reason}`
 * (max_connections, max_per_ip, not_websocket, bad_request, method, header, key, version, subprotocol, origin,
 * path, handshake_timeout, tls_handshake, closing, untracked), `_closed_total{reason}` (WebSocketCloseReason),
 * `_bytes_total{direction}`, `_messages_total{direction}`, `_pings_total`, `_send_refused_total`.
 *
 * @throws {TypeError} when `host` is not an IP literal
 * @throws {RangeError} when a number is out of range
 * @throws {TransportError} when listening fails; `osCode` says why (EADDRINUSE, EACCES)
 *
 * @example
 * ```ts
 * const ws = await openWebSocketListener({ host: "::", port: 8443, tls }, components);
 * ws.onConnection((c) => c.onMessage((message) => c.send(message))); // echo
 * await ws.close();
 * ```
 */
export async function openWebSocketListener(
  init: WebSocketListenerInit,
  components: WebSocketListenerComponents,
): Promise<WebSocketListener> {
  if (isIP(init.host) === 0) {
    throw new TypeError(
      `Cannot open a WebSocket listener: host is not an IP literal: ${init.host}`,
    );
  }
  if (!Number.isInteger(init.port) || init.port < 0 || init.port > 65535) {
    throw new RangeError(`Cannot open a WebSocket listener: port ${init.port} is not in 0..65535`);
  }
  if (init.path !== undefined && !init.path.startsWith("/")) {
    throw new TypeError(
      `Cannot open a WebSocket listener: path ${init.path} does not start with /`,
    );
  }
  const maxMessageBytes = integer(
    "maxMessageBytes",
    init.maxMessageBytes,
    DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES,
  );
  if (maxMessageBytes > MAX_WEBSOCKET_MESSAGE_BYTES) {
    throw new RangeError(
      `Cannot open a WebSocket listener: maxMessageBytes ${maxMessageBytes} is over ${MAX_WEBSOCKET_MESSAGE_BYTES}`,
    );
  }
  const limits: Limits = {
    maxConnections: integer(
      "maxConnections",
      init.maxConnections,
      DEFAULT_MAX_WEBSOCKET_CONNECTIONS,
    ),
    maxPerIp: integer(
      "maxConnectionsPerIp",
      init.maxConnectionsPerIp,
      DEFAULT_MAX_WEBSOCKET_CONNECTIONS_PER_IP,
    ),
    maxMessageBytes,
    backlogBytes: integer(
      "sendBacklogBytes",
      init.sendBacklogBytes,
      DEFAULT_MAX_WEBSOCKET_BACKLOG_BYTES,
    ),
    pingMs: seconds(
      "pingIntervalSeconds",
      init.pingIntervalSeconds,
      DEFAULT_WEBSOCKET_PING_INTERVAL_SECONDS,
    ),
    idleMs: seconds("idleSeconds", init.idleSeconds, DEFAULT_WEBSOCKET_IDLE_SECONDS),
    handshakeMs: integer(
      "handshakeTimeoutMs",
      init.handshakeTimeoutMs,
      DEFAULT_WEBSOCKET_HANDSHAKE_TIMEOUT_MS,
    ),
    closeMs: integer("closeTimeoutMs", init.closeTimeoutMs, DEFAULT_WEBSOCKET_CLOSE_TIMEOUT_MS),
    path: init.path,
    allowedOrigins: init.allowedOrigins,
  };
  const options = { maxHeaderSize: MAX_HEADER_BYTES, noDelay: true };
  const server: Server = init.tls === undefined ? createHttpServer(options) : createHttpsServer({
    ...options,
    cert: init.tls.certPem,
    key: init.tls.keyPem,
    handshakeTimeout: limits.handshakeMs,
  });
  // node's own timeouts for requests that never finish their head; the sweep backs them up.
  server.headersTimeout = limits.handshakeMs;
  server.requestTimeout = limits.handshakeMs;
  await listen(server, init.host, init.port);
  return new NodeWebSocketListener(server, init.tls === undefined ? "ws" : "wss", limits, {
    ...components,
    prefix: init.metricPrefix ?? "superpeer_transport_websocket",
  });
}

function integer(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 1) {
    throw new RangeError(
      `Cannot open a WebSocket listener: ${name} ${value} is not a positive integer`,
    );
  }
  return chosen;
}

function seconds(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen <= 0 || chosen > 86_400 * 7) {
    throw new RangeError(
      `Cannot open a WebSocket listener: ${name} ${value} is not a number of seconds in (0, 604800]`,
    );
  }
  return Math.round(chosen * 1000);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      server.close();
      const osCode = (error as { code?: string }).code ?? "UNKNOWN";
      const where = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
      reject(
        new TransportError(`Cannot listen for WebSocket on ${where}: ${osCode}`, {
          osCode,
          cause: error,
        }),
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
  readonly maxMessageBytes: number;
  readonly backlogBytes: number;
  readonly pingMs: number;
  readonly idleMs: number;
  readonly handshakeMs: number;
  readonly closeMs: number;
  readonly path: string | undefined;
  readonly allowedOrigins: readonly string[] | undefined;
}

/** A TCP socket the listener accepted, upgraded or not yet. */
interface Accepted {
  readonly socket: Socket;
  readonly ip: string;
  readonly since: number;
  /** handshake: waiting for the upgrade request; refused: answered with an HTTP error. */
  state: "handshake" | "refused" | "upgraded";
}

class WebSocketMetrics {
  readonly #connections: Gauge;
  readonly #accepted: Counter;
  readonly #refused: Counter;
  readonly #closed: Counter;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly messagesIn: Counter;
  readonly messagesOut: Counter;
  readonly pings: Counter;
  readonly sendRefused: Counter;

  constructor(metrics: Metrics, prefix: string) {
    this.#connections = metrics.gauge(`${prefix}_connections`, "Open WebSocket connections");
    this.#accepted = metrics.counter(
      `${prefix}_accepted_total`,
      "WebSocket connections upgraded",
    );
    this.#refused = metrics.counter(
      `${prefix}_refused_total`,
      "Sockets or upgrade requests refused, by reason",
      ["reason"],
    );
    this.#closed = metrics.counter(
      `${prefix}_closed_total`,
      "WebSocket connections ended, by reason",
      ["reason"],
    );
    const bytes = metrics.counter(
      `${prefix}_bytes_total`,
      "WebSocket bytes received (in) and queued to send (out), frame headers included",
      ["direction"],
    );
    this.bytesIn = bytes.with({ direction: "in" });
    this.bytesOut = bytes.with({ direction: "out" });
    const messages = metrics.counter(
      `${prefix}_messages_total`,
      "WebSocket messages received (in) and queued to send (out)",
      ["direction"],
    );
    this.messagesIn = messages.with({ direction: "in" });
    this.messagesOut = messages.with({ direction: "out" });
    this.pings = metrics.counter(`${prefix}_pings_total`, "Keep-alive pings sent");
    this.sendRefused = metrics.counter(
      `${prefix}_send_refused_total`,
      "Sends (and pongs) refused because the connection was closing or its backlog was full",
    );
  }

  accepted(open: number): void {
    this.#accepted.inc();
    this.#connections.set(open);
  }

  refused(reason: string): void {
    this.#refused.with({ reason }).inc();
  }

  closed(reason: WebSocketCloseReason, open: number): void {
    this.#closed.with({ reason }).inc();
    this.#connections.set(open);
  }
}

class NodeWebSocketListener implements WebSocketListener {
  readonly local: DatagramAddress;
  readonly protocol: "ws" | "wss";
  readonly #server: Server;
  readonly #limits: Limits;
  readonly #log: Logger;
  readonly #metrics: WebSocketMetrics;
  /** Every accepted TCP socket by "ip|port" of its client, upgraded or not. */
  readonly #sockets = new Map<string, Accepted>();
  readonly #perIp = new Map<string, number>();
  readonly #open = new Map<number, NodeWebSocketConnection>();
  readonly #sweep: ReturnType<typeof setInterval>;
  #nextId = 1;
  #handler: ((connection: WebSocketConnection) => void) | undefined;
  #closing: Promise<void> | undefined;
  #protocolErrorsUnlogged = 0;
  #lastProtocolLog = -Infinity;

  constructor(
    server: Server,
    protocol: "ws" | "wss",
    limits: Limits,
    components: WebSocketListenerComponents & { prefix: string },
  ) {
    this.#server = server;
    this.protocol = protocol;
    this.#limits = limits;
    this.#log = components.logger;
    this.#metrics = new WebSocketMetrics(components.metrics, components.prefix);
    const address = server.address();
    if (address === null || typeof address === "string") {
      throw new TransportError("Cannot read the WebSocket listener's address");
    }
    this.local = Object.freeze({ host: address.address, port: address.port });
    server.on("connection", this.#accept);
    server.on("request", this.#plainRequest);
    server.on("upgrade", this.#upgrade);
    server.on("error", (error: Error) => {
      this.#log.warn("WebSocket listener error", { error: error.message });
    });
    server.on("clientError", (error: Error, socket: Duplex) => {
      this.#metrics.refused("bad_request");
      this.#log.debug("Malformed HTTP request on the WebSocket listener", { error: error.message });
      if (socket.writable) socket.end(encodeWebSocketRefusal(400));
      else socket.destroy();
    });
    if (protocol === "wss") {
      server.on("tlsClientError", (error: Error) => {
        this.#metrics.refused("tls_handshake");
        this.#log.debug("TLS handshake failed on the WebSocket listener", {
          error: error.message,
        });
      });
    }
    const period = Math.min(limits.pingMs, limits.idleMs, limits.handshakeMs, limits.closeMs) /
      4;
    this.#sweep = setInterval(
      () => this.#tick(),
      Math.max(MIN_SWEEP_MS, Math.min(MAX_SWEEP_MS, Math.round(period))),
    );
  }

  onConnection(handler: (connection: WebSocketConnection) => void): void {
    this.#handler = handler;
  }

  connection(id: number): WebSocketConnection | undefined {
    return this.#open.get(id);
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      let serverClosed = false;
      this.#server.close(() => serverClosed = true);
      for (const connection of this.#open.values()) {
        connection.startClose(WebSocketCloseCode.GoingAway, "server shutting down", "listener");
      }
      for (const accepted of this.#sockets.values()) {
        if (accepted.state !== "upgraded") accepted.socket.destroy();
      }
      const deadline = Date.now() + this.#limits.closeMs;
      const wait = () => {
        // The second bound only guards against close events that never come.
        const settled = this.#sockets.size === 0 && serverClosed;
        if (settled || Date.now() >= deadline + this.#limits.closeMs) {
          clearInterval(this.#sweep);
          return resolve();
        }
        if (Date.now() >= deadline) {
          for (const accepted of this.#sockets.values()) accepted.socket.destroy();
        }
        setTimeout(wait, 10);
      };
      wait();
    });
    return this.#closing;
  }

  readonly #accept = (socket: Socket): void => {
    const ip = socket.remoteAddress;
    const port = socket.remotePort;
    if (this.#closing !== undefined || ip === undefined || port === undefined) {
      socket.destroy();
      return;
    }
    if (this.#sockets.size >= this.#limits.maxConnections) {
      this.#metrics.refused("max_connections");
      this.#log.warn("Closed a WebSocket client's socket at the connection cap", {
        from: ip,
        max: this.#limits.maxConnections,
      });
      socket.destroy();
      return;
    }
    const fromIp = this.#perIp.get(ip) ?? 0;
    if (fromIp >= this.#limits.maxPerIp) {
      this.#metrics.refused("max_per_ip");
      this.#log.warn("Closed a WebSocket client's socket at the per-address cap", {
        from: ip,
        max: this.#limits.maxPerIp,
      });
      socket.destroy();
      return;
    }
    const key = `${ip}|${port}`;
    this.#perIp.set(ip, fromIp + 1);
    this.#sockets.set(key, { socket, ip, since: Date.now(), state: "handshake" });
    socket.once("close", () => {
      this.#sockets.delete(key);
      const left = (this.#perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.#perIp.delete(ip);
      else this.#perIp.set(ip, left);
    });
  };

  /** A request without Upgrade: this port only speaks WebSocket (RFC 6455 section 4.2.2). */
  readonly #plainRequest = (request: IncomingMessage, response: ServerResponse): void => {
    this.#metrics.refused("not_websocket");
    response.writeHead(426, {
      "Upgrade": "websocket",
      "Sec-WebSocket-Version": "13",
      "Connection": "close",
      "Content-Length": "0",
    });
    response.end();
    request.resume();
  };

  readonly #upgrade = (request: IncomingMessage, duplex: Duplex, head: Uint8Array): void => {
    const socket = duplex as Socket; // node:http hands over the net.Socket (tls.TLSSocket)
    const accepted = this.#sockets.get(`${socket.remoteAddress}|${socket.remotePort}`);
    if (this.#closing !== undefined || accepted === undefined) {
      // Not tracked: never seen in tests; refused so that no socket escapes the caps.
      if (accepted === undefined) {
        this.#log.warn("Refused a WebSocket upgrade on a socket the listener did not accept", {
          from: socket.remoteAddress,
        });
      }
      this.#metrics.refused(accepted === undefined ? "untracked" : "closing");
      socket.end(encodeWebSocketRefusal(503));
      return;
    }
    let upgrade: WebSocketUpgrade;
    try {
      upgrade = acceptWebSocketUpgrade(request, {
        subprotocols: [SIP_SUBPROTOCOL],
        ...(this.#limits.path === undefined ? {} : { path: this.#limits.path }),
        ...(this.#limits.allowedOrigins === undefined
          ? {}
          : { allowedOrigins: this.#limits.allowedOrigins }),
      });
    } catch (error) {
      if (!(error instanceof WebSocketHandshakeError)) throw error;
      this.#metrics.refused(error.reason.toLowerCase());
      this.#log.debug("Refused a WebSocket upgrade", {
        from: accepted.ip,
        status: error.status,
        error: error.message,
      });
      // The handshake deadline still applies: a client that never reads this is destroyed then.
      accepted.state = "refused";
      socket.end(encodeWebSocketRefusal(error.status));
      return;
    }
    accepted.state = "upgraded";
    socket.setNoDelay(true);
    socket.setTimeout(0);
    socket.write(encodeWebSocketUpgradeResponse(upgrade));
    const connection = new NodeWebSocketConnection(this.#nextId++, socket, this.protocol, upgrade, {
      limits: this.#limits,
      metrics: this.#metrics,
      log: this.#log,
      protocolError: (error, from) => this.#protocolError(error, from),
      closed: (c, reason) => {
        this.#open.delete(c.id);
        this.#metrics.closed(reason, this.#open.size);
      },
    });
    this.#open.set(connection.id, connection);
    this.#metrics.accepted(this.#open.size);
    try {
      this.#handler?.(connection);
    } catch (error) {
      this.#log.error("WebSocket connection handler threw", {
        error: error instanceof Error ? error.message : String(error),
      });
      connection.startClose(WebSocketCloseCode.InternalError, "", "error");
      return;
    }
    if (head.length > 0) connection.receive(head);
  };

  /** A rate-limited log line: the first protocol error, then one per interval with the count. */
  #protocolError(error: WebSocketProtocolError, from: string): void {
    this.#protocolErrorsUnlogged++;
    const now = Date.now();
    if (now - this.#lastProtocolLog < PROTOCOL_LOG_INTERVAL_MS) return;
    this.#log.warn("Closed a WebSocket connection that broke the protocol", {
      from,
      reason: error.reason,
      closeCode: error.closeCode,
      error: error.message,
      count: this.#protocolErrorsUnlogged,
    });
    this.#protocolErrorsUnlogged = 0;
    this.#lastProtocolLog = now;
  }

  #tick(): void {
    const now = Date.now();
    for (const accepted of this.#sockets.values()) {
      if (accepted.state !== "upgraded" && now - accepted.since >= this.#limits.handshakeMs) {
        if (accepted.state === "handshake") this.#metrics.refused("handshake_timeout");
        accepted.state = "refused"; // counted once
        accepted.socket.destroy();
      }
    }
    for (const connection of this.#open.values()) connection.tick(now);
  }
}

interface ConnectionHooks {
  readonly limits: Limits;
  readonly metrics: WebSocketMetrics;
  readonly log: Logger;
  readonly protocolError: (error: WebSocketProtocolError, from: string) => void;
  readonly closed: (connection: NodeWebSocketConnection, reason: WebSocketCloseReason) => void;
}

class NodeWebSocketConnection implements WebSocketConnection {
  readonly id: number;
  readonly remote: DatagramAddress;
  readonly local: DatagramAddress;
  readonly protocol: "ws" | "wss";
  readonly path: string;
  readonly origin: string | undefined;
  readonly #socket: Socket;
  readonly #hooks: ConnectionHooks;
  readonly #parser: WebSocketFrameParser;
  readonly #handlers: WebSocketFrameHandlers;
  #onMessage: ((message: Uint8Array, kind: WebSocketMessageKind) => void) | undefined;
  #onClose: ((reason: WebSocketCloseReason, code: number) => void) | undefined;
  /** open: messages flow; closing: our close frame is sent; ended: the socket is gone. */
  #state: "open" | "closing" | "ended" = "open";
  #reason: WebSocketCloseReason = "remote";
  #code: number = WebSocketCloseCode.Abnormal;
  #lastReceived: number;
  #lastMessage: number;
  #pingSent: number | undefined;
  #closingSince = 0;
  /** Bytes handed to the socket whose write callback has not run (node's writableLength is 0 on
   * Deno's upgraded sockets and after the kernel took the bytes; this counts until each flush). */
  #unflushed = 0;

  constructor(
    id: number,
    socket: Socket,
    protocol: "ws" | "wss",
    upgrade: WebSocketUpgrade,
    hooks: ConnectionHooks,
  ) {
    this.id = id;
    this.#socket = socket;
    this.protocol = protocol;
    this.path = upgrade.path;
    this.origin = upgrade.origin;
    this.#hooks = hooks;
    this.remote = Object.freeze({
      host: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    });
    this.local = Object.freeze({ host: socket.localAddress ?? "", port: socket.localPort ?? 0 });
    this.#parser = new WebSocketFrameParser({ maxMessageBytes: hooks.limits.maxMessageBytes });
    this.#lastReceived = this.#lastMessage = Date.now();
    this.#handlers = {
      message: (payload, kind) => this.#message(payload, kind),
      // RFC 6455 section 5.5.2: a ping is answered with a pong carrying its payload. Pongs count
      // against the backlog too: a client that pings without reading must not grow our buffers
      // (section 5.5.3 lets an endpoint answer only the latest ping).
      ping: (payload) => {
        if (this.#state !== "open") return;
        const pong = encodeWebSocketFrame(WebSocketOpcode.Pong, payload);
        if (this.#unflushed + pong.length > this.#hooks.limits.backlogBytes) {
          this.#hooks.metrics.sendRefused.inc();
          return;
        }
        this.#write(pong);
      },
      pong: () => {},
      close: (code, reason) => this.#peerClosed(code, reason),
    };
    socket.on("data", (chunk: Uint8Array) => this.receive(chunk));
    // node:http's sockets allow half-open connections: the peer's FIN alone closes nothing.
    socket.on("end", () => {
      if (this.#state === "open") this.#state = "closing";
      socket.end();
    });
    socket.on("error", () => {
      if (this.#state === "open") this.#reason = "error";
    });
    socket.on("close", () => this.#finish());
  }

  send(message: Uint8Array | string, options: { readonly text?: boolean } = {}): boolean {
    const metrics = this.#hooks.metrics;
    const text = typeof message === "string" || options.text === true;
    // RFC 6455 section 5.6: a text frame carries UTF-8.
    if (this.#state !== "open" || (text && typeof message !== "string" && !isUtf8(message))) {
      metrics.sendRefused.inc();
      return false;
    }
    const frame = encodeWebSocketFrame(
      text ? WebSocketOpcode.Text : WebSocketOpcode.Binary,
      message,
    );
    if (this.#unflushed + frame.length > this.#hooks.limits.backlogBytes) {
      metrics.sendRefused.inc();
      return false;
    }
    this.#write(frame);
    metrics.messagesOut.inc();
    this.#lastMessage = Date.now();
    return true;
  }

  onMessage(handler: (message: Uint8Array, kind: WebSocketMessageKind) => void): void {
    this.#onMessage = handler;
  }

  onClose(handler: (reason: WebSocketCloseReason, code: number) => void): void {
    this.#onClose = handler;
  }

  close(code: number = WebSocketCloseCode.Normal, reason = ""): void {
    let frame: Uint8Array;
    try {
      frame = encodeWebSocketClose(code, reason);
    } catch {
      // A code that may not be sent or a reason that is too long: close normally instead.
      code = WebSocketCloseCode.Normal;
      frame = encodeWebSocketClose(code);
    }
    this.#startClose(frame, code, "local");
  }

  /** Sends a close frame for `reason` (the listener uses "listener" and "error"). */
  startClose(code: number, text: string, reason: WebSocketCloseReason): void {
    this.#startClose(encodeWebSocketClose(code, text), code, reason);
  }

  /** Bytes from the socket (or the bytes after the upgrade request's head). */
  receive(chunk: Uint8Array): void {
    if (this.#state === "ended") return;
    this.#hooks.metrics.bytesIn.inc(chunk.length);
    this.#lastReceived = Date.now();
    try {
      this.#parser.feed(chunk, this.#handlers);
    } catch (error) {
      if (error instanceof WebSocketProtocolError) {
        this.#hooks.protocolError(error, this.remote.host);
        this.#fail(error.closeCode, error.reason === "TOO_BIG" ? "too_big" : "protocol");
        return;
      }
      // One bad handler must not take the process down: end this connection only.
      this.#hooks.log.error("WebSocket message handler threw; closing the connection", {
        from: this.remote.host,
        error: error instanceof Error ? error.message : String(error),
      });
      this.#fail(WebSocketCloseCode.InternalError, "error");
    }
  }

  /** Keep-alive, idle and close deadlines, from the listener's sweep. */
  tick(now: number): void {
    const limits = this.#hooks.limits;
    if (this.#state === "closing") {
      if (now - this.#closingSince >= limits.closeMs) {
        this.#socket.destroy(); // the reason stays that of the close: who started it
      }
      return;
    }
    if (this.#state !== "open") return;
    if (this.#pingSent !== undefined && this.#lastReceived < this.#pingSent) {
      if (now - this.#pingSent >= limits.pingMs) {
        this.#reason = "timeout";
        this.#socket.destroy();
      }
      return;
    }
    if (now - this.#lastMessage >= limits.idleMs) {
      this.#startClose(
        encodeWebSocketClose(WebSocketCloseCode.GoingAway, "idle"),
        WebSocketCloseCode.GoingAway,
        "idle",
      );
      return;
    }
    if (now - this.#lastReceived >= limits.pingMs) {
      this.#pingSent = now;
      this.#hooks.metrics.pings.inc();
      this.#write(encodeWebSocketFrame(WebSocketOpcode.Ping, new Uint8Array(0)));
    }
  }

  #message(payload: Uint8Array, kind: WebSocketMessageKind): void {
    if (this.#state !== "open") return; // after our close frame, messages are no longer wanted
    this.#hooks.metrics.messagesIn.inc();
    this.#lastMessage = Date.now();
    this.#onMessage?.(payload, kind);
  }

  /** The peer's close frame: answer it if we have not sent ours, then close the TCP side. */
  #peerClosed(code: number | undefined, _reason: string): void {
    if (this.#state === "open") {
      // RFC 6455 section 5.5.1: reply with a close frame, usually echoing the status code.
      this.#write(encodeWebSocketClose(code));
      this.#code = code ?? WebSocketCloseCode.NoStatus;
      this.#reason = "remote";
      this.#state = "closing";
      this.#closingSince = Date.now();
    }
    // RFC 6455 section 7.1.1: the server closes the TCP connection first.
    this.#socket.end();
  }

  #startClose(frame: Uint8Array, code: number, reason: WebSocketCloseReason): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#reason = reason;
    this.#code = code;
    this.#closingSince = Date.now();
    this.#write(frame);
  }

  /** Fails the connection (RFC 6455 section 7.1.7): a close frame with the code, then the end. */
  #fail(code: number, reason: WebSocketCloseReason): void {
    if (this.#state === "ended") return;
    if (this.#state === "open") {
      this.#write(encodeWebSocketClose(code));
      this.#code = code;
      this.#reason = reason;
      this.#state = "closing";
      this.#closingSince = Date.now();
    }
    this.#socket.end();
  }

  #write(frame: Uint8Array): void {
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) return;
    this.#unflushed += frame.length;
    socket.write(frame, () => this.#unflushed -= frame.length);
    this.#hooks.metrics.bytesOut.inc(frame.length);
  }

  #finish(): void {
    if (this.#state === "ended") return;
    this.#state = "ended";
    this.#hooks.closed(this, this.#reason);
    try {
      this.#onClose?.(this.#reason, this.#code);
    } catch (error) {
      this.#hooks.log.error("WebSocket close handler threw", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
