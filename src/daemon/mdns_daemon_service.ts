import type { Clock } from "../core/clock.ts";
import { bytesToHex } from "../core/hex.ts";
import type { LoggerFactory } from "../core/logger.ts";
import type { Counter, Metrics } from "../core/metrics.ts";
import { systemScheduler } from "../core/scheduler.ts";
import type { Service } from "../core/service.ts";
import type { DatagramAddress } from "../core/transport.ts";
import { OVERLAY_PROTOCOL_VERSION } from "../codec/overlay/constants.ts";
import { configFingerprint } from "../identity/overlay_id.ts";
import type { ServiceInstance } from "../mdns/dns_sd_browser.ts";
import type { ServiceAdvert } from "../mdns/dns_sd_records.ts";
import { type MdnsNetwork, MdnsService } from "../mdns/mdns_service.ts";
import {
  judgeOverlayPeer,
  OVERLAY_SERVICE_TYPE,
  type OverlayPeerIdentity,
  overlayTxt,
} from "../mdns/overlay_discovery.ts";
import type { OverlayNode } from "../overlay/overlay_node.ts";
import type { MdnsAdvertised, SuperpeerConfig } from "./config/superpeer_config.ts";

/** Where a service listens, by transport. */
type Listening = { udp?: DatagramAddress; tcp?: DatagramAddress; tls?: DatagramAddress };

/** What the mDNS daemon service reads from the others, once they run. */
export interface MdnsDaemonComponents {
  readonly logger: LoggerFactory;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly nodeId: Uint8Array;
  /** Opens the multicast sockets (transport/mdns_sockets.ts). */
  readonly openNetwork: (options: {
    interfaces: readonly string[];
    denyInterfaces: readonly string[];
    ipv4: boolean;
    ipv6: boolean;
    pollIntervalMs: number;
  }) => MdnsNetwork;
  readonly overlay?: { local(): DatagramAddress | undefined; node(): OverlayNode | undefined };
  readonly sip?: () => Listening;
  readonly relay?: () => Listening;
}

/** Discovered overlay peers listed in /status. */
const MAX_PEERS_SHOWN = 32;

const SERVICE_TYPES: Record<MdnsAdvertised, readonly [string, string]> = {
  "overlay": OVERLAY_SERVICE_TYPE,
  "sip-udp": ["_sip", "_udp"],
  "sip-tcp": ["_sip", "_tcp"],
  "sips-tcp": ["_sips", "_tcp"],
  "stun-udp": ["_stun", "_udp"],
  "turn-udp": ["_turn", "_udp"],
  "turn-tcp": ["_turn", "_tcp"],
};

/**
 * mDNS in the daemon: advertises the services that run (overlay, SIP, STUN/TURN) on the
 * configured interfaces, browses for overlay peers and hands those of our overlay and
 * configuration to the overlay as bootstrap candidates. Off (no socket at all) while
 * `mdns.interfaces` is empty, which is the `dev` default.
 */
export class MdnsDaemonService implements Service {
  readonly name = "mdns";
  readonly dependsOn: readonly string[];
  readonly #config: SuperpeerConfig;
  readonly #c: MdnsDaemonComponents;
  readonly #identity: OverlayPeerIdentity;
  readonly #peers = new Map<string, { address: string; interface: string; instance: string }>();
  readonly #discovered: Counter;
  readonly #ignored: Counter;
  #mdns: MdnsService | undefined;
  #skipped: string[] = [];

