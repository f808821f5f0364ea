import { test } from "uvu";
import * as assert from "uvu/assert";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type { DatagramAddress } from "../../src/core/transport.ts";
import { openUdpTransport } from "../../src/transport/udp_transport.ts";

const components = () => ({ logger: silentLogger(), metrics: new MetricsRegistry() });

function nextDatagram(
  transport: { onDatagram(h: (b: Uint8Array, f: DatagramAddress) => void): void },
) {
  return new Promise<{ bytes: Uint8Array; from: DatagramAddress }>((resolve) =>
    transport.onDatagram((bytes, from) => resolve({ bytes: new Uint8Array(bytes), from }))
  );
}

test("openUdpTransport on loopback: two sockets exchange datagrams both ways, port 0 reports the real port", async () => {
  const a = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components());
  const b = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components());
  try {
    assert.ok(a.local.port > 0 && a.local.port !== b.local.port);
    const toB = nextDatagram(b);
    const big = new Uint8Array(1200).map((_, i) => i & 0xff);
    a.send(big, b.local);
    const got = await toB;
    assert.equal(got.bytes, big);
    assert.equal(got.from, a.local);
    const toA = nextDatagram(a);
    b.send(new Uint8Array([7]), got.from);
    assert.equal((await toA).bytes, new Uint8Array([7]));
  } finally {
    await a.close();
    await b.close();
  }
});

test("openUdpTransport counts instead of throwing: closed socket, wrong family, closed port", async () => {
  const metrics = new MetricsRegistry();
  const a = await openUdpTransport({ host: "127.0.0.1", port: 0 }, {
    logger: silentLogger(),
    metrics,
  });
  a.send(new Uint8Array([1]), { host: "::1", port: 9 });
  assert.is(metrics.value("superpeer_transport_errors_total", { code: "EAFNOSUPPORT" }), 1);
  a.send(new Uint8Array([1]), { host: "127.0.0.1", port: 9 }); // nobody listens: no exception
  await a.close();
  await a.close();
  a.send(new Uint8Array([1]), { host: "127.0.0.1", port: 9 });
  assert.is(metrics.value("superpeer_transport_errors_total", { code: "ECLOSED" }), 1);
});

test("openUdpTransport binds IPv6 loopback when the machine has it", async () => {
  let a;
  try {
    a = await openUdpTransport({ host: "::1", port: 0 }, components());
  } catch (error) {
    if (/EADDRNOTAVAIL/.test((error as Error).message)) return; // no IPv6 here: nothing to test
    throw error;
  }
  const b = await openUdpTransport({ host: "::1", port: 0 }, components());
  try {
    const got = nextDatagram(b);
    a.send(new Uint8Array([6]), b.local);
    assert.equal((await got).bytes, new Uint8Array([6]));
  } finally {
    await a.close();
    await b.close();
  }
});

test("openUdpTransport refuses a port in use with a clear message", async () => {
  const a = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components());
  try {
    await openUdpTransport({ host: "127.0.0.1", port: a.local.port }, components());
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /cannot bind UDP 127\.0\.0\.1:\d+/);
  } finally {
    await a.close();
  }
});

test.run();
