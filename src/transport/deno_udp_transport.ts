import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { Logger } from "../core/logger.ts";
import type { DatagramAddress, DatagramHandler, DatagramTransport } from "../core/transport.ts";
import { TransportError } from "./transport_error.ts";
import { errorCode, UdpMetrics } from "./udp_metrics.ts";
import type { UdpTransportComponents } from "./udp_transport.ts";

// The only file that calls Deno's own UDP API. It is reached through openDatagramTransport, which
// picks it only on Deno with --unstable-net; the Node bundle carries it but never runs it, so
// `Deno` is reached through globalThis with the few members used here typed locally.

/** The address object Deno's datagram API takes and reports. */
interface DenoNetAddr {
  transport: "udp";
  hostname: string;
  port: number;
}

/** The part of `Deno.DatagramConn` used here. */
interface DenoDatagramConn {
  receive(buffer: Uint8Array): Promise<[Uint8Array, DenoNetAddr]>;
  send(bytes: Uint8Array, to: DenoNetAddr): Promise<number>;
  close(): void;
  readonly addr: DenoNetAddr;
}

/** The part of the `Deno` namespace used here (`listenDatagram` exists only with --unstable-net). */
export interface DenoDatagramApi {
  listenDatagram(
    options: { hostname: string; port: number; transport: "udp"; reuseAddress?: boolean },
  ): DenoDatagramConn;
}

/**
 * Deno's datagram API when this process may use it: on Deno, started with `--unstable-net`
 * (without the flag Deno 2 leaves `Deno.listenDatagram` out of the namespace); undefined on Node.
 */
export function denoDatagramApi(): DenoDatagramApi | undefined {
  const deno = (globalThis as { Deno?: { listenDatagram?: unknown } }).Deno;
  return typeof deno?.listenDatagram === "function" ? deno as DenoDatagramApi : undefined;
}

/** Bytes of each receive buffer: any UDP payload fits (IPv6 65,527, IPv4 65,507). */
export const RECEIVE_BUFFER_BYTES = 65_536;
/** The largest payload UDP carries (IPv6 without jumbograms); larger ones fail as EMSGSIZE at once. */
const MAX_UDP_PAYLOAD = 65_527;
/**
 * Receive buffers are cut from slabs of this many. A slab is large enough for the allocator to map
 * it from the OS untouched, so a buffer costs resident memory only for the pages datagrams reach:
 * 2,000 separate 64 KiB buffers cost ~94 MiB RSS on Deno 2.9, the same cut from slabs ~9 MiB
 * (measured; a relay opens one transport per allocation).
 */
const RECEIVE_BUFFERS_PER_SLAB = 64;

/** @default for DenoUdpBuffersInit.sendSlots */
export const DEFAULT_SEND_SLOTS = 2048;
/** @default for DenoUdpBuffersInit.sendSlotBytes: a full-size Ethernet datagram fits */
export const DEFAULT_SEND_SLOT_BYTES = 2048;
/** @default for DenoUdpBuffersInit.maxLargeSendBytes */
export const DEFAULT_MAX_LARGE_SEND_BYTES = 1024 * 1024;
/** @default for DenoUdpTransportInit.sendQueueDatagrams */
export const DEFAULT_SEND_QUEUE_DATAGRAMS = 256;
/** How long close() lets queued datagrams go out before closing the socket under them. */
export const CLOSE_FLUSH_MS = 1000;
/** Pause after a receive error other than the socket closing, so a persistent one cannot spin. */
const RECEIVE_ERROR_PAUSE_MS = 10;

export interface DenoUdpBuffersInit {
  /**
   * Send slots shared by every Deno-native transport of the process; a datagram waits in one from
   * `send` until the kernel takes it.
   * @default DEFAULT_SEND_SLOTS (2,048)
   */
  readonly sendSlots?: number;
  /** Bytes per send slot; longer datagrams are copied out of the slots. @default DEFAULT_SEND_SLOT_BYTES (2,048) */
  readonly sendSlotBytes?: number;
  /**
   * Bytes of queued datagrams longer than a slot, over all transports; past it they are dropped
   * (ENOBUFS).
   * @default DEFAULT_MAX_LARGE_SEND_BYTES (1 MiB)
   */
  readonly maxLargeSendBytes?: number;
}

