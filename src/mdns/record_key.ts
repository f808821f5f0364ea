import { bytesToHex } from "../core/hex.ts";
import { dnsNameKey } from "../codec/dns/dns_name.ts";
import type { DnsRecord, DnsRecordData } from "../codec/dns/dns_types.ts";

/**
 * A text key of a record's data: equal for two records that RFC 6762 treats as the same record
 * (names compared ASCII case-insensitively, addresses as given in canonical text).
 */
export function rdataKey(data: DnsRecordData): string {
  if ("address" in data) return data.address.toLowerCase();
  if ("target" in data && !("port" in data)) return dnsNameKey(data.target);
  if ("port" in data) {
    return `${data.priority} ${data.weight} ${data.port} ${dnsNameKey(data.target)}`;
  }
  if ("strings" in data) return data.strings.map(bytesToHex).join(" ");
  if ("nextName" in data) return `${dnsNameKey(data.nextName)} ${[...data.types].sort().join(",")}`;
  return bytesToHex(data.raw);
}

/** The key of a record set: name, type and class (RFC 6762 section 10.2 "rrset"). */
export function rrsetKey(
  record: Pick<DnsRecord, "name" | "class"> & { data: { type: number } },
): string {
  return `${dnsNameKey(record.name)}|${record.data.type}|${record.class}`;
}

/** Keys of records already seen: records are immutable, and ours are keyed on every query. */
const memo = new WeakMap<DnsRecord, string>();

/** The key of one record: its set's key plus its data. */
export function recordKey(record: DnsRecord): string {
  let key = memo.get(record);
  if (key === undefined) {
    key = `${rrsetKey(record)}|${rdataKey(record.data)}`;
    memo.set(record, key);
  }
  return key;
}
