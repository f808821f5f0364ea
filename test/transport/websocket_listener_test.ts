// The WebSocket listener on loopback with real clients: Deno's WebSocket (as a browser softphone
// uses it) and raw node:net / node:tls clients for what browsers never send.
import { readFileSync } from "node:fs";
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  encodeWebSocketClose,
  encodeWebSocketFrame,
  WebSocketFrameParser,
  WebSocketOpcode,
} from "../../src/codec/websocket/mod.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import { TransportError } from "../../src/transport/transport_error.ts";
import {
  openWebSocketListener,
  type WebSocketCloseReason,
  type WebSocketConnection,
  type WebSocketListener,
  type WebSocketListenerInit,
} from "../../src/transport/websocket_listener.ts";

const TLS_DIR = new URL("../fixtures/tls/", import.meta.url);
const TLS = {
  certPem: readFileSync(new URL("test-only-cert.pem", TLS_DIR), "utf8"),
  keyPem: readFileSync(new URL("test-only-key.pem", TLS_DIR), "utf8"),
};
const MASK = new Uint8Array([1, 2, 3, 4]);
const text = new TextEncoder();

async function until(done: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function open(
  extra: Partial<WebSocketListenerInit> = {},
  metrics = new MetricsRegistry(),
): Promise<WebSocketListener> {
  return await openWebSocketListener({ host: "127.0.0.1", port: 0, ...extra }, {
    logger: silentLogger(),
    metrics,
  });
}

function metric(metrics: MetricsRegistry, name: string, labels?: Record<string, string>): number {
  return metrics.value(`superpeer_transport_websocket_${name}`, labels) ?? 0;
}

/** Server-side record of one connection. */
interface Seen {
  connection: WebSocketConnection;
  messages: { data: string; kind: string }[];
  closed: { reason: WebSocketCloseReason; code: number } | undefined;
}

/** Records every connection; echoes each message back with the same kind unless told not to. */
function record(listener: WebSocketListener, echo = true): Seen[] {
  const seen: Seen[] = [];
  listener.onConnection((connection) => {
    const entry: Seen = { connection, messages: [], closed: undefined };
    seen.push(entry);
    connection.onMessage((message, kind) => {
      entry.messages.push({ data: new TextDecoder().decode(message), kind });
      if (echo) connection.send(kind === "text" ? new TextDecoder().decode(message) : message);
    });
    connection.onClose((reason, code) => entry.closed = { reason, code });
  });
  return seen;
}

/** A Deno (browser-like) WebSocket client that records what happens to it. */
interface Browser {
  ws: WebSocket;
  opened: boolean;
  received: (string | number[])[];
  closed: { code: number; reason: string } | undefined;
  /** An error event came: the only sign of a refused handshake on Node 20's WebSocket. */
  failed: boolean;
}

function browser(listener: WebSocketListener, protocols: string[] = ["sip"], path = "/"): Browser {
  const host = listener.local.host.includes(":") ? `[${listener.local.host}]` : listener.local.host;
  const ws = new WebSocket(`ws://${host}:${listener.local.port}${path}`, protocols);
  ws.binaryType = "arraybuffer";
  const client: Browser = { ws, opened: false, received: [], closed: undefined, failed: false };
  ws.onopen = () => client.opened = true;
  ws.onmessage = (event) => {
    client.received.push(
      typeof event.data === "string" ? event.data : [...new Uint8Array(event.data as ArrayBuffer)],
    );
  };
  ws.onerror = () => client.failed = true;
  ws.onclose = (event) => client.closed = { code: event.code, reason: event.reason };
  return client;
}

/** A raw client: writes whatever it is given, parses server frames (unmasked) once upgraded. */
interface Raw {
  socket: Socket;
  head: string;
  frames: { opcode: string; data: number[]; code?: number | undefined }[];
  ended: boolean;
  send(frame: Uint8Array): void;
}

function raw(
  listener: WebSocketListener,
  request = upgradeRequest(), // "" sends nothing
  tls = false,
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const port = listener.local.port;
    const socket = tls
      ? connectTls({ host: "127.0.0.1", port, ca: TLS.certPem })
      : connectTcp({ host: "127.0.0.1", port });
    const parser = new WebSocketFrameParser({ masked: false });
    const client: Raw = {
      socket,
      head: "",
      frames: [],
      ended: false,
      send: (frame) => socket.write(frame),
    };
    let pending = new Uint8Array(0);
    socket.on("data", (chunk: Uint8Array) => {
      if (!client.head.endsWith("\r\n\r\n")) {
        const all = new Uint8Array([...pending, ...chunk]);
        const text = new TextDecoder("latin1").decode(all);
        const end = text.indexOf("\r\n\r\n");
        if (end < 0) {
          pending = all;
          return;
        }
        client.head = text.slice(0, end + 4);
        chunk = all.subarray(end + 4);
      }
      parser.feed(chunk, {
        message: (data, kind) => client.frames.push({ opcode: kind, data: [...data] }),
        ping: (data) => client.frames.push({ opcode: "ping", data: [...data] }),
        pong: (data) => client.frames.push({ opcode: "pong", data: [...data] }),
        close: (code) => client.frames.push({ opcode: "close", data: [], code }),
      });
    });
    socket.on("close", () => client.ended = true);
    socket.on("error", () => {});
    socket.once(tls ? "secureConnect" : "connect", () => {
      if (request !== "") socket.write(request);
      resolve(client);
    });
    socket.once("error", reject);
  });
}

