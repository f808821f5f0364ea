/**
 * What a server does with the top Via (RFC 3261 section 18.2.1 and 18.2.2, RFC 3581 section 4):
 * note where a request really came from (received, rport), and send the response back there.
 *
 * @module
 */
import { parseVia, serializeVia, type SipMessage, type Via } from "../codec/sip/mod.ts";
import type { DatagramAddress } from "../core/transport.ts";
import type { TransactionAddress } from "./transaction/mod.ts";

/** Where a message arrived or goes: the transaction layer's address (transport, host, port, flow). */
export type SipAddress = TransactionAddress;

/** RFC 3261 section 18.2.2: a sent-by without a port means 5060 (5061 for TLS). */
export function defaultPort(transport: string): number {
  return transport === "TLS" || transport === "WSS" ? 5061 : 5060;
}

const bare = (host: string) => host.startsWith("[") ? host.slice(1, -1) : host;

/**
 * Adds `received` when the top Via's sent-by host is not the packet's source (RFC 3261 section
 * 18.2.1), and fills an empty `rport` with the source port, adding `received` then too (RFC 3581
 * section 4). Returns the new top Via (the message is changed in place when needed).
 *
 * @example
 * ```ts
 * const via = stampReceived(request, { host: "198.51.100.7", port: 40123 });
 * ```
 */
export function stampReceived(message: SipMessage, source: DatagramAddress): Via {
  const via = message.topVia();
  const sourceHost = bare(source.host);
  const wantReceived = bare(via.host).toLowerCase() !== sourceHost.toLowerCase() ||
    via.rport === null;
  const wantRport = via.rport === null;
  if (!wantReceived && !wantRport) return via;
  const params = via.params.filter((p) => {
    const name = p.name.toLowerCase();
    return !(name === "received" && wantReceived) && !(name === "rport" && wantRport);
  });
  // RFC 3581 section 4: rport takes the source port, received the source address
  if (wantRport) params.push({ name: "rport", value: String(source.port) });
  // RFC 3261 section 18.2.1: the server MUST add received when sent-by is not the source address
  if (wantReceived) params.push({ name: "received", value: sourceHost });
  const stamped = parseVia(serializeVia({ ...via, params }));
  message.headers.shift("via");
  message.headers.prepend("Via", serializeVia(stamped));
  return stamped;
}

/**
 * Where the response to a request with this top Via goes (RFC 3261 section 18.2.2, RFC 3581
 * section 4): over the request's connection for a reliable transport; else to `received` (or the
 * sent-by host) at `rport` when the request asked for it, else at the sent-by port. `maddr`
 * (multicast) is not supported: the response goes to the source instead.
 *
 * @example
 * ```ts
 * transport.send(serialize(response), responseDestination(request.topVia(), arrivedOn));
 * ```
 */
export function responseDestination(via: Via, arrival: SipAddress): SipAddress {
  if (arrival.reliable) return arrival;
  const host = via.received ?? bare(via.host);
  // RFC 3581 section 4: with rport, the response goes to the source IP and port
  if (typeof via.rport === "number") {
    return { transport: arrival.transport, host, port: via.rport, reliable: false };
  }
  return {
    transport: arrival.transport,
    host,
    port: via.port ?? defaultPort(via.transport),
    reliable: false,
  };
}
