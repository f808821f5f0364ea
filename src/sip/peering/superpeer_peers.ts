/**
 * Which sources are other superpeers. A request is "from a peer" only when its packet's source
 * (not its Via, Route or From, which anyone can write) is:
 *
 * 1. inside a configured CIDR block (`sip.peers`, any port: multi-homed peers, TCP); or
 * 2. exactly the UDP address (host and port) of a superpeer's SIP socket learned from the
 *    overlay: each SIP-REGISTRATION entry names the publishing peer's SIP address in its URI, and
 *    entries are signed by the publisher's node key and stored only by admitted nodes. Addresses
 *    are learned from every entry the target resolver reads (for as long as the entry lives), and
 *    on demand: a request whose From is one of our domains, from an unknown source, is from a peer
 *    when the overlay's entry for that From AOR names the source (its own Proxy Peer forwarded
 *    it). Superpeers send over UDP from their listening socket, so the source port is the SIP port.
 *
 * Source addresses of UDP can be forged, as for every address-based trust (Kamailio's
 * `allow_trusted`); a forger does not see the responses, which go to the forged address.
 *
 * @module
 */
import { parseSipUri } from "../../codec/sip/mod.ts";
import { BoundedMap } from "../../core/bounded_map.ts";
import type { Clock } from "../../core/clock.ts";
import type { Counter, Metrics } from "../../core/metrics.ts";
import type { SipOverlay } from "../overlay_registrations.ts";
import type { SipAddress } from "../via_handling.ts";
import { CidrSet } from "./cidr_set.ts";
import { DEFAULT_MAX_LEARNED_PEERS, DEFAULT_MAX_PEER_LOOKUPS } from "./constants.ts";

/** Options of SuperpeerPeers. */
export interface SuperpeerPeersInit {
  /** CIDR blocks whose every source is a superpeer (`sip.peers`). @default [] */
  readonly trustedSources?: readonly string[];
  /** @default DEFAULT_MAX_LEARNED_PEERS (1024) */
  readonly maxLearned?: number;
  /** @default DEFAULT_MAX_PEER_LOOKUPS (16) */
  readonly maxLookups?: number;
}

/** What SuperpeerPeers works with. */
export interface SuperpeerPeersComponents {
  readonly clock: Clock;
  /** The overlay's registrations; without it only configured blocks are peers. */
  readonly overlay?: Pick<SipOverlay, "resolve">;
  readonly metrics?: Metrics;
}

/** Longest a learned address is trusted without being seen in an entry again, ms. */
const MAX_LEARNED_MS = 86_400_000;

/**
 * The superpeers this one knows.
 *
 * @example
 * ```ts
 * const peers = new SuperpeerPeers({ trustedSources: ["10.10.0.0/16"] }, { clock, overlay });
 * peers.isPeer({ transport: "UDP", host: "10.10.0.7", port: 5060, reliable: false }); // true
 * ```
 */
export class SuperpeerPeers {
  readonly #trusted: CidrSet;
  readonly #learned: BoundedMap<string, number>;
  readonly #maxLookups: number;
  readonly #c: SuperpeerPeersComponents;
  readonly #lookups: Counter | undefined;
  #inFlight = 0;

  constructor(init: SuperpeerPeersInit, components: SuperpeerPeersComponents) {
    this.#trusted = new CidrSet(init.trustedSources ?? []);
    const dropped = components.metrics?.counter(
      "superpeer_sip_peers_dropped_total",
      "Learned superpeer addresses dropped at the cap",
    );
    this.#learned = new BoundedMap({
      maxEntries: init.maxLearned ?? DEFAULT_MAX_LEARNED_PEERS,
      onEvict: () => dropped?.inc(),
    });
    this.#maxLookups = init.maxLookups ?? DEFAULT_MAX_PEER_LOOKUPS;
    this.#c = components;
    this.#lookups = components.metrics?.counter(
      "superpeer_sip_peer_lookups_total",
      "Overlay look-ups of a From AOR to recognise its Proxy Peer, by result",
      ["result"],
    );
  }

  /** Learned addresses held. */
  get learnedCount(): number {
    return this.#learned.size;
  }

  /** Whether a request from `source` comes from a superpeer. */
  isPeer(source: SipAddress): boolean {
    if (this.#trusted.size > 0 && this.#trusted.has(source.host)) return true;
    if (source.transport !== "UDP") return false;
    const until = this.#learned.get(key(source.host, source.port));
    if (until === undefined) return false;
    if (until > this.#c.clock.monotonic()) return true;
    this.#learned.delete(key(source.host, source.port));
    return false;
  }

  /** Learns the SIP address in an overlay entry's URI (literal host and port) for `lifetimeS`. */
  learn(uri: string, lifetimeS: number): void {
    let host: string;
    let port: number;
    try {
      const parsed = parseSipUri(uri);
      if (parsed.scheme === "tel") return;
      host = parsed.host;
      port = parsed.port ?? 5060;
    } catch {
      return;
    }
    const k = key(host, port);
    const until = this.#c.clock.monotonic() + Math.min(lifetimeS * 1000, MAX_LEARNED_MS);
    this.#learned.delete(k); // re-insert: the freshest entry is the last to be dropped
    this.#learned.set(k, until);
  }

  /**
   * Whether the overlay's entry for `aor` names `source` (a request From `aor` forwarded by the
   * AOR's own Proxy Peer); learns the address when it does. At most `maxLookups` at once: past
   * it the answer is false (the request is then treated as a phone's and challenged).
   */
  async vouches(
    aor: string,
    source: SipAddress,
    options: { signal?: AbortSignal },
  ): Promise<boolean> {
    const overlay = this.#c.overlay;
    if (overlay === undefined || source.transport !== "UDP") return false;
    if (this.#inFlight >= this.#maxLookups) {
      this.#lookups?.with({ result: "busy" }).inc();
      return false;
    }
    this.#inFlight++;
    try {
      const entries = await overlay.resolve(aor, options);
      const wanted = key(source.host, source.port);
      for (const entry of entries) {
        try {
          const uri = parseSipUri(entry.uri);
          if (uri.scheme === "tel" || key(uri.host, uri.port ?? 5060) !== wanted) continue;
        } catch {
          continue;
        }
        this.learn(entry.uri, entry.lifetime);
        this.#lookups?.with({ result: "peer" }).inc();
        return true;
      }
      this.#lookups?.with({ result: "not_peer" }).inc();
      return false;
    } catch {
      this.#lookups?.with({ result: "failed" }).inc();
      return false;
    } finally {
      this.#inFlight--;
    }
  }

  /** Forgets learned addresses whose entries have lapsed; returns how many. */
  sweep(): number {
    const now = this.#c.clock.monotonic();
    let dropped = 0;
    for (const [k, until] of [...this.#learned.entries()]) {
      if (until <= now) {
        this.#learned.delete(k);
        dropped++;
      }
    }
    return dropped;
  }
}

function key(host: string, port: number): string {
  return `${host.replace(/^\[|\]$/g, "").toLowerCase()}|${port}`;
}
