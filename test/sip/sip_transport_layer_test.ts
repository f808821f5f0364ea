import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseSipMessage, type SipMessage } from "../../src/codec/sip/mod.ts";
import { ManualClock } from "../../src/core/clock.ts";
import type { LogFields, Logger } from "../../src/core/logger.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type { MessageConnection } from "../../src/core/message_transport.ts";
import type {
  StreamCloseReason,
  StreamConnection,
  StreamListener,
} from "../../src/core/stream_transport.ts";
import type {
  DatagramAddress,
  DatagramHandler,
  DatagramTransport,
} from "../../src/core/transport.ts";
import { SipTransportLayer } from "../../src/sip/sip_transport_layer.ts";
import type { SipAddress } from "../../src/sip/via_handling.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PHONE = { host: "198.51.100.7", port: 40123 };

class FakeUdp implements DatagramTransport {
  readonly local = { host: "192.0.2.1", port: 5060 };
  readonly sent: Array<{ text: string; to: DatagramAddress }> = [];
  #handler: DatagramHandler | undefined;
  send(bytes: Uint8Array, to: DatagramAddress): void {
    this.sent.push({ text: decoder.decode(bytes), to });
  }
  onDatagram(handler: DatagramHandler): void {
    this.#handler = handler;
  }
  deliver(text: string | Uint8Array, from: DatagramAddress = PHONE): void {
    this.#handler!(typeof text === "string" ? encoder.encode(text) : text, from);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class FakeConnection implements StreamConnection {
  readonly remote = { host: "198.51.100.8", port: 50000 };
  readonly local = { host: "192.0.2.1", port: 5060 };
  readonly protocol = "tcp" as const;
  readonly written: string[] = [];
  closed = false;
  #data: ((chunk: Uint8Array) => void) | undefined;
  #close: ((reason: StreamCloseReason) => void) | undefined;
  write(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    this.written.push(decoder.decode(bytes));
    return true;
  }
  onData(handler: (chunk: Uint8Array) => void): void {
    this.#data = handler;
  }
  onClose(handler: (reason: StreamCloseReason) => void): void {
    this.#close = handler;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#close?.("local");
  }
  feed(text: string): void {
    this.#data!(encoder.encode(text));
  }
}

class FakeListener implements StreamListener {
  readonly local = { host: "192.0.2.1", port: 5060 };
  readonly protocol = "tcp" as const;
  #handler: ((connection: StreamConnection) => void) | undefined;
  onConnection(handler: (connection: StreamConnection) => void): void {
    this.#handler = handler;
  }
  accept(connection: FakeConnection): void {
    this.#handler!(connection);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function options(branch = "z9hG4bK1", via = "SIP/2.0/UDP 10.0.0.5:5060;rport"): string {
  return [
    "OPTIONS sip:mesh.example SIP/2.0",
    `Via: ${via};branch=${branch}`,
    "Max-Forwards: 70",
    "To: <sip:mesh.example>",
    "From: <sip:alice@mesh.example>;tag=1",
    "Call-ID: c1@10.0.0.5",
    "CSeq: 1 OPTIONS",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
}

function setup(logger: Logger = silentLogger()) {
  const metrics = new MetricsRegistry();
  const clock = new ManualClock();
  const layer = new SipTransportLayer({}, { logger, metrics, clock });
  const requests: Array<{ message: SipMessage; source: SipAddress }> = [];
  const responses: Array<{ message: SipMessage; source: SipAddress }> = [];
  layer.onMessage({
    request: (message, source) => requests.push({ message, source }),
    response: (message, source) => responses.push({ message, source }),
  });
  const udp = new FakeUdp();
  layer.attachDatagram(udp);
  const listener = new FakeListener();
  layer.attachStreams(listener);
  return { metrics, clock, layer, requests, responses, udp, listener };
}

const dropped = (metrics: MetricsRegistry, reason: string) =>
  metrics.value("superpeer_sip_dropped_total", { reason }) ?? 0;

test("SipTransportLayer passes a UDP request up with its Via stamped, and sends over UDP", () => {
  const { layer, requests, udp, metrics } = setup();
  udp.deliver(options());
  assert.is(requests.length, 1);
  const { message, source } = requests[0]!;
  assert.equal(source, { transport: "UDP", ...PHONE, reliable: false });
  assert.is(message.topVia().received, PHONE.host);
  assert.is(message.topVia().rport, PHONE.port);
  const response = parseSipMessage(encoder.encode(
    options().replace(
      "OPTIONS sip:mesh.example SIP/2.0",
      "SIP/2.0 200 OK",
    ),
  ));
  assert.ok(layer.send(response, source));
  assert.equal(udp.sent.map((s) => s.to), [PHONE]);
  assert.ok(udp.sent[0]!.text.startsWith("SIP/2.0 200 OK\r\n"));
  assert.is(metrics.value("superpeer_sip_messages_received_total"), 1);
  assert.is(metrics.value("superpeer_sip_messages_sent_total"), 1);
});

test("SipTransportLayer answers 400 to a request with a bad header, drops garbage, ignores CRLF pings", () => {
  const warnings: LogFields[] = [];
  const logger = { ...silentLogger(), warn: (_: string, f?: LogFields) => void warnings.push(f!) };
  const { requests, udp, metrics } = setup(logger);
  udp.deliver(options().replace("Max-Forwards: 70", "Max-Forwards: seventy"));
  assert.is(requests.length, 0);
  assert.is(udp.sent.length, 1);
  assert.ok(udp.sent[0]!.text.startsWith("SIP/2.0 400 Bad Request\r\n"), udp.sent[0]!.text);
  assert.equal(udp.sent[0]!.to, PHONE, "to the source port (rport)");
  assert.match(udp.sent[0]!.text, /\r\nTo: <sip:mesh\.example>;tag=/);
  udp.deliver(new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
  udp.deliver("\r\n\r\n");
  udp.deliver("\r\n");
  assert.is(udp.sent.length, 1, "garbage and pings get no answer");
  assert.is(dropped(metrics, "malformed"), 2);
  assert.is(warnings.length, 1, "logged once a minute per reason");
  // a bad ACK is never answered (RFC 3261 17.2.1)
  udp.deliver(
    options().replace(/OPTIONS/g, "ACK").replace("Max-Forwards: 70", "Max-Forwards: x"),
  );
  assert.is(udp.sent.length, 1);
  // and a good request still goes through
  udp.deliver(options("z9hG4bK9"));
  assert.is(requests.length, 1);
});

test("SipTransportLayer frames a TCP stream, answers CRLFCRLF pings and replies over the flow", () => {
  const { layer, requests, listener, udp } = setup();
  const connection = new FakeConnection();
  listener.accept(connection);
  connection.feed(options("z9hG4bKa") + options("z9hG4bKb").slice(0, 40));
  assert.is(requests.length, 1);
  connection.feed(options("z9hG4bKb").slice(40) + "\r\n\r\n");
  assert.is(requests.length, 2);
  assert.equal(connection.written, ["\r\n"], "one CRLF pong (RFC 5626 4.4.1)");
  const source = requests[1]!.source;
  assert.is(source.transport, "TCP");
  assert.is(source.reliable, true);
  assert.is(requests[1]!.message.topVia().branch, "z9hG4bKb");
  const response = parseSipMessage(encoder.encode(
    options().replace("OPTIONS sip:mesh.example SIP/2.0", "SIP/2.0 200 OK"),
  ));
  assert.ok(layer.send(response, source));
  assert.is(connection.written.length, 2);
  assert.is(udp.sent.length, 0);
  assert.is(layer.flowCount, 1);
  connection.close();
  assert.is(layer.flowCount, 0);
  assert.is(layer.send(response, source), false, "the flow is gone");
});

test("SipTransportLayer closes a stream that cannot be framed, and survives a throwing handler", () => {
  const { layer, listener, metrics, udp } = setup();
  const connection = new FakeConnection();
  listener.accept(connection);
  connection.feed(options().replace("Content-Length: 0", "Content-Length: x"));
  assert.ok(connection.closed);
  assert.is(dropped(metrics, "malformed"), 1);
  let calls = 0;
  layer.onMessage({
    request: () => {
      calls++;
      throw new Error("bug above");
    },
    response: () => {},
  });
  udp.deliver(options("z9hG4bKx"));
  udp.deliver(options("z9hG4bKy"));
  assert.is(calls, 2);
  assert.is(dropped(metrics, "handler_error"), 2);
});

class FakeWebSocket implements MessageConnection {
  readonly id = 7;
  readonly remote = { host: "198.51.100.9", port: 50100 };
  readonly local = { host: "192.0.2.1", port: 5066 };
  readonly protocol = "ws" as const;
  readonly sent: Array<{ text: string; asText: boolean }> = [];
  #message: ((message: Uint8Array, kind: "text" | "binary") => void) | undefined;
  #close: ((reason: string, code: number) => void) | undefined;
  send(message: Uint8Array | string, options?: { readonly text?: boolean }): boolean {
    const text = typeof message === "string" ? message : decoder.decode(message);
    this.sent.push({ text, asText: options?.text === true || typeof message === "string" });
    return true;
  }
  onMessage(handler: (message: Uint8Array, kind: "text" | "binary") => void): void {
    this.#message = handler;
  }
  onClose(handler: (reason: string, code: number) => void): void {
    this.#close = handler;
  }
  close(): void {
    this.#close?.("local", 1000);
  }
  deliver(text: string): void {
    this.#message!(encoder.encode(text), "text");
  }
}

test("SipTransportLayer takes one SIP message per WebSocket message and answers in text (RFC 7118)", () => {
  const { layer, requests } = setup();
  const ws = new FakeWebSocket();
  let accept: ((c: MessageConnection) => void) | undefined;
  layer.attachWebSockets({
    local: ws.local,
    protocol: "ws",
    onConnection: (handler) => void (accept = handler),
    close: () => Promise.resolve(),
  });
  accept!(ws);
  ws.deliver(options("z9hG4bKws", "SIP/2.0/WS df7jal23ls0d.invalid"));
  ws.deliver("\r\n\r\n");
  assert.is(requests.length, 1);
  const source = requests[0]!.source;
  assert.equal(
    { transport: source.transport, reliable: source.reliable, flow: source.flow },
    { transport: "WS", reliable: true, flow: "ws:7" },
  );
  assert.is(requests[0]!.message.topVia().received, "198.51.100.9");
  const response = parseSipMessage(encoder.encode(
    options().replace("OPTIONS sip:mesh.example SIP/2.0", "SIP/2.0 200 OK"),
  ));
  assert.ok(layer.send(response, source));
  assert.is(ws.sent.length, 1);
  assert.ok(ws.sent[0]!.asText, "sent as a text frame");
  assert.ok(ws.sent[0]!.text.startsWith("SIP/2.0 200 OK"));
  assert.is(layer.flowCount, 1);
  ws.close();
  assert.is(layer.flowCount, 0);
  assert.is(layer.send(response, source), false);
});

test.run();
