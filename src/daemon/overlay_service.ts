import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../core/clock.ts";
import type { LoggerFactory } from "../core/logger.ts";
import type { Metrics } from "../core/metrics.ts";
import { systemScheduler } from "../core/scheduler.ts";
import type { Service } from "../core/service.ts";
import { type DatagramAddress, type DatagramTransport, formatAddress } from "../core/transport.ts";
import type { NodeKey } from "../identity/node_key.ts";
import { overlayIdForConfig } from "../identity/overlay_id.ts";
import { addressToTransport, OverlayNode } from "../overlay/overlay_node.ts";
import { DEFAULT_KINDS } from "../overlay/storage/kinds.ts";
import { LocalStore } from "../overlay/storage/local_store.ts";
import { openDatagramTransport } from "../transport/open_datagram_transport.ts";
import { loadAdmissionPolicy } from "./admission_files.ts";
import type { SuperpeerConfig } from "./config/superpeer_config.ts";

/** Peers remembered across restarts, tried first when joining (issue: "the last ~10 peers"). */
export const CACHED_PEERS = 10;
const CACHE_FILE = "overlay_peers.json";

/** Parses "192.0.2.1:6084" or "[2001:db8::1]:6084". */
export function parseHostPort(text: string): DatagramAddress {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!match) throw new RangeError(`Cannot parse address: ${text}`);
  return { host: match[1]!, port: Number(match[2]) };
}

/**
 * The overlay as a daemon service: binds the UDP socket, loads the admission credentials, runs an
 * OverlayNode (joining in the background so a missing bootstrap peer never blocks start-up), and
 * remembers its neighbours in the data directory for the next start.
 */
export class OverlayService implements Service {
  readonly name = "overlay";
  readonly #config: SuperpeerConfig;
  readonly #components: { logger: LoggerFactory; metrics: Metrics; clock: Clock; key: NodeKey };
  #transport: DatagramTransport | undefined;
  #node: OverlayNode | undefined;

  constructor(
    config: SuperpeerConfig,
    components: { logger: LoggerFactory; metrics: Metrics; clock: Clock; key: NodeKey },
  ) {
    this.#config = config;
    this.#components = components;
  }

  /** Where the overlay's UDP socket is bound, once started. */
  get local(): DatagramAddress | undefined {
    return this.#transport?.local;
  }

  /** The running node (for the SIP and relay services), once started. */
  get node(): OverlayNode | undefined {
    return this.#node;
  }

  async start(_options: { signal: AbortSignal }): Promise<void> {
    if (this.#node) return;
    const { logger, metrics, clock, key } = this.#components;
    const log = logger("superpeer:overlay");
    const config = this.#config;
    const admission = await loadAdmissionPolicy(config, {
      nodePublicKey: key.publicKeyRaw,
      nowSeconds: Math.floor(clock.now() / 1000),
      log,
    });
    const transport = await openDatagramTransport({
      host: config.overlay.host,
      port: config.overlay.port,
    }, {
      logger: logger("superpeer:transport:udp"),
      metrics,
    });
    this.#transport = transport;
    const advertise = config.overlay.advertise.length > 0
      ? config.overlay.advertise.map((a) => addressToTransport(parseHostPort(a)))
      : isWildcard(transport.local.host)
      ? []
      : [addressToTransport(transport.local)];
    const cached = await this.#readCachedPeers();
    const bootstrap = [...cached, ...config.overlay.bootstrap.map(parseHostPort)];
    const store = new LocalStore({ kinds: DEFAULT_KINDS, clock });
    this.#node = new OverlayNode({
      overlayId: overlayIdForConfig(config),
      bootstrap,
      advertise,
      replayWindowSeconds: config.overlay.replayWindowSeconds,
      stabilizeMaxMs: config.overlay.stabilizeMaxMs,
      stabilizeMinMs: Math.max(500, Math.floor(config.overlay.stabilizeMaxMs / 10)),
      peerTimeoutMs: config.overlay.peerTimeoutMs,
    }, {
      transport,
      clock,
      scheduler: systemScheduler,
      logger: log,
      metrics,
      key,
      admission,
      store,
      randomBytes: (n) => new Uint8Array(randomBytes(n)),
    });
    log.info("Overlay listening", {
      udp: formatAddress(transport.local),
      overlay: config.overlay.name,
      admission: config.overlay.admission,
      bootstrap: bootstrap.length,
    });
    // Joining can take a while (and fail): it runs in the background; /status shows `joined`.
    void this.#node.start().catch((error) =>
      log.warn("Overlay join failed", { error: (error as Error).message })
    );
  }

  async stop(): Promise<void> {
    const node = this.#node;
    this.#node = undefined;
    if (node) {
      await this.#writeCachedPeers(node);
      await node.stop();
    }
    await this.#transport?.close();
    this.#transport = undefined;
  }

  /** Applies a new replay window to the running node (a live key, changed on SIGHUP). */
  setReplayWindow(seconds: number): void {
    this.#node?.messenger.setReplayWindow(seconds);
  }

  status(): Record<string, unknown> {
    return {
      udp: this.#transport ? formatAddress(this.#transport.local) : null,
      replayWindowSeconds: this.#node?.messenger.replayWindowSeconds ?? null,
      ...this.#node?.status(),
    };
  }

  async #readCachedPeers(): Promise<DatagramAddress[]> {
    try {
      const list = JSON.parse(await readFile(join(this.#config.dataDir, CACHE_FILE), "utf8"));
      return Array.isArray(list)
        ? list.filter((a) => typeof a === "string").slice(0, CACHED_PEERS).map(parseHostPort)
        : [];
    } catch {
      return [];
    }
  }

  async #writeCachedPeers(node: OverlayNode): Promise<void> {
    const peers = node.table.peers().slice(0, CACHED_PEERS).map((p) => formatAddress(p.address));
    if (peers.length === 0) return;
    const path = join(this.#config.dataDir, CACHE_FILE);
    try {
      await writeFile(`${path}.tmp`, JSON.stringify(peers) + "\n");
      await rename(`${path}.tmp`, path);
    } catch {
      // A read-only data directory costs only the faster rejoin.
    }
  }
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::";
}
