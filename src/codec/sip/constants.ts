/**
 * Numbers and names of the SIP wire format (RFC 3261 sections 7, 20 and 25) and the limits this
 * codec enforces. The RFC sets no maximum size for a message, a header field or a line; the
 * defaults below are this codec's own choice for 64 MB access points, justified one by one.
 *
 * @module
 */

/** RFC 3261 section 7.1: the only protocol version this codec speaks. */
export const SIP_VERSION = "SIP/2.0";

/**
 * Largest message parseSipMessage() accepts by default: the largest UDP payload (RFC 768 length
 * field) also bounds what one datagram can carry, and a stream message past it is refused.
 * @default 65535
 */
export const DEFAULT_MAX_SIP_MESSAGE_BYTES = 65_535;

/**
 * Largest message the stream framer buffers by default. Smaller than a datagram: every TCP/TLS
 * connection may hold one partial message, and routine SIP messages stay under 4 KiB (an INVITE
 * with SDP and a few Record-Routes is about 1.5 KiB).
 * @default 16384
 */
export const DEFAULT_MAX_SIP_STREAM_MESSAGE_BYTES = 16_384;

/**
 * Header fields (lines after unfolding, before comma lists are split) beyond this make the message
 * refused. A call through a few proxies carries 15-30; RFC 4475's longest valid message has 18.
 * @default 128
 */
export const DEFAULT_MAX_SIP_HEADERS = 128;

/**
 * Longest start line or unfolded header field in bytes. A Digest Authorization with SHA-256 is
 * about 400 bytes and RFC 4475's long-value test (section 3.1.1.7) about 600 per field; 8 KiB
 * leaves room for long Route sets while bounding the cost of one hostile line.
 * @default 8192
 */
export const DEFAULT_MAX_SIP_LINE_BYTES = 8_192;

/** RFC 3261 section 8.1.1.5: the CSeq sequence number MUST be less than 2**31. */
export const MAX_CSEQ = 0x7fff_ffff;

/** RFC 3261 section 20.22 (Max-Forwards) and section 25.1 (ttl): at most 255. */
export const MAX_MAX_FORWARDS = 255;

/**
 * Largest delta-seconds value (Expires, expires=, Retry-After) this codec returns: larger ones are
 * clamped here, as RFC 4475 section 3.1.2.4 lets an element treat such values leniently.
 */
export const MAX_DELTA_SECONDS = 0xffff_ffff;

/** RFC 3261 section 7.2 and 21: a Status-Code is three digits, 100 to 699. */
export const MIN_STATUS_CODE = 100;
/** Largest Status-Code with a class defined by RFC 3261 section 21. */
export const MAX_STATUS_CODE = 699;

/** RFC 3261 section 8.1.1.7: a branch starting with this was built by an RFC 3261 element. */
export const RFC3261_BRANCH_COOKIE = "z9hG4bK";

/** RFC 3261 section 7.3.3 and RFC 3515, 3265, 3841, 3892, 4028 compact forms, lower-cased. */
export const COMPACT_HEADER_NAMES: ReadonlyMap<string, string> = new Map([
  ["a", "accept-contact"],
  ["b", "referred-by"],
  ["c", "content-type"],
  ["d", "request-disposition"],
  ["e", "content-encoding"],
  ["f", "from"],
  ["i", "call-id"],
  ["j", "reject-contact"],
  ["k", "supported"],
  ["l", "content-length"],
  ["m", "contact"],
  ["o", "event"],
  ["r", "refer-to"],
  ["s", "subject"],
  ["t", "to"],
  ["u", "allow-events"],
  ["v", "via"],
  ["x", "session-expires"],
  ["y", "identity"],
]);

/**
 * How header names are written by the serializer: lower-case key to the RFC's spelling. Names not
 * listed keep the spelling they arrived with.
 */
export const CANONICAL_HEADER_NAMES: ReadonlyMap<string, string> = new Map(
  [
    "Accept",
    "Accept-Contact",
    "Accept-Encoding",
    "Accept-Language",
    "Alert-Info",
    "Allow",
    "Allow-Events",
    "Authentication-Info",
    "Authorization",
    "Call-ID",
    "Call-Info",
    "Contact",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Type",
    "CSeq",
    "Date",
    "Error-Info",
    "Event",
    "Expires",
    "From",
    "Identity",
    "In-Reply-To",
    "Max-Forwards",
    "Min-Expires",
    "MIME-Version",
    "Organization",
    "Path",
    "Priority",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Proxy-Require",
    "Record-Route",
    "Refer-To",
    "Referred-By",
    "Reject-Contact",
    "Reply-To",
    "Request-Disposition",
    "Require",
    "Retry-After",
    "Route",
    "Server",
    "Service-Route",
    "Session-Expires",
    "Subject",
    "Supported",
    "Timestamp",
    "To",
    "Unsupported",
    "User-Agent",
    "Via",
    "Warning",
    "WWW-Authenticate",
  ].map((name) => [name.toLowerCase(), name]),
);

/**
 * Header fields whose grammar (RFC 3261 section 25.1 and the extensions) is a comma-separated
 * list, so several fields may be combined into one and one field split into values (section 7.3.1).
 * The authentication headers are absent on purpose: their parameters are comma-separated too.
 */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  "accept",
  "accept-contact",
  "accept-encoding",
  "accept-language",
  "alert-info",
  "allow",
  "allow-events",
  "call-info",
  "contact",
  "content-encoding",
  "content-language",
  "error-info",
  "in-reply-to",
  "path",
  "proxy-require",
  "record-route",
  "reject-contact",
  "request-disposition",
  "require",
  "route",
  "service-route",
  "supported",
  "unsupported",
  "via",
  "warning",
]);

/**
 * Header fields that RFC 3261 allows once per message; a second one makes the message malformed
 * (RFC 4475 sections 3.3.7 and 3.3.8).
 */
export const SINGLE_HEADERS: ReadonlySet<string> = new Set([
  "call-id",
  "content-length",
  "content-type",
  "cseq",
  "from",
  "max-forwards",
  "to",
]);
