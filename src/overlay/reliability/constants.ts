/**
 * Defaults of the overlay's reliability layer (hop_sender.ts, answer_cache.ts,
 * request_tracker.ts). RFC 6940 values are named after the section that sets them.
 */

/** RFC 6940 section 6.6.3.1: the retransmission timer starts at 500 ms. */
export const DEFAULT_INITIAL_RTO_MS = 500;

/**
 * RFC 6940 section 6.6.3.1: a datagram is sent at most 5 times in all (the first transmission and 4
 * retransmissions, the RTO doubling after each) before the hop is given up.
 */
export const DEFAULT_MAX_TRANSMISSIONS = 5;

/** Datagrams awaiting a hop-by-hop ACK, over all neighbours. */
export const DEFAULT_MAX_PENDING_HOP_DATAGRAMS = 1024;

/**
 * RFC 6940 section 6.2.1: an originator retransmits a request it has had no answer to; we retry
 * every 3 s.
 */
export const DEFAULT_REQUEST_RETRY_INTERVAL_MS = 3_000;

/** A request with no answer after this long fails with Error_Request_Timeout. */
export const DEFAULT_REQUEST_LIFETIME_MS = 15_000;

/** End-to-end requests awaiting an answer at once. */
export const DEFAULT_MAX_PENDING_REQUESTS = 1024;

/**
 * RFC 6940 section 6.2: answers are kept for as long as a retransmission of their request can
 * arrive, which is the request lifetime.
 */
export const DEFAULT_ANSWER_TTL_MS = DEFAULT_REQUEST_LIFETIME_MS;

/** Answers remembered at once. */
export const DEFAULT_MAX_CACHED_ANSWERS = 2048;

/** Bytes of answer datagrams remembered at once (1 MiB). */
export const DEFAULT_MAX_CACHED_ANSWER_BYTES = 1024 * 1024;
