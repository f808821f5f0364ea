/**
 * Record order and identity for multicast DNS: the lexicographic order of RFC 6762 section 8.2
 * (simultaneous probe tie-breaking) and record equality (RFC 6762 sections 7.1 and 10: a record is
 * its name, type, class and rdata; the TTL and the cache-flush bit are not part of it).
 *
 * Both work on the rdata's canonical form (record_data.ts encodeRdata()), written into a shared
 * scratch buffer: no allocation per comparison.
 *
 * @module
 */
import { dnsNamesEqual } from "./dns_name.ts";
import type { DnsRecord, DnsRecordData } from "./dns_types.ts";
import { scratchRdata, scratchRdataLength } from "./record_data.ts";

/**
 * RFC 6762 section 8.2 order: class (without the cache-flush bit), then type, then the raw
 * uncompressed rdata compared byte by byte as unsigned numbers, the longer rdata later when one is
 * a prefix of the other. Names inside the rdata are compared as bytes, case as given (the section
 * says "without regard for meaning or structure"). Owner names and TTLs are not compared: the
 * section compares the records of one name. Negative when `a` is earlier, positive when later.
 * Throws DnsEncodeError for rdata that cannot be encoded.
 *
 * @example
 * ```ts
 * const sorted = [...proposed].sort(compareRecords); // RFC 6762 8.2.1: compare sorted sets
 * ```
 */
export function compareRecords(a: DnsRecord, b: DnsRecord): number {
  if (a.class !== b.class) return a.class - b.class;
  if (a.data.type !== b.data.type) return a.data.type - b.data.type;
  return compareRdata(a.data, b.data, false);
}

/**
 * Whether two rdata are the same: same type and the same canonical bytes, except that ASCII
 * letters of names inside PTR, SRV and NSEC rdata compare case-insensitively (as owner names do,
 * RFC 6762 section 16). Addresses compare by value ("2001:DB8::1" equals "2001:db8:0::1"); TXT
 * strings and raw rdata byte for byte. Throws DnsEncodeError for rdata that cannot be encoded.
 *
 * @example
 * ```ts
 * rdataEqual({ type: 12, target: ["Phone", "local"] }, { type: 12, target: ["phone", "local"] }); // true
 * ```
 */
export function rdataEqual(a: DnsRecordData, b: DnsRecordData): boolean {
  return a.type === b.type && compareRdata(a, b, true) === 0;
}

/**
 * Whether two records are the same record: names equal (ASCII case-insensitive), same class,
 * rdataEqual(). The TTL and the cache-flush bit do not count (a goodbye with TTL 0 names the same
 * record). Throws DnsEncodeError for rdata that cannot be encoded.
 *
 * @example
 * ```ts
 * if (recordsEqual(received, ours) && received.ttl < ours.ttl / 2) announceAgain(ours); // 7.1
 * ```
 */
export function recordsEqual(a: DnsRecord, b: DnsRecord): boolean {
  return a.class === b.class && dnsNamesEqual(a.name, b.name) && rdataEqual(a.data, b.data);
}

function compareRdata(a: DnsRecordData, b: DnsRecordData, foldCase: boolean): number {
  scratchRdata(a, foldCase, 0);
  const lengthA = scratchRdataLength();
  const bytes = scratchRdata(b, foldCase, lengthA); // keeps a's bytes before it
  const lengthB = scratchRdataLength();
  const shorter = Math.min(lengthA, lengthB);
  for (let i = 0; i < shorter; i++) {
    const difference = bytes[i]! - bytes[lengthA + i]!;
    if (difference !== 0) return difference;
  }
  return lengthA - lengthB;
}
