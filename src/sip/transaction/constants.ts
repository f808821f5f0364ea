/**
 * Timer values and limits of the SIP transaction layer (RFC 3261 section 17 and the table in
 * appendix A; RFC 6026 section 8 for Timers L and M). Every timer is derived from T1, T2 and T4 as
 * the RFC's table says, so a deployment that raises T1 (section 17.1.1.1 allows it on
 * high-latency paths) moves every 64*T1 timeout with it.
 *
 * @example
 * ```ts
 * import { DEFAULT_T1_MS, DEFAULT_MAX_SERVER_TRANSACTIONS } from "./constants.ts";
 * ```
 *
 * @module
 */

/** RFC 3261 section 17.1.1.1: the RTT estimate, 500 ms by default. @default 500 */
export const DEFAULT_T1_MS = 500;

/**
 * RFC 3261 section 17.1.2.2: the maximum retransmit interval of non-INVITE requests and INVITE
 * responses.
 * @default 4000
 */
export const DEFAULT_T2_MS = 4_000;

/** RFC 3261 section 17.1.2.2: the maximum duration a message stays in the network. @default 5000 */
export const DEFAULT_T4_MS = 5_000;

/**
 * RFC 3261 section 17.1.1.2: Timer D, how long an INVITE client transaction absorbs final-response
 * retransmissions over an unreliable transport; "at least 32 seconds", not derived from T1.
 * @default 32000
 */
export const DEFAULT_TIMER_D_MS = 32_000;

/**
 * How long an INVITE server transaction waits for the TU's first response before it sends a
 * 100 (Trying) itself (RFC 3261 section 17.2.1: "unless it knows that the TU will generate a
 * provisional or final response within 200 ms"; section 16.2 for a proxy).
 * @default 200
 */
export const DEFAULT_TRYING_DELAY_MS = 200;

/**
 * Server transactions alive at once (INVITE and non-INVITE). At the cap a new request is refused
 * and counted, and the caller answers 503 with Retry-After (RFC 3261 section 21.5.4). Sizing: over
 * UDP a request's transaction lives 64*T1 = 32 s after its final response (Timer J), so the cap
 * over 32 s is the sustainable rate (2048 / 32 s = 64 requests/s). Measured on Deno: about 7 KB
 * of heap per completed transaction for a REGISTER with Authorization and its 200 (parsed), so a
 * full table is about 14 MB on a 64 MB access point. A registrar that must go faster answers
 * REGISTER statelessly (section 8.2.7) instead of through a transaction.
 * @default 2048
 */
export const DEFAULT_MAX_SERVER_TRANSACTIONS = 2_048;

/**
 * Client transactions alive at once (a forking proxy makes several per server transaction). At
 * the cap `createClient` refuses and counts; the proxy answers 503 upstream. Same memory per
 * transaction as the server side.
 * @default 2048
 */
export const DEFAULT_MAX_CLIENT_TRANSACTIONS = 2_048;

/**
 * Both caps together: the most transactions a default table holds (for the README's limits table).
 */
export const DEFAULT_MAX_TRANSACTIONS = DEFAULT_MAX_SERVER_TRANSACTIONS +
  DEFAULT_MAX_CLIENT_TRANSACTIONS;

/**
 * Seconds put in the Retry-After of the 503 a caller sends when the server table is full: long
 * enough for Timer J of the oldest transactions to run out, short enough for a phone to retry a
 * call the same minute.
 * @default 5
 */
export const DEFAULT_OVERLOAD_RETRY_AFTER_S = 5;
