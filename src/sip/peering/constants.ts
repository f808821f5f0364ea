/**
 * Defaults of the Proxy Peer's peering policy and outbound routing (issue #6 part 8), each
 * overridable by the `sip` config section.
 *
 * @module
 */

/** Requests per second one outside source may send (token bucket rate). */
export const DEFAULT_PEERING_REQUESTS_PER_SECOND = 10;

/** Requests one outside source may send in a burst (token bucket size). */
export const DEFAULT_PEERING_BURST = 20;

/** Outside sources with a token bucket at once; past it the oldest bucket is dropped (counted). */
export const DEFAULT_PEERING_MAX_SOURCES = 4096;

/** INVITEs from outside (not authenticated, not from a superpeer) being proxied at once. */
export const DEFAULT_MAX_UNAUTHENTICATED_INVITES = 32;

/** Retry-After of a 503 for a source over its rate or the INVITE cap, seconds. */
export const DEFAULT_PEERING_RETRY_AFTER_S = 5;

/** Superpeer SIP addresses learned from the overlay's entries, kept at once (oldest dropped). */
export const DEFAULT_MAX_LEARNED_PEERS = 1024;

/** Overlay look-ups of a From AOR (is the source its Proxy Peer?) in flight at once. */
export const DEFAULT_MAX_PEER_LOOKUPS = 16;

/** DNS answers cached at once (NAPTR, SRV, A and AAAA count one each); oldest dropped. */
export const DEFAULT_DNS_CACHE_ENTRIES = 512;

/** Cache lifetime of DNS answers without a TTL (node's resolveSrv/resolveNaptr give none), s. */
export const DEFAULT_DNS_TTL_S = 300;

/** Longest a DNS answer is cached whatever its TTL, s. */
export const MAX_DNS_TTL_S = 3600;

/** Cache lifetime of "no such name / no records", s (RFC 2308 negative caching, kept short). */
export const DNS_NEGATIVE_TTL_S = 60;

/** Addresses one outbound target fails over across at most (RFC 3263 section 4.3). */
export const MAX_OUTBOUND_ADDRESSES = 4;

/** Interval of the refusal log line: at most one per this many ms. */
export const POLICY_LOG_INTERVAL_MS = 60_000;
