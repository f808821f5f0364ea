/**
 * A set of CIDR blocks (IPv4 and IPv6) for the SIP peering policy and the trusted superpeer
 * sources: `has(ip)` says whether a packet's source address is inside one of them. IPv4-mapped
 * IPv6 addresses count as their IPv4 address.
 *
 * @module
 */
// The allocation-free address parser is the relay's (src/relay/peer_policy.ts); it is pure.
import { parseIpInto } from "../../core/ip_address.ts";

interface Block {
  readonly family: 4 | 6;
  readonly words: Uint32Array;
  readonly prefix: number;
}

/**
 * CIDR blocks to test addresses against.
 *
 * @example
 * ```ts
 * const set = new CidrSet(["10.10.0.0/16", "fd00::/8"]);
 * set.has("10.10.3.4"); // true
 * ```
 */
export class CidrSet {
  readonly #blocks: readonly Block[];
  readonly #scratch = new Uint32Array(4);

  /** Throws TypeError naming the first entry that is not an address or CIDR block. */
  constructor(blocks: readonly string[]) {
    this.#blocks = blocks.map(parseBlock);
  }

  /** Number of blocks. */
  get size(): number {
    return this.#blocks.length;
  }

  /** Whether `ip` (an address literal, brackets allowed) is in one of the blocks. */
  has(ip: string): boolean {
    const words = this.#scratch;
    let family = parseIpInto(ip.replace(/^\[|\]$/g, ""), words);
    if (family === 0) return false;
    if (family === 6 && words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
      words[0] = words[3]!;
      family = 4;
    }
    for (const block of this.#blocks) {
      if (block.family === family && matches(block, words)) return true;
    }
    return false;
  }
}

/** The problem with a CIDR block's text, or undefined when it is one (config validation). */
export function cidrProblem(text: string): string | undefined {
  try {
    parseBlock(text);
    return undefined;
  } catch (error) {
    if (error instanceof TypeError) return error.message;
    throw error;
  }
}

function matches(block: Block, words: Uint32Array): boolean {
  let bits = block.prefix;
  for (let i = 0; bits > 0; i++, bits -= 32) {
    const mask = bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    if (((words[i]! & mask) >>> 0) !== ((block.words[i]! & mask) >>> 0)) return false;
  }
  return true;
}

function parseBlock(text: string): Block {
  const slash = text.indexOf("/");
  const words = new Uint32Array(4);
  let family = parseIpInto(slash < 0 ? text : text.slice(0, slash), words);
  if (family === 0) throw new TypeError(`Cannot use CIDR block "${text}": not an IP address`);
  let max = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  let prefix = /^[0-9]{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > max) {
    throw new TypeError(`Cannot use CIDR block "${text}": prefix length is not 0-${max}`);
  }
  if (family === 6 && prefix >= 96 && words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
    words[0] = words[3]!;
    family = 4;
    prefix -= 96;
    max = 32;
  }
  return { family, words, prefix };
}
