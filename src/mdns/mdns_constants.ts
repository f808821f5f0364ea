/** Multicast DNS numbers (RFC 6762); each names the section it comes from. */

/** UDP port of multicast DNS (RFC 6762 section 3). */
export const MDNS_PORT = 5353;
/** IPv4 group (RFC 6762 section 3). */
export const MDNS_IPV4_GROUP = "224.0.0.251";
/** IPv6 link-local group (RFC 6762 section 3). */
export const MDNS_IPV6_GROUP = "ff02::fb";

/** TTL of records that carry a host name (A, AAAA, SRV, their NSEC): 120 s (RFC 6762 10). */
export const HOST_RECORD_TTL_S = 120;
/** TTL of other records (PTR, TXT): 75 minutes (RFC 6762 section 10). */
export const OTHER_RECORD_TTL_S = 4500;
/** Longest legacy-unicast answer TTL (RFC 6762 section 6.7). */
export const LEGACY_UNICAST_TTL_S = 10;

/** Probes sent before a name is claimed, and the gap between them (RFC 6762 section 8.1). */
export const PROBE_COUNT = 3;
export const PROBE_INTERVAL_MS = 250;
/** Random delay before the first probe, 0..250 ms (RFC 6762 section 8.1). */
export const PROBE_INITIAL_DELAY_MAX_MS = 250;
/** A host that loses a simultaneous-probe tie-break waits this long, then probes again (8.2). */
export const PROBE_TIEBREAK_DEFER_MS = 1_000;
/** More than this many conflicts within PROBE_CONFLICT_WINDOW_MS: wait PROBE_RATE_LIMIT_MS (8.1). */
export const PROBE_CONFLICTS_BEFORE_SLOWDOWN = 15;
export const PROBE_CONFLICT_WINDOW_MS = 10_000;
export const PROBE_RATE_LIMIT_MS = 5_000;

/** Unsolicited announcements after probing, the first gap, doubling (RFC 6762 section 8.3). */
export const ANNOUNCE_COUNT = 2;
export const ANNOUNCE_INTERVAL_MS = 1_000;

/** A record is multicast at most once per second on an interface (RFC 6762 section 6). */
export const MULTICAST_RATE_LIMIT_MS = 1_000;
/** ... except in reply to a probe, at most every 250 ms (RFC 6762 section 6). */
export const PROBE_DEFENCE_RATE_LIMIT_MS = 250;
/** Shared-record answers wait 20..120 ms to aggregate answers (RFC 6762 section 6). */
export const SHARED_ANSWER_DELAY_MIN_MS = 20;
export const SHARED_ANSWER_DELAY_MAX_MS = 120;
/** After a query with TC set, wait 400..500 ms for the rest of its known answers (7.2). */
export const TRUNCATED_QUERY_WAIT_MIN_MS = 400;
export const TRUNCATED_QUERY_WAIT_MAX_MS = 500;

/** First continuous query waits 20..120 ms; gaps start at 1 s and double (RFC 6762 5.2). */
export const QUERY_INITIAL_DELAY_MIN_MS = 20;
export const QUERY_INITIAL_DELAY_MAX_MS = 120;
export const QUERY_FIRST_INTERVAL_MS = 1_000;
/** Continuous queries back off to one hour (RFC 6762 section 5.2). */
export const QUERY_MAX_INTERVAL_MS = 3_600_000;
/** Cache refresh queries at these fractions of a record's TTL, plus 0..2 % (RFC 6762 5.2). */
export const REFRESH_FRACTIONS = [0.8, 0.85, 0.9, 0.95] as const;
export const REFRESH_JITTER_FRACTION = 0.02;
/** A goodbye (TTL 0) or a flushed record is removed one second later (RFC 6762 10.1, 10.2). */
export const GOODBYE_DELAY_MS = 1_000;

/** Largest mDNS message on the wire (RFC 6762 section 17). */
export const MAX_MDNS_MESSAGE_BYTES = 9_000;
/** What we send in one packet: fits an Ethernet MTU over IPv6 (1500 - 40 - 8). */
export const DEFAULT_MAX_SEND_BYTES = 1_452;
/** Records kept in the cache of one interface. @default */
export const DEFAULT_MAX_CACHE_RECORDS = 1_024;
