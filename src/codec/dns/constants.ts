/**
 * Numbers of the DNS wire format (RFC 1035 section 4) as multicast DNS uses it (RFC 6762), and the
 * caps this codec puts on what it decodes. Name limits live in dns_name.ts.
 *
 * @module
 */
import type { DnsFlags } from "./dns_types.ts";

/** RFC 1035 section 4.1.1: a message starts with a 12-byte header. */
export const DNS_HEADER_BYTES = 12;

/** RFC 1035 section 4.1.2: a question is a name, then type and class (2 bytes each). */
export const QUESTION_FIXED_BYTES = 4;

/** RFC 1035 section 4.1.3: after its name a record has type, class, TTL and RDLENGTH. */
export const RECORD_FIXED_BYTES = 10;

/** Smallest question on the wire: the root name (one zero byte) and the fixed part. */
export const MIN_QUESTION_BYTES = 1 + QUESTION_FIXED_BYTES;

/** Smallest record on the wire: the root name, the fixed part and no rdata. */
export const MIN_RECORD_BYTES = 1 + RECORD_FIXED_BYTES;

/**
 * Largest message decodeDnsMessage() looks at: the largest UDP payload. RFC 6762 section 17 puts
 * mDNS packets at 9000 bytes at most; the mDNS service caps its datagrams before this.
 */
export const MAX_DNS_MESSAGE_BYTES = 65_535;

/** Largest message the writer builds by default: RFC 6762 section 17, 9000 bytes at most. */
export const DEFAULT_ENCODE_MAX_BYTES = 9_000;

/**
 * Most questions plus records decodeDnsMessage() accepts in one message. A 9000-byte mDNS packet
 * holds at most 818 records (11 bytes each at the least), so no legal mDNS packet is refused; a
 * larger DNS message with more is refused rather than allocated.
 */
export const MAX_RECORDS_PER_MESSAGE = 1_024;

/** RFC 1035 section 3.3: a <character-string> is a length byte and at most 255 bytes. */
export const MAX_CHARACTER_STRING_BYTES = 255;

/** RFC 1035 section 4.1.3: RDLENGTH is 16 bits. */
export const MAX_RDATA_BYTES = 0xffff;

/** RFC 1035 section 4.1.4: a pointer is two bytes, the top two bits set, a 14-bit offset. */
export const POINTER_TAG = 0xc0;
/** Largest offset a compression pointer can address (14 bits). */
export const MAX_POINTER_OFFSET = 0x3fff;

/**
 * Most compression pointers followed in one name. A name has at most 127 labels and a real encoder
 * puts at most one pointer after each run of labels, so 128 is never reached by a legal name; the
 * cap and the strictly-backwards rule (name_wire.ts) bound the work on hostile input (RFC 1035
 * section 4.1.4 sets no bound; RFC 9267 lists unbounded pointer chasing among the anti-patterns).
 */
export const MAX_POINTER_JUMPS = 128;

/** RFC 4034 section 4.1.2: a type bitmap window holds 1 to 32 bytes (256 types). */
export const MAX_NSEC_WINDOW_BYTES = 32;

/** Top bit of the class field: QU in questions, cache-flush in records (RFC 6762 5.4, 10.2). */
export const CLASS_TOP_BIT = 0x8000;

/**
 * Header flags of an mDNS query: everything zero (RFC 6762 section 18: opcode 0 and the QR, AA,
 * RD, RA bits zero in queries).
 */
export const MDNS_QUERY_FLAGS: DnsFlags = Object.freeze({
  response: false,
  opcode: 0,
  authoritative: false,
  truncated: false,
  recursionDesired: false,
  recursionAvailable: false,
  rcode: 0,
});

/** Header flags of an mDNS response: QR and AA set (RFC 6762 sections 18.2 and 18.4). */
export const MDNS_RESPONSE_FLAGS: DnsFlags = Object.freeze({
  ...MDNS_QUERY_FLAGS,
  response: true,
  authoritative: true,
});