/**
 * The memory of the Deno-native transports: one pool of send slots shared by all of them (a slot
 * per queued datagram, linked into its transport's queue), and 64 KiB receive buffers cut from
 * slabs and reused when a transport closes. Nothing is allocated until the first transport opens;
 * the send pool is one buffer of `sendSlots x sendSlotBytes` (4 MiB by default) whose pages become
 * resident only as slots are used, and free slots are reused most-recent first to keep that few.
 *
 * @example
 * ```ts
 * // A small pool for a test that fills it.
 * const buffers = new DenoUdpBuffers({ sendSlots: 8 });
 * const udp = await openDenoUdpTransport({ host: "127.0.0.1", port: 0, buffers }, components);
 * ```
 */
export class DenoUdpBuffers {
  readonly sendSlots: number;
  readonly sendSlotBytes: number;
  readonly maxLargeSendBytes: number;
  /** Per slot: datagram length, port, next slot in its queue (-1 at the end), host, long copy. */
  readonly length: Int32Array;
  readonly port: Int32Array;
  readonly next: Int32Array;
  readonly host: string[];
  readonly large: (Uint8Array | undefined)[];
  #pool: Uint8Array | undefined;
  readonly #free: Int32Array;
  #freeCount: number;
  #largeBytes = 0;
  readonly #receiveFree: Uint8Array[] = [];

  constructor(init: DenoUdpBuffersInit = {}) {
    this.sendSlots = positiveInteger(init.sendSlots ?? DEFAULT_SEND_SLOTS, "sendSlots");
    this.sendSlotBytes = positiveInteger(
      init.sendSlotBytes ?? DEFAULT_SEND_SLOT_BYTES,
      "sendSlotBytes",
    );
    this.maxLargeSendBytes = init.maxLargeSendBytes ?? DEFAULT_MAX_LARGE_SEND_BYTES;
    if (!Number.isInteger(this.maxLargeSendBytes) || this.maxLargeSendBytes < 0) {
      throw new RangeError(
        `Cannot size the Deno UDP buffers: maxLargeSendBytes ${init.maxLargeSendBytes} is not a non-negative integer`,
      );
    }
    const n = this.sendSlots;
    this.length = new Int32Array(n);
    this.port = new Int32Array(n);
    this.next = new Int32Array(n);
    this.host = new Array<string>(n).fill("");
    this.large = new Array<Uint8Array | undefined>(n).fill(undefined);
    this.#free = new Int32Array(n);
    for (let i = 0; i < n; i++) this.#free[i] = n - 1 - i; // slot 0 on top
    this.#freeCount = n;
  }

  /** Free send slots now (for tests and /status). */
  get freeSendSlots(): number {
    return this.#freeCount;
  }

  /** The send pool, created on first use. */
  get pool(): Uint8Array {
    return this.#pool ??= new Uint8Array(this.sendSlots * this.sendSlotBytes);
  }

