/**
 * Lifetimes (RFC 8656) and limits of the TURN relay. Every `DEFAULT_MAX_*` is a cap an operator may
 * change in the relay's options; a request past one is refused and counted, never queued.
 *
 * @example
 * ```ts
 * import { DEFAULT_ALLOCATION_LIFETIME_S, DEFAULT_MAX_ALLOCATIONS } from "./constants.ts";
 * ```
 *
 * @module
 */

/** RFC 8656 section 7.2: an allocation lasts 600 s unless LIFETIME asks for more. */
export const DEFAULT_ALLOCATION_LIFETIME_S = 600;
/** RFC 8656 section 7.2: the maximum lifetime SHOULD NOT exceed 3600 s. */
export const MAX_ALLOCATION_LIFETIME_S = 3600;
/** RFC 8656 section 9: the Permission Lifetime MUST be 300 s. */
export const PERMISSION_LIFETIME_S = 300;
/** RFC 8656 section 12: a channel binding lasts 10 minutes unless refreshed. */
export const CHANNEL_LIFETIME_S = 600;
/**
 * RFC 8656 section 12: after a binding expires its number and peer are not re-bound to another
 * partner for 5 minutes (a client MUST wait; this server enforces it too).
 */
export const CHANNEL_QUARANTINE_S = 300;
/** RFC 8656 section 5: a nonce is expired at least once an hour. */
export const DEFAULT_NONCE_LIFETIME_S = 3600;
/** RFC 8656 section 7.2: a port reserved by EVEN-PORT R=1 is kept at least 30 s. */
export const RESERVATION_LIFETIME_S = 30;
/** RFC 8489 section 6.3.1: a server remembers answers to retransmitted requests for 40 s. */
export const RETRANSMISSION_CACHE_S = 40;
/** A relay port whose bind failed is not offered again for this long. */
export const FAILED_PORT_HOLD_S = 60;

/**
 * First relay port. RFC 8656 section 7.2 wants 49152-65535; this range also stays out of Linux's
 * ephemeral range (32768-60999), so the kernel never hands one of our ports to another socket.
 * @default 61000
 */
export const DEFAULT_MIN_RELAY_PORT = 61000;
/** Last relay port. @default 65535 */
export const DEFAULT_MAX_RELAY_PORT = 65535;

/** Allocations on the whole server (beyond: 508). @default 1000 */
export const DEFAULT_MAX_ALLOCATIONS = 1000;
/** Allocations of one username (beyond: 486, RFC 8656 section 21.3.1). @default 10 */
export const DEFAULT_MAX_ALLOCATIONS_PER_USER = 10;
/** Allocations from one client IP (beyond: 486). @default 20 */
export const DEFAULT_MAX_ALLOCATIONS_PER_CLIENT_IP = 20;
/** Permissions (peer IPs) of one allocation (beyond: 508). @default 32 */
export const DEFAULT_MAX_PERMISSIONS_PER_ALLOCATION = 32;
/** Channel bindings of one allocation (beyond: 508). @default 32 */
export const DEFAULT_MAX_CHANNELS_PER_ALLOCATION = 32;
/** Ports reserved by EVEN-PORT R=1 at once (beyond: 508). @default 100 */
export const DEFAULT_MAX_RESERVATIONS = 100;
/** Answers kept for retransmitted requests; the oldest go first. @default 1024 */
export const DEFAULT_MAX_CACHED_RESPONSES = 1024;

/**
 * Relayed bytes per second of one allocation, both directions together (RFC 8656 section 21.1.7:
 * a per-user bandwidth cap limits a TURN loop). 1 MB/s carries any voice call and most video.
 * @default 1_000_000
 */
export const DEFAULT_MAX_ALLOCATION_BYTES_PER_SECOND = 1_000_000;
/** Relayed bytes per second of the whole server. @default 12_500_000 (100 Mbit/s) */
export const DEFAULT_MAX_TOTAL_BYTES_PER_SECOND = 12_500_000;
/** Token-bucket depth, in seconds of the rate: how long a burst may run at line speed. @default 1 */
export const DEFAULT_BURST_SECONDS = 1;

/** RFC 8656 section 18.4 and RFC 8489 section 14.14: what we put in SOFTWARE. */
export const DEFAULT_SOFTWARE = "superpeer";

/** Default TLS port of the relay (RFC 8656 section 4: TURN over TLS uses 5349). */
export const DEFAULT_RELAY_TLS_PORT = 5349;
/** Default cap on TCP and TLS client connections of the relay (each listener). */
export const DEFAULT_MAX_STREAM_CLIENTS = 256;
/** Default cap on TCP and TLS client connections from one IP address. */
export const DEFAULT_MAX_STREAM_CLIENTS_PER_IP = 32;
/** A TCP or TLS client without an allocation that sends nothing for this long is disconnected. */
export const DEFAULT_STREAM_IDLE_S = 60;
/**
 * Default cap on the unsent bytes queued for one TCP or TLS client: about 250 ms of a 2 Mbit/s
 * video stream; media older than that is worthless, so a slow client loses packets instead.
 */
export const DEFAULT_STREAM_BACKLOG_BYTES = 64 * 1024;
