/**
 * The metric series every UDP transport keeps (node:dgram and Deno-native alike), resolved once,
 * and the error code a socket error carries.
 *
 * @module
 */
import type { Counter, Metrics } from "../core/metrics.ts";

/** Distinct error codes given their own metric series; later ones share code="other". */
const MAX_ERROR_CODES = 32;

/**
 * `superpeer_transport_datagrams_total{direction}`, `_bytes_total{direction}`,
 * `_send_errors_total{code}`, `_socket_errors_total{code}`, `_handler_errors_total`.
 *
 * @example
 * ```ts
 * const m = new UdpMetrics(registry);
 * m.in.inc();
 * m.sendError("EHOSTUNREACH").inc();
 * ```
 */
export class UdpMetrics {
  readonly in: Counter;
  readonly out: Counter;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly handlerErrors: Counter;
  readonly #sendErrors: Counter;
  readonly #socketErrors: Counter;
  /** Child series per error code, looked up once each; codes past MAX_ERROR_CODES share "other". */
  readonly #sendErrorSeries = new Map<string, Counter>();
  readonly #socketErrorSeries = new Map<string, Counter>();

  constructor(metrics: Metrics) {
    const datagrams = metrics.counter(
      "superpeer_transport_datagrams_total",
      "UDP datagrams received (in) and handed to the kernel (out)",
      ["direction"],
    );
    const bytes = metrics.counter(
      "superpeer_transport_bytes_total",
      "UDP payload bytes received (in) and handed to the kernel (out)",
      ["direction"],
    );
    this.in = datagrams.with({ direction: "in" });
    this.out = datagrams.with({ direction: "out" });
    this.bytesIn = bytes.with({ direction: "in" });
    this.bytesOut = bytes.with({ direction: "out" });
    this.#sendErrors = metrics.counter(
      "superpeer_transport_send_errors_total",
      "UDP datagrams not sent, by error code",
      ["code"],
    );
    this.#socketErrors = metrics.counter(
      "superpeer_transport_socket_errors_total",
      "UDP socket errors outside a send, by error code",
      ["code"],
    );
    this.handlerErrors = metrics.counter(
      "superpeer_transport_handler_errors_total",
      "Received UDP datagrams whose handler threw",
    );
  }

  /** The send-error series of `code`. */
  sendError(code: string): Counter {
    return series(this.#sendErrors, this.#sendErrorSeries, code);
  }

  /** The socket-error series of `code`. */
  socketError(code: string): Counter {
    return series(this.#socketErrors, this.#socketErrorSeries, code);
  }
}

function series(counter: Counter, cache: Map<string, Counter>, code: string): Counter {
  let found = cache.get(code);
  if (found === undefined) {
    if (cache.size >= MAX_ERROR_CODES) return counter.with({ code: "other" });
    found = counter.with({ code });
    cache.set(code, found);
  }
  return found;
}

/**
 * The code of a socket error (`EHOSTUNREACH`, ...), or "UNKNOWN".
 *
 * @example
 * ```ts
 * errorCode(Object.assign(new Error("x"), { code: "EMSGSIZE" })); // "EMSGSIZE"
 * ```
 */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code !== "" ? code : "UNKNOWN";
}
