import type { DatagramTransport } from "../core/transport.ts";
import { runtimeInfo, type RuntimeName } from "../daemon/runtime.ts";
import {
  type DenoDatagramApi,
  denoDatagramApi,
  type DenoUdpBuffers,
  openDenoUdpTransport,
} from "./deno_udp_transport.ts";
import {
  openUdpTransport,
  type UdpTransportComponents,
  type UdpTransportInit,
} from "./udp_transport.ts";

/** Which UDP implementation to use: `auto` picks the cheapest one this process can run. */
export type DatagramImplementation = "auto" | "node" | "deno";

export interface DatagramTransportInit extends UdpTransportInit {
  /**
   * `node` is node:dgram (openUdpTransport), `deno` is Deno.listenDatagram (openDenoUdpTransport,
   * fails without --unstable-net), `auto` is `deno` where it can run and `node` elsewhere.
   * @default "auto"
   */
  readonly implementation?: DatagramImplementation;
  /** Deno-native only: see DenoUdpTransportInit.sendQueueDatagrams. */
  readonly sendQueueDatagrams?: number;
  /** Deno-native only: see DenoUdpTransportInit.buffers. */
  readonly buffers?: DenoUdpBuffers;
  /** Deno's datagram API, or null for none; for tests. @default denoDatagramApi() */
  readonly deno?: DenoDatagramApi | null;
}

/** The implementation openDatagramTransport uses and why, as it logs it. */
export interface DatagramChoice {
  readonly implementation: "node" | "deno";
  readonly reason: string;
}

/**
 * Decides between node:dgram and Deno's native datagram API (pure: the runtime and the API are
 * passed in). Deno's node:dgram costs about twice the CPU per packet and twice the memory of
 * Deno.listenDatagram used well (shared/notes/udp-performance.md), so on Deno the native one wins
 * whenever `--unstable-net` made it available.
 *
 * @example
 * ```ts
 * chooseDatagramImplementation("auto", "deno", undefined).implementation; // "node"
 * ```
 */
export function chooseDatagramImplementation(
  wanted: DatagramImplementation,
  runtime: RuntimeName,
  deno: DenoDatagramApi | undefined,
): DatagramChoice {
  if (wanted === "node") return { implementation: "node", reason: "asked for node:dgram" };
  if (wanted === "deno") return { implementation: "deno", reason: "asked for Deno.listenDatagram" };
  if (runtime === "node") return { implementation: "node", reason: "Node: node:dgram" };
  if (deno === undefined) {
    return {
      implementation: "node",
      reason: "Deno without --unstable-net: using node:dgram, ~2x CPU per packet",
    };
  }
  return {
    implementation: "deno",
    reason: "Deno with --unstable-net: using Deno.listenDatagram",
  };
}

/** Choices already logged: each is logged once per process, not once per relay allocation. */
const logged = new Set<string>();

/**
 * Opens a UDP DatagramTransport on the implementation chooseDatagramImplementation picks, logging
 * the choice and its reason once per process at info level. Options of the other implementation
 * are ignored (`recvBufferBytes` is node:dgram's, `sendQueueDatagrams` and `buffers` Deno's).
 *
 * @throws {TypeError} when `host` is not an IP literal, or `deno` was asked for and is missing
 * @throws {RangeError} when a number is out of range
 * @throws {TransportError} when binding fails
 *
 * @example
 * ```ts
 * const components = { logger: silentLogger(), metrics: new MetricsRegistry() };
 * const udp = await openDatagramTransport({ host: "127.0.0.1", port: 0 }, components);
 * await udp.close();
 * ```
 */
export function openDatagramTransport(
  init: DatagramTransportInit,
  components: UdpTransportComponents,
): Promise<DatagramTransport> {
  const { implementation: wanted = "auto", sendQueueDatagrams, buffers, deno, ...udp } = init;
  const api = deno === null ? undefined : deno ?? denoDatagramApi();
  const choice = chooseDatagramImplementation(wanted, udp.runtime ?? runtimeInfo().name, api);
  if (!logged.has(choice.reason)) {
    logged.add(choice.reason);
    components.logger.info("UDP implementation chosen", {
      implementation: choice.implementation === "deno" ? "Deno.listenDatagram" : "node:dgram",
      reason: choice.reason,
    });
  }
  if (choice.implementation === "node") return openUdpTransport(udp, components);
  if (api === undefined) {
    return Promise.reject(
      new TypeError(
        "Cannot open a Deno-native UDP transport: Deno.listenDatagram is missing: run Deno with --unstable-net",
      ),
    );
  }
  return openDenoUdpTransport({
    host: udp.host,
    port: udp.port,
    deno: api,
    ...(sendQueueDatagrams === undefined ? {} : { sendQueueDatagrams }),
    ...(buffers === undefined ? {} : { buffers }),
  }, components);
}
