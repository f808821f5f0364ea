/**
 * The TURN relay as a daemon service: the UDP I/O around the pure relay core (src/relay/). One
 * listening transport takes STUN, TURN and ChannelData from clients; one transport per allocation
 * is bound at the port the core chose; one jittered loop sweeps lifetimes.
 *
 * @module
 */
import type { Clock } from "../core/clock.ts";
import type { Logger, LoggerFactory } from "../core/logger.ts";
import type { Counter, Metrics } from "../core/metrics.ts";
import { type Cancel, type Scheduler, systemScheduler } from "../core/scheduler.ts";
import type { Service } from "../core/service.ts";
import type { StreamListener } from "../core/stream_transport.ts";
import { type DatagramAddress, type DatagramTransport, formatAddress } from "../core/transport.ts";
import {
  chainCredentialStores,
  type CredentialStore,
  type FiveTuple,
  type OpenRelayAction,
  type PeerDatagram,
  RestCredentialStore,
  type SendToPeerAction,
  StaticCredentialStore,
  type TurnAction,
  TurnServer,
} from "../relay/mod.ts";
import { relayHostOf, type SuperpeerConfig } from "./config/superpeer_config.ts";
import { RelayStreamClients, type StreamClient } from "./relay_stream_clients.ts";
import type { AdvertisedAddress } from "./relay_advertiser.ts";
import { TurnServiceTransport } from "../codec/overlay/turn_service_value.ts";

/** The `relay` section of the configuration. */
export type RelayServiceInit = SuperpeerConfig["relay"];

/** Opens a UDP transport bound to `host`:`port` (daemon: openDatagramTransport; tests may wrap it). */
export type OpenDatagramTransport = (
  address: DatagramAddress,
) => Promise<DatagramTransport>;

/** What the relay asks of a stream listener; the wiring reads the PEM files named in `tls`. */
export interface StreamListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly maxBacklogBytes: number;
}

/** Opens a TCP or TLS listener (daemon: openTcpListener). */
export type OpenStreamListener = (options: StreamListenerOptions) => Promise<StreamListener>;

/** What a RelayService needs from outside. */
export interface RelayServiceComponents {
  readonly logger: LoggerFactory;
  readonly metrics: Metrics;
  readonly clock: Clock;
  /** Binds the listening socket and every relay socket. */
  readonly openTransport: OpenDatagramTransport;
  /** Opens the TCP and TLS listeners; without it the relay serves UDP only. */
  readonly openStreamListener?: OpenStreamListener;
  /** @default systemScheduler */
  readonly scheduler?: Scheduler;
  /** Uniform in [0, 1): sweep jitter and relay ports. @default Math.random */
  readonly random?: () => number;
}

/** Mean interval of the sweep loop; each wait is jittered by +-25 %. */
export const RELAY_SWEEP_INTERVAL_MS = 1_000;
const LOG_INTERVAL_MS = 60_000;
/** Drop reasons that mean a client or peer sent something broken (logged once a minute). */
const BAD_INPUT_REASONS = ["not_stun", "malformed", "fingerprint", "bad_indication"] as const;

/**
 * Runs a TurnServer on real sockets. Bad datagrams never throw out of a handler: the core drops
 * and counts them, and anything that still throws is counted in
 * `superpeer_relay_handler_errors_total` and logged at most once a minute.
 *
 * @example
 * ```ts
 * const relay = new RelayService(config.relay, {
 *   logger: (name) => sink.logger(name),
 *   metrics: registry,
 *   clock: systemClock,
 *   openTransport: (address) => openDatagramTransport(address, { logger, metrics: registry }),
 * });
 * daemon.register(relay);
 * ```
 */
