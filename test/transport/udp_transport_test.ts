import { test } from "uvu";
import * as assert from "uvu/assert";
import type { LogFields, Logger, LogLevel } from "../../src/core/logger.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type { DatagramAddress, DatagramTransport } from "../../src/core/transport.ts";
import { TransportError } from "../../src/transport/transport_error.ts";
import { openUdpTransport } from "../../src/transport/udp_transport.ts";

const SEND_ERRORS = "superpeer_transport_send_errors_total";

interface Received {
  readonly bytes: Uint8Array;
  readonly from: DatagramAddress;
}

function components(metrics = new MetricsRegistry(), logger: Logger = silentLogger()) {
  return { logger, metrics };
}

/** Collects what a transport receives (copies: the handler's bytes are only lent). */
function collect(transport: DatagramTransport): Received[] {
  const got: Received[] = [];
  transport.onDatagram((bytes, from) => got.push({ bytes: new Uint8Array(bytes), from }));
  return got;
}

/** Waits (real time) until `done()` holds; fails after `ms`. */
async function until(done: () => boolean, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A logger that keeps every line, for tests that look at what was logged. */
function recordingLogger(): Logger & {
  lines: { level: LogLevel; message: string; fields?: LogFields }[];
} {
  const lines: { level: LogLevel; message: string; fields?: LogFields }[] = [];
  const at = (level: LogLevel) => (message: string, fields?: LogFields) =>
    void lines.push(fields === undefined ? { level, message } : { level, message, fields });
  return {
    name: "test",
    lines,
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    enabled: () => true,
  };
}

/** Opens `host`, or returns undefined when this machine lacks the address (EADDRNOTAVAIL). */
async function openIfAvailable(host: string, metrics?: MetricsRegistry) {
  try {
    return await openUdpTransport({ host, port: 0 }, components(metrics));
  } catch (error) {
    if (error instanceof TransportError && error.osCode === "EADDRNOTAVAIL") {
      // deno-lint-ignore no-console -- a skipped test must say so
      console.log(`  skipped: cannot bind ${host} on this machine (EADDRNOTAVAIL)`);
      return undefined;
    }
    throw error;
  }
}

test("openUdpTransport() on 127.0.0.1 exchanges datagrams both ways with the sender's address", async () => {
  const metrics = new MetricsRegistry();
  const a = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components(metrics));
  const b = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components(metrics));
  try {
    const atA = collect(a);
    const atB = collect(b);
    a.send(new Uint8Array([1, 2, 3]), b.local);
    await until(() => atB.length === 1, "a -> b");
    assert.equal(atB[0]!.bytes, new Uint8Array([1, 2, 3]));
    assert.equal(atB[0]!.from, a.local);
    b.send(new Uint8Array([4]), atB[0]!.from);
    await until(() => atA.length === 1, "b -> a");
    assert.equal(atA[0]!.bytes, new Uint8Array([4]));
    assert.equal(atA[0]!.from, b.local);
    assert.is(metrics.value("superpeer_transport_datagrams_total", { direction: "out" }), 2);
    assert.is(metrics.value("superpeer_transport_datagrams_total", { direction: "in" }), 2);
    assert.is(metrics.value("superpeer_transport_bytes_total", { direction: "out" }), 4);
    assert.is(metrics.value("superpeer_transport_bytes_total", { direction: "in" }), 4);
  } finally {
    await a.close();
    await b.close();
  }
});

test("openUdpTransport() with port 0 reports the real port, which is then in use", async () => {
  const a = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components());
  try {
    assert.is(a.local.host, "127.0.0.1");
    assert.ok(a.local.port > 0 && a.local.port <= 65535);
    try {
      await openUdpTransport({ host: "127.0.0.1", port: a.local.port }, components());
      assert.unreachable("bound a port that is in use");
    } catch (error) {
      assert.instance(error, TransportError);
      assert.is((error as TransportError).osCode, "EADDRINUSE");
      assert.is((error as TransportError).code, "TRANSPORT");
      assert.match((error as Error).message, `Cannot bind a UDP socket: 127.0.0.1:${a.local.port}`);
    }
  } finally {
    await a.close();
  }
});

