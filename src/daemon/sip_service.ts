/**
 * The SIP service: opens the SIP sockets (UDP, TCP, TLS), reads the users file and the nonce
 * secret, and runs one SipElement (registrar + proxy) with its registrations published in the
 * overlay. The wiring lives here; every protocol decision is in src/sip/.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { Resolver } from "node:dns/promises";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../core/clock.ts";
import { ConfigError } from "../core/errors.ts";
import type { Logger, LoggerFactory } from "../core/logger.ts";
import type { Metrics } from "../core/metrics.ts";
import { type Scheduler, systemScheduler } from "../core/scheduler.ts";
import type { Service } from "../core/service.ts";
import type { MessageListener } from "../core/message_transport.ts";
import type { StreamListener } from "../core/stream_transport.ts";
import { type DatagramAddress, type DatagramTransport, formatAddress } from "../core/transport.ts";
import type { NodeKey } from "../identity/node_key.ts";
import {
  DEFAULT_USERS_FILE_NAME,
  DigestAuthenticator,
  parseUsersFile,
  UsersTable,
} from "../sip/digest/mod.ts";
import { OverlayRegistrations, type OverlayRegistry } from "../sip/overlay_registrations.ts";
import { SipElement } from "../sip/sip_element.ts";
import type { SipDnsLookup } from "../sip/peering/rfc3263_resolver.ts";
import type { TurnHandoffSource } from "../sip/turn_handoff.ts";
import { sipAdvertisedHostOf, type SuperpeerConfig } from "./config/superpeer_config.ts";
import type { OpenDatagramTransport } from "./relay_service.ts";
import { loadOrCreateTlsIdentity } from "./tls_identity_file.ts";

/** The `sip` section of the configuration. */
export type SipServiceInit = SuperpeerConfig["sip"] & { readonly dataDir: string };

/** Opens a TCP or TLS listener from PEM text (not files: the TLS identity may be generated). */
export type OpenSipStreamListener = (options: {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
}) => Promise<StreamListener>;

/** Opens a WebSocket listener (RFC 7118), plain or over TLS. */
export type OpenSipWebSocketListener = (options: {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
}) => Promise<MessageListener>;

/** What the SIP service needs from the daemon. */
export interface SipServiceComponents {
  readonly logger: LoggerFactory;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly openTransport: OpenDatagramTransport;
  /** Opens TCP and TLS listeners; without it SIP is UDP only. */
  readonly openStreamListener?: OpenSipStreamListener;
  /** Opens WebSocket listeners; without it there is no SIP over WebSocket. */
  readonly openWebSocketListener?: OpenSipWebSocketListener;
  /** TURN servers and credentials for the REGISTER 200 OK; absent: no relay hand-off. */
  readonly turn?: TurnHandoffSource;
  /** DNS look-ups for RFC 3263 (systemSipDns()); used when `sip.dns` is on. */
  readonly dns?: SipDnsLookup;
  /** The overlay node once the overlay runs; absent: registrations stay local. */
  readonly overlay?: () => OverlayRegistry | undefined;
  readonly key: NodeKey;
  /** @default systemScheduler */
  readonly scheduler?: Scheduler;
}

/** DNS failures that mean "no such name or record": an empty answer, not an error. */
const DNS_EMPTY = new Set(["ENOTFOUND", "ENODATA", "NOTFOUND", "NODATA"]);

/**
 * The RFC 3263 look-ups on node:dns (the system's resolvers, 2 s per try, 2 tries); "no such
 * name" and "no such record" answer [], anything else rejects.
 *
 * @example
 * ```ts
 * new SipService(init, { ...components, dns: systemSipDns() });
 * ```
 */
export function systemSipDns(): SipDnsLookup {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  const empty = <T>(promise: Promise<T[]>): Promise<T[]> =>
    promise.catch((error: { code?: string }) => {
      if (DNS_EMPTY.has(error.code ?? "")) return [];
      throw error;
    });
  return {
    naptr: (name) => empty(resolver.resolveNaptr(name)),
    srv: (name) => empty(resolver.resolveSrv(name)),
    a: (name) => empty(resolver.resolve4(name, { ttl: true })),
    aaaa: (name) => empty(resolver.resolve6(name, { ttl: true })),
  };
}