function upgradeRequest(headers: Record<string, string | undefined> = {}, path = "/"): string {
  const all: Record<string, string | undefined> = {
    Host: "127.0.0.1",
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Protocol": "sip",
    ...headers,
  };
  const lines = Object.entries(all).filter(([, v]) => v !== undefined).map(([k, v]) =>
    `${k}: ${v}\r\n`
  );
  return `GET ${path} HTTP/1.1\r\n${lines.join("")}\r\n`;
}

const masked = (opcode: WebSocketOpcode, payload: Uint8Array | string, fin = true) =>
  encodeWebSocketFrame(opcode, payload, { maskKey: MASK, fin });

test("openWebSocketListener() exchanges text and binary messages with a browser client speaking sip", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({}, metrics);
  const seen = record(listener);
  const client = browser(listener, ["sip"], "/ws?x=1");
  await until(() => client.opened, "the client to open");
  assert.is(client.ws.protocol, "sip");
  client.ws.send("REGISTER sip:example.net SIP/2.0\r\n\r\n");
  client.ws.send(new Uint8Array([0, 1, 2, 255]));
  await until(() => client.received.length === 2, "both echoes");
  assert.equal(client.received, ["REGISTER sip:example.net SIP/2.0\r\n\r\n", [0, 1, 2, 255]]);
  const server = seen[0]!;
  assert.equal(server.messages.map((m) => m.kind), ["text", "binary"]);
  assert.is(server.connection.protocol, "ws");
  assert.is(server.connection.path, "/ws");
  assert.is(server.connection.remote.host, "127.0.0.1");
  assert.is(server.connection.local.port, listener.local.port);
  assert.is(listener.connection(server.connection.id), server.connection);
  assert.is(metric(metrics, "accepted_total"), 1);
  assert.is(metric(metrics, "connections"), 1);
  assert.is(metric(metrics, "messages_total", { direction: "in" }), 2);
  assert.is(metric(metrics, "messages_total", { direction: "out" }), 2);
  client.ws.close(1000, "bye");
  await until(() => server.closed !== undefined && client.closed !== undefined, "the close");
  assert.equal(server.closed, { reason: "remote", code: 1000 });
  assert.is(client.closed!.code, 1000);
  assert.is(metric(metrics, "connections"), 0);
  assert.is(metric(metrics, "closed_total", { reason: "remote" }), 1);
  assert.is(listener.connection(server.connection.id), undefined);
  await listener.close();
});

test("WebSocketConnection.send() sends bytes as text when asked, and refuses bytes that are not UTF-8 as text", async () => {
  const listener = await open();
  const results: boolean[] = [];
  listener.onConnection((c) => {
    results.push(c.send(text.encode("OPTIONS"), { text: true }));
    results.push(c.send(new Uint8Array([0xff]), { text: true }));
  });
  const client = browser(listener);
  await until(() => client.received.length === 1, "the message");
  assert.equal(client.received, ["OPTIONS"]);
  assert.equal(results, [true, false]);
  client.ws.close();
  await listener.close();
});

