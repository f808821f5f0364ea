// A cluster of overlay nodes over a MemoryNetwork in virtual time: the unit tests' small rings and
// the simulator's large ones run the same production OverlayNode code.
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type { DatagramAddress, DatagramTransport } from "../../src/core/transport.ts";
import { decodeEnvelope } from "../../src/codec/overlay/envelope.ts";
import { decodeFrame } from "../../src/codec/overlay/frame.ts";
import { messageName, peekMessageCode } from "../../src/codec/overlay/message_body.ts";
import { MessageCode } from "../../src/codec/overlay/constants.ts";
import type { Destination } from "../../src/codec/overlay/destination.ts";
import { bytesToHex as hex } from "../../src/core/hex.ts";
import { nodeIdFromPublicKey } from "../../src/identity/node_key.ts";
import { idToBigInt } from "../../src/overlay/ring.ts";
import type { NodeKey } from "../../src/identity/node_key.ts";
import { nodeKeyFromSeed } from "./fixed_keys.ts";
import { OpenAdmission } from "../../src/identity/admission.ts";
import type { MessageCrypto } from "../../src/overlay/message_security.ts";
import {
  addressToTransport,
  OverlayNode,
  type OverlayNodeInit,
} from "../../src/overlay/overlay_node.ts";
import { DEFAULT_KINDS } from "../../src/overlay/storage/kinds.ts";
import { LocalStore } from "../../src/overlay/storage/local_store.ts";
import { MemoryNetwork } from "../../src/transport/memory_network.ts";
import { VirtualScheduler } from "../../src/transport/virtual_scheduler.ts";
import { prng } from "./overlay_fuzz.ts";

/**
 * The simulator's signature stand-in: a 64-byte FNV-1a-based digest of (public key || envelope). It
 * has no security at all (anyone can compute it) and exists only so that simulated rings of
 * thousands of nodes measure routing, not Ed25519; the real costs are in the codec bench.
 */
export const simulatedCrypto: MessageCrypto = {
  sign: (key, envelope) => fakeSignature(key.publicKeyRaw, envelope),
  verify: (senderKey, envelope, signature) => {
    const expected = fakeSignature(senderKey, envelope);
    if (signature.length !== expected.length) return false;
    for (let i = 0; i < expected.length; i++) if (expected[i] !== signature[i]) return false;
    return true;
  },
};

function fakeSignature(publicKey: Uint8Array, envelope: Uint8Array): Uint8Array {
  let h = 0x811c9dc5;
  for (let i = 0; i < publicKey.length; i++) h = Math.imul(h ^ publicKey[i]!, 0x01000193);
  for (let i = 0; i < envelope.length; i++) h = Math.imul(h ^ envelope[i]!, 0x01000193);
  const out = new Uint8Array(64);
  for (let i = 0; i < 64; i += 4) {
    h = Math.imul(h ^ i, 0x01000193);
    out[i] = h >>> 24;
    out[i + 1] = (h >>> 16) & 0xff;
    out[i + 2] = (h >>> 8) & 0xff;
    out[i + 3] = h & 0xff;
  }
  return out;
}

export interface ClusterNode {
  readonly node: OverlayNode;
  readonly key: NodeKey;
  readonly address: DatagramAddress;
  readonly store: LocalStore;
  /** Virtual time it was added, ms. */
  readonly joinedAt: number;
  alive: boolean;
}

export interface ClusterOptions {
  readonly seed: number;
  readonly link?: { latencyMs: number; jitterMs: number; loss: number };
  /** Use real Ed25519 (slow for big rings). @default false */
  readonly realCrypto?: boolean;
  readonly nodeInit?: Partial<OverlayNodeInit>;
  readonly onDelivered?: (code: number, hops: number) => void;
  /** One registry shared by every node (totals across the ring); default: one per node. */
  readonly metrics?: MetricsRegistry;
  /**
   * Count bytes sent by message type into `byteStats` (decodes every datagram: diagnosis only).
   * @default false
   */
  readonly byteStats?: boolean;
}