/** File of the Digest nonce secret in the data directory (nonces stay valid across restarts). */
export const SIP_NONCE_SECRET_FILE = "sip_nonce.secret";

/**
 * The daemon's SIP service.
 *
 * @example
 * ```ts
 * daemon.register(new SipService({ ...config.sip, dataDir: config.dataDir }, components));
 * ```
 */
export class SipService implements Service {
  readonly name = "sip";
  readonly dependsOn: readonly string[];
  readonly #init: SipServiceInit;
  readonly #c: SipServiceComponents;
  readonly #log: Logger;
  #udp: DatagramTransport | undefined;
  #tcp: StreamListener | undefined;
  #tls: StreamListener | undefined;
  #ws: MessageListener | undefined;
  #wss: MessageListener | undefined;
  #element: SipElement | undefined;
  #registrations: OverlayRegistrations | undefined;
  #authenticator: DigestAuthenticator | undefined;
  #tlsFingerprint = "";

  constructor(init: SipServiceInit, components: SipServiceComponents) {
    this.#init = init;
    this.#c = components;
    this.#log = components.logger("superpeer:sip");
    this.dependsOn = components.overlay === undefined ? [] : ["overlay"];
  }

  /** The UDP address SIP listens on once started. */
  get address(): { host: string; port: number } | undefined {
    return this.#udp?.local;
  }

  /** The running element (tests and /status). */
  get element(): SipElement | undefined {
    return this.#element;
  }

