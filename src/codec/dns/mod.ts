/**
 * The DNS wire codec as multicast DNS (RFC 6762) and DNS-SD (RFC 6763) use it: pure functions and
 * a reusable writer over bytes, no I/O, no timers. The message model is in dns_types.ts.
 *
 * @example
 * ```ts
 * import { decodeDnsMessage, DnsDecodeError, DnsMessageWriter } from "../codec/dns/mod.ts";
 * ```
 *
 * @module
 */
export * from "./constants.ts";
export * from "./dns_types.ts";
export {
  asciiLower,
  dnsNameKey,
  dnsNameProblem,
  dnsNamesEqual,
  dnsNameText,
  MAX_LABEL_BYTES,
  MAX_NAME_BYTES,
} from "./dns_name.ts";
export { DnsDecodeError, DnsEncodeError, type DnsSection } from "./dns_errors.ts";
export {
  type DnsCursor,
  DnsLabelCache,
  DnsNameCompressor,
  encodeDnsName,
  readDnsName,
} from "./name_wire.ts";
export { decodeRdata, encodeRdata } from "./record_data.ts";
export { compareRecords, rdataEqual, recordsEqual } from "./record_compare.ts";
export { decodeDnsMessage, type DecodeDnsMessageOptions } from "./dns_message.ts";
export { DnsMessageWriter, encodeDnsMessage } from "./dns_writer.ts";
export { decodeTxtPairs, encodeTxtPairs, type TxtPairs, type TxtValue } from "./txt_pairs.ts";