test("openWebSocketListener() refuses a client that does not offer sip (RFC 7118 section 4.1)", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({}, metrics);
  const seen = record(listener);
  const client = browser(listener, ["chat"]);
  await until(() => client.failed, "the refusal");
  assert.not.ok(client.opened);
  assert.is(seen.length, 0);
  const plain = browser(listener, []);
  await until(() => plain.failed, "the second refusal");
  assert.not.ok(plain.opened);
  const rawClient = await raw(listener, upgradeRequest({ "Sec-WebSocket-Protocol": undefined }));
  await until(() => rawClient.ended, "the raw refusal");
  assert.match(rawClient.head, /^HTTP\/1\.1 400 /);
  assert.is(metric(metrics, "refused_total", { reason: "subprotocol" }), 3);
  assert.is(metric(metrics, "accepted_total"), 0);
  await listener.close();
});

test("openWebSocketListener() answers HTTP refusals: 426 for a plain GET or version 8, 404 off the path, 403 for an origin not allowed", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({ path: "/sip", allowedOrigins: ["https://phone.example"] }, metrics);
  const cases: [string, RegExp, string][] = [
    ["GET /sip HTTP/1.1\r\nHost: x\r\n\r\n", /^HTTP\/1\.1 426 /, "not_websocket"],
    [
      upgradeRequest({ "Sec-WebSocket-Version": "8" }, "/sip"),
      /Sec-WebSocket-Version: 13/,
      "version",
    ],
    [upgradeRequest({}, "/other"), /^HTTP\/1\.1 404 /, "path"],
    [upgradeRequest({ Origin: "https://evil.example" }, "/sip"), /^HTTP\/1\.1 403 /, "origin"],
  ];
  for (const [request, expected, reason] of cases) {
    const client = await raw(listener, request);
    await until(() => client.head !== "" || client.ended, `the answer for ${reason}`);
    assert.match(client.head, expected, reason);
    client.socket.destroy();
    assert.is(metric(metrics, "refused_total", { reason }), 1, reason);
  }
  const ok = await raw(listener, upgradeRequest({ Origin: "https://phone.example" }, "/sip"));
  await until(() => ok.head !== "", "the upgrade");
  assert.match(ok.head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(ok.head, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
  assert.match(ok.head, /Sec-WebSocket-Protocol: sip\r\n/);
  ok.socket.destroy();
  await listener.close();
});

test("openWebSocketListener() closes sockets past the total and per-address caps, counted by reason", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({ maxConnections: 2 }, metrics);
  record(listener);
  const a = browser(listener);
  const b = browser(listener);
  await until(() => a.opened && b.opened, "two connections");
  const c = browser(listener);
  await until(() => c.failed, "the third to be refused");
  assert.not.ok(c.opened);
  assert.is(metric(metrics, "refused_total", { reason: "max_connections" }), 1);
  a.ws.close();
  await until(() => metric(metrics, "connections") === 1, "the first to close");
  const d = browser(listener);
  await until(() => d.opened, "a connection in the freed slot");
  b.ws.close();
  d.ws.close();
  await listener.close();

  const perIp = new MetricsRegistry();
  const second = await open({ maxConnections: 10, maxConnectionsPerIp: 1 }, perIp);
  record(second);
  const e = browser(second);
  await until(() => e.opened, "one connection");
  const f = browser(second);
  await until(() => f.failed, "the second from the address to be refused");
  assert.not.ok(f.opened);
  assert.is(metric(perIp, "refused_total", { reason: "max_per_ip" }), 1);
  e.ws.close();
  await second.close();
});

test("openWebSocketListener() closes a connection with 1009 on a message over maxMessageBytes", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({ maxMessageBytes: 1000 }, metrics);
  const seen = record(listener);
  const client = browser(listener);
  await until(() => client.opened, "the client to open");
  client.ws.send("x".repeat(1000));
  await until(() => client.received.length === 1, "the largest message's echo");
  client.ws.send("x".repeat(1001));
  await until(() => client.closed !== undefined, "the close");
  assert.is(client.closed!.code, 1009);
  await until(() => seen[0]!.closed !== undefined, "the server side to end");
  assert.equal(seen[0]!.closed, { reason: "too_big", code: 1009 });
  assert.is(seen[0]!.messages.length, 1);
  assert.is(metric(metrics, "closed_total", { reason: "too_big" }), 1);
  await listener.close();
});

