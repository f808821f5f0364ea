/**
 * The SIP transport layer (RFC 3261 section 18): turns datagrams and stream bytes into parsed
 * messages for the transaction layer, and sends messages out over UDP or back over the
 * connection a request came on. Malformed input is answered 400 when it is a request whose
 * headers could be read (section 8.2.2 / RFC 4475), otherwise dropped; either way counted and
 * logged at most once a minute per reason, and nothing else is affected.
 *
 * No sockets here: it is given a DatagramTransport and StreamListeners (core interfaces).
 *
 * @module
 */
import {
  isCrlfKeepAlive,
  parseSipMessage,
  serializeSipMessage,
  type SipMessage,
  SipParseError,
  SipStreamFramer,
} from "../codec/sip/mod.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Counter, Metrics } from "../core/metrics.ts";
import type { MessageConnection, MessageListener } from "../core/message_transport.ts";
import type { StreamConnection, StreamListener } from "../core/stream_transport.ts";
import type { DatagramAddress, DatagramTransport } from "../core/transport.ts";
import { createResponse } from "./sip_response.ts";
import { type SipAddress, stampReceived } from "./via_handling.ts";

/** Why an inbound message was not passed up. */
export type SipDropReason =
  | "malformed"
  | "malformed_response"
  | "too_large"
  | "no_flow"
  | "send_failed"
  | "handler_error";

/** Options of a SipTransportLayer. */
export interface SipTransportLayerInit {
  /** Largest datagram parsed. @default 65_535 */
  readonly maxDatagramBytes?: number;
  /** Largest message on a stream. @default 16_384 */
  readonly maxStreamMessageBytes?: number;
}

/** What a SipTransportLayer works with. */
export interface SipTransportLayerComponents {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
}

/** Receives what the transport layer parsed. */
export interface SipMessageSink {
  /** A request with its top Via stamped (received, rport), and where it came from. */
  request(message: SipMessage, source: SipAddress): void;
  /** A response (its top Via is ours), and where it came from. */
  response(message: SipMessage, source: SipAddress): void;
}

const LOG_INTERVAL_MS = 60_000;
const STREAM_TRANSPORT: Readonly<Record<"tcp" | "tls", string>> = { tcp: "TCP", tls: "TLS" };

/**
 * Parses what arrives and sends what leaves.
 *
 * @example
 * ```ts
 * const layer = new SipTransportLayer({}, { logger, metrics, clock });
 * layer.attachDatagram(udp);
 * layer.attachStreams(tcpListener);
 * layer.onMessage({ request: (m, from) => ..., response: (m, from) => ... });
 * layer.send(response, destination);
 * ```
 */
export class SipTransportLayer {
  readonly #maxDatagram: number;
  readonly #maxStream: number;
  readonly #c: SipTransportLayerComponents;
  #udp: DatagramTransport | undefined;
  #sink: SipMessageSink | undefined;
  readonly #flows = new Map<string, StreamConnection>();
  readonly #messageFlows = new Map<string, MessageConnection>();
  #nextFlow = 1;
  readonly #received: Counter;
  readonly #sent: Counter;
  readonly #dropped = new Map<SipDropReason, Counter>();
  readonly #dropCounts = new Map<SipDropReason, number>();
  readonly #lastLog = new Map<SipDropReason, number>();

