/**
 * One SIP element as superpeer runs it: transport layer, transaction table, registrar with its
 * location service, proxy, and the dispatch between them, on the transports it is given. The
 * daemon's SIP service opens sockets and builds one of these; tests build one on a memory network.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Metrics } from "../core/metrics.ts";
import type { Scheduler } from "../core/scheduler.ts";
import type { MessageListener } from "../core/message_transport.ts";
import type { StreamListener } from "../core/stream_transport.ts";
import type { DatagramTransport } from "../core/transport.ts";
import type { DigestAuthenticator } from "./digest/mod.ts";
import type { SipOverlay } from "./overlay_registrations.ts";
import { OutboundRouter, type OutboundRouterInit } from "./peering/outbound_router.ts";
import { PeeringPolicy, type PeeringPolicyInit } from "./peering/peering_policy.ts";
import { ProxyGate } from "./peering/proxy_gate.ts";
import { Rfc3263Resolver, type SipDnsLookup } from "./peering/rfc3263_resolver.ts";
import { SuperpeerPeers, type SuperpeerPeersInit } from "./peering/superpeer_peers.ts";
import { SipProxy, type SipProxyInit } from "./proxy/sip_proxy.ts";
import { ownUriTest, SuperpeerTargets } from "./proxy/superpeer_targets.ts";
import { type Binding, BindingTable, type BindingTableInit } from "./registrar/binding_table.ts";
import { Registrar } from "./registrar/registrar.ts";
import { SipCore } from "./sip_core.ts";
import { StatelessAnswers } from "./stateless_answers.ts";
import { DEFAULT_MAX_BINDINGS } from "./registrar/constants.ts";
import { turnHandoffHeaders, type TurnHandoffSource } from "./turn_handoff.ts";
import { SipTransportLayer, type SipTransportLayerInit } from "./sip_transport_layer.ts";
import { TransactionTable, type TransactionTableInit } from "./transaction/mod.ts";
import type { SipAddress } from "./via_handling.ts";

/** Options of a SipElement. */
export interface SipElementInit {
  /** Domains served (lower case); empty: registrations for any domain are accepted. */
  readonly domains: readonly string[];
  /** The address others reach us at (Via, Record-Route, the overlay entries). */
  readonly advertised: { readonly host: string; readonly port: number };
  /** Every host name or address that means "us" in a URI (the advertised one included). */
  readonly ownHosts?: readonly string[];
  readonly bindings?: BindingTableInit;
  readonly transactions?: TransactionTableInit;
  readonly transport?: SipTransportLayerInit;
  readonly proxy?: Omit<SipProxyInit, "advertised">;
  /**
   * Challenge requests from our own phones with 407 (RFC 3261 section 22.3) when an authenticator
   * is given. @default true
   */
  readonly proxyAuth?: boolean;
  /** The peering policy for requests from outside. @default {} (any source, any From domain) */
  readonly peering?: PeeringPolicyInit;
  /** Configured superpeer sources (`sip.peers`). */
  readonly peers?: SuperpeerPeersInit;
  /** Static routes and the default route for other domains. */
  readonly outbound?: OutboundRouterInit;
  /** Seconds between sweeps of lapsed bindings. @default 5 */
  readonly sweepSeconds?: number;
}

/** What a SipElement works with. */
export interface SipElementComponents {
  readonly udp?: DatagramTransport;
  readonly streams?: readonly StreamListener[];
  /** WebSocket listeners (RFC 7118) for browser softphones. */
  readonly webSockets?: readonly MessageListener[];
  /** Digest authentication of REGISTER; none accepts every REGISTER (open test meshes). */
  readonly authenticator?: DigestAuthenticator;
  /** The overlay's registrations: published from the bindings and asked for unknown AORs. */
  readonly overlay?: SipOverlay;
  /** Whether a user exists (480 rather than 404 for one not registered). */
  readonly knownAor?: (aor: string) => boolean;
  /** DNS look-ups for RFC 3263 (the daemon wires node:dns); absent: other domains by static route only. */
  readonly dns?: SipDnsLookup;
  /** Uniform in [0, 1) for SRV weights. @default Math.random */
  readonly random?: () => number;
  /** TURN servers and credentials handed to phones in the REGISTER 200 OK (turn_handoff.ts). */
  readonly turn?: TurnHandoffSource;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default 8 random bytes in hex */
  readonly newTag?: () => string;
}

/**
 * The assembled element.
 *
 * @example
 * ```ts
 * const element = new SipElement({ domains: ["mesh.example"], advertised }, { udp, clock, scheduler, logger, metrics });
 * element.start();
 * ```
 */
export class SipElement {
  readonly transport: SipTransportLayer;
  readonly transactions: TransactionTable;
  readonly bindings: BindingTable<SipAddress>;
  readonly registrar: Registrar<SipAddress>;
  readonly proxy: SipProxy;
  readonly core: SipCore;
  /** Kept REGISTER answers for retransmissions (stateless registrar path). */
  readonly answers: StatelessAnswers;
  readonly peers: SuperpeerPeers;
  readonly policy: PeeringPolicy;
  readonly #c: SipElementComponents;
  readonly #sweepMs: number;
  readonly #advertised: { readonly host: string; readonly port: number };
  #sweep: (() => void) | undefined;

