import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../../core/logger.ts";
import type { Counter, Metrics, MetricsRegistry } from "../../core/metrics.ts";
import type { Service } from "../../core/service.ts";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheusText } from "./prometheus_text.ts";

/** Idle and header timeouts of the ops endpoint: slow clients must not hold its few connections. */
export const OPS_REQUEST_TIMEOUT_MS = 5_000;

export interface OpsHttpInit {
  host: string;
  port: number;
  maxConnections: number;
}

export interface OpsHttpComponents {
  logger: Logger;
  metrics: Metrics;
  registry: MetricsRegistry;
  /** The JSON body of /status. */
  status: () => unknown;
  /** Whether /healthz answers 200; otherwise 503 with the reason. */
  health: () => { ok: boolean; detail: string };
}

/**
 * The ops endpoint: GET /healthz, /status (JSON) and /metrics (Prometheus text) on node:http,
 * bound to loopback by default, with a connection cap and short timeouts.
 */
export class OpsHttpService implements Service {
  readonly name = "ops";
  #init: OpsHttpInit;
  readonly #components: OpsHttpComponents;
  readonly #requests: Counter;
  readonly #refused: Counter;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  #address: { host: string; port: number } | undefined;

  constructor(init: OpsHttpInit, components: OpsHttpComponents) {
    this.#init = { ...init };
    this.#components = components;
    this.#requests = components.metrics.counter(
      "superpeer_ops_requests_total",
      "Ops endpoint requests, by path",
      ["path"],
    );
    this.#refused = components.metrics
      .counter(
        "superpeer_ops_connections_refused_total",
        "Ops connections refused at the connection cap",
      );
  }

  /** Where the endpoint listens (the real port when configured with 0). */
  get address(): { host: string; port: number } | undefined {
    return this.#address;
  }

  /** Applies a new connection cap (SIGHUP). */
  setMaxConnections(max: number): void {
    this.#init = { ...this.#init, maxConnections: max };
  }

  start(_options: { signal: AbortSignal }): Promise<void> {
    if (this.#server) return Promise.resolve();
    const server = createServer((req, res) => this.#handle(req, res));
    server.headersTimeout = OPS_REQUEST_TIMEOUT_MS;
    server.requestTimeout = OPS_REQUEST_TIMEOUT_MS;
    server.keepAliveTimeout = OPS_REQUEST_TIMEOUT_MS;
    server.on("connection", (socket: Socket) => {
      if (this.#sockets.size >= this.#init.maxConnections) {
        this.#refused.inc();
        this.#components.logger.warn("Refused ops connection: at the connection cap", {
          max: this.#init.maxConnections,
        });
        socket.destroy();
        return;
      }
      this.#sockets.add(socket);
      socket.setTimeout(OPS_REQUEST_TIMEOUT_MS, () => socket.destroy());
      socket.on("close", () => this.#sockets.delete(socket));
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.#server = undefined;
        reject(
          new Error(`cannot listen on ${this.#init.host}:${this.#init.port}: ${error.message}`),
        );
      };
      server.once("error", onError);
      server.listen(this.#init.port, this.#init.host, () => {
        server.off("error", onError);
        server.on(
          "error",
          (error) => this.#components.logger.warn("Ops endpoint error", { error: error.message }),
        );
        const address = server.address();
        const port = typeof address === "object" && address !== null
          ? address.port
          : this.#init.port;
        this.#address = { host: this.#init.host, port };
        this.#components.logger.info("Ops endpoint listening", {
          url: `http://${
            this.#init.host.includes(":") ? `[${this.#init.host}]` : this.#init.host
          }:${port}`,
        });
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    const server = this.#server;
    if (!server) return Promise.resolve();
    this.#server = undefined;
    return new Promise((resolve) => {
      server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
      this.#sockets.clear();
    });
  }

  status(): Record<string, unknown> {
    return {
      address: this.#address,
      connections: this.#sockets.size,
      maxConnections: this.#init.maxConnections,
    };
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const known = path === "/healthz" || path === "/status" || path === "/metrics";
    this.#requests.with({ path: known ? path : "other" }).inc();
    if (req.method !== "GET" && req.method !== "HEAD") {
      return this.#send(res, 405, "text/plain; charset=utf-8", "method not allowed\n", {
        Allow: "GET, HEAD",
      });
    }
    try {
      switch (path) {
        case "/healthz": {
          const health = this.#components.health();
          return this.#send(
            res,
            health.ok ? 200 : 503,
            "text/plain; charset=utf-8",
            `${health.detail}\n`,
          );
        }
        case "/status":
          return this.#send(
            res,
            200,
            "application/json",
            JSON.stringify(this.#components.status(), null, 2) + "\n",
          );
        case "/metrics":
          return this.#send(
            res,
            200,
            PROMETHEUS_CONTENT_TYPE,
            renderPrometheusText(this.#components.registry.collect()),
          );
        default:
          return this.#send(
            res,
            404,
            "text/plain; charset=utf-8",
            "not found: try /healthz, /status or /metrics\n",
          );
      }
    } catch (error) {
      this.#components.logger.error("Ops request failed", {
        path,
        error: (error as Error).message,
      });
      return this.#send(res, 500, "text/plain; charset=utf-8", "internal error\n");
    }
  }

  #send(
    res: ServerResponse,
    status: number,
    type: string,
    body: string,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, {
      "Content-Type": type,
      "Content-Length": Buffer.byteLength(body),
      "Cache-Control": "no-store",
      ...headers,
    });
    res.end(res.req.method === "HEAD" ? undefined : body);
  }
}