  constructor(init: SipTransportLayerInit, components: SipTransportLayerComponents) {
    this.#maxDatagram = init.maxDatagramBytes ?? 65_535;
    this.#maxStream = init.maxStreamMessageBytes ?? 16_384;
    this.#c = components;
    this.#received = components.metrics.counter(
      "superpeer_sip_messages_received_total",
      "SIP messages parsed and passed to the transaction layer",
    );
    this.#sent = components.metrics.counter(
      "superpeer_sip_messages_sent_total",
      "SIP messages handed to a transport",
    );
    const dropped = components.metrics.counter(
      "superpeer_sip_dropped_total",
      "Inbound SIP input not passed up, and sends that failed, by reason",
      ["reason"],
    );
    for (
      const reason of [
        "malformed",
        "malformed_response",
        "too_large",
        "no_flow",
        "send_failed",
        "handler_error",
      ] as const
    ) {
      this.#dropped.set(reason, dropped.with({ reason }));
    }
  }

  /** Open flows (TCP, TLS and WebSocket connections). */
  get flowCount(): number {
    return this.#flows.size + this.#messageFlows.size;
  }

  /** Sets the one receiver of parsed messages. */
  onMessage(sink: SipMessageSink): void {
    this.#sink = sink;
  }

  /** Receives and sends UDP on `transport`. */
  attachDatagram(transport: DatagramTransport): void {
    this.#udp = transport;
    transport.onDatagram((bytes, from) => this.#datagram(bytes, from));
  }

  /** Receives on every connection `listener` accepts, and answers over it. */
  attachStreams(listener: StreamListener): void {
    listener.onConnection((connection) => this.#connection(connection));
  }

  /**
   * Receives on every WebSocket connection `listener` accepts (RFC 7118: one SIP message per
   * WebSocket message, Via transport WS or WSS), and answers over it as text.
   */
  attachWebSockets(listener: MessageListener): void {
    listener.onConnection((connection) => this.#messageConnection(connection));
  }

  /**
   * Serializes `message` and sends it: over the flow named in `to` while it is open, else over
   * UDP. Returns false (counted) when it could not be handed to a transport.
   */
  send(message: SipMessage, to: SipAddress): boolean {
    let bytes: Uint8Array;
    try {
      bytes = serializeSipMessage(message);
    } catch (error) {
      this.#drop("send_failed", error);
      return false;
    }
    return this.sendBytes(bytes, to);
  }

  /** Sends an already serialized message, as send() does. */
  sendBytes(bytes: Uint8Array, to: SipAddress): boolean {
    if (to.flow !== undefined && this.#messageFlows.has(to.flow)) {
      // RFC 7118 section 4.2: SIP over WebSocket in text frames (SIP is UTF-8 text)
      if (!this.#messageFlows.get(to.flow)!.send(bytes, { text: true })) {
        this.#drop("no_flow", new Error(`flow ${to.flow} is closing or backlogged`));
        return false;
      }
    } else if (to.flow !== undefined) {
      const connection = this.#flows.get(to.flow);
      if (connection === undefined || !connection.write(bytes)) {
        this.#drop("no_flow", new Error(`flow ${to.flow} is closed or backlogged`));
        return false;
      }
    } else if (to.transport === "UDP" && this.#udp !== undefined) {
      this.#udp.send(bytes, { host: to.host, port: to.port });
    } else {
      this.#drop("send_failed", new Error(`no ${to.transport} transport to ${to.host}:${to.port}`));
      return false;
    }
    this.#sent.inc();
    return true;
  }

  #datagram(bytes: Uint8Array, from: DatagramAddress): void {
    // RFC 5626 section 4.4.1 style keep-alives (and STUN-less NAT pings) are bare CRLFs: ignored
    if (isCrlfKeepAlive(bytes) || (bytes.length <= 4 && bytes.every((b) => b === 13 || b === 10))) {
      return;
    }
    if (bytes.length > this.#maxDatagram) {
      this.#drop("too_large", new Error(`${bytes.length} bytes from ${from.host}:${from.port}`));
      return;
    }
    const source: SipAddress = {
      transport: "UDP",
      host: from.host,
      port: from.port,
      reliable: false,
    };
    this.#parsed(bytes, source);
  }

  #connection(connection: StreamConnection): void {
    const flow = `${connection.protocol}:${this.#nextFlow++}`;
    this.#flows.set(flow, connection);
    const source: SipAddress = {
      transport: STREAM_TRANSPORT[connection.protocol],
      host: connection.remote.host,
      port: connection.remote.port,
      reliable: true,
      flow,
    };
    const framer = new SipStreamFramer({ maxMessageBytes: this.#maxStream });
    connection.onData((chunk) => {
      try {
        framer.feed(
          chunk,
          (frame) => this.#parsed(frame, source),
          // RFC 5626 section 4.4.1: a CRLFCRLF ping is answered with one CRLF pong
          () => connection.write(CRLF),
        );
      } catch (error) {
        if (!(error instanceof SipParseError)) throw error;
        // a stream that cannot be framed cannot be resynchronised: end it
        this.#drop("malformed", error);
        connection.close();
      }
    });
    connection.onClose(() => this.#flows.delete(flow));
  }

  #messageConnection(connection: MessageConnection): void {
    const flow = `${connection.protocol}:${connection.id}`;
    this.#messageFlows.set(flow, connection);
    const source: SipAddress = {
      transport: connection.protocol.toUpperCase(),
      host: connection.remote.host,
      port: connection.remote.port,
      reliable: true,
      flow,
    };
    connection.onMessage((message) => {
      if (message.length > this.#maxStream) {
        this.#drop("too_large", new Error(`${message.length} bytes on ${flow}`));
        return;
      }
      // a CRLF keep-alive (RFC 5626) inside a WebSocket message carries nothing: ignored
      if (message.every((b) => b === 13 || b === 10)) return;
      this.#parsed(message, source);
    });
    connection.onClose(() => this.#messageFlows.delete(flow));
  }

  #parsed(bytes: Uint8Array, source: SipAddress): void {
    let message: SipMessage;
    try {
      message = parseSipMessage(bytes);
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      this.#malformed(error, source);
      return;
    }
    this.#received.inc();
    try {
      if (message.isRequest) {
        stampReceived(message, source);
        this.#sink?.request(message, source);
      } else {
        this.#sink?.response(message, source);
      }
    } catch (error) {
      // a fault above must not take the transport (and everyone else's messages) down with it
      this.#drop("handler_error", error);
    }
  }

  /** RFC 3261 section 8.2.2 / 16.3: a request whose headers parse gets its status; others drop. */
  #malformed(error: SipParseError, source: SipAddress): void {
    const parsed = error.parsed;
    if (parsed === undefined || !parsed.isRequest) {
      this.#drop(parsed === undefined ? "malformed" : "malformed_response", error);
      return;
    }
    this.#drop("malformed", error);
    if (parsed.method === "ACK") return; // never answered (section 17.2.1)
    try {
      const response = createResponse(parsed, error.status, reasonOf(error), {
        toTag: "bad" + (this.#nextFlow++).toString(36),
      });
      const via = parsed.topVia();
      const to = source.reliable ? source : {
        ...source,
        port: typeof via.rport === "number" ? via.rport : source.port,
      };
      this.send(response, to);
    } catch {
      // the Via or other copied headers do not parse: nothing to answer to
    }
  }

  #drop(reason: SipDropReason, error: unknown): void {
    this.#dropped.get(reason)?.inc();
    this.#dropCounts.set(reason, (this.#dropCounts.get(reason) ?? 0) + 1);
    const now = this.#c.clock.monotonic();
    const last = this.#lastLog.get(reason);
    if (last !== undefined && now - last < LOG_INTERVAL_MS) return;
    this.#lastLog.set(reason, now);
    const count = this.#dropCounts.get(reason) ?? 1;
    this.#dropCounts.set(reason, 0);
    this.#c.logger.warn("Dropped SIP input or output", {
      reason,
      count,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

const CRLF = new Uint8Array([13, 10]);

function reasonOf(error: SipParseError): string {
  switch (error.status) {
    case 505:
      return "Version Not Supported";
    case 416:
      return "Unsupported URI Scheme";
    case 513:
      return "Message Too Large";
    default:
      return "Bad Request";
  }
}
