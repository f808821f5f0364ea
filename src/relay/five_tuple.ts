/**
 * Transport addresses and the 5-tuple that names an allocation (RFC 8656 section 3: client IP and
 * port, server IP and port, transport protocol).
 *
 * @module
 */

/** The transport between client and server (RFC 8656 section 3.1; DTLS is not offered). */
export type TurnTransport = "udp" | "tcp" | "tls";

/** An address as node:dgram and node:net give it: text host, numeric port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Where a message came from and arrived: the client's address, our listening address, and the
 * transport (RFC 8656 section 3: the 5-tuple).
 *
 * @example
 * ```ts
 * const tuple: FiveTuple = {
 *   transport: "udp",
 *   client: { host: rinfo.address, port: rinfo.port },
 *   server: { host: "192.0.2.1", port: 3478 },
 * };
 * ```
 */
export interface FiveTuple {
  readonly transport: TurnTransport;
  readonly client: HostPort;
  readonly server: HostPort;
}

/**
 * Whether two 5-tuples are the same; compares fields, builds nothing.
 *
 * @example
 * ```ts
 * sameFiveTuple(allocation.fiveTuple, tuple);
 * ```
 */
export function sameFiveTuple(a: FiveTuple, b: FiveTuple): boolean {
  return a.client.port === b.client.port && a.client.host === b.client.host &&
    a.server.port === b.server.port && a.server.host === b.server.host &&
    a.transport === b.transport;
}

/**
 * A copy of a 5-tuple that owns its objects (the caller may reuse its own).
 *
 * @example
 * ```ts
 * const kept = copyFiveTuple(tuple);
 * ```
 */
export function copyFiveTuple(tuple: FiveTuple): FiveTuple {
  return {
    transport: tuple.transport,
    client: { host: tuple.client.host, port: tuple.client.port },
    server: { host: tuple.server.host, port: tuple.server.port },
  };
}

/**
 * A string key of a 5-tuple, for maps touched per request (not per packet).
 *
 * @example
 * ```ts
 * fiveTupleKey(tuple); // "udp|192.0.2.7|50000|192.0.2.1|3478"
 * ```
 */
export function fiveTupleKey(tuple: FiveTuple): string {
  return `${tuple.transport}|${tuple.client.host}|${tuple.client.port}|${tuple.server.host}|${tuple.server.port}`;
}
