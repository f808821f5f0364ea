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

/**
 * Parses an IPv4 dotted quad (into words[0]) or an IPv6 address (RFC 4291 section 2.2, with "::",
 * a dotted-quad tail and a "%zone" that is ignored) into `words`; returns 4, 6, or 0 if invalid.
 * Allocates nothing.
 *
 * @example
 * ```ts
 * const words = new Uint32Array(4);
 * parseIpInto("2001:db8::1", words); // 6
 * ```
 */
export function parseIpInto(text: string, words: Uint32Array): 0 | 4 | 6 {
  if (text.indexOf(":") < 0) {
    const v4 = parseIpv4(text, 0, text.length);
    if (v4 < 0) return 0;
    words[0] = v4;
    words[1] = 0;
    words[2] = 0;
    words[3] = 0;
    return 4;
  }
  return parseIpv6(text, words) ? 6 : 0;
}

/** A dotted quad in text[start, end) as an unsigned 32-bit number, or -1. */
function parseIpv4(text: string, start: number, end: number): number {
  let value = 0;
  let part = 0;
  let parts = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 0x2e;
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && part === 0) return -1; // a leading zero (octal in some parsers)
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 0x2e) {
      if (digits === 0 || parts === 4) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

const groups = new Uint16Array(8);

function parseIpv6(text: string, words: Uint32Array): boolean {
  let end = text.indexOf("%");
  if (end < 0) end = text.length;
  let head = 0; // groups before "::"
  let tail = -1; // groups after "::", -1 while none seen
  let i = 0;
  if (end < 2) return false;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return false;
    tail = 0;
    i = 2;
  }
  while (i < end) {
    const start = i;
    let value = 0;
    while (i < end && i - start < 5) {
      const d = hexDigit(text.charCodeAt(i));
      if (d < 0) break;
      value = (value << 4) | d;
      i++;
    }
    const count = head + (tail < 0 ? 0 : tail);
    if (i < end && text.charCodeAt(i) === 0x2e) {
      const v4 = count <= 6 ? parseIpv4(text, start, end) : -1;
      if (v4 < 0) return false;
      groups[count] = v4 >>> 16;
      groups[count + 1] = v4 & 0xffff;
      if (tail < 0) head += 2;
      else tail += 2;
      i = end;
      break;
    }
    if (i === start || i - start > 4 || count >= 8) return false;
    groups[count] = value;
    if (tail < 0) head++;
    else tail++;
    if (i === end) break;
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < end && text.charCodeAt(i) === 0x3a) {
      if (tail >= 0) return false;
      tail = 0;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  const total = head + (tail < 0 ? 0 : tail);
  if (tail < 0 ? total !== 8 : total > 7) return false;
  // move the tail groups to the end, zero the gap
  if (tail > 0) {
    for (let g = tail - 1; g >= 0; g--) groups[8 - tail + g] = groups[head + g]!;
  }
  if (tail >= 0) { for (let g = head; g < 8 - tail; g++) groups[g] = 0; }
  for (let w = 0; w < 4; w++) words[w] = ((groups[2 * w]! << 16) | groups[2 * w + 1]!) >>> 0;
  return true;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