  async start(_options: { signal: AbortSignal }): Promise<void> {
    if (this.#element !== undefined) return;
    const init = this.#init;
    const { clock, metrics } = this.#c;
    const scheduler = this.#c.scheduler ?? systemScheduler;
    if (init.auth === "digest") {
      const users = await this.#loadUsers();
      this.#authenticator = new DigestAuthenticator({
        realm: init.realm,
        algorithms: init.digestAlgorithms,
        checkUri: init.digestCheckUri,
        nonceSecret: await this.#nonceSecret(),
      }, { clock, users, metrics });
    }
    this.#udp = await this.#c.openTransport({ host: init.host, port: init.port });
    const port = this.#udp.local.port;
    const advertisedHost = sipAdvertisedHostOf(init);
    const streams: StreamListener[] = [];
    const open = this.#c.openStreamListener;
    if (open !== undefined && init.tcp) {
      this.#tcp = await open({
        host: init.host,
        port,
        maxConnections: init.maxStreamClients,
        maxConnectionsPerIp: init.maxStreamClientsPerIp,
      });
      streams.push(this.#tcp);
    }
    const openWs = this.#c.openWebSocketListener;
    const needTls = (open !== undefined && init.tlsPort !== 0) ||
      (openWs !== undefined && init.wssPort !== 0);
    let tls: { certPem: string; keyPem: string } | undefined;
    if (needTls) {
      const identity = await loadOrCreateTlsIdentity(init.dataDir, {
        certFile: this.#path(init.tlsCertFile),
        keyFile: this.#path(init.tlsKeyFile),
        commonName: advertisedHost,
        dnsNames: init.domains,
        ipAddresses: [advertisedHost],
        logger: this.#log,
        clock,
      });
      this.#tlsFingerprint = identity.fingerprintSha256;
      tls = { certPem: identity.cert, keyPem: identity.key };
    }
    if (open !== undefined && init.tlsPort !== 0 && tls !== undefined) {
      this.#tls = await open({
        host: init.host,
        port: init.tlsPort,
        tls,
        maxConnections: init.maxStreamClients,
        maxConnectionsPerIp: init.maxStreamClientsPerIp,
      });
      streams.push(this.#tls);
    }
    const webSockets: MessageListener[] = [];
    if (openWs !== undefined && init.wsPort !== 0) {
      this.#ws = await openWs({
        host: init.host,
        port: init.wsPort,
        maxConnections: init.maxStreamClients,
        maxConnectionsPerIp: init.maxStreamClientsPerIp,
      });
      webSockets.push(this.#ws);
    }
    if (openWs !== undefined && init.wssPort !== 0 && tls !== undefined) {
      this.#wss = await openWs({
        host: init.host,
        port: init.wssPort,
        tls,
        maxConnections: init.maxStreamClients,
        maxConnectionsPerIp: init.maxStreamClientsPerIp,
      });
      webSockets.push(this.#wss);
    }
    const overlay = this.#c.overlay;
    if (overlay !== undefined) {
      this.#registrations = new OverlayRegistrations({
        refreshSeconds: init.overlayRefreshSeconds,
        maxAors: init.maxBindings,
      }, {
        overlay,
        key: this.#c.key,
        clock,
        scheduler,
        logger: this.#c.logger("superpeer:sip:overlay"),
        metrics,
      });
      this.#registrations.start();
    }
    const authenticator = this.#authenticator;
    this.#element = new SipElement({
      domains: init.domains,
      advertised: { host: advertisedHost, port },
      ownHosts: [init.host],
      bindings: {
        minExpiresSeconds: init.minExpiresSeconds,
        maxExpiresSeconds: init.maxExpiresSeconds,
        defaultExpiresSeconds: init.defaultExpiresSeconds,
        maxBindings: init.maxBindings,
        maxBindingsPerAor: init.maxBindingsPerAor,
      },
      transactions: {
        maxServerTransactions: init.maxTransactions,
        maxClientTransactions: init.maxTransactions,
      },
      proxyAuth: init.proxyAuth,
      peers: { trustedSources: init.peers },
      peering: {
        allowedSources: init.peeringSources,
        allowedDomains: init.peeringDomains,
        requestsPerSecond: init.peeringRequestsPerSecond,
        burst: init.peeringBurst,
        maxSources: init.peeringMaxSources,
        maxUnauthenticatedInvites: init.maxUnauthenticatedInvites,
      },
      outbound: { routes: init.routes, defaultRoute: init.defaultRoute },
    }, {
      udp: this.#udp,
      streams,
      webSockets,
      ...(authenticator !== undefined ? { authenticator } : {}),
      ...(this.#registrations !== undefined ? { overlay: this.#registrations } : {}),
      ...(authenticator !== undefined ? { knownAor: (aor: string) => this.#knownAor(aor) } : {}),
      ...(this.#c.turn !== undefined ? { turn: this.#c.turn } : {}),
      ...(init.dns && this.#c.dns !== undefined ? { dns: this.#c.dns } : {}),
      clock,
      scheduler,
      logger: this.#c.logger("superpeer:sip:element"),
      metrics,
    });
    this.#element.start();
    this.#log.info("SIP registrar and proxy listening", {
      udp: formatAddress(this.#udp.local),
      tcp: this.#tcp ? formatAddress(this.#tcp.local) : "off",
      tls: this.#tls ? formatAddress(this.#tls.local) : "off",
      ws: this.#ws ? formatAddress(this.#ws.local) : "off",
      wss: this.#wss ? formatAddress(this.#wss.local) : "off",
      advertised: `${advertisedHost}:${port}`,
      domains: init.domains.join(",") || "any",
      auth: init.auth,
      proxyAuth: init.auth === "digest" && init.proxyAuth,
      peering: init.peeringSources.join(",") || "any source",
      routes: init.routes.length,
      defaultRoute: init.defaultRoute || (init.dns ? "dns" : "none"),
      users: this.#usersTable?.size ?? 0,
    });
  }

  async stop(): Promise<void> {
    const element = this.#element;
    if (element === undefined) return;
    this.#element = undefined;
    element.stop();
    await this.#registrations?.stop();
    this.#registrations = undefined;
    const closing = [
      this.#udp?.close(),
      this.#tcp?.close(),
      this.#tls?.close(),
      this.#ws?.close(),
      this.#wss?.close(),
    ];
    await Promise.all(closing);
    this.#udp =
      this.#tcp =
      this.#tls =
      this.#ws =
      this.#wss =
        undefined;
  }

  /** Re-reads the users file (SIGHUP); a broken file keeps the running users and is logged. */
  async reloadUsers(): Promise<void> {
    if (this.#authenticator === undefined) return;
    try {
      this.#authenticator.replaceUsers(await this.#loadUsers());
    } catch (error) {
      this.#log.error("Kept the running SIP users: the users file cannot be used", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** The addresses SIP listens on, by transport (absent when off). */
  listening(): { udp?: DatagramAddress; tcp?: DatagramAddress; tls?: DatagramAddress } {
    return {
      ...(this.#udp ? { udp: this.#udp.local } : {}),
      ...(this.#tcp ? { tcp: this.#tcp.local } : {}),
      ...(this.#tls ? { tls: this.#tls.local } : {}),
    };
  }

  status(): Record<string, unknown> {
    const element = this.#element;
    return {
      udp: this.#udp ? formatAddress(this.#udp.local) : null,
      tcp: this.#tcp ? formatAddress(this.#tcp.local) : null,
      tls: this.#tls ? formatAddress(this.#tls.local) : null,
      ws: this.#ws ? formatAddress(this.#ws.local) : null,
      wss: this.#wss ? formatAddress(this.#wss.local) : null,
      tlsFingerprintSha256: this.#tlsFingerprint || null,
      domains: this.#init.domains,
      auth: this.#init.auth,
      users: this.#usersTable?.size ?? 0,
      bindings: element?.bindings.size ?? 0,
      aors: element?.bindings.aorCount ?? 0,
      serverTransactions: element?.transactions.serverCount ?? 0,
      clientTransactions: element?.transactions.clientCount ?? 0,
      proxyContexts: element?.proxy.contextCount ?? 0,
      registerAnswersKept: element?.answers.size ?? 0,
      registerRetransmissionsAnswered: element?.answers.replayed ?? 0,
      streamFlows: element?.transport.flowCount ?? 0,
      overlayAors: this.#registrations?.size ?? 0,
      learnedPeers: element?.peers.learnedCount ?? 0,
      outsideInvites: element?.policy.inviteCount ?? 0,
    };
  }

  #knownAor(aor: string): boolean {
    const user = aor.slice(4, aor.indexOf("@"));
    return this.#usersTable?.lookup(user, this.#init.realm) !== undefined;
  }

  #usersTable: UsersTable | undefined;

  async #loadUsers(): Promise<UsersTable> {
    const path = this.#init.usersFile === ""
      ? this.#dataPath(DEFAULT_USERS_FILE_NAME)
      : this.#path(this.#init.usersFile);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOENT") {
        throw new ConfigError("SIP users file", [{
          path: "sip.usersFile",
          message: `cannot read ${path}: ${(error as { code?: string }).code ?? String(error)}`,
        }]);
      }
      this.#log.warn(
        "No SIP users file: every REGISTER is refused until `superpeer user add` writes one",
        { path },
      );
      text = "";
    }
    const table = text === "" ? new UsersTable() : parseUsersFile(text, path);
    this.#usersTable = table;
    return table;
  }

  /** 32 random bytes kept in the data directory (mode 0600), so nonces survive a restart. */
  async #nonceSecret(): Promise<Uint8Array> {
    const init = this.#init;
    const path = this.#dataPath(SIP_NONCE_SECRET_FILE);
    try {
      const bytes = await readFile(path);
      if (bytes.length >= 16) return new Uint8Array(bytes);
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOENT") throw error;
    }
    const secret = randomBytes(32);
    await mkdir(init.dataDir, { recursive: true });
    const temp = `${path}.tmp`;
    await writeFile(temp, secret, { mode: 0o600 });
    await rename(temp, path);
    return new Uint8Array(secret);
  }

  #dataPath(name: string): string {
    return join(this.#init.dataDir, name);
  }

  /** Configured paths are used as given (relative ones from the working directory), as elsewhere. */
  #path(file: string): string {
    return file;
  }
}
