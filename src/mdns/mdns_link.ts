import type { DatagramAddress } from "../core/transport.ts";
import type { DnsMessage } from "../codec/dns/dns_types.ts";

/**
 * How the mDNS state machines (responder, querier) talk to one interface's sockets: they hand over
 * whole messages, never bytes, so tests read what was sent without a codec. The link encodes,
 * splits a message too large for one packet (mdns_packets.ts) and sends it.
 */
export interface MdnsOutput {
  /** Sends `message` to the interface's multicast group, or unicast to `to` (RFC 6762 5.4, 6.7). */
  send(message: DnsMessage, to?: DatagramAddress): void;
}

/** One decoded message as it arrived on an interface. */
export interface MdnsReceived {
  readonly message: DnsMessage;
  readonly from: DatagramAddress;
}
