/**
 * A connection that carries whole messages (WebSocket, RFC 6455), as the services see it; the
 * transport layer's WebSocket listener provides it. One SIP message per WebSocket message
 * (RFC 7118 section 4.2), so no stream framing is needed above it.
 *
 * @module
 */
import type { DatagramAddress } from "./transport.ts";

/** One message connection. */
export interface MessageConnection {
  /** Unique among its listener's connections, never reused. */
  readonly id: number;
  readonly remote: DatagramAddress;
  readonly local: DatagramAddress;
  /** "ws" or "wss". */
  readonly protocol: "ws" | "wss";
  /** Queues one message (text when asked and valid UTF-8); false when closing or backlogged. */
  send(message: Uint8Array | string, options?: { readonly text?: boolean }): boolean;
  /** Sets the one handler of received messages; `message` is only valid during the call. */
  onMessage(handler: (message: Uint8Array, kind: "text" | "binary") => void): void;
  /** Called once when the connection has ended. */
  onClose(handler: (reason: string, code: number) => void): void;
  close(code?: number, reason?: string): void;
}

/** A listener of message connections. */
export interface MessageListener {
  readonly local: DatagramAddress;
  readonly protocol: "ws" | "wss";
  onConnection(handler: (connection: MessageConnection) => void): void;
  close(): Promise<void>;
}
