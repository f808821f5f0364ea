/** A UDP (or simulated) endpoint address: an IP literal (IPv4 or IPv6, no brackets) and a port. */
export interface DatagramAddress {
  readonly host: string;
  readonly port: number;
}

/** Receives datagrams; `bytes` is only valid during the call (copy to keep). */
export type DatagramHandler = (bytes: Uint8Array, from: DatagramAddress) => void;

/**
 * A datagram socket as services see it (STYLE: services never touch node:dgram). Implementations:
 * transport/udp_transport.ts (node:dgram), transport/memory_transport.ts (tests and the simulator).
 */
export interface DatagramTransport {
  /** Where this transport receives (the real port when bound to port 0). */
  readonly local: DatagramAddress;
  /** Sends one datagram; never throws for network errors (they are counted and logged by the transport). */
  send(bytes: Uint8Array, to: DatagramAddress): void;
  /** Sets the one receive handler. */
  onDatagram(handler: DatagramHandler): void;
  /** Stops receiving and releases the socket. Idempotent. */
  close(): Promise<void>;
}

/** "host:port" with IPv6 in brackets, for logs and map keys. */
export function formatAddress(address: DatagramAddress): string {
  return address.host.includes(":")
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