export class RelayService implements Service {
  readonly name = "relay";
  readonly #init: RelayServiceInit;
  readonly #components: RelayServiceComponents;
  readonly #log: Logger;
  readonly #scheduler: Scheduler;
  readonly #random: () => number;
  readonly #relays = new Map<number, DatagramTransport>();
  readonly #lastLog = new Map<string, number>();
  readonly #badInputReported: Record<string, number> = {};
  /** Reused for ChannelData from clients (handled synchronously, never kept). */
  readonly #channelTuple: {
    transport: "udp";
    client: { host: string; port: number };
    server: DatagramAddress;
  } = { transport: "udp", client: { host: "", port: 0 }, server: { host: "", port: 0 } };
  readonly #handlerErrors: Counter;
  readonly #bindFailures: Counter;
  #listen: DatagramTransport | undefined;
  #tcp: StreamListener | undefined;
  #tls: StreamListener | undefined;
  #streams: RelayStreamClients | undefined;
  #server: TurnServer | undefined;
  #cancelSweep: Cancel | undefined;
  #running = false;
  #fromClients = 0;
  #fromPeers = 0;
  #streamFramingErrors = 0;
  #relayBindFailures = 0;
  #errors = 0;

  constructor(init: RelayServiceInit, components: RelayServiceComponents) {
    this.#init = init;
    this.#components = components;
    this.#log = components.logger("superpeer:relay");
    this.#scheduler = components.scheduler ?? systemScheduler;
    this.#random = components.random ?? Math.random;
    this.#handlerErrors = components.metrics.counter(
      "superpeer_relay_handler_errors_total",
      "Relay datagrams whose handling threw (dropped)",
    );
    this.#bindFailures = components.metrics.counter(
      "superpeer_relay_bind_failures_total",
      "Relay sockets that could not be bound (the Allocate got 508)",
    );
  }

  /** The listening address once started (the real port when configured with 0). */
  get address(): DatagramAddress | undefined {
    return this.#listen?.local;
  }

  /** The relay core, once started (read-only use: status and tests). */
  get server(): TurnServer | undefined {
    return this.#server;
  }

  /**
   * Where clients reach this relay, per transport (wildcard listening addresses replaced by the
   * relay address), once started: what the overlay advertisement carries.
   */
  advertisedAddresses(): AdvertisedAddress[] | undefined {
    const listen = this.#listen;
    if (listen === undefined) return undefined;
    const reachable = (local: DatagramAddress) => ({
      host: isWildcard(local.host) ? relayHostOf(this.#init) : local.host,
      port: local.port,
    });
    const out: AdvertisedAddress[] = [
      { transport: TurnServiceTransport.Udp, address: reachable(listen.local) },
    ];
    if (this.#tcp) {
      out.push({ transport: TurnServiceTransport.Tcp, address: reachable(this.#tcp.local) });
    }
    if (this.#tls) {
      out.push({ transport: TurnServiceTransport.Tls, address: reachable(this.#tls.local) });
    }
    return out;
  }

  /** Relay ports with a bound socket. */
  get relayPorts(): number[] {
    return [...this.#relays.keys()];
  }

  async start(_options: { signal: AbortSignal }): Promise<void> {
    if (this.#running) return;
    const init = this.#init;
    const { clock, metrics, logger } = this.#components;
    const credentials = this.#credentials();
    const relayHost = relayHostOf(init);
    const listen = await this.#components.openTransport({ host: init.host, port: init.port });
    try {
      await this.#openStreamListeners(listen.local.port);
    } catch (error) {
      await Promise.all([listen.close(), this.#tcp?.close(), this.#tls?.close()]);
      this.#tcp = this.#tls = undefined;
      throw error;
    }
    const server = new TurnServer({
      realm: init.realm,
      relayAddresses: relayHost.includes(":")
        ? { ipv6: relayHost }
        : { ipv4: relayHost, ...(init.relayHost6 === "" ? {} : { ipv6: init.relayHost6 }) },
      minRelayPort: init.portMin,
      maxRelayPort: init.portMax,
      listenPorts: this.#tls === undefined
        ? [listen.local.port]
        : [listen.local.port, this.#tls.local.port],
      listenAddresses: isWildcard(init.host) ? [] : [init.host],
      peers: {
        allow: init.allowPeers,
        deny: init.denyPeers,
        allowLoopback: init.allowLoopbackPeers,
      },
      allowRfc5766ChannelNumbers: init.allowRfc5766Channels,
      maxAllocations: init.maxAllocations,
      maxAllocationsPerUser: init.maxAllocationsPerUser,
      maxAllocationsPerClientIp: init.maxAllocationsPerClientIp,
      maxPermissionsPerAllocation: init.maxPermissionsPerAllocation,
      maxChannelsPerAllocation: init.maxChannelsPerAllocation,
      allocationBytesPerSecond: init.allocationBytesPerSecond,
      totalBytesPerSecond: init.totalBytesPerSecond,
    }, {
      clock,
      metrics,
      credentials,
      logger: logger("superpeer:relay:server"),
      random: this.#random,
    });
    this.#listen = listen;
    this.#server = server;
    this.#channelTuple.server = listen.local;
    this.#running = true;
    listen.onDatagram(this.#onClientDatagram);
    if (this.#tcp !== undefined || this.#tls !== undefined) {
      const streams = new RelayStreamClients(() => clock.monotonic(), {
        frame: this.#onStreamFrame,
        malformed: this.#onStreamMalformed,
        closed: this.#onStreamClosed,
      });
      this.#streams = streams;
      this.#tcp?.onConnection((connection) => streams.add(connection));
      this.#tls?.onConnection((connection) => streams.add(connection));
    }
    this.#scheduleSweep();
    this.#log.info("Relay listening", {
      udp: formatAddress(listen.local),
      tcp: this.#tcp === undefined ? "off" : formatAddress(this.#tcp.local),
      tls: this.#tls === undefined ? "off" : formatAddress(this.#tls.local),
      relayHost,
      relayHost6: init.relayHost6 || "off",
      ports: `${init.portMin}-${init.portMax}`,
      realm: init.realm,
      users: init.users.length,
      authSecrets: init.authSecrets.length,
    });
    if (init.users.length === 0 && init.authSecrets.length === 0) {
      this.#log.info(
        "No relay credentials configured: STUN Binding is served, every Allocate is refused",
        { realm: init.realm },
      );
    }
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#cancelSweep?.();
    this.#cancelSweep = undefined;
    const server = this.#server;
    if (server !== undefined) {
      // Release every allocation (and its port) so status and gauges read zero after a stop.
      for (const allocation of [...server.table.all()]) server.table.delete(allocation);
      server.sweep();
    }
    const closing = [...this.#relays.values()].map((t) => t.close());
    this.#relays.clear();
    if (this.#listen !== undefined) closing.push(this.#listen.close());
    if (this.#tcp !== undefined) closing.push(this.#tcp.close());
    if (this.#tls !== undefined) closing.push(this.#tls.close());
    await Promise.all(closing);
    this.#listen =
      this.#tcp =
      this.#tls =
      this.#streams =
        undefined;
  }

  /** The addresses the relay listens on, by transport (absent when off). */
  listening(): { udp?: DatagramAddress; tcp?: DatagramAddress; tls?: DatagramAddress } {
    return {
      ...(this.#listen ? { udp: this.#listen.local } : {}),
      ...(this.#tcp ? { tcp: this.#tcp.local } : {}),
      ...(this.#tls ? { tls: this.#tls.local } : {}),
    };
  }

  status(): Record<string, unknown> {
    const stats = this.#server?.table.stats();
    return {
      udp: this.#listen ? formatAddress(this.#listen.local) : null,
      tcp: this.#tcp ? formatAddress(this.#tcp.local) : null,
      tls: this.#tls ? formatAddress(this.#tls.local) : null,
      streamClients: this.#streams?.size ?? 0,
      streamFramingErrors: this.#streamFramingErrors,
      relayHost: relayHostOf(this.#init),
      realm: this.#init.realm,
      allocations: stats?.allocations ?? 0,
      permissions: stats?.permissions ?? 0,
      channels: stats?.channels ?? 0,
      relaySockets: this.#relays.size,
      datagramsFromClients: this.#fromClients,
      datagramsFromPeers: this.#fromPeers,
      relayBindFailures: this.#relayBindFailures,
      handlerErrors: this.#errors,
      relayed: this.#server?.counters.snapshot() ?? null,
      refused: stats ? Object.fromEntries(stats.refused) : {},
      expired: stats?.expired ?? {},
      deleted: stats?.deleted ?? 0,
    };
  }

  /** TCP on the UDP port number (when `tcp`), TLS on `tlsPort` (when a certificate is set). */
  async #openStreamListeners(udpPort: number): Promise<void> {
    const open = this.#components.openStreamListener;
    const init = this.#init;
    if (open === undefined) return;
    const caps = {
      maxConnections: init.maxStreamClients,
      maxConnectionsPerIp: init.maxStreamClientsPerIp,
      maxBacklogBytes: init.streamBacklogBytes,
    };
    if (init.tcp) this.#tcp = await open({ host: init.host, port: udpPort, ...caps });
    if (init.tlsCertFile !== "" && init.tlsKeyFile !== "") {
      this.#tls = await open({
        host: init.host,
        port: init.tlsPort,
        tls: { certFile: init.tlsCertFile, keyFile: init.tlsKeyFile },
        ...caps,
      });
    }
  }

  #credentials(): CredentialStore {
    const users: Record<string, string[]> = {};
    for (const entry of this.#init.users) {
      const at = entry.lastIndexOf(":");
      (users[entry.slice(0, at)] ??= []).push(entry.slice(at + 1).replace(/^0x/, ""));
    }
    const stores: CredentialStore[] = [new StaticCredentialStore({ users })];
    if (this.#init.authSecrets.length > 0) {
      stores.push(
        new RestCredentialStore({ secrets: this.#init.authSecrets }, {
          clock: this.#components.clock,
        }),
      );
    }
    return stores.length === 1 ? stores[0]! : chainCredentialStores(...stores);
  }

  // ---- datagrams -----------------------------------------------------------------------------

  readonly #onClientDatagram = (bytes: Uint8Array, from: DatagramAddress): void => {
    const server = this.#server;
    const listen = this.#listen;
    if (server === undefined || listen === undefined || !this.#running) return;
    this.#fromClients++;
    try {
      // ChannelData (first two bits 01) is the hot path: no allocation, a reused 5-tuple.
      const first = bytes[0];
      if (first !== undefined && (first & 0xc0) === 0x40) {
        const tuple = this.#channelTuple;
        tuple.client.host = from.host;
        tuple.client.port = from.port;
        const out = server.fromClientChannelData(tuple, bytes);
        if (out !== undefined) {
          this.#sendToPeer(out);
        }
        return;
      }
      // A fresh 5-tuple: the actions may outlive this call (an Allocate waits for its bind).
      const tuple: FiveTuple = {
        transport: "udp",
        client: { host: from.host, port: from.port },
        server: listen.local,
      };
      this.#perform(server.handle(bytes, tuple), 0);
    } catch (error) {
      this.#failed("client", error);
    }
  };

  #onPeerDatagram(relayPort: number, bytes: Uint8Array, from: DatagramAddress): void {
    const server = this.#server;
    const listen = this.#listen;
    if (server === undefined || listen === undefined || !this.#running) return;
    this.#fromPeers++;
    try {
      const out = server.fromPeer(relayPort, from, bytes);
      if (out !== undefined) this.#sendToClient(out.to, out.buffer.subarray(0, out.length));
    } catch (error) {
      this.#failed("peer", error);
    }
  }

  /** Carries out `actions` from `start` in order; an open-relay waits for its bind. */
  #perform(actions: readonly TurnAction[], start: number): void {
    const listen = this.#listen;
    if (listen === undefined || !this.#running) return;
    for (let i = start; i < actions.length; i++) {
      const action = actions[i]!;
      switch (action.kind) {
        case "send":
          this.#sendToClient(action.to, action.bytes);
          break;
        case "to-peer":
          this.#sendToPeer(action);
          break;
        case "close-relay":
          this.#closeRelay(action.port);
          break;
        case "open-relay":
          void this.#openRelay(action).then((bound) => {
            if (bound) return this.#perform(actions, i + 1);
            // The 508 went instead of the success that follows: skip that one send.
            const next = actions.findIndex((a, j) => j > i && a.kind === "send");
            this.#perform(actions, next < 0 ? actions.length : next + 1);
          }).catch((error) => this.#failed("action", error));
          return;
      }
    }
  }

  /** Binds the relay socket of a new allocation; on failure answers 508 and tells the core. */
  async #openRelay(action: OpenRelayAction): Promise<boolean> {
    const { port } = action;
    let transport: DatagramTransport;
    try {
      transport = await this.#components.openTransport({ host: action.host, port });
    } catch (error) {
      this.#relayBindFailures++;
      this.#bindFailures.inc();
      this.#logRateLimited("bind", "Could not bind a relay port; answered 508", {
        port,
        error: error instanceof Error ? error.message : String(error),
      });
      if (this.#running) {
        this.#sendToClient(action.to, action.failure);
        // A dual allocation's other relay socket, if bound already, closes with it.
        for (const other of this.#server?.relayOpenFailed(port) ?? []) {
          if (other.kind === "close-relay") this.#closeRelay(other.port);
        }
      }
      return false;
    }
    // Stopped, or the allocation went (Refresh 0, expiry) while the bind was under way.
    if (!this.#running || this.#server?.table.byRelayPort(port) === undefined) {
      await transport.close();
      return this.#running;
    }
    transport.onDatagram((bytes, from) => this.#onPeerDatagram(port, bytes, from));
    this.#relays.set(port, transport);
    return true;
  }

  #closeRelay(port: number): void {
    const transport = this.#relays.get(port);
    if (transport === undefined) return;
    this.#relays.delete(port);
    void transport.close();
  }

  /** Sends `bytes[offset, offset + length)` from relay port `relayPort` to `peer`. */
  #sendToPeer(out: PeerDatagram | SendToPeerAction): void {
    this.#relays.get(out.relayPort)?.send(
      out.bytes.subarray(out.offset, out.offset + out.length),
      out.peer,
    );
  }

  /** Sends to a client on the transport its 5-tuple names; a stream client may have gone. */
  #sendToClient(tuple: FiveTuple, bytes: Uint8Array): void {
    if (tuple.transport === "udp") {
      this.#listen?.send(bytes, tuple.client);
      return;
    }
    // A full backlog refuses the write; the stream listener counts it (a slow client loses data).
    this.#streams?.find(tuple)?.connection.write(bytes);
  }

  readonly #onStreamFrame = (client: StreamClient, frame: Uint8Array): void => {
    const server = this.#server;
    if (server === undefined || !this.#running) return;
    this.#fromClients++;
    try {
      if ((frame[0]! & 0xc0) === 0x40) {
        const out = server.fromClientChannelData(client.tuple, frame);
        if (out !== undefined) {
          this.#sendToPeer(out);
        }
        return;
      }
      this.#perform(server.handle(frame, client.tuple), 0);
    } catch (error) {
      this.#failed("stream", error);
    }
  };

  readonly #onStreamMalformed = (client: StreamClient, error: Error): void => {
    this.#streamFramingErrors++;
    this.#logRateLimited("framing", "Disconnected a TCP/TLS client that broke STUN framing", {
      from: formatAddress(client.connection.remote),
      error: error.message,
    });
  };

  readonly #onStreamClosed = (client: StreamClient): void => {
    const server = this.#server;
    if (server === undefined || !this.#running) return;
    try {
      for (const action of server.connectionClosed(client.tuple)) {
        if (action.kind === "close-relay") this.#closeRelay(action.port);
      }
    } catch (error) {
      this.#failed("stream", error);
    }
  };

  // ---- sweep ---------------------------------------------------------------------------------

  #scheduleSweep(): void {
    if (!this.#running) return;
    const delay = RELAY_SWEEP_INTERVAL_MS * (0.75 + 0.5 * this.#random());
    this.#cancelSweep = this.#scheduler.schedule(delay, this.#sweep);
  }

  readonly #sweep = (): void => {
    this.#cancelSweep = undefined;
    if (!this.#running) return;
    try {
      const server = this.#server;
      const actions = server?.sweep() ?? [];
      for (const action of actions) {
        if (action.kind === "close-relay") this.#closeRelay(action.port);
      }
      if (server !== undefined) {
        const now = this.#components.clock.monotonic();
        this.#streams?.closeIdle(this.#init.streamIdleSeconds * 1000, (client) => {
          const { transport, client: from, server: to } = client.tuple;
          const allocation = server.table.find(transport, from, to);
          return allocation !== undefined && allocation.expiresAt > now;
        });
        this.#reportBadInput(server.counters.snapshot().dropped);
      }
    } catch (error) {
      this.#failed("sweep", error);
    }
    this.#scheduleSweep();
  };

  /**
   * Logs malformed input at most once a minute, with how many of each kind came since the last
   * line (each one is counted in superpeer_relay_dropped_total as it comes).
   */
  #reportBadInput(dropped: Record<string, number>): void {
    const news: Record<string, number> = {};
    let any = false;
    for (const reason of BAD_INPUT_REASONS) {
      const total = dropped[reason] ?? 0;
      const fresh = total - (this.#badInputReported[reason] ?? 0);
      if (fresh > 0) {
        news[reason] = fresh;
        any = true;
      }
    }
    if (!any) return;
    const now = this.#components.clock.monotonic();
    const last = this.#lastLog.get("bad-input");
    if (last !== undefined && now - last < LOG_INTERVAL_MS) return;
    this.#lastLog.set("bad-input", now);
    for (const reason of BAD_INPUT_REASONS) this.#badInputReported[reason] = dropped[reason] ?? 0;
    this.#log.warn("Dropped malformed relay input", news);
  }

  // ---- errors --------------------------------------------------------------------------------

  #failed(where: string, error: unknown): void {
    this.#errors++;
    this.#handlerErrors.inc();
    this.#logRateLimited(where, "Dropped a relay datagram whose handling failed", {
      where,
      error: error instanceof Error ? error.message : String(error),
    });
  }

  #logRateLimited(key: string, message: string, fields: Record<string, string | number>): void {
    const now = this.#components.clock.monotonic();
    const last = this.#lastLog.get(key);
    if (last !== undefined && now - last < LOG_INTERVAL_MS) return;
    this.#lastLog.set(key, now);
    this.#log.warn(message, fields);
  }
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || /^[0:]+$/.test(host);
}