  /** A free send slot, or -1 when all are queued. */
  takeSlot(): number {
    if (this.#freeCount === 0) return -1;
    return this.#free[--this.#freeCount]!;
  }

  releaseSlot(slot: number): void {
    this.host[slot] = "";
    const large = this.large[slot];
    if (large !== undefined) {
      this.#largeBytes -= large.length;
      this.large[slot] = undefined;
    }
    this.#free[this.#freeCount++] = slot;
  }

  /** Counts `bytes` of a long datagram against the budget; false when it would pass it. */
  reserveLarge(bytes: number): boolean {
    if (this.#largeBytes + bytes > this.maxLargeSendBytes) return false;
    this.#largeBytes += bytes;
    return true;
  }

  takeReceiveBuffer(): Uint8Array {
    if (this.#receiveFree.length === 0) {
      const slab = new ArrayBuffer(RECEIVE_BUFFERS_PER_SLAB * RECEIVE_BUFFER_BYTES);
      for (let i = RECEIVE_BUFFERS_PER_SLAB - 1; i >= 0; i--) {
        this.#receiveFree.push(
          new Uint8Array(slab, i * RECEIVE_BUFFER_BYTES, RECEIVE_BUFFER_BYTES),
        );
      }
    }
    return this.#receiveFree.pop()!;
  }

  returnReceiveBuffer(buffer: Uint8Array): void {
    this.#receiveFree.push(buffer);
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(
      `Cannot size the Deno UDP buffers: ${name} ${value} is not a positive integer`,
    );
  }
  return value;
}

let sharedBuffers: DenoUdpBuffers | undefined;

/** The process's one DenoUdpBuffers, created on first use with the defaults. */
export function sharedDenoUdpBuffers(): DenoUdpBuffers {
  return sharedBuffers ??= new DenoUdpBuffers();
}

export interface DenoUdpTransportInit {
  /**
   * IP literal to bind (no host names, no brackets). `::` is dual-stack when the kernel's
   * net.ipv6.bindv6only is 0 (the Linux default; Deno cannot set IPV6_V6ONLY itself, so the
   * transport reads the sysctl): IPv4 peers then arrive as `::ffff:a.b.c.d` and IPv4 destinations
   * are sent as such. `0.0.0.0` is IPv4 only.
   */
  readonly host: string;
  /** 0 lets the kernel pick a free port; `local.port` then reports it. */
  readonly port: number;
  /**
   * Datagrams this transport may have queued (accepted by `send`, not yet taken by the kernel);
   * past it `send` drops and counts ENOBUFS.
   * @default DEFAULT_SEND_QUEUE_DATAGRAMS (256)
   */
  readonly sendQueueDatagrams?: number;
  /** Where the send slots and receive buffers come from. @default sharedDenoUdpBuffers() */
  readonly buffers?: DenoUdpBuffers;
  /** Deno's datagram API; for tests. @default denoDatagramApi() */
  readonly deno?: DenoDatagramApi;
}

/**
 * Opens a DatagramTransport on Deno's native `Deno.listenDatagram` (needs `--unstable-net`), with
 * the semantics of openUdpTransport (node:dgram) at about half its CPU per packet on Deno
 * (shared/notes/udp-performance.md). Choose between them with openDatagramTransport.
 *
 * One receive loop reads into one 64 KiB buffer; the handler gets a view of it, valid only during
 * the call. `send` copies the datagram into a send slot before it returns (callers reuse their
 * buffers) and one loop per transport hands the queued datagrams to the socket one at a time,
 * awaiting each. Memory is bounded: a transport queues at most `sendQueueDatagrams` datagrams and
 * all transports share DenoUdpBuffers' slots; a datagram that finds no room is dropped and counted
 * as `superpeer_transport_send_errors_total{code="ENOBUFS"}` (the kernel's name for a full send
 * buffer). No buffer is allocated per packet: only small objects (a view of the received bytes
 * and the sender's address each way, which Deno's API creates, and the address given to the
 * handler, which handlers may keep). One address object is reused for every send, since Deno
 * copies its fields into a fresh one of its own anyway.
 *
 * `send` never throws. Errors are counted in `superpeer_transport_send_errors_total{code}` and
 * logged as the one warning message openUdpTransport uses: the transport's own checks (`EINVAL`
 * for a host that is not an IP literal, an IPv6 zone such as `fe80::1%eth0`, which Deno would
 * resolve through DNS on every datagram, or a port outside 1..65535; `EAFNOSUPPORT` for the other
 * family, except IPv4 from a dual-stack `::`; `EMSGSIZE` for more than 65,527 bytes; `ENOBUFS`;
 * `ERR_SOCKET_DGRAM_NOT_RUNNING` after `close()`) and the socket's (`EMSGSIZE`, `ENETUNREACH`, ...).
 * `superpeer_transport_datagrams_total{direction}` and `superpeer_transport_bytes_total{direction}`
 * count what was received and what the kernel took. Receive errors other than the socket closing
 * are counted in `superpeer_transport_socket_errors_total{code}`. Handler exceptions are caught,
 * counted in `superpeer_transport_handler_errors_total` and logged.
 *
 * `close()` stops delivering at once, lets what `send` accepted go out (at most CLOSE_FLUSH_MS;
 * what is left then is counted as ERR_SOCKET_DGRAM_NOT_RUNNING), then closes the socket; it is
 * idempotent. Sends that Deno completes at once (the usual case) resume the send loop without a
 * turn of the event loop, so a transport's queue goes out in one burst while receives wait: the
 * queue cap bounds that burst. Link-local senders arrive without their zone, since
 * Deno reports none, so replies to them fail (use node:dgram where that matters).
 *
 * @throws {TypeError} when `host` is not an IP literal, or Deno's datagram API is missing
 * @throws {RangeError} when `port` or `sendQueueDatagrams` is out of range
 * @throws {TransportError} when binding fails; `osCode` says why (EADDRINUSE, EADDRNOTAVAIL, EACCES)
 *
 * @example
 * ```ts
 * const components = { logger: silentLogger(), metrics: new MetricsRegistry() };
 * const udp = await openDenoUdpTransport({ host: "127.0.0.1", port: 0 }, components);
 * udp.onDatagram((bytes, from) => udp.send(bytes, from)); // echo
 * await udp.close();
 * ```
 */
export function openDenoUdpTransport(
  init: DenoUdpTransportInit,
  components: UdpTransportComponents,
): Promise<DatagramTransport> {
  // Binding is synchronous on Deno; failures still arrive as a rejection, as from openUdpTransport.
  try {
    return Promise.resolve(openNow(init, components));
  } catch (error) {
    return Promise.reject(error);
  }
}

function openNow(init: DenoUdpTransportInit, components: UdpTransportComponents): DenoUdpTransport {
  const family = isIP(init.host);
  if (family === 0 || init.host.includes("%")) {
    throw new TypeError(`Cannot open a UDP transport: host is not an IP literal: ${init.host}`);
  }
  if (!Number.isInteger(init.port) || init.port < 0 || init.port > 65535) {
    throw new RangeError(`Cannot open a UDP transport: port ${init.port} is not in 0..65535`);
  }
  const queue = init.sendQueueDatagrams ?? DEFAULT_SEND_QUEUE_DATAGRAMS;
  if (!Number.isInteger(queue) || queue <= 0) {
    throw new RangeError(
      `Cannot open a UDP transport: sendQueueDatagrams ${init.sendQueueDatagrams} is not a positive integer`,
    );
  }
  const deno = init.deno ?? denoDatagramApi();
  if (deno === undefined) {
    throw new TypeError(
      "Cannot open a Deno-native UDP transport: Deno.listenDatagram is missing: run Deno with --unstable-net",
    );
  }
  let conn: DenoDatagramConn;
  try {
    conn = deno.listenDatagram({ hostname: init.host, port: init.port, transport: "udp" });
  } catch (error) {
    const osCode = errorCode(error);
    const where = init.host.includes(":")
      ? `[${init.host}]:${init.port}`
      : `${init.host}:${init.port}`;
    throw new TransportError(`Cannot bind a UDP socket: ${where}: ${osCode}`, {
      osCode,
      cause: error,
    });
  }
  const dualStack = family === 6 && /^[0:]+$/.test(init.host) && !bindsIpv6Only();
  return new DenoUdpTransport(conn, {
    family,
    dualStack,
    queue,
    buffers: init.buffers ?? sharedDenoUdpBuffers(),
  }, components);
}

/** net.ipv6.bindv6only: whether a socket bound to `::` is IPv6 only (Linux; false elsewhere). */
function bindsIpv6Only(): boolean {
  try {
    return readFileSync("/proc/sys/net/ipv6/bindv6only", "utf8").trim() === "1";
  } catch {
    return false;
  }
}

interface Setup {
  readonly family: number;
  readonly dualStack: boolean;
  readonly queue: number;
  readonly buffers: DenoUdpBuffers;
}

class DenoUdpTransport implements DatagramTransport {
  readonly local: DatagramAddress;
  readonly #conn: DenoDatagramConn;
  readonly #family: number;
  readonly #dualStack: boolean;
  readonly #queueCap: number;
  readonly #buffers: DenoUdpBuffers;
  readonly #log: Logger;
  readonly #m: UdpMetrics;
  /** One address object for every send: Deno copies its fields before its first await. */
  readonly #to: DenoNetAddr = { transport: "udp", hostname: "", port: 0 };
  #receiveBuffer: Uint8Array | undefined;
  #handler: DatagramHandler | undefined;
  /** This transport's queue: a list of send slots linked through DenoUdpBuffers.next. */
  #head = -1;
  #tail = -1;
  #queued = 0;
  #sending: Promise<void> | undefined;
  readonly #receiving: Promise<void>;
  #closing: Promise<void> | undefined;
  #socketClosed = false;