test("openUdpTransport() rejects a host name and a bad port before touching the network", async () => {
  const failure = async (host: string, port: number) => {
    try {
      await openUdpTransport({ host, port }, components());
    } catch (error) {
      return error;
    }
    assert.unreachable(`opened ${host}:${port}`);
  };
  const byName = await failure("localhost", 0);
  assert.instance(byName, TypeError);
  assert.match((byName as Error).message, "not an IP literal: localhost");
  assert.instance(await failure("127.0.0.1", 70000), RangeError);
});

test("UdpTransport.send() after close is a counted no-op and close() is idempotent", async () => {
  const metrics = new MetricsRegistry();
  const a = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components(metrics));
  await a.close();
  await a.close();
  a.send(new Uint8Array([1]), { host: "127.0.0.1", port: 9 });
  a.send(new Uint8Array([1]), { host: "127.0.0.1", port: 9 });
  assert.is(metrics.value(SEND_ERRORS, { code: "ERR_SOCKET_DGRAM_NOT_RUNNING" }), 2);
  assert.is(metrics.value("superpeer_transport_datagrams_total", { direction: "out" }), 0);
});

test("UdpTransport.send() to a closed port does not throw", async () => {
  const gone = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components());
  const port = gone.local.port;
  await gone.close();
  const metrics = new MetricsRegistry();
  const a = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components(metrics));
  try {
    for (let i = 0; i < 3; i++) a.send(new Uint8Array([i]), { host: "127.0.0.1", port });
    await until(
      () => (metrics.value("superpeer_transport_datagrams_total", { direction: "out" }) ?? 0) >= 3,
      "the kernel to take the datagrams",
    );
    await sleep(20); // room for an ICMP port unreachable to come back as an error event
  } finally {
    await a.close();
  }
});

test("UdpTransport.send() counts family mismatches, host names and bad ports instead of throwing", async () => {
  const metrics = new MetricsRegistry();
  const logger = recordingLogger();
  const a = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components(metrics, logger));
  try {
    a.send(new Uint8Array([1]), { host: "::1", port: 9 });
    a.send(new Uint8Array([1]), { host: "2001:db8::1", port: 9 });
    a.send(new Uint8Array([1]), { host: "localhost", port: 9 }); // never a DNS lookup
    a.send(new Uint8Array([1]), { host: "127.0.0.1", port: 0 });
    a.send(new Uint8Array([1]), { host: "127.0.0.1", port: 65536 });
    assert.is(metrics.value(SEND_ERRORS, { code: "EAFNOSUPPORT" }), 2);
    assert.is(metrics.value(SEND_ERRORS, { code: "EINVAL" }), 3);
    const warnings = logger.lines.filter((l) => l.level === "warn");
    assert.is(warnings.length, 5);
    // One message for every cause, so the log sink folds a storm into one line per window.
    assert.equal(new Set(warnings.map((l) => l.message)).size, 1);
    assert.is(warnings[0]!.fields?.code, "EAFNOSUPPORT");
  } finally {
    await a.close();
  }
});

test("UdpTransport.send() counts EMSGSIZE for a datagram larger than UDP allows", async () => {
  const metrics = new MetricsRegistry();
  const a = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components(metrics));
  try {
    a.send(new Uint8Array(70_000), { host: "127.0.0.1", port: a.local.port });
    await until(() => metrics.value(SEND_ERRORS, { code: "EMSGSIZE" }) === 1, "EMSGSIZE");
  } finally {
    await a.close();
  }
});

test("UdpTransport delivers a 1200-byte datagram intact", async () => {
  const a = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components());
  const b = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components());
  try {
    const atB = collect(b);
    const big = new Uint8Array(1200).map((_, i) => (i * 7 + 3) & 0xff);
    a.send(big, b.local);
    await until(() => atB.length === 1, "the 1200-byte datagram");
    assert.is(atB[0]!.bytes.length, 1200);
    assert.equal(atB[0]!.bytes, big);
  } finally {
    await a.close();
    await b.close();
  }
});

