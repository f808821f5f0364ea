/**
 * Which peers a relay may talk to (RFC 8656 sections 21.1.4 and 21.2.2: an administrator may
 * restrict peer addresses arbitrarily). RFC 8656 itself has no deny table; the default here follows
 * coturn and the research notes: no relaying to "this network", loopback, link-local, multicast,
 * reserved space, Teredo and 6to4 (RFC 6156 section 9.1 carried into RFC 8656 section 21.4), or
 * back into the relay itself (TURN loops, section 21.1.7).
 *
 * Matching parses the peer's text address into a reused word array: no allocation per check.
 *
 * @module
 */
import { parseIpInto } from "../core/ip_address.ts";

/** One CIDR block, parsed. */
interface Block {
  readonly family: 4 | 6;
  /** IPv4: the address in words[0]; IPv6: four 32-bit words. */
  readonly words: Uint32Array;
  readonly prefix: number;
  readonly text: string;
}

/** A port range of the relay itself, for loop protection. */
export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/** What a PeerPolicy decided: "loop" is the relay's own address and port. */
export type PeerVerdict = "allowed" | "denied" | "loop" | "invalid";

/** Options of a PeerPolicy. */
export interface PeerPolicyInit {
  /** CIDR blocks always allowed, even inside a denied block (an operator's 10.x mesh). @default [] */
  readonly allow?: readonly string[];
  /** CIDR blocks denied besides DEFAULT_DENIED_PEERS (a management network). @default [] */
  readonly deny?: readonly string[];
  /** Allow 127.0.0.0/8 and ::1 (tests and local interop only). @default false */
  readonly allowLoopback?: boolean;
  /**
   * The relay's own addresses (listening and relayed): a peer there is a "loop" (the listening
   * ports, the overlay's, anything else of ours) unless its port is in `relayPorts`.
   * @default []
   */
  readonly ownAddresses?: readonly string[];
  /**
   * The relay port range: at the relay's own addresses only these ports may be peers (another
   * allocation on this relay, as when two browsers share one TURN server). @default none
   */
  readonly relayPorts?: PortRange;
  /**
   * The relay's listening ports: with `allowLoopback`, a loopback own address is a loop only at
   * these (tests and local interop run every service on 127.0.0.1). @default []
   */
  readonly listenPorts?: readonly number[];
}

/** Loopback blocks, removed from the default deny list by `allowLoopback`. */
export const LOOPBACK_PEERS: readonly string[] = Object.freeze(["127.0.0.0/8", "::1/128"]);

/**
 * Denied unless allowed: IPv4-mapped IPv6 peers (::ffff:a.b.c.d) are checked as their IPv4
 * address, so these IPv4 blocks cover their mapped forms too.
 */
export const DEFAULT_DENIED_PEERS: readonly string[] = Object.freeze([
  "0.0.0.0/8",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "224.0.0.0/4",
  "240.0.0.0/4",
  "::/128",
  "::1/128",
  "fe80::/10",
  "ff00::/8",
  "2001::/32", // Teredo
  "2002::/16", // 6to4
]);

/**
 * Decides whether a peer address may be relayed to.
 *
 * @example
 * ```ts
 * const policy = new PeerPolicy({ allow: ["10.0.0.0/8"], deny: ["10.99.0.0/16"] });
 * policy.check("10.1.2.3"); // "allowed"
 * policy.check("127.0.0.1"); // "denied"
 * ```
 */
export class PeerPolicy {
  readonly #allow: readonly Block[];
  readonly #deny: readonly Block[];
  readonly #own: readonly Block[];
  /** The own addresses as text, both IPv4 spellings: the per-datagram check compares strings. */
  readonly #ownHosts: ReadonlySet<string>;
  readonly #relayMin: number;
  readonly #relayMax: number;
  readonly #allowLoopback: boolean;
  readonly #listenPorts: ReadonlySet<number>;
  readonly #scratch = new Uint32Array(4);