  constructor(init: SipElementInit, components: SipElementComponents) {
    this.#c = components;
    this.#advertised = init.advertised;
    this.#sweepMs = (init.sweepSeconds ?? 5) * 1000;
    const newTag = components.newTag ?? (() => randomBytes(8).toString("hex"));
    const { clock, scheduler, logger, metrics } = components;
    this.transport = new SipTransportLayer(init.transport ?? {}, { logger, metrics, clock });
    if (components.udp !== undefined) this.transport.attachDatagram(components.udp);
    for (const listener of components.streams ?? []) this.transport.attachStreams(listener);
    for (const listener of components.webSockets ?? []) this.transport.attachWebSockets(listener);
    this.transactions = new TransactionTable({
      clock,
      scheduler,
      send: (message, to) => this.transport.send(message, to),
      metrics,
      logger,
    }, init.transactions ?? {});
    this.bindings = new BindingTable<SipAddress>(init.bindings ?? {}, {
      onChange: (aor, bindings) => this.#publish(aor, bindings),
    });
    const turn = components.turn;
    this.registrar = new Registrar<SipAddress>({ domains: init.domains }, {
      bindings: this.bindings,
      authenticator: components.authenticator,
      clock,
      metrics,
      newTag,
      ...(turn !== undefined
        ? { registeredHeaders: (user: string) => turnHandoffHeaders(turn, user) }
        : {}),
    });
    const isOwnUri = ownUriTest(
      [init.advertised.host, ...(init.ownHosts ?? [])],
      init.advertised.port,
    );
    this.peers = new SuperpeerPeers(init.peers ?? {}, {
      clock,
      metrics,
      ...(components.overlay !== undefined ? { overlay: components.overlay } : {}),
    });
    this.policy = new PeeringPolicy(init.peering ?? {}, { clock, metrics, logger });
    const resolver = components.dns === undefined ? undefined : new Rfc3263Resolver({}, {
      dns: components.dns,
      clock,
      metrics,
      ...(components.random !== undefined ? { random: components.random } : {}),
    });
    const outbound = new OutboundRouter(init.outbound ?? {}, {
      ...(resolver !== undefined ? { resolver } : {}),
    });
    const targets = new SuperpeerTargets({ domains: init.domains }, {
      bindings: this.bindings,
      ...(components.overlay !== undefined ? { overlay: components.overlay } : {}),
      isOwnUri,
      ...(components.knownAor !== undefined ? { knownAor: components.knownAor } : {}),
      outbound,
      onPeerEntry: (uri, lifetime) => this.peers.learn(uri, lifetime),
      clock,
    });
    const gate = new ProxyGate({
      domains: init.domains,
      ...(init.proxyAuth !== undefined ? { proxyAuth: init.proxyAuth } : {}),
    }, {
      peers: this.peers,
      policy: this.policy,
      ...(components.authenticator !== undefined
        ? { authenticator: components.authenticator }
        : {}),
      isOwnUri,
      isLocalContact: (uri) => this.bindings.findContact(uri, clock.monotonic()) !== undefined,
      metrics,
    });
    this.proxy = new SipProxy({ ...init.proxy, advertised: init.advertised }, {
      transactions: this.transactions,
      send: (message, to) => this.transport.send(message, to),
      targets,
      isOwnUri,
      scheduler,
      now: () => clock.monotonic(),
      logger,
      metrics,
      newTag,
    });
    // REGISTER answered without transactions: one kept answer per recent REGISTER, about as many
    // as there are bindings (a few hundred bytes each)
    this.answers = new StatelessAnswers({
      maxEntries: Math.max(1024, init.bindings?.maxBindings ?? DEFAULT_MAX_BINDINGS),
    });
    this.core = new SipCore({ domains: init.domains }, {
      transactions: this.transactions,
      registrar: this.registrar,
      proxy: this.proxy,
      gate,
      send: (message, to) => this.transport.send(message, to),
      sendBytes: (bytes, to) => this.transport.sendBytes(bytes, to),
      answers: this.answers,
      now: () => clock.monotonic(),
      isOwnUri,
      logger,
      newTag,
    });
    this.transport.onMessage(this.core);
  }

  /** Starts the sweep of lapsed bindings. */
  start(): void {
    if (this.#sweep !== undefined) return;
    const tick = () => {
      this.bindings.sweep(this.#c.clock.monotonic());
      this.#c.authenticator?.sweep();
      this.policy.sweep();
      this.peers.sweep();
      this.#sweep = this.#c.scheduler.schedule(this.#sweepMs, tick);
    };
    this.#sweep = this.#c.scheduler.schedule(this.#sweepMs, tick);
  }

  /** Stops the sweep, answers pending proxied requests 503 and drops every transaction. */
  stop(): void {
    this.#sweep?.();
    this.#sweep = undefined;
    this.proxy.stop();
    this.transactions.stop();
  }

  /** The overlay entry of an AOR follows its bindings: published while any lives, else withdrawn. */
  #publish(aor: string, bindings: readonly Binding<SipAddress>[]): void {
    const overlay = this.#c.overlay;
    if (overlay === undefined) return;
    if (bindings.length === 0) {
      overlay.withdraw(aor);
      return;
    }
    const user = aor.slice(4, aor.indexOf("@"));
    const host = this.#advertised.host.includes(":")
      ? `[${this.#advertised.host}]`
      : this.#advertised.host;
    const now = this.#c.clock.monotonic();
    const last = Math.max(...bindings.map((b) => b.expiresAt));
    overlay.publish(
      aor,
      `sip:${user}@${host}:${this.#advertised.port}`,
      this.#c.clock.now() + (last - now),
    );
  }
}
