import { compareRecords } from "../codec/dns/record_compare.ts";
import type { DnsRecord } from "../codec/dns/dns_types.ts";

/**
 * Simultaneous probe tie-break (RFC 6762 section 8.2): both sets sorted (class, type, raw rdata),
 * compared pairwise; the first difference decides, and a set that runs out first is the earlier
 * one. Negative when ours is lexicographically earlier (we lose), positive when later (we win),
 * 0 when identical (our own probe reflected back to us).
 *
 * @example
 * ```ts
 * if (compareProbeSets(ourRecords, theirAuthorityRecords) < 0) deferAndProbeAgain();
 * ```
 */
export function compareProbeSets(ours: readonly DnsRecord[], theirs: readonly DnsRecord[]): number {
  const a = [...ours].sort(compareRecords);
  const b = [...theirs].sort(compareRecords);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const order = compareRecords(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}
