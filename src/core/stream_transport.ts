/**
 * Stream (TCP or TLS) connections as services see them: framed by the service, written without
 * blocking, capped by the transport. Implementation: transport/tcp_listener.ts.
 *
 * @module
 */
import type { DatagramAddress } from "./transport.ts";

/** Why a stream connection ended, for logs and the `reason` label of metrics. */
export type StreamCloseReason =
  | "remote" // the peer closed or reset it
  | "local" // close() was called
  | "error" // a socket error
  | "listener"; // the listener was closed

/** One accepted connection. */
export interface StreamConnection {
  /** The client's address (the IPv6 zone included when there is one). */
  readonly remote: DatagramAddress;
  /** Our address on this connection. */
  readonly local: DatagramAddress;
  /** "tcp" or "tls": what the connection is carried on. */
  readonly protocol: "tcp" | "tls";
  /**
   * Queues `bytes` (copied: the caller may reuse its buffer at once). Returns false, writing
   * nothing, when the connection is closed or its unsent backlog is over the listener's cap; never
   * throws.
   */
  write(bytes: Uint8Array): boolean;
  /** Sets the one handler of received bytes; a chunk is only valid during the call. */
  onData(handler: (chunk: Uint8Array) => void): void;
  /** Called once when the connection has ended, whoever ended it. */
  onClose(handler: (reason: StreamCloseReason) => void): void;
  /** Ends the connection (unsent bytes are discarded). Idempotent. */
  close(): void;
}

/** A listening TCP or TLS socket. */
export interface StreamListener {
  /** Where it listens (the real port when bound to port 0). */
  readonly local: DatagramAddress;
  readonly protocol: "tcp" | "tls";
  /** Sets the one handler of accepted connections. */
  onConnection(handler: (connection: StreamConnection) => void): void;
  /** Stops listening and ends every connection it accepted. Idempotent. */
  close(): Promise<void>;
}