  constructor(conn: DenoDatagramConn, setup: Setup, components: UdpTransportComponents) {
    this.#conn = conn;
    this.#family = setup.family;
    this.#dualStack = setup.dualStack;
    this.#queueCap = setup.queue;
    this.#buffers = setup.buffers;
    this.#log = components.logger;
    const { metrics } = components;
    this.#m = new UdpMetrics(metrics);
    this.local = Object.freeze({ host: conn.addr.hostname, port: conn.addr.port });
    this.#receiveBuffer = this.#buffers.takeReceiveBuffer();
    this.#receiving = this.#receive(this.#receiveBuffer);
  }

  send(bytes: Uint8Array, to: DatagramAddress): void {
    if (this.#closing !== undefined) {
      return this.#failed("ERR_SOCKET_DGRAM_NOT_RUNNING", to.host, to.port);
    }
    const host = to.host;
    const port = to.port;
    if (!(port > 0 && port <= 65535 && Number.isInteger(port))) {
      return this.#failed("EINVAL", host, port);
    }
    const family = isIP(host);
    if (family !== this.#family) {
      if (family === 0) return this.#failed("EINVAL", host, port);
      // Linux sends an IPv4 destination from a dual-stack socket as is.
      if (!(family === 4 && this.#dualStack)) return this.#failed("EAFNOSUPPORT", host, port);
    }
    if (family === 6 && host.includes("%")) return this.#failed("EINVAL", host, port);
    const length = bytes.length;
    if (length > MAX_UDP_PAYLOAD) return this.#failed("EMSGSIZE", host, port);
    const buffers = this.#buffers;
    if (this.#queued >= this.#queueCap) return this.#failed("ENOBUFS", host, port);
    const slot = buffers.takeSlot();
    if (slot < 0) return this.#failed("ENOBUFS", host, port);
    if (length <= buffers.sendSlotBytes) {
      buffers.pool.set(bytes, slot * buffers.sendSlotBytes);
    } else if (buffers.reserveLarge(length)) {
      buffers.large[slot] = bytes.slice();
    } else {
      buffers.releaseSlot(slot);
      return this.#failed("ENOBUFS", host, port);
    }
    buffers.length[slot] = length;
    buffers.host[slot] = host;
    buffers.port[slot] = port;
    buffers.next[slot] = -1;
    if (this.#tail < 0) this.#head = slot;
    else buffers.next[this.#tail] = slot;
    this.#tail = slot;
    this.#queued++;
    this.#sending ??= this.#drain();
  }

  onDatagram(handler: DatagramHandler): void {
    this.#handler = handler;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const sending = this.#sending;
    if (sending !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        sending,
        new Promise<void>((resolve) => timer = setTimeout(resolve, CLOSE_FLUSH_MS)),
      ]);
      clearTimeout(timer);
    }
    this.#socketClosed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed underneath us: nothing left to release.
    }
    // Not waiting for a send still pending: the drain loop ends by itself and frees its slots.
    await this.#receiving;
    if (this.#receiveBuffer !== undefined) {
      this.#buffers.returnReceiveBuffer(this.#receiveBuffer);
      this.#receiveBuffer = undefined;
    }
  }

  /** Hands the queued datagrams to the socket in order, one at a time. */
  async #drain(): Promise<void> {
    const buffers = this.#buffers;
    const to = this.#to;
    while (this.#head >= 0) {
      const slot = this.#head;
      const length = buffers.length[slot]!;
      const host = buffers.host[slot]!;
      const port = buffers.port[slot]!;
      if (this.#socketClosed) {
        this.#failed("ERR_SOCKET_DGRAM_NOT_RUNNING", host, port);
      } else {
        const offset = slot * buffers.sendSlotBytes;
        const bytes = buffers.large[slot] ?? buffers.pool.subarray(offset, offset + length);
        to.hostname = host;
        to.port = port;
        try {
          const sent = await this.#conn.send(bytes, to);
          this.#m.out.inc();
          if (sent > 0) this.#m.bytesOut.inc(sent);
        } catch (error) {
          this.#failed(
            this.#socketClosed ? "ERR_SOCKET_DGRAM_NOT_RUNNING" : errorCode(error),
            host,
            port,
          );
        }
      }
      this.#head = buffers.next[slot]!;
      if (this.#head < 0) this.#tail = -1;
      this.#queued--;
      buffers.releaseSlot(slot);
    }
    this.#sending = undefined;
  }

  async #receive(buffer: Uint8Array): Promise<void> {
    const conn = this.#conn;
    while (!this.#socketClosed) {
      let received: [Uint8Array, DenoNetAddr];
      try {
        received = await conn.receive(buffer);
      } catch (error) {
        if (this.#socketClosed) return;
        const code = errorCode(error);
        this.#m.socketError(code).inc();
        this.#log.warn("UDP socket error", {
          code,
          error: error instanceof Error ? error.message : String(error),
        });
        await new Promise((resolve) => setTimeout(resolve, RECEIVE_ERROR_PAUSE_MS));
        continue;
      }
      const bytes = received[0];
      this.#m.in.inc();
      this.#m.bytesIn.inc(bytes.length);
      const handler = this.#handler;
      if (handler === undefined || this.#closing !== undefined) continue;
      const from = received[1];
      try {
        handler(bytes, { host: from.hostname, port: from.port });
      } catch (error) {
        this.#m.handlerErrors.inc();
        this.#log.error("UDP datagram handler threw", {
          from: from.hostname,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  #failed(code: string, host: string, port: number): void {
    this.#m.sendError(code).inc();
    if (this.#log.enabled("warn")) {
      this.#log.warn("Dropped an outgoing UDP datagram", { code, to: host, port });
    }
  }
}
