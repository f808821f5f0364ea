/**
 * Defaults and hard limits of SIP Digest authentication (RFC 3261 section 22, RFC 8760). Every
 * `DEFAULT_*` is a value the SIP service may pass in its options; every `MAX_*` is a parser limit
 * that untrusted input cannot raise.
 *
 * @example
 * ```ts
 * import { DEFAULT_NONCE_LIFETIME_S, DEFAULT_ALGORITHMS } from "./constants.ts";
 * ```
 *
 * @module
 */
import type { DigestAlgorithm } from "./digest_algorithms.ts";

/**
 * Seconds a nonce is accepted after it was issued; an older one with a correct response is
 * answered with `stale=true` (RFC 7616 section 3.3), which costs the phone one round trip and no
 * password prompt. Kamailio's `nonce_expire` default.
 * @default 300
 */
export const DEFAULT_NONCE_LIFETIME_S = 300;

/**
 * Algorithms offered in a challenge, one challenge per algorithm, most preferred first (RFC 8760
 * section 2.3). SHA-512-256 is supported but not offered by default: few phones speak it, and a
 * user needs its own HA1 for it in the users file.
 * @default ["SHA-256", "MD5"]
 */
export const DEFAULT_ALGORITHMS: readonly DigestAlgorithm[] = Object.freeze(["SHA-256", "MD5"]);

/**
 * Nonces whose nonce-counts are remembered at once (replay protection). At the cap the oldest is
 * dropped and counted; a dropped nonce, and any untracked one issued before it, is answered as
 * stale from then on. So the cap must cover every nonce issued and not yet used: at 4,096 and
 * 3,200 challenges a second, a phone whose answer came more than about a second after its
 * challenge was told stale (seen with SIPp: "401 stale=true" to correct credentials). At 16,384
 * (187 bytes each with its nonce string, measured: 3.1 MB) the same rate leaves five seconds.
 * @default 16384
 */
export const DEFAULT_MAX_TRACKED_NONCES = 16_384;

/**
 * How far below the highest nonce-count seen a count may still arrive (requests sent in parallel
 * with one nonce can overtake each other); each count in the window is accepted once.
 * @default 32
 */
export const DEFAULT_NONCE_COUNT_WINDOW = 32;
/** The largest window the tracker supports (one bit per count in a 32-bit mask). */
export const MAX_NONCE_COUNT_WINDOW = 32;

/**
 * Failed authentications (wrong response, unknown user, malformed credentials) one source may
 * make in a burst before it is refused.
 * @default 10
 */
export const DEFAULT_MAX_FAILURE_BURST = 10;
/**
 * Failed authentications per minute a source regains after the burst is used up.
 * @default 6
 */
export const DEFAULT_FAILURES_PER_MINUTE = 6;
/**
 * Sources (IPv4 addresses, IPv6 /64 prefixes) whose failures are counted at once; at the cap the
 * oldest is forgotten and counted.
 * @default 4096
 */
export const DEFAULT_MAX_FAILURE_SOURCES = 4096;

/** Users (user and realm pairs) a users file may hold. @default 10_000 */
export const DEFAULT_MAX_USERS = 10_000;
/** Bytes a users file may have. @default 4 MiB */
export const DEFAULT_MAX_USERS_FILE_BYTES = 4 * 1024 * 1024;

/** Longest credentials or challenge header value parsed; longer ones are malformed. */
export const MAX_AUTH_HEADER_LENGTH = 4096;
/** Most auth-params in one header value. */
export const MAX_AUTH_PARAMS = 32;
/** Most Authorization or Proxy-Authorization values looked at in one request. */
export const MAX_CREDENTIAL_HEADERS = 8;
/** Longest user name or realm accepted in the users file and in credentials. */
export const MAX_USERNAME_LENGTH = 128;

/**
 * Realm of `superpeer user add` when no `--realm` is given. The SIP service's realm should default
 * to the same value, or users added without `--realm` never authenticate.
 * @default "superpeer"
 */
export const DEFAULT_REALM = "superpeer";
/** File name of the users file in the data directory (`<dataDir>/sip_users`). */
export const DEFAULT_USERS_FILE_NAME = "sip_users";
/** Longest password `superpeer user add` accepts. */
export const MAX_PASSWORD_LENGTH = 1024;
