import { readFileSync } from "node:fs";
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type {
  StreamCloseReason,
  StreamConnection,
  StreamListener,
} from "../../src/core/stream_transport.ts";
import { openTcpListener, type TcpListenerInit } from "../../src/transport/tcp_listener.ts";
import { TransportError } from "../../src/transport/transport_error.ts";

const TLS_DIR = new URL("../fixtures/tls/", import.meta.url);
const TLS = {
  certPem: readFileSync(new URL("test-only-cert.pem", TLS_DIR), "utf8"),
  keyPem: readFileSync(new URL("test-only-key.pem", TLS_DIR), "utf8"),
};

async function until(done: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function open(
  extra: Partial<TcpListenerInit> = {},
  metrics = new MetricsRegistry(),
): Promise<StreamListener> {
  return await openTcpListener({ host: "127.0.0.1", port: 0, ...extra }, {
    logger: silentLogger(),
    metrics,
  });
}

/** A client socket that keeps what it receives. */
function client(listener: StreamListener): Promise<Socket & { got: number[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host: "127.0.0.1", port: listener.local.port }) as Socket & {
      got: number[];
      ended: boolean;
    };
    socket.got = [];
    socket.ended = false;
    socket.on("data", (chunk: Uint8Array) => socket.got.push(...chunk));
    socket.on("close", () => socket.ended = true);
    socket.on("error", () => {});
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

function metric(metrics: MetricsRegistry, name: string, labels?: Record<string, string>): number {
  return metrics.value(name, labels) ?? 0;
}

test("openTcpListener() echoes bytes and reports both addresses", async () => {
  const listener = await open();
  const accepted: StreamConnection[] = [];
  listener.onConnection((c) => {
    accepted.push(c);
    c.onData((chunk) => c.write(chunk));
  });
  const socket = await client(listener);
  socket.write(new Uint8Array([1, 2, 3, 4]));
  await until(() => socket.got.length === 4, "the echo");
  assert.equal(socket.got, [1, 2, 3, 4]);
  assert.is(accepted[0]!.remote.port, socket.localPort);
  assert.is(accepted[0]!.local.port, listener.local.port);
  assert.is(accepted[0]!.protocol, "tcp");
  socket.destroy();
  await listener.close();
});

test("StreamConnection.write() copies: a buffer reused right after the call does not change what is sent", async () => {
  const listener = await open();
  const buffer = new Uint8Array(64 * 1024).fill(7);
  listener.onConnection((c) => {
    c.onData(() => {
      // More than a loopback socket takes in one go, then the buffer is overwritten at once.
      for (let i = 0; i < 64; i++) c.write(buffer);
      buffer.fill(9);
    });
  });
  const socket = await client(listener);
  socket.write(new Uint8Array([0]));
  // Unread backlog beyond the default cap is refused, so count what was accepted instead.
  await until(() => socket.got.length > 0 && socket.got.length % buffer.length === 0, "data");
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(socket.got.every((b) => b === 7), "every byte received is the original 7");
  socket.destroy();
  await listener.close();
});

test("StreamConnection.write() refuses past the backlog cap and counts it", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({ maxBacklogBytes: 10 }, metrics);
  const results: boolean[] = [];
  listener.onConnection((c) => {
    results.push(c.write(new Uint8Array(10)));
    results.push(c.write(new Uint8Array(11)));
  });
  const socket = await client(listener);
  await until(() => results.length === 2, "the writes");
  assert.equal(results, [true, false]);
  assert.is(metric(metrics, "superpeer_transport_stream_write_refused_total"), 1);
  socket.destroy();
  await listener.close();
});

test("openTcpListener() closes connections past the per-address and total caps, counted by reason", async () => {
  const metrics = new MetricsRegistry();
  const listener = await open({ maxConnectionsPerIp: 2, maxConnections: 3 }, metrics);
  let accepted = 0;
  listener.onConnection(() => accepted++);
  const a = await client(listener);
  const b = await client(listener);
  const c = await client(listener);
  await until(() => c.ended, "the third connection from one address to be closed");
  assert.is(accepted, 2);
  assert.is(
    metric(metrics, "superpeer_transport_stream_refused_total", { reason: "max_per_ip" }),
    1,
  );
  assert.is(metric(metrics, "superpeer_transport_stream_connections"), 2);
  // The slot is given back when a connection ends.
  a.destroy();
  await until(() => metric(metrics, "superpeer_transport_stream_connections") === 1, "the close");
  const d = await client(listener);
  await until(() => accepted === 3, "a fourth connection accepted");
  b.destroy();
  d.destroy();
  await listener.close();
});

test("StreamConnection.onClose() says who ended it: remote, local, listener", async () => {
  const listener = await open();
  const reasons: StreamCloseReason[] = [];
  const connections: StreamConnection[] = [];
  listener.onConnection((c) => {
    connections.push(c);
    c.onClose((reason) => reasons.push(reason));
  });
  const a = await client(listener);
  const b = await client(listener);
  const c = await client(listener);
  await until(() => connections.length === 3, "three connections");
  a.destroy();
  await until(() => reasons.length === 1, "the remote close");
  connections.find((x) => x.remote.port === b.localPort)!.close();
  await until(() => reasons.length === 2 && b.ended, "the local close");
  await listener.close();
  await until(() => reasons.length === 3 && c.ended, "the listener close");
  assert.equal(reasons, ["remote", "local", "listener"]);
});

test("openTcpListener() survives a data handler that throws: only that connection ends", async () => {
  const listener = await open();
  listener.onConnection((c) =>
    c.onData((chunk) => {
      if (chunk[0] === 0xff) throw new Error("bad client");
      c.write(chunk);
    })
  );
  const bad = await client(listener);
  const good = await client(listener);
  bad.write(new Uint8Array([0xff]));
  await until(() => bad.ended, "the bad client to be closed");
  good.write(new Uint8Array([1]));
  await until(() => good.got.length === 1, "the good client's echo");
  good.destroy();
  await listener.close();
});

test("openTcpListener() speaks TLS when given a certificate and key", async () => {
  const listener = await open({ tls: TLS });
  assert.is(listener.protocol, "tls");
  listener.onConnection((c) => c.onData((chunk) => c.write(chunk)));
  const got: number[] = [];
  const socket = connectTls({
    host: "127.0.0.1",
    port: listener.local.port,
    ca: TLS.certPem,
  });
  socket.on("data", (chunk: Uint8Array) => got.push(...chunk));
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", () => resolve());
    socket.once("error", reject);
  });
  socket.write(new Uint8Array([5, 6]));
  await until(() => got.length === 2, "the TLS echo");
  assert.equal(got, [5, 6]);
  socket.destroy();
  await listener.close();
});

test("openTcpListener() rejects a taken port with TransportError EADDRINUSE, and bad options", async () => {
  const first = await open();
  try {
    await open({ port: first.local.port });
    assert.unreachable("a second listener on the same port");
  } catch (error) {
    assert.instance(error, TransportError);
    assert.is((error as TransportError).osCode, "EADDRINUSE");
  }
  await first.close();
  for (const bad of [{ host: "localhost" }, { port: 70000 }, { maxConnections: 0 }]) {
    try {
      await open(bad);
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (error) {
      assert.ok(error instanceof TypeError || error instanceof RangeError, String(error));
    }
  }
});

test.run();
