/**
 * Proxy defaults (RFC 3261 section 16), each overridable by the proxy's options.
 *
 * @module
 */

/** Max-Forwards set on a request that has none (RFC 3261 section 16.6 step 3). */
export const DEFAULT_MAX_FORWARDS = 70;

/** Timer C: an INVITE branch without a final response this long is cancelled (section 16.6 step 11: more than 3 minutes). */
export const DEFAULT_TIMER_C_MS = 181_000;

/** Branches one request forks to at most (a user with many phones: the best q first). */
export const DEFAULT_MAX_BRANCHES = 8;

/** Requests being proxied at once (response contexts); beyond it new ones get 503. */
export const DEFAULT_MAX_CONTEXTS = 2048;

/** Retry-After of a 503 when no context is free, seconds. */
export const DEFAULT_PROXY_RETRY_AFTER_S = 5;