  constructor(config: SuperpeerConfig, components: MdnsDaemonComponents) {
    this.#config = config;
    this.#c = components;
    this.dependsOn = [
      ...(components.overlay ? ["overlay"] : []),
      ...(components.sip ? ["sip"] : []),
      ...(components.relay ? ["relay"] : []),
    ];
    const fingerprint = configFingerprint(config.overlay);
    this.#identity = {
      overlay: config.overlay.name,
      cfg: bytesToHex(fingerprint.subarray(0, 8)),
      id: bytesToHex(components.nodeId),
      version: OVERLAY_PROTOCOL_VERSION,
    };
    this.#discovered = components.metrics.counter(
      "superpeer_mdns_peers_discovered_total",
      "Overlay peers of our overlay found by mDNS and handed to the overlay",
    );
    this.#ignored = components.metrics.counter(
      "superpeer_mdns_peers_ignored_total",
      "Overlay peers found by mDNS and ignored, by reason",
      ["reason"],
    );
  }

  /** Our host label: mdns.hostName, else superpeer-<first 8 hex digits of the node id>. */
  get hostLabel(): string {
    return this.#config.mdns.hostName || `superpeer-${this.#identity.id.slice(0, 8)}`;
  }

  async start(_options: { signal: AbortSignal }): Promise<void> {
    if (this.#mdns) return;
    const mdns = this.#config.mdns;
    const log = this.#c.logger("superpeer:mdns");
    if (!mdns.enabled || mdns.interfaces.length === 0) {
      log.info("mDNS off", {
        reason: mdns.enabled
          ? "no interface configured (mdns.interfaces)"
          : "mdns.enabled is false",
      });
      return;
    }
    const hostLabel = this.hostLabel;
    this.#mdns = new MdnsService({
      hostLabel,
      instanceName: mdns.instanceName || `superpeer ${hostLabel}`,
      browse: mdns.bootstrap && this.#c.overlay ? [OVERLAY_SERVICE_TYPE] : [],
      ipv4: mdns.ipv4,
      ipv6: mdns.ipv6,
      maxCacheRecords: mdns.maxCacheRecords,
    }, {
      network: this.#c.openNetwork({
        interfaces: mdns.interfaces,
        denyInterfaces: mdns.denyInterfaces,
        ipv4: mdns.ipv4,
        ipv6: mdns.ipv6,
        pollIntervalMs: mdns.interfacePollSeconds * 1000,
      }),
      clock: this.#c.clock,
      scheduler: systemScheduler,
      random: Math.random,
      logger: log,
      metrics: this.#c.metrics,
      adverts: () => this.#adverts(mdns.instanceName || `superpeer ${hostLabel}`),
      onServiceUp: (instance, name) => this.#serviceUp(instance, name),
      onServiceDown: (instance) => this.#serviceDown(instance),
    });
    await this.#mdns.start();
    log.info("mDNS started", {
      interfaces: mdns.interfaces.join(" "),
      host: `${hostLabel}.local`,
      advertised: this.#adverts("").map((a) => a.type.join(".")).join(" ") || "nothing",
      skipped: this.#skipped.join("; ") || undefined,
    });
  }

  async stop(): Promise<void> {
    const mdns = this.#mdns;
    this.#mdns = undefined;
    await mdns?.stop();
  }

  status(): Record<string, unknown> {
    return {
      enabled: this.#mdns !== undefined,
      host: this.#mdns ? `${this.hostLabel}.local` : null,
      notAdvertised: this.#skipped,
      overlayPeers: [...this.#peers.entries()].slice(0, MAX_PEERS_SHOWN).map(([id, peer]) => ({
        nodeId: id,
        ...peer,
      })),
      ...(this.#mdns?.status() ?? {}),
    };
  }

  /** The services to advertise: configured, running, and reachable from the LAN. */
  #adverts(instance: string): ServiceAdvert[] {
    const out: ServiceAdvert[] = [];
    const skipped: string[] = [];
    const wanted = new Set(this.#config.mdns.advertise);
    const add = (what: MdnsAdvertised, local: DatagramAddress | undefined, txt: Uint8Array[]) => {
      if (!wanted.has(what)) return;
      if (local === undefined) return skipped.push(`${what}: not running`);
      if (isLoopback(local.host)) return skipped.push(`${what}: listens on ${local.host}`);
      out.push({ instance, type: SERVICE_TYPES[what], port: local.port, txt });
    };
    const overlay = this.#c.overlay?.local();
    add("overlay", overlay, overlayTxt(this.#identity));
    const sip = this.#c.sip?.() ?? {};
    add("sip-udp", sip.udp, []);
    add("sip-tcp", sip.tcp, []);
    add("sips-tcp", sip.tls, []);
    const relay = this.#c.relay?.() ?? {};
    add("stun-udp", relay.udp, []);
    add("turn-udp", relay.udp, []);
    add("turn-tcp", relay.tcp, []);
    this.#skipped = skipped;
    return out;
  }

  #serviceUp(instance: ServiceInstance, interfaceName: string): void {
    if (instance.type[0] !== OVERLAY_SERVICE_TYPE[0]) return;
    const log = this.#c.logger("superpeer:mdns");
    const verdict = judgeOverlayPeer(instance.txt, this.#identity);
    if (!verdict.ok) {
      if (verdict.reason !== "self") {
        this.#ignored.with({ reason: verdict.reason }).inc();
        log.info("mDNS: ignored an overlay peer", {
          instance: instance.instance,
          reason: verdict.reason,
          interface: interfaceName,
        });
      }
      return;
    }
    const address = this.#reachable(instance);
    if (address === undefined) {
      this.#ignored.with({ reason: "address" }).inc();
      return;
    }
    const id = bytesToHex(verdict.nodeId);
    const shown = `${
      address.host.includes(":") ? `[${address.host}]` : address.host
    }:${address.port}`;
    const known = this.#peers.get(id);
    if (known?.address !== shown) {
      this.#discovered.inc();
      log.info("mDNS: found an overlay peer", {
        nodeId: id.slice(0, 16),
        address: shown,
        interface: interfaceName,
      });
    }
    this.#peers.delete(id);
    this.#peers.set(id, { address: shown, interface: interfaceName, instance: instance.instance });
    while (this.#peers.size > this.#config.mdns.maxDiscoveredPeers) {
      this.#peers.delete(this.#peers.keys().next().value!);
    }
    this.#c.overlay?.node()?.addDiscoveredPeer(verdict.nodeId, address);
  }

  #serviceDown(instance: ServiceInstance): void {
    const verdict = judgeOverlayPeer(instance.txt, this.#identity);
    if (!verdict.ok) return;
    this.#peers.delete(bytesToHex(verdict.nodeId));
    this.#c.overlay?.node()?.removeDiscoveredPeer(verdict.nodeId);
  }

  /** The peer's address in the family our overlay socket speaks. */
  #reachable(instance: ServiceInstance): DatagramAddress | undefined {
    const local = this.#c.overlay?.local();
    const v6 = local !== undefined && local.host.includes(":");
    const host = v6
      ? instance.addresses.ipv6.find((a) => !a.toLowerCase().startsWith("fe80:"))
      : instance.addresses.ipv4[0];
    return host === undefined ? undefined : { host, port: instance.port };
  }
}

function isLoopback(host: string): boolean {
  return host.startsWith("127.") || host === "::1";
}