test("UdpTransport.send() takes the bytes before returning, so a reused buffer is safe", async () => {
  const a = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components());
  const b = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components());
  try {
    const atB = collect(b);
    const buffer = new Uint8Array(4);
    for (let i = 1; i <= 3; i++) {
      buffer.fill(i);
      a.send(buffer, b.local);
    }
    buffer.fill(99);
    await until(() => atB.length === 3, "three datagrams");
    // Deno's node:dgram sends a burst in reverse order: compare contents, not order.
    assert.equal(atB.map((r) => r.bytes[0]).sort(), [1, 2, 3]);
  } finally {
    await a.close();
    await b.close();
  }
});

test("UdpTransport catches and counts a throwing handler and keeps receiving", async () => {
  const metrics = new MetricsRegistry();
  const a = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components());
  const b = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components(metrics));
  try {
    let calls = 0;
    b.onDatagram(() => {
      calls++;
      throw new Error("bad datagram");
    });
    a.send(new Uint8Array([1]), b.local);
    a.send(new Uint8Array([2]), b.local);
    await until(() => calls === 2, "both datagrams");
    assert.is(metrics.value("superpeer_transport_handler_errors_total"), 2);
  } finally {
    await a.close();
    await b.close();
  }
});

test("openUdpTransport() on ::1 exchanges datagrams both ways", async () => {
  const a = await openIfAvailable("::1");
  if (a === undefined) return;
  const b = await openUdpTransport({ host: "::1", port: 0 }, components());
  try {
    const atA = collect(a);
    const atB = collect(b);
    a.send(new Uint8Array([6]), b.local);
    await until(() => atB.length === 1, "a -> b over ::1");
    assert.equal(atB[0]!.from, a.local);
    b.send(new Uint8Array([7]), atB[0]!.from);
    await until(() => atA.length === 1, "b -> a over ::1");
    assert.equal(atA[0]!.bytes, new Uint8Array([7]));
  } finally {
    await a.close();
    await b.close();
  }
});

test("UdpTransport on ::1 counts an IPv4 destination as EAFNOSUPPORT", async () => {
  const metrics = new MetricsRegistry();
  const a = await openIfAvailable("::1", metrics);
  if (a === undefined) return;
  try {
    a.send(new Uint8Array([1]), { host: "127.0.0.1", port: 9 });
    assert.is(metrics.value(SEND_ERRORS, { code: "EAFNOSUPPORT" }), 1);
  } finally {
    await a.close();
  }
});

test("openUdpTransport() on :: is dual-stack: IPv4 peers in, IPv4 destinations out", async () => {
  const dual = await openIfAvailable("::");
  if (dual === undefined) return;
  const v4 = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components());
  try {
    const atDual = collect(dual);
    const atV4 = collect(v4);
    v4.send(new Uint8Array([4]), { host: "127.0.0.1", port: dual.local.port });
    await until(() => atDual.length === 1, "IPv4 -> ::");
    assert.equal(atDual[0]!.from, { host: "::ffff:127.0.0.1", port: v4.local.port });
    dual.send(new Uint8Array([5]), atDual[0]!.from); // the mapped address as received
    dual.send(new Uint8Array([6]), v4.local); // a plain IPv4 destination
    await until(() => atV4.length === 2, ":: -> IPv4 twice");
    assert.equal(atV4.map((r) => r.bytes[0]).sort(), [5, 6]);
  } finally {
    await dual.close();
    await v4.close();
  }
});

test("openUdpTransport() sets the receive buffer on Node and leaves it alone on Deno", async () => {
  const nodeLog = recordingLogger();
  const onNode = await openUdpTransport(
    { host: "127.0.0.1", port: 0, recvBufferBytes: 256 * 1024, runtime: "node" },
    components(undefined, nodeLog),
  );
  await onNode.close();
  assert.ok(
    nodeLog.lines.some((l) => /^Receive buffer/.test(l.message) && l.fields?.requested === 262144),
    JSON.stringify(nodeLog.lines),
  );
  const denoLog = recordingLogger();
  const onDeno = await openUdpTransport(
    { host: "127.0.0.1", port: 0, recvBufferBytes: 4 * 1024 * 1024, runtime: "deno" },
    components(undefined, denoLog),
  );
  await onDeno.close();
  assert.equal(denoLog.lines.map((l) => l.message.slice(0, 36)), [
    "Ignored the receive buffer size on D",
  ]);
});

test.run();