test("WebSocketListener.close() sends 1001 to every client, stops listening and resolves", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({}, metrics);
  const seen = record(listener);
  const clients = [browser(listener), browser(listener)];
  await until(() => clients.every((c) => c.opened), "both clients to open");
  const started = Date.now();
  await listener.close();
  assert.ok(Date.now() - started < 1500, "clients answered the close frame; no timeout needed");
  await until(() => clients.every((c) => c.closed !== undefined), "the clients to see the close");
  assert.equal(clients.map((c) => c.closed!.code), [1001, 1001]);
  assert.equal(seen.map((s) => s.closed), [
    { reason: "listener", code: 1001 },
    { reason: "listener", code: 1001 },
  ]);
  assert.is(metric(metrics, "closed_total", { reason: "listener" }), 2);
  const late = browser(listener);
  await until(() => late.failed, "a late client to fail");
  assert.not.ok(late.opened);
  await listener.close(); // idempotent
});

test("openWebSocketListener() fails a raw client's unmasked frame with 1002 and closes the socket", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({}, metrics);
  const seen = record(listener);
  const client = await raw(listener);
  await until(() => client.head !== "", "the upgrade");
  client.send(encodeWebSocketFrame(WebSocketOpcode.Text, "REGISTER")); // no mask
  await until(() => client.ended && seen[0]?.closed !== undefined, "both sides to close");
  assert.equal(client.frames, [{ opcode: "close", data: [], code: 1002 }]);
  assert.equal(seen[0]!.closed, { reason: "protocol", code: 1002 });
  assert.equal(seen[0]!.messages, []);
  assert.is(metric(metrics, "closed_total", { reason: "protocol" }), 1);
  await listener.close();
});

test("openWebSocketListener() fails text that is not UTF-8 with 1007", async () => {
  const listener = await open();
  const seen = record(listener);
  const client = await raw(listener);
  await until(() => client.head !== "", "the upgrade");
  client.send(masked(WebSocketOpcode.Text, new Uint8Array([0x53, 0xc0, 0xaf])));
  await until(() => client.ended && seen[0]?.closed !== undefined, "both sides to close");
  assert.equal(client.frames, [{ opcode: "close", data: [], code: 1007 }]);
  assert.equal(seen[0]!.closed, { reason: "protocol", code: 1007 });
  await listener.close();
});

test("openWebSocketListener() reassembles a fragmented message, answers a ping between fragments, reads bytes sent with the upgrade", async () => {
  const listener = await open();
  const seen = record(listener);
  // The first fragment travels in the same write as the upgrade request (node's `head`).
  const first = masked(WebSocketOpcode.Text, "INVITE sip:bob", false);
  const client = await raw(listener, "");
  client.socket.write(new Uint8Array([...text.encode(upgradeRequest()), ...first]));
  await until(() => client.head !== "", "the upgrade");
  client.send(masked(WebSocketOpcode.Ping, "are you there"));
  client.send(masked(WebSocketOpcode.Continuation, " SIP/2.0\r\n\r\n"));
  await until(() => client.frames.length === 2, "the pong and the echo");
  assert.equal(client.frames[0], { opcode: "pong", data: [...text.encode("are you there")] });
  assert.equal(seen[0]!.messages, [{ data: "INVITE sip:bob SIP/2.0\r\n\r\n", kind: "text" }]);
  client.socket.destroy();
  await listener.close();
});

test("openWebSocketListener() ends a connection whose client half-closes TCP without a close frame (1006)", async () => {
  const listener = await open({ closeTimeoutMs: 10_000 }); // not the close deadline: the FIN
  const seen = record(listener);
  const client = await raw(listener);
  await until(() => client.head !== "", "the upgrade");
  client.socket.end(); // FIN only: node:http's sockets would stay half-open
  await until(() => seen[0]?.closed !== undefined && client.ended, "both sides to close", 500);
  assert.equal(seen[0]!.closed, { reason: "remote", code: 1006 });
  await listener.close();
});