/** A simulated overlay: nodes, network and virtual clock. */
export class OverlayCluster {
  readonly clock = new ManualClock(1_795_003_200_000);
  readonly scheduler: VirtualScheduler;
  readonly network: MemoryNetwork;
  readonly nodes: ClusterNode[] = [];
  readonly random: () => number;
  /**
   * With `byteStats`: bytes sent by kind of datagram ("ack", "fragment", a message's type name,
   * "+fwd" when a peer forwards it rather than originating or answering it, "+re" for a
   * retransmission), and datagrams of each.
   */
  readonly byteStats = new Map<string, { bytes: number; datagrams: number }>();
  readonly #options: ClusterOptions;
  readonly #senderIds = new Map<string, string>();
  readonly #purposes = new Map<string, string>();
  #next = 1;

  constructor(options: ClusterOptions) {
    this.#options = options;
    this.random = prng(options.seed);
    this.scheduler = new VirtualScheduler(this.clock);
    const link = options.link ?? { latencyMs: 10, jitterMs: 0, loss: 0 };
    this.network = new MemoryNetwork({
      scheduler: this.scheduler,
      random: this.random,
      link: () => link,
    });
  }

  randomBytes = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.random() * 256);
    return out;
  };

  /** Adds a node that joins through `bootstrap` (none: it starts a ring). Returns at once; run time to let it join. */
  add(bootstrap: readonly DatagramAddress[] = []): ClusterNode {
    const n = this.#next++;
    const address = { host: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, port: 6084 };
    const attached = this.network.attach(address);
    // Keys from the run's PRNG: the same seed gives the same ring.
    const key = nodeKeyFromSeed(Buffer.from(this.randomBytes(32)).toString("hex"));
    const transport = this.#options.byteStats || Deno.env.get("SIM_PATHS")
      ? this.#counting(attached, key)
      : attached;
    const store = new LocalStore({ kinds: DEFAULT_KINDS, clock: this.clock });
    const node = new OverlayNode({
      overlayId: 0x51a1,
      bootstrap,
      advertise: [addressToTransport(address)],
      replayWindowSeconds: 300,
      ...this.#options.nodeInit,
    }, {
      transport,
      clock: this.clock,
      scheduler: this.scheduler,
      logger: Deno.env.get("SIM_DEBUG")
        ? consoleLogger(`n${n}`, () => this.clock.monotonic())
        : silentLogger(),
      metrics: this.#options.metrics ?? new MetricsRegistry(),
      key,
      admission: new OpenAdmission(),
      store,
      randomBytes: this.randomBytes,
      ...(this.#options.realCrypto ? {} : { crypto: simulatedCrypto }),
      ...(this.#options.onDelivered ? { onDelivered: this.#options.onDelivered } : {}),
    });
    const member: ClusterNode = {
      node,
      key,
      address,
      store,
      joinedAt: this.clock.monotonic(),
      alive: true,
    };
    this.nodes.push(member);
    void node.start();
    return member;
  }

  /** Wraps a transport to count its datagrams by kind into byteStats. */
  #counting(inner: DatagramTransport, key: NodeKey): DatagramTransport {
    const seen = new WeakSet<Uint8Array>();
    const count = (bytes: Uint8Array) => {
      let kind = "undecodable";
      try {
        const frame = decodeFrame(bytes);
        if (frame.type !== "message") kind = frame.type;
        else {
          const envelope = decodeEnvelope(frame.envelope);
          const code = peekMessageCode(envelope.body) ?? -1;
          kind = messageName(code);
          const txid = hex(envelope.transactionId);
          if (code === MessageCode.RouteQueryReq) {
            // Which lookup: the partition check routes to the sender's own id, stabilisation to
            // the id right after it, a finger refresh to a random point.
            const sender = this.#senderIds.get(hex(envelope.senderKey)) ??
              hex(nodeIdFromPublicKey(envelope.senderKey));
            this.#senderIds.set(hex(envelope.senderKey), sender);
            const dest = envelope.destinations[0];
            const to = dest && dest.type !== "opaque" ? idToBigInt(dest.id) : -1n;
            const from = BigInt(`0x${sender}`);
            const purpose = to === from ? "partition" : to === from + 1n ? "stabilise" : "finger";
            if (this.#purposes.size >= 1_000_000) this.#purposes.clear(); // diagnosis: bounded
            this.#purposes.set(txid, purpose);
            kind += `(${purpose})`;
          } else if (
            code === MessageCode.FetchReq && frame.via.length >= 12 && Deno.env.get("SIM_PATHS")
          ) {
            this.#printPath(frame.via, envelope.destinations[0]);
          } else if (code === MessageCode.RouteQueryAns) {
            kind += `(${this.#purposes.get(txid) ?? "?"})`;
          }
          if (hex(key.publicKeyRaw) !== hex(envelope.senderKey)) kind += "+fwd";
        }
      } catch {
        // counted as undecodable
      }
      if (seen.has(bytes)) kind += "+re";
      seen.add(bytes);
      const entry = this.byteStats.get(kind) ?? { bytes: 0, datagrams: 0 };
      entry.bytes += bytes.length;
      entry.datagrams++;
      this.byteStats.set(kind, entry);
    };
    return {
      local: inner.local,
      send: (bytes, to) => {
        count(bytes);
        inner.send(bytes, to);
      },
      onDatagram: (handler) => inner.onDatagram(handler),
      close: () => inner.close(),
    };
  }

  /** SIM_PATHS=1: a long lookup's path as ranks before the key (live peers between hop and key). */
  #printPath(via: readonly Destination[], dest: Destination | undefined): void {
    if (dest === undefined || dest.type === "opaque") return;
    const key = idToBigInt(dest.id);
    const ring = 1n << 128n;
    const ids = this.live().map((n) => idToBigInt(n.key.nodeId));
    const byId = new Map(this.nodes.map((n) => [hex(n.key.nodeId), n]));
    const rank = (id: bigint) => {
      const d = (key - id + ring) % ring;
      return ids.filter((x) => (key - x + ring) % ring < d).length;
    };
    const hops = via.map((v) => {
      if (v.type === "opaque") return "?";
      const n = byId.get(hex(v.id));
      const age = n ? Math.round((this.clock.monotonic() - n.joinedAt) / 1000) : -1;
      const fingers = n ? n.node.table.fingers().filter((f) => f !== undefined).length : -1;
      return `${rank(idToBigInt(v.id))}(${n?.alive ? "" : "dead,"}${age}s,f${fingers})`;
    });
    print(`path t=${Math.round(this.clock.monotonic() / 1000)} ${hops.join(" ")}`);
  }

  /** Crashes a node: no Leave, its socket just goes quiet (an access point losing power). */
  crash(member: ClusterNode): void {
    member.alive = false;
    member.node.messenger.close();
    void member.node.stop().catch(() => {});
    this.network.detach(member.address);
  }

  live(): ClusterNode[] {
    return this.nodes.filter((n) => n.alive);
  }

  /**
   * Runs virtual time forward event by event, letting promise continuations run between events
   * (the overlay's async steps, such as a join continuing after its answer, happen at the right time).
   */
  async run(ms: number, until?: () => boolean): Promise<void> {
    const end = this.clock.monotonic() + ms;
    for (;;) {
      if (until?.()) return;
      const next = this.scheduler.nextTime;
      if (next === undefined || next > end) break;
      this.scheduler.step();
      for (let i = 0; i < 8; i++) await Promise.resolve();
    }
    this.scheduler.runUntil(end);
  }

  /** Runs until `promise` settles (or `maxMs` of virtual time pass) and returns its outcome. */
  async settle<T>(
    promise: Promise<T>,
    maxMs = 60_000,
  ): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    promise.then(
      (value) => (outcome = { ok: true, value }),
      (error) => (outcome = { ok: false, error }),
    );
    await this.run(maxMs, () => outcome !== undefined);
    for (let i = 0; i < 8 && outcome === undefined; i++) await Promise.resolve();
    return outcome ??
      { ok: false, error: new Error(`did not settle within ${maxMs} ms of virtual time`) };
  }
}

// deno-lint-ignore no-console -- SIM_DEBUG=1 prints every overlay log line of a simulated node
const print = (line: string) => console.error(line);
function consoleLogger(name: string, now: () => number) {
  const emit = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    print(
      `${(now() / 1000).toFixed(1)} ${level} ${name} ${message} ${
        fields ? JSON.stringify(fields) : ""
      }`,
    );
  return {
    name,
    error: emit("error"),
    warn: emit("warn"),
    info: emit("info"),
    debug: emit("debug"),
    enabled: () => true,
  };
}
