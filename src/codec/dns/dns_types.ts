/**
 * DNS message model for multicast DNS (RFC 1035 section 4, RFC 6762 section 18) and DNS-SD
 * (RFC 6763). Names are arrays of labels (UTF-8 text, RFC 6762 section 16), never dotted strings,
 * because DNS-SD instance labels may themselves contain dots.
 */

/** A domain name as its labels, most specific first: ["My Phone", "_sip", "_udp", "local"]. */
export type DnsName = readonly string[];

/** Resource record types this stack reads and writes (others are kept as raw rdata). */
export const DnsType = {
  A: 1,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NSEC: 47,
  ANY: 255,
} as const;

/** The Internet class; the only one mDNS uses. */
export const DNS_CLASS_IN = 1;

/** Top bit of a question's class: the querier asks for a unicast answer (RFC 6762 section 5.4). */
export const UNICAST_RESPONSE_BIT = 0x8000;
/** Top bit of a record's class: the record replaces cached ones of its set (RFC 6762 10.2). */
export const CACHE_FLUSH_BIT = 0x8000;

/** One question. `unicastResponse` is the QU bit (RFC 6762 section 5.4). */
export interface DnsQuestion {
  readonly name: DnsName;
  readonly type: number;
  /** Class without the QU bit; DNS_CLASS_IN in practice. */
  readonly class: number;
  readonly unicastResponse: boolean;
}

/** Record data by type. Unknown types keep their rdata bytes. */
export type DnsRecordData =
  | { readonly type: 1; readonly address: string } // A: dotted quad
  | { readonly type: 28; readonly address: string } // AAAA: RFC 5952 text, no zone
  | { readonly type: 12; readonly target: DnsName } // PTR
  | { readonly type: 16; readonly strings: readonly Uint8Array[] } // TXT character-strings
  | {
    readonly type: 33; // SRV (RFC 2782)
    readonly priority: number;
    readonly weight: number;
    readonly port: number;
    readonly target: DnsName;
  }
  | {
    readonly type: 47; // NSEC as mDNS uses it (RFC 6762 section 6.1)
    readonly nextName: DnsName;
    readonly types: readonly number[];
  }
  | { readonly type: number; readonly raw: Uint8Array }; // anything else, rdata verbatim

/** One resource record. `cacheFlush` is the top bit of the class (RFC 6762 section 10.2). */
export interface DnsRecord {
  readonly name: DnsName;
  /** Class without the cache-flush bit; DNS_CLASS_IN in practice. */
  readonly class: number;
  readonly cacheFlush: boolean;
  /** Seconds. */
  readonly ttl: number;
  readonly data: DnsRecordData;
}

/** Header flags (RFC 1035 section 4.1.1). */
export interface DnsFlags {
  /** QR: true for a response. */
  readonly response: boolean;
  readonly opcode: number;
  readonly authoritative: boolean;
  /** TC: for mDNS queries, more known answers follow in further packets (RFC 6762 7.2). */
  readonly truncated: boolean;
  readonly recursionDesired: boolean;
  readonly recursionAvailable: boolean;
  readonly rcode: number;
}

/** A whole DNS message. */
export interface DnsMessage {
  readonly id: number;
  readonly flags: DnsFlags;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
}