test("openWebSocketListener() pings a silent client: a browser answers and stays, a raw client that does not is dropped", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({ pingIntervalSeconds: 0.1 }, metrics);
  const seen = record(listener);
  const alive = browser(listener);
  const dead = await raw(listener);
  await until(() => alive.opened && dead.head !== "", "both to open");
  await until(() => dead.ended, "the silent client to be dropped");
  assert.ok(dead.frames.some((f) => f.opcode === "ping"), "the dropped client was pinged first");
  assert.ok(metric(metrics, "pings_total") >= 2);
  await sleep(300);
  assert.is(alive.closed, undefined, "the answering client is still open");
  assert.is(metric(metrics, "closed_total", { reason: "timeout" }), 1);
  const reasons = seen.map((s) => s.closed?.reason);
  assert.is(reasons.filter((r) => r === "timeout").length, 1);
  assert.is(reasons.filter((r) => r === undefined).length, 1);
  alive.ws.close();
  await listener.close();
});

test("openWebSocketListener() closes a connection without messages for idleSeconds with 1001", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({ idleSeconds: 0.2, pingIntervalSeconds: 0.05 }, metrics);
  const seen = record(listener);
  const client = browser(listener);
  await until(() => client.opened, "the client to open");
  const opened = Date.now();
  await until(() => client.closed !== undefined && seen[0]?.closed !== undefined, "the idle close");
  assert.ok(Date.now() - opened >= 150, "not before idleSeconds");
  assert.is(client.closed!.code, 1001);
  assert.equal(seen[0]!.closed, { reason: "idle", code: 1001 });
  await listener.close();
});

test("WebSocketConnection.close() sends its code; a client that does not answer is destroyed after the close timeout", async () => {
  const listener = await open({ closeTimeoutMs: 200 });
  const seen = record(listener, false);
  const client = browser(listener);
  await until(() => seen.length === 1 && client.opened, "the client to open");
  seen[0]!.connection.close(4000, "moved");
  assert.not.ok(seen[0]!.connection.send("late"), "no message after close()");
  await until(() => client.closed !== undefined && seen[0]?.closed !== undefined, "the close");
  assert.equal(client.closed, { code: 4000, reason: "moved" });
  assert.equal(seen[0]!.closed, { reason: "local", code: 4000 });

  const mute = await raw(listener);
  await until(() => seen.length === 2 && mute.head !== "", "the raw client");
  mute.socket.on("end", () => {}); // keep its side open: never answers nor ends
  seen[1]!.connection.close();
  await until(() => mute.frames.length === 1, "the close frame");
  assert.equal(mute.frames[0], { opcode: "close", data: [], code: 1000 });
  const closing = Date.now();
  await until(() => seen[1]!.closed !== undefined, "the server to end it");
  assert.ok(Date.now() - closing >= 150, "not before closeTimeoutMs");
  assert.equal(seen[1]!.closed, { reason: "local", code: 1000 });
  assert.ok(mute.ended, "the socket is gone");
  await listener.close();
});

test("WebSocketConnection.send() refuses past the backlog cap and counts it", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({ sendBacklogBytes: 12 }, metrics);
  const results: boolean[] = [];
  listener.onConnection((c) => {
    results.push(c.send(new Uint8Array(10))); // 12 bytes with its header
    results.push(c.send(new Uint8Array(10)));
  });
  const client = browser(listener);
  await until(() => results.length === 2, "the sends");
  assert.equal(results, [true, false]);
  assert.is(metric(metrics, "send_refused_total"), 1);
  client.ws.close();
  await listener.close();
});

test("openWebSocketListener() answers pings only within the send backlog", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({ sendBacklogBytes: 12 }, metrics);
  record(listener);
  const client = await raw(listener);
  await until(() => client.head !== "", "the upgrade");
  // Ten pings in one write: their pongs (7 bytes each) would be queued at once.
  const pings = Array.from({ length: 10 }, () => [...masked(WebSocketOpcode.Ping, "hello")]);
  client.send(new Uint8Array(pings.flat()));
  await until(() => metric(metrics, "send_refused_total") > 0, "pongs to be refused");
  await sleep(50);
  const pongs = client.frames.filter((f) => f.opcode === "pong").length;
  assert.ok(pongs >= 1 && pongs < 10, `${pongs} pongs`);
  assert.is(pongs + metric(metrics, "send_refused_total"), 10);
  client.socket.destroy();
  await listener.close();
});