  constructor(init: PeerPolicyInit = {}) {
    const loopback = init.allowLoopback === true;
    const defaults = DEFAULT_DENIED_PEERS.filter((b) => !loopback || !LOOPBACK_PEERS.includes(b));
    this.#allow = (init.allow ?? []).map((b) => parseBlock(b, "allow"));
    this.#deny = [...defaults, ...(init.deny ?? [])].map((b) => parseBlock(b, "deny"));
    this.#own = (init.ownAddresses ?? []).map((b) => parseBlock(b, "ownAddresses"));
    const hosts = new Set<string>();
    for (const host of init.ownAddresses ?? []) {
      hosts.add(host);
      if (!host.includes(":")) hosts.add(`::ffff:${host}`);
    }
    this.#ownHosts = hosts;
    const range = init.relayPorts;
    if (
      range !== undefined && (!isPort(range.min) || !isPort(range.max) || range.min > range.max)
    ) {
      throw new RangeError(`Cannot use peer policy relayPorts: ${range.min}-${range.max}`);
    }
    this.#relayMin = range?.min ?? 1;
    this.#relayMax = range?.max ?? 0;
    this.#allowLoopback = loopback;
    this.#listenPorts = new Set(init.listenPorts ?? []);
  }

  /**
   * The verdict for `host` (text as node:dgram gives it) and, when known, `port`: the relay's own
   * address at a port outside the relay range is a "loop"; then allow beats deny.
   */
  check(host: string, port = -1): PeerVerdict {
    const words = this.#scratch;
    let family = parseIpInto(host, words);
    if (family === 0) return "invalid";
    if (family === 6 && words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
      words[0] = words[3]!;
      family = 4;
    }
    if (port >= 0 && !this.#isRelayPort(port) && matchesAny(this.#own, family, words)) {
      const loopbackTolerated = this.#allowLoopback && !this.#listenPorts.has(port) &&
        isLoopback(family, words);
      if (!loopbackTolerated) return "loop";
    }
    if (matchesAny(this.#allow, family, words)) return "allowed";
    return matchesAny(this.#deny, family, words) ? "denied" : "allowed";
  }
  /**
   * Whether a datagram from `host`:`port` comes from the relay itself (not from one of its relay
   * ports): a string lookup, no parse, so the forwarding path calls it per datagram.
   */
  isLoop(host: string, port: number): boolean {
    if (this.#isRelayPort(port) || !this.#ownHosts.has(host)) return false;
    return this.check(host, port) === "loop";
  }

  #isRelayPort(port: number): boolean {
    return port >= this.#relayMin && port <= this.#relayMax;
  }
}

/** 127.0.0.0/8 (IPv4-mapped forms already folded to IPv4) or ::1. */
function isLoopback(family: 4 | 6, words: Uint32Array): boolean {
  if (family === 4) return (words[0]! >>> 24) === 127;
  return words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 1;
}

function matchesAny(blocks: readonly Block[], family: 4 | 6, words: Uint32Array): boolean {
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    if (block.family === family && matches(block, words)) return true;
  }
  return false;
}

function matches(block: Block, words: Uint32Array): boolean {
  let bits = block.prefix;
  for (let i = 0; bits > 0; i++, bits -= 32) {
    const mask = bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    if (((words[i]! & mask) >>> 0) !== ((block.words[i]! & mask) >>> 0)) return false;
  }
  return true;
}

function parseBlock(text: string, where: string): Block {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const words = new Uint32Array(4);
  let family = parseIpInto(address, words);
  if (family === 0) {
    throw new TypeError(`Cannot use peer policy ${where} entry "${text}": not an IP address`);
  }
  let max = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  let prefix = /^[0-9]{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > max) {
    throw new TypeError(`Cannot use peer policy ${where} entry "${text}": prefix length`);
  }
  if (family === 6 && prefix >= 96 && words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
    // an IPv4-mapped block is the IPv4 block, as peers are matched (see check())
    words[0] = words[3]!;
    family = 4;
    prefix -= 96;
    max = 32;
  }
  return { family, words, prefix, text };
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffff;
}
