/**
 * Registrar defaults (RFC 3261 section 10.3), each overridable by the registrar's options.
 *
 * @module
 */

/** Expiry when neither the Contact nor the request says (RFC 3261 section 10.2.1.1 suggests 3600). */
export const DEFAULT_EXPIRES_S = 3600;

/**
 * Shortest registration accepted; shorter ones get 423 with Min-Expires (section 10.3 step 7).
 * Access points want phones to refresh often (they move between APs), but not more than once a
 * minute each.
 */
export const DEFAULT_MIN_EXPIRES_S = 60;

/** Longest registration granted: longer requests are shortened to it (section 10.3 step 7). */
export const DEFAULT_MAX_EXPIRES_S = 3600;

/** Bindings one address-of-record may hold (a phone, a softphone, a browser...). */
export const DEFAULT_MAX_BINDINGS_PER_AOR = 10;

/** Bindings in all; at the cap new ones get 503 with Retry-After (bounded memory). */
export const DEFAULT_MAX_BINDINGS = 4096;

/** Retry-After of a 503 at the total cap, seconds. */
export const DEFAULT_FULL_RETRY_AFTER_S = 300;

/** Path values stored per binding (RFC 3327); more is refused with 400. */
export const MAX_PATH_VALUES = 8;
