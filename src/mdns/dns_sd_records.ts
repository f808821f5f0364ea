import { DNS_CLASS_IN, type DnsName, type DnsRecord, DnsType } from "../codec/dns/dns_types.ts";
import { HOST_RECORD_TTL_S, OTHER_RECORD_TTL_S } from "./mdns_constants.ts";

/** The DNS-SD service type enumeration name without its domain (RFC 6763 section 9). */
export const SERVICE_TYPE_ENUMERATION_PREFIX: DnsName = ["_services", "_dns-sd", "_udp"];
/** The DNS-SD service type enumeration name in `.local` (RFC 6763 section 9). */
export const SERVICES_ENUMERATION: DnsName = [...SERVICE_TYPE_ENUMERATION_PREFIX, "local"];
/** Longest instance label in bytes (RFC 6763 section 4.1.1: a DNS label). */
export const MAX_INSTANCE_BYTES = 63;

/** One service a host advertises (RFC 6763 section 4). */
export interface ServiceAdvert {
  /** User-visible instance name (UTF-8, dots allowed): "superpeer ap-kitchen". */
  readonly instance: string;
  /** Service and protocol labels: ["_sip", "_udp"]. */
  readonly type: readonly [string, string];
  readonly port: number;
  /** TXT character-strings, already encoded (codec txt_pairs). */
  readonly txt: readonly Uint8Array[];
}

const utf8 = new TextEncoder();

/** `name.local`, the host name our address records carry. */
export function hostName(label: string): DnsName {
  return [label, "local"];
}

/** The host label for naming attempt `attempt`: "ap1", then "ap1-2", "ap1-3" (RFC 6762 9). */
export function hostLabelForAttempt(label: string, attempt: number): string {
  return attempt <= 1 ? label : `${truncateUtf8(label, 63 - `-${attempt}`.length)}-${attempt}`;
}

/** The instance label for naming attempt `attempt`: "Name", then "Name (2)" (RFC 6763 4.1.1). */
export function instanceForAttempt(instance: string, attempt: number): string {
  if (attempt <= 1) return truncateUtf8(instance, MAX_INSTANCE_BYTES);
  const suffix = ` (${attempt})`;
  return `${truncateUtf8(instance, MAX_INSTANCE_BYTES - suffix.length)}${suffix}`;
}

/**
 * A and AAAA records of a host on one interface (RFC 6762 section 10: TTL 120 s, unique).
 *
 * @example
 * ```ts
 * hostRecords(["ap1", "local"], ["10.0.0.2"], ["fe80::2"]);
 * ```
 */
export function hostRecords(
  name: DnsName,
  ipv4: readonly string[],
  ipv6: readonly string[],
): DnsRecord[] {
  const unique = { name, class: DNS_CLASS_IN, cacheFlush: true, ttl: HOST_RECORD_TTL_S };
  return [
    ...ipv4.map((address): DnsRecord => ({ ...unique, data: { type: DnsType.A, address } })),
    ...ipv6.map((address): DnsRecord => ({ ...unique, data: { type: DnsType.AAAA, address } })),
  ];
}

/**
 * The records of one service instance (RFC 6763 sections 4, 5, 6, 9): the shared PTR from its
 * type to the instance, the unique SRV (port, target host) and TXT, and the shared PTR that lists
 * the type under _services._dns-sd._udp.local.
 */
export function serviceRecords(
  advert: ServiceAdvert,
  instance: string,
  host: DnsName,
): DnsRecord[] {
  const type: DnsName = [advert.type[0], advert.type[1], "local"];
  const name: DnsName = [instance, ...type];
  // RFC 6763 6.1: a TXT record with no strings is sent as one empty string.
  const txt = advert.txt.length > 0 ? advert.txt : [new Uint8Array(0)];
  return [
    {
      name: type,
      class: DNS_CLASS_IN,
      cacheFlush: false,
      ttl: OTHER_RECORD_TTL_S,
      data: { type: DnsType.PTR, target: name },
    },
    {
      name,
      class: DNS_CLASS_IN,
      cacheFlush: true,
      ttl: HOST_RECORD_TTL_S,
      data: { type: DnsType.SRV, priority: 0, weight: 0, port: advert.port, target: host },
    },
    {
      name,
      class: DNS_CLASS_IN,
      cacheFlush: true,
      ttl: OTHER_RECORD_TTL_S,
      data: { type: DnsType.TXT, strings: txt },
    },
    {
      name: SERVICES_ENUMERATION,
      class: DNS_CLASS_IN,
      cacheFlush: false,
      ttl: OTHER_RECORD_TTL_S,
      data: { type: DnsType.PTR, target: type },
    },
  ];
}

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8.encode(text).length <= maxBytes) return text;
  let out = "";
  let bytes = 0;
  for (const char of text) {
    const size = utf8.encode(char).length;
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}
