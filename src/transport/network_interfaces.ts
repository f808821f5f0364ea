/**
 * Which network interfaces multicast DNS runs on, and which interface a received packet belongs
 * to: pure functions over the table `os.networkInterfaces()` returns (same shape on Node 20 and
 * Deno 2.9), so they run in tests without sockets.
 *
 * @module
 */
import { parseIpInto } from "../core/ip_address.ts";

/** One address as `os.networkInterfaces()` reports it (the fields we read). */
export interface OsInterfaceAddress {
  readonly address: string;
  readonly netmask: string;
  /** "IPv4" / "IPv6" (Node 18.0-18.3 reported 4 / 6). */
  readonly family: string | number;
  readonly internal: boolean;
  /** IPv6 only: the interface index for link-local addresses, 0 otherwise. */
  readonly scopeid?: number;
}

/** `os.networkInterfaces()`: interface name to its addresses. */
export type InterfaceTable = Readonly<Record<string, readonly OsInterfaceAddress[] | undefined>>;

/** One address of an interface, with its prefix. */
export interface InterfaceAddress {
  readonly family: 4 | 6;
  /** No zone (`fe80::1`, never `fe80::1%eth0`). */
  readonly address: string;
  readonly prefixLength: number;
  /** IPv6 link-local: the interface index; 0 otherwise. */
  readonly scopeId: number;
}

/**
 * An interface multicast DNS runs on. `ipv4` / `ipv6` are plain address strings (what a responder
 * publishes as A / AAAA records), `addresses` the same with prefixes. `ipv6` lists link-local
 * addresses first.
 */
export interface MdnsInterfaceInfo {
  readonly name: string;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  readonly addresses: readonly InterfaceAddress[];
  /** The interface index (from a link-local address's scope), 0 when it has none. */
  readonly index: number;
}

/** Which interfaces to use. */
export interface InterfaceSelection {
  /**
   * Interface names. Empty: none (nothing multicasts unless configured). `"*"`: every interface
   * that is not loopback and has an address we can use. A name listed explicitly is taken even
   * when it is loopback.
   */
  readonly allow: readonly string[];
  /** Names never used, even when `allow` names them or has `"*"`. */
  readonly deny: readonly string[];
  readonly ipv4: boolean;
  readonly ipv6: boolean;
}

/** Wildcard entry of `InterfaceSelection.allow`. */
export const ALL_INTERFACES = "*";

const words = new Uint32Array(4);
const other = new Uint32Array(4);

/** The number of leading one bits of a netmask (`255.255.255.0` → 24), or -1 if not contiguous. */
export function prefixLengthOf(netmask: string): number {
  const family = parseIpInto(netmask, words);
  if (family === 0) return -1;
  const count = family === 4 ? 1 : 4;
  let length = 0;
  let ended = false;
  for (let w = 0; w < count; w++) {
    const word = words[w]!;
    for (let bit = 31; bit >= 0; bit--) {
      const one = ((word >>> bit) & 1) === 1;
      if (one && ended) return -1;
      if (one) length++;
      else ended = true;
    }
  }
  return length;
}

/**
 * Whether `address` lies in `network/prefixLength` (same family; zones ignored).
 *
 * @example
 * ```ts
 * prefixContains("10.77.0.11", "10.77.0.10", 24); // true
 * prefixContains("fe80::2", "fe80::1", 64); // true
 * ```
 */
export function prefixContains(address: string, network: string, prefixLength: number): boolean {
  const family = parseIpInto(address, words);
  if (family === 0 || parseIpInto(network, other) !== family) return false;
  const count = family === 4 ? 1 : 4;
  let left = prefixLength;
  for (let w = 0; w < count; w++) {
    if (left <= 0) return true;
    const bits = Math.min(32, left);
    const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
    if (((words[w]! & mask) >>> 0) !== ((other[w]! & mask) >>> 0)) return false;
    left -= 32;
  }
  return true;
}

/** Whether an IPv6 address is link-local (fe80::/10). */
export function isIpv6LinkLocal(address: string): boolean {
  return parseIpInto(address, words) === 6 && (words[0]! >>> 22) === (0xfe80 >>> 6);
}

/** Whether an IPv4 address is link-local (169.254.0.0/16). */
export function isIpv4LinkLocal(address: string): boolean {
  return parseIpInto(address, words) === 4 && (words[0]! >>> 16) === 0xa9fe;
}

/** `fe80::1%eth0` → `fe80::1`. */
export function withoutZone(address: string): string {
  const at = address.indexOf("%");
  return at < 0 ? address : address.slice(0, at);
}

function familyOf(entry: OsInterfaceAddress): 4 | 6 | 0 {
  const f = entry.family;
  if (f === "IPv4" || f === 4) return 4;
  if (f === "IPv6" || f === 6) return 6;
  return 0;
}

/**
 * The interfaces to run on, sorted by name: those `allow` names (or all non-loopback ones for
 * `"*"`) minus `deny`, each with the addresses of the enabled families. An interface is left out
 * when it has nothing usable: IPv4 needs an IPv4 address (we join 224.0.0.251 on it), IPv6 a
 * link-local address (the source of what we send to ff02::fb).
 *
 * @example
 * ```ts
 * selectInterfaces(networkInterfaces(), { allow: ["*"], deny: ["wan"], ipv4: true, ipv6: true });
 * ```
 */