test("openWebSocketListener() ends a message handler's throw with 1011 and keeps serving others", async () => {
  const listener = await open();
  const closed: [WebSocketCloseReason, number][] = [];
  listener.onConnection((c) => {
    c.onMessage((m) => {
      if (m[0] === 0x21) throw new Error("boom");
      c.send(m);
    });
    c.onClose((reason, code) => closed.push([reason, code]));
  });
  const bad = browser(listener);
  const good = browser(listener);
  await until(() => bad.opened && good.opened, "both to open");
  bad.ws.send("!");
  await until(() => bad.closed !== undefined, "the failed connection to close");
  assert.is(bad.closed!.code, 1011);
  good.ws.send("fine");
  await until(() => good.received.length === 1, "the other connection to keep working");
  await until(() => closed.length === 1, "the server side of the failed connection to end");
  assert.equal(closed, [["error", 1011]]);
  good.ws.close();
  await listener.close();
});

test("openWebSocketListener() destroys a socket that does not finish its handshake in time", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({ handshakeTimeoutMs: 100 }, metrics);
  const client = await raw(listener, "GET / HTTP/1.1\r\nHost: x\r\n"); // never ends its head
  await until(() => client.ended, "the socket to be closed");
  assert.ok(
    metric(metrics, "refused_total", { reason: "handshake_timeout" }) +
        metric(metrics, "refused_total", { reason: "bad_request" }) === 1,
  );
  await listener.close();
});

test("openWebSocketListener() with tls speaks wss: upgrade and messages over TLS with the fixture certificate", async () => {
  const listener = await open({ tls: TLS });
  assert.is(listener.protocol, "wss");
  const seen = record(listener);
  const client = await raw(listener, upgradeRequest(), true);
  await until(() => client.head !== "", "the upgrade");
  assert.match(client.head, /^HTTP\/1\.1 101 /);
  client.send(masked(WebSocketOpcode.Text, "REGISTER over TLS"));
  await until(() => client.frames.length === 1, "the echo");
  assert.equal(client.frames[0], { opcode: "text", data: [...text.encode("REGISTER over TLS")] });
  assert.is(seen[0]!.connection.protocol, "wss");
  client.send(encodeWebSocketClose(1000, "", { maskKey: MASK }));
  await until(() => client.ended && seen[0]?.closed !== undefined, "the close");
  assert.equal(seen[0]!.closed, { reason: "remote", code: 1000 });
  await listener.close();
});

test("openWebSocketListener() on ::1 serves an IPv6 client", async () => {
  let listener: WebSocketListener;
  try {
    listener = await open({ host: "::1" });
  } catch (error) {
    if (error instanceof TransportError && error.osCode === "EADDRNOTAVAIL") {
      // deno-lint-ignore no-console -- a skipped test must say so
      console.log("  skipped: cannot bind ::1 on this machine (EADDRNOTAVAIL)");
      return;
    }
    throw error;
  }
  const seen = record(listener);
  const client = browser(listener);
  await until(() => client.opened, "the client to open");
  client.ws.send("OPTIONS");
  await until(() => client.received.length === 1, "the echo");
  assert.is(seen[0]!.connection.remote.host, "::1");
  client.ws.close();
  await listener.close();
});

test("openWebSocketListener() refuses a host name, bad numbers, and a port in use", async () => {
  const logger = silentLogger();
  const metrics = new MetricsRegistry();
  const opens: [Partial<WebSocketListenerInit>, (e: unknown) => boolean][] = [
    [{ host: "localhost" }, (e) => e instanceof TypeError],
    [{ path: "sip" }, (e) => e instanceof TypeError],
    [{ maxConnections: 0 }, (e) => e instanceof RangeError],
    [{ pingIntervalSeconds: -1 }, (e) => e instanceof RangeError],
    [{ maxMessageBytes: 2 ** 30 }, (e) => e instanceof RangeError],
  ];
  for (const [init, check] of opens) {
    try {
      const l = await openWebSocketListener({ host: "127.0.0.1", port: 0, ...init }, {
        logger,
        metrics,
      });
      await l.close();
      assert.unreachable(`accepted ${JSON.stringify(init)}`);
    } catch (error) {
      assert.ok(check(error), `${JSON.stringify(init)}: ${error}`);
    }
  }
  const first = await open();
  try {
    await open({ port: first.local.port });
    assert.unreachable("bound a port in use");
  } catch (error) {
    assert.instance(error, TransportError);
    assert.is((error as TransportError).osCode, "EADDRINUSE");
  }
  await first.close();
});

test.run();