export function selectInterfaces(
  table: InterfaceTable,
  selection: InterfaceSelection,
): MdnsInterfaceInfo[] {
  const wildcard = selection.allow.includes(ALL_INTERFACES);
  const out: MdnsInterfaceInfo[] = [];
  for (const name of Object.keys(table).sort()) {
    if (selection.deny.includes(name)) continue;
    const explicit = selection.allow.includes(name);
    if (!explicit && !wildcard) continue;
    const entries = table[name] ?? [];
    if (!explicit && entries.length > 0 && entries.every((e) => e.internal)) continue;
    const info = interfaceInfo(name, entries, selection);
    if (info !== undefined) out.push(info);
  }
  return out;
}

function interfaceInfo(
  name: string,
  entries: readonly OsInterfaceAddress[],
  selection: InterfaceSelection,
): MdnsInterfaceInfo | undefined {
  const v4: InterfaceAddress[] = [];
  const v6: InterfaceAddress[] = [];
  let index = 0;
  for (const entry of entries) {
    const family = familyOf(entry);
    const address = withoutZone(entry.address);
    const prefixLength = prefixLengthOf(entry.netmask);
    if (prefixLength < 0) continue;
    if (family === 4 && selection.ipv4) {
      v4.push({ family, address, prefixLength, scopeId: 0 });
    } else if (family === 6 && selection.ipv6) {
      const scopeId = entry.scopeid ?? 0;
      if (isIpv6LinkLocal(address) && scopeId > 0) index = scopeId;
      v6.push({ family, address, prefixLength, scopeId });
    }
  }
  v6.sort((a, b) => Number(isIpv6LinkLocal(b.address)) - Number(isIpv6LinkLocal(a.address)));
  const ipv6Usable = v6.some((a) => isIpv6LinkLocal(a.address));
  const ipv4 = v4;
  const ipv6 = ipv6Usable ? v6 : [];
  if (ipv4.length === 0 && ipv6.length === 0) return undefined;
  const addresses = [...ipv4, ...ipv6];
  return {
    name,
    ipv4: ipv4.map((a) => a.address),
    ipv6: ipv6.map((a) => a.address),
    addresses,
    index,
  };
}

/** Whether two selections of one interface carry the same addresses (and index). */
export function sameInterfaceInfo(a: MdnsInterfaceInfo, b: MdnsInterfaceInfo): boolean {
  return a.name === b.name && a.index === b.index &&
    a.addresses.length === b.addresses.length &&
    a.addresses.every((x, i) => {
      const y = b.addresses[i]!;
      return x.address === y.address && x.prefixLength === y.prefixLength &&
        x.scopeId === y.scopeId;
    });
}

/** Where an IPv4 packet comes from, or why it cannot be placed on one of our links. */
export type Ipv4Attribution =
  | { readonly interfaceName: string }
  | { readonly dropped: "off_link" | "ambiguous_interface" };

/**
 * The interface an IPv4 mDNS packet arrived on, judged by its source address: node:dgram cannot
 * say which interface a datagram came in on, and Linux hands a group's packets to every socket
 * that joined it on any interface (IP_MULTICAST_ALL). The interface whose subnet holds the source
 * wins (the longest prefix, when subnets nest). A source in no subnet is off-link (RFC 6762
 * section 11: drop it) except an IPv4 link-local source (169.254/16, on-link by definition) with
 * one IPv4 interface only. Equal best matches on two interfaces are ambiguous: dropped rather
 * than answered on the wrong link.
 *
 * @example
 * ```ts
 * attributeIpv4Source("10.77.0.11", interfaces); // { interfaceName: "eth0" }
 * ```
 */
export function attributeIpv4Source(
  source: string,
  interfaces: readonly MdnsInterfaceInfo[],
): Ipv4Attribution {
  let best: string | undefined;
  let bestLength = -1;
  let tie = false;
  let withIpv4 = 0;
  let only: string | undefined;
  for (const info of interfaces) {
    let matched = -1;
    for (const a of info.addresses) {
      if (a.family !== 4) continue;
      if (a.prefixLength > matched && prefixContains(source, a.address, a.prefixLength)) {
        matched = a.prefixLength;
      }
    }
    if (info.ipv4.length > 0) {
      withIpv4++;
      only = info.name;
    }
    if (matched < 0) continue;
    if (matched > bestLength) {
      best = info.name;
      bestLength = matched;
      tie = false;
    } else if (matched === bestLength && best !== info.name) {
      tie = true;
    }
  }
  if (best !== undefined) return tie ? { dropped: "ambiguous_interface" } : { interfaceName: best };
  if (isIpv4LinkLocal(source)) {
    return withIpv4 === 1 ? { interfaceName: only! } : { dropped: "ambiguous_interface" };
  }
  return { dropped: "off_link" };
}

/**
 * RFC 6762 section 11 for IPv6: a packet is from the local link when its source is link-local or
 * lies in one of the interface's prefixes.
 */
export function isOnLinkIpv6(source: string, info: MdnsInterfaceInfo): boolean {
  const address = withoutZone(source);
  if (isIpv6LinkLocal(address)) return true;
  return info.addresses.some((a) =>
    a.family === 6 && !isIpv6LinkLocal(a.address) &&
    prefixContains(address, a.address, a.prefixLength)
  );
}
