import { test } from "uvu";
import * as assert from "uvu/assert";
import type { LogFields, Logger, LogLevel } from "../../src/core/logger.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type { DatagramAddress, DatagramTransport } from "../../src/core/transport.ts";
import {
  CLOSE_FLUSH_MS,
  type DenoDatagramApi,
  denoDatagramApi,
  DenoUdpBuffers,
  openDenoUdpTransport,
} from "../../src/transport/deno_udp_transport.ts";
import {
  chooseDatagramImplementation,
  openDatagramTransport,
} from "../../src/transport/open_datagram_transport.ts";
import { TransportError } from "../../src/transport/transport_error.ts";
import { openUdpTransport } from "../../src/transport/udp_transport.ts";

const SEND_ERRORS = "superpeer_transport_send_errors_total";
const OUT = { direction: "out" };

/** Deno's datagram API, or undefined (each test then says it was skipped). */
const api = denoDatagramApi();

interface Received {
  readonly bytes: Uint8Array;
  readonly from: DatagramAddress;
}

function components(metrics = new MetricsRegistry(), logger: Logger = silentLogger()) {
  return { logger, metrics };
}

function collect(transport: DatagramTransport): Received[] {
  const got: Received[] = [];
  transport.onDatagram((bytes, from) => got.push({ bytes: new Uint8Array(bytes), from }));
  return got;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(done: () => boolean, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

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

/** A test that needs Deno.listenDatagram; says so and passes when the runner lacks --unstable-net. */
function native(name: string, fn: () => Promise<void>): void {
  test(name, async () => {
    if (api === undefined) {
      // deno-lint-ignore no-console -- a skipped test must say so
      console.log(`  skipped (no Deno.listenDatagram: run with --unstable-net): ${name}`);
      return;
    }
    await fn();
  });
}

const open = (
  host: string,
  metrics?: MetricsRegistry,
  extra: { sendQueueDatagrams?: number; buffers?: DenoUdpBuffers } = {},
) => openDenoUdpTransport({ host, port: 0, ...extra }, components(metrics));

/** Opens `host`, or returns undefined when this machine lacks the address (EADDRNOTAVAIL). */
async function openIfAvailable(host: string, metrics?: MetricsRegistry) {
  try {
    return await open(host, metrics);
  } catch (error) {
    if (error instanceof TransportError && error.osCode === "EADDRNOTAVAIL") {
      // deno-lint-ignore no-console -- a skipped test must say so
      console.log(`  skipped: cannot bind ${host} on this machine (EADDRNOTAVAIL)`);
      return undefined;
    }
    throw error;
  }
}

native(
  "openDenoUdpTransport() on 127.0.0.1 echoes datagrams with the sender's address and counts them",
  async () => {
    const metrics = new MetricsRegistry();
    const a = await open("127.0.0.1", metrics);
    const b = await open("127.0.0.1", metrics);
    try {
      const atA = collect(a);
      b.onDatagram((bytes, from) => b.send(bytes, from)); // echo from inside the handler
      a.send(new Uint8Array([1, 2, 3]), b.local);
      await until(() => atA.length === 1, "the echo");
      assert.equal(atA[0]!.bytes, new Uint8Array([1, 2, 3]));
      assert.equal(atA[0]!.from, b.local);
      assert.is(a.local.host, "127.0.0.1");
      assert.ok(a.local.port > 0);
      await until(() => metrics.value("superpeer_transport_datagrams_total", OUT) === 2, "counts");
      assert.is(metrics.value("superpeer_transport_datagrams_total", { direction: "in" }), 2);
      assert.is(metrics.value("superpeer_transport_bytes_total", OUT), 6);
      assert.is(metrics.value("superpeer_transport_bytes_total", { direction: "in" }), 6);
    } finally {
      await a.close();
      await b.close();
    }
  },
);

native(
  "openDenoUdpTransport() gives the handler a view valid during the call, then reuses it",
  async () => {
    const a = await open("127.0.0.1");
    const b = await open("127.0.0.1");
    try {
      const views: Uint8Array[] = [];
      const copies: number[] = [];
      b.onDatagram((bytes) => {
        views.push(bytes);
        copies.push(bytes[0]!);
      });
      a.send(new Uint8Array([1]), b.local);
      await until(() => views.length === 1, "the first datagram");
      a.send(new Uint8Array([2]), b.local);
      await until(() => views.length === 2, "the second datagram");
      assert.equal(copies, [1, 2]);
      assert.is(views[0]!.buffer, views[1]!.buffer, "one receive buffer");
      assert.is(views[0]!.byteOffset, views[1]!.byteOffset);
    } finally {
      await a.close();
      await b.close();
    }
  },
);

native(
  "openDenoUdpTransport() refuses a port in use with EADDRINUSE, a host name and a bad port",
  async () => {
    const a = await open("127.0.0.1");
    try {
      try {
        await openDenoUdpTransport({ host: "127.0.0.1", port: a.local.port }, components());
        assert.unreachable("bound a port that is in use");
      } catch (error) {
        assert.instance(error, TransportError);
        assert.is((error as TransportError).osCode, "EADDRINUSE");
        assert.match(
          (error as Error).message,
          `Cannot bind a UDP socket: 127.0.0.1:${a.local.port}`,
        );
      }
    } finally {
      await a.close();
    }
    const failure = async (host: string, port: number, extra = {}) => {
      try {
        await openDenoUdpTransport({ host, port, ...extra }, components());
      } catch (error) {
        return error;
      }
      assert.unreachable(`opened ${host}:${port}`);
    };
    assert.instance(await failure("localhost", 0), TypeError);
    assert.instance(await failure("127.0.0.1", 70000), RangeError);
    assert.instance(await failure("127.0.0.1", 0, { sendQueueDatagrams: 0 }), RangeError);
  },
);

native(
  "DenoUdpTransport.send() after close is a counted no-op and close() is idempotent",
  async () => {
    const metrics = new MetricsRegistry();
    const a = await open("127.0.0.1", metrics);
    const closing = a.close();
    assert.is(a.close(), closing);
    await closing;
    await a.close();
    a.send(new Uint8Array([1]), { host: "127.0.0.1", port: 9 });
    a.send(new Uint8Array([1]), { host: "127.0.0.1", port: 9 });
    assert.is(metrics.value(SEND_ERRORS, { code: "ERR_SOCKET_DGRAM_NOT_RUNNING" }), 2);
    assert.is(metrics.value("superpeer_transport_datagrams_total", OUT), 0);
  },
);

native("DenoUdpTransport.close() lets what send() accepted go out first", async () => {
  const a = await open("127.0.0.1");
  const b = await open("127.0.0.1");
  try {
    const atB = collect(b);
    for (let i = 0; i < 20; i++) a.send(new Uint8Array([i]), b.local);
    await a.close();
    await until(() => atB.length === 20, "all 20 datagrams");
  } finally {
    await a.close();
    await b.close();
  }
});

native(
  "DenoUdpTransport.send() counts family mismatches, host names, zones, bad ports and size",
  async () => {
    const metrics = new MetricsRegistry();
    const logger = recordingLogger();
    const a = await openDenoUdpTransport(
      { host: "127.0.0.1", port: 0 },
      components(metrics, logger),
    );
    try {
      a.send(new Uint8Array([1]), { host: "::1", port: 9 });
      a.send(new Uint8Array([1]), { host: "2001:db8::1", port: 9 });
      a.send(new Uint8Array([1]), { host: "localhost", port: 9 }); // never a DNS lookup
      a.send(new Uint8Array([1]), { host: "127.0.0.1", port: 0 });
      a.send(new Uint8Array([1]), { host: "127.0.0.1", port: 65536 });
      a.send(new Uint8Array(70_000), { host: "127.0.0.1", port: 9 });
      assert.is(metrics.value(SEND_ERRORS, { code: "EAFNOSUPPORT" }), 2);
      assert.is(metrics.value(SEND_ERRORS, { code: "EINVAL" }), 3);
      assert.is(metrics.value(SEND_ERRORS, { code: "EMSGSIZE" }), 1);
      const warnings = logger.lines.filter((l) => l.level === "warn");
      assert.is(warnings.length, 6);
      assert.equal(
        new Set(warnings.map((l) => l.message)),
        new Set(["Dropped an outgoing UDP datagram"]),
      );
      assert.is(warnings[0]!.fields?.code, "EAFNOSUPPORT");
    } finally {
      await a.close();
    }
  },
);

native(
  "DenoUdpTransport.send() counts the kernel's EMSGSIZE for a datagram past the IPv4 limit",
  async () => {
    const metrics = new MetricsRegistry();
    const a = await open("127.0.0.1", metrics);
    try {
      a.send(new Uint8Array(65_520), { host: "127.0.0.1", port: a.local.port }); // > 65,507
      await until(() => metrics.value(SEND_ERRORS, { code: "EMSGSIZE" }) === 1, "EMSGSIZE");
    } finally {
      await a.close();
    }
  },
);

native("DenoUdpTransport delivers 1,200-byte and 60,000-byte datagrams intact", async () => {
  const a = await open("127.0.0.1");
  const b = await open("127.0.0.1");
  try {
    const atB = collect(b);
    const small = new Uint8Array(1200).map((_, i) => (i * 7 + 3) & 0xff);
    const large = new Uint8Array(60_000).map((_, i) => (i * 13 + 5) & 0xff); // past a send slot
    a.send(small, b.local);
    a.send(large, b.local);
    small.fill(0);
    large.fill(0);
    await until(() => atB.length === 2, "both datagrams");
    const bySize = atB.map((r) => r.bytes).sort((x, y) => x.length - y.length);
    assert.equal(bySize[0], new Uint8Array(1200).map((_, i) => (i * 7 + 3) & 0xff));
    assert.equal(bySize[1], new Uint8Array(60_000).map((_, i) => (i * 13 + 5) & 0xff));
  } finally {
    await a.close();
    await b.close();
  }
});

native("DenoUdpTransport.send() copies the bytes, so a buffer reused at once is safe", async () => {
  const a = await open("127.0.0.1");
  const b = await open("127.0.0.1");
  try {
    const atB = collect(b);
    const buffer = new Uint8Array(4);
    for (let i = 1; i <= 50; i++) {
      buffer.fill(i);
      a.send(buffer, b.local);
    }
    buffer.fill(99);
    await until(() => atB.length === 50, "fifty datagrams");
    // Sent in order, one at a time; loopback keeps it.
    assert.equal(atB.map((r) => r.bytes[0]), Array.from({ length: 50 }, (_, i) => i + 1));
    assert.ok(atB.every((r) => r.bytes.every((x) => x === r.bytes[0])));
  } finally {
    await a.close();
    await b.close();
  }
});

native(
  "DenoUdpTransport.send() drops and counts ENOBUFS past its queue, and recovers",
  async () => {
    const metrics = new MetricsRegistry();
    const a = await open("127.0.0.1", metrics, { sendQueueDatagrams: 4 });
    const b = await open("127.0.0.1");
    try {
      const atB = collect(b);
      for (let i = 0; i < 50; i++) a.send(new Uint8Array([i]), b.local);
      assert.is(metrics.value(SEND_ERRORS, { code: "ENOBUFS" }), 46);
      await until(() => atB.length === 4, "the four queued datagrams");
      assert.equal(atB.map((r) => r.bytes[0]), [0, 1, 2, 3]);
      a.send(new Uint8Array([7]), b.local);
      await until(() => atB.length === 5, "a datagram after the queue drained");
    } finally {
      await a.close();
      await b.close();
    }
  },
);

native(
  "DenoUdpTransport shares a bounded send pool: a full pool drops ENOBUFS and frees its slots",
  async () => {
    const buffers = new DenoUdpBuffers({ sendSlots: 4, maxLargeSendBytes: 5000 });
    const metrics = new MetricsRegistry();
    const a = await open("127.0.0.1", metrics, { buffers });
    const c = await open("127.0.0.1", metrics, { buffers });
    const b = await open("127.0.0.1");
    try {
      const atB = collect(b);
      a.send(new Uint8Array([1]), b.local);
      a.send(new Uint8Array(4000), b.local); // a slot and 4,000 of the 5,000 long-datagram bytes
      c.send(new Uint8Array(3000).fill(1), b.local); // past the long-datagram budget
      c.send(new Uint8Array([2]), b.local);
      c.send(new Uint8Array([3]), b.local);
      c.send(new Uint8Array([4]), b.local); // no slot left
      assert.is(metrics.value(SEND_ERRORS, { code: "ENOBUFS" }), 2);
      assert.is(buffers.freeSendSlots, 0);
      await until(() => atB.length === 4, "four datagrams");
      assert.equal(atB.map((r) => r.bytes.length).sort((x, y) => x - y), [1, 1, 1, 4000]);
      await until(() => buffers.freeSendSlots === 4, "the slots back");
      c.send(new Uint8Array(4500), b.local);
      await until(() => atB.length === 5, "a long datagram once the budget is free");
    } finally {
      await a.close();
      await c.close();
      await b.close();
    }
  },
);

/** A scripted stand-in for Deno's datagram API: the test decides when receives and sends end. */
function scriptedDeno() {
  type Conn = ReturnType<DenoDatagramApi["listenDatagram"]>;
  type Pending<T> = { resolve: (value: T) => void; reject: (error: Error) => void };
  const receives: Pending<Awaited<ReturnType<Conn["receive"]>>>[] = [];
  const sends: (Pending<number> & { bytes: Uint8Array })[] = [];
  const buffers: Uint8Array[] = [];
  const closed = () => Object.assign(new Error("operation canceled"), { code: "EINTR" });
  const conn: Conn = {
    addr: { transport: "udp", hostname: "127.0.0.1", port: 5000 },
    receive: (buffer) => {
      buffers.push(buffer);
      return new Promise((resolve, reject) => receives.push({ resolve, reject }));
    },
    send: (bytes) =>
      new Promise((resolve, reject) => sends.push({ resolve, reject, bytes: bytes.slice() })),
    close: () => {
      for (const r of receives.splice(0)) r.reject(closed());
      for (const s of sends.splice(0)) s.reject(new Error("Socket has been closed"));
    },
  };
  return {
    api: { listenDatagram: () => conn } satisfies DenoDatagramApi,
    sends,
    /** Ends the pending receive with `bytes` from 192.0.2.1:7. */
    deliver(bytes: Uint8Array): void {
      const buffer = buffers.at(-1)!;
      buffer.set(bytes);
      receives.shift()!.resolve([
        buffer.subarray(0, bytes.length),
        { transport: "udp", hostname: "192.0.2.1", port: 7 },
      ]);
    },
    fail(error: Error): void {
      receives.shift()!.reject(error);
    },
    get waitingReceives() {
      return receives.length;
    },
  };
}

test("DenoUdpTransport.close() stops delivering at once and flushes the queue first", async () => {
  const fake = scriptedDeno();
  const metrics = new MetricsRegistry();
  const t = await openDenoUdpTransport(
    { host: "127.0.0.1", port: 0, deno: fake.api },
    components(metrics),
  );
  let delivered = 0;
  t.onDatagram(() => delivered++);
  fake.deliver(new Uint8Array([1]));
  await until(() => delivered === 1 && fake.waitingReceives === 1, "the first datagram");
  t.send(new Uint8Array([2]), { host: "192.0.2.1", port: 7 });
  t.send(new Uint8Array([3]), { host: "192.0.2.1", port: 7 });
  let closed = false;
  const closing = t.close().then(() => closed = true);
  fake.deliver(new Uint8Array([4])); // arrives while close() flushes
  await sleep(20);
  assert.is(delivered, 1);
  assert.is(closed, false);
  assert.equal(fake.sends.map((s) => s.bytes), [new Uint8Array([2])], "one send at a time");
  fake.sends.shift()!.resolve(1);
  await until(() => fake.sends.length === 1, "the second send");
  assert.equal(fake.sends[0]!.bytes, new Uint8Array([3]));
  fake.sends.shift()!.resolve(1);
  await closing;
  assert.is(metrics.value("superpeer_transport_datagrams_total", OUT), 2);
  assert.is(metrics.value("superpeer_transport_datagrams_total", { direction: "in" }), 2);
});

test("DenoUdpTransport.close() gives up flushing after CLOSE_FLUSH_MS and counts what is left", async () => {
  const fake = scriptedDeno();
  const metrics = new MetricsRegistry();
  const t = await openDenoUdpTransport(
    { host: "127.0.0.1", port: 0, deno: fake.api },
    components(metrics),
  );
  for (let i = 0; i < 3; i++) t.send(new Uint8Array([i]), { host: "192.0.2.1", port: 7 });
  const started = Date.now();
  await t.close(); // the first send never ends by itself
  const took = Date.now() - started;
  assert.ok(took >= CLOSE_FLUSH_MS - 50 && took < CLOSE_FLUSH_MS + 1000, `took ${took} ms`);
  await until(
    () => metrics.value(SEND_ERRORS, { code: "ERR_SOCKET_DGRAM_NOT_RUNNING" }) === 3,
    "the three datagrams counted",
  );
});

test("DenoUdpTransport counts a receive error and keeps receiving", async () => {
  const fake = scriptedDeno();
  const metrics = new MetricsRegistry();
  const t = await openDenoUdpTransport(
    { host: "127.0.0.1", port: 0, deno: fake.api },
    components(metrics),
  );
  try {
    let delivered = 0;
    t.onDatagram(() => delivered++);
    fake.fail(Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" }));
    await until(() => fake.waitingReceives === 1, "the next receive");
    fake.deliver(new Uint8Array([1]));
    await until(() => delivered === 1, "a datagram after the error");
    assert.is(
      metrics.value("superpeer_transport_socket_errors_total", { code: "ECONNREFUSED" }),
      1,
    );
  } finally {
    await t.close();
  }
});

native("DenoUdpTransport catches and counts a throwing handler and keeps receiving", async () => {
  const metrics = new MetricsRegistry();
  const logger = recordingLogger();
  const a = await open("127.0.0.1");
  const b = await openDenoUdpTransport({ host: "127.0.0.1", port: 0 }, components(metrics, logger));
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
    assert.is(logger.lines.filter((l) => l.message === "UDP datagram handler threw").length, 2);
  } finally {
    await a.close();
    await b.close();
  }
});

native("openDenoUdpTransport() on ::1 exchanges datagrams both ways and refuses IPv4", async () => {
  const metrics = new MetricsRegistry();
  const a = await openIfAvailable("::1", metrics);
  if (a === undefined) return;
  const b = await open("::1");
  try {
    const atA = collect(a);
    const atB = collect(b);
    a.send(new Uint8Array([6]), b.local);
    await until(() => atB.length === 1, "a -> b over ::1");
    assert.equal(atB[0]!.from, a.local);
    b.send(new Uint8Array([7]), atB[0]!.from);
    await until(() => atA.length === 1, "b -> a over ::1");
    assert.equal(atA[0]!.bytes, new Uint8Array([7]));
    a.send(new Uint8Array([1]), { host: "127.0.0.1", port: 9 });
    assert.is(metrics.value(SEND_ERRORS, { code: "EAFNOSUPPORT" }), 1);
  } finally {
    await a.close();
    await b.close();
  }
});

native(
  "openDenoUdpTransport() on :: is dual-stack where bindv6only is 0: IPv4 peers in and out",
  async () => {
    let v6only = "0";
    try {
      v6only = (await Deno.readTextFile("/proc/sys/net/ipv6/bindv6only")).trim();
    } catch {
      // not Linux: assume the default
    }
    if (v6only === "1") {
      // deno-lint-ignore no-console -- a skipped test must say so
      console.log("  skipped: net.ipv6.bindv6only is 1 here, so :: is IPv6 only");
      return;
    }
    const dual = await openIfAvailable("::");
    if (dual === undefined) return;
    const v4 = await open("127.0.0.1");
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
  },
);

native("DenoUdpTransport returns its receive buffer on close for the next transport", async () => {
  const buffers = new DenoUdpBuffers();
  const a = await open("127.0.0.1", undefined, { buffers });
  const b = await open("127.0.0.1", undefined, { buffers });
  const c = await open("127.0.0.1");
  try {
    const seen: ArrayBufferLike[] = [];
    const offsets: number[] = [];
    for (const t of [a, b]) {
      t.onDatagram((bytes) => {
        seen.push(bytes.buffer);
        offsets.push(bytes.byteOffset);
      });
      c.send(new Uint8Array([1]), t.local);
    }
    await until(() => seen.length === 2, "a datagram at each");
    assert.is(seen[0], seen[1], "both cut from one slab");
    assert.is.not(offsets[0], offsets[1]);
    await a.close();
    const d = await open("127.0.0.1", undefined, { buffers });
    d.onDatagram((bytes) => offsets.push(bytes.byteOffset));
    c.send(new Uint8Array([1]), d.local);
    await until(() => offsets.length === 3, "a datagram at d");
    assert.ok(offsets.slice(0, 2).includes(offsets[2]!), "d reuses a's buffer");
    await d.close();
  } finally {
    await a.close();
    await b.close();
    await c.close();
  }
});

native("openDenoUdpTransport() and openUdpTransport() talk to each other", async () => {
  const deno = await open("127.0.0.1");
  const node = await openUdpTransport({ host: "127.0.0.1", port: 0 }, components());
  try {
    const atDeno = collect(deno);
    node.onDatagram((bytes, from) => node.send(bytes, from));
    deno.send(new Uint8Array([42]), node.local);
    await until(() => atDeno.length === 1, "the echo from node:dgram");
    assert.equal(atDeno[0]!.bytes, new Uint8Array([42]));
  } finally {
    await deno.close();
    await node.close();
  }
});

test("chooseDatagramImplementation() takes Deno.listenDatagram only on Deno with the API", () => {
  const fake: DenoDatagramApi = {
    listenDatagram: () => {
      throw new Error("not called");
    },
  };
  assert.is(chooseDatagramImplementation("auto", "deno", fake).implementation, "deno");
  const without = chooseDatagramImplementation("auto", "deno", undefined);
  assert.is(without.implementation, "node");
  assert.match(without.reason, "Deno without --unstable-net");
  assert.is(chooseDatagramImplementation("auto", "node", fake).implementation, "node");
  assert.is(chooseDatagramImplementation("node", "deno", fake).implementation, "node");
  assert.is(chooseDatagramImplementation("deno", "node", undefined).implementation, "deno");
});

test("openDatagramTransport() refuses a forced Deno transport without the API", async () => {
  try {
    await openDatagramTransport(
      { host: "127.0.0.1", port: 0, implementation: "deno", deno: null },
      components(),
    );
    assert.unreachable("opened a Deno-native transport without the API");
  } catch (error) {
    assert.instance(error, TypeError);
    assert.match((error as Error).message, "--unstable-net");
  }
});

test("openDatagramTransport() logs its choice once and falls back to node:dgram", async () => {
  const logger = recordingLogger();
  const metrics = new MetricsRegistry();
  for (let i = 0; i < 3; i++) {
    const t = await openDatagramTransport(
      { host: "127.0.0.1", port: 0, runtime: "deno", deno: null },
      components(metrics, logger),
    );
    await t.close();
  }
  // Once per process and reason; no other test fakes a Deno without the API.
  const chosen = logger.lines.filter((l) => l.message === "UDP implementation chosen");
  assert.is(chosen.length, 1, JSON.stringify(chosen));
  assert.is(chosen[0]!.fields?.implementation, "node:dgram");
  assert.match(String(chosen[0]!.fields?.reason), "Deno without --unstable-net");
  assert.is(metrics.value(SEND_ERRORS, { code: "ENOBUFS" }), undefined);
});

native(
  "openDatagramTransport() picks Deno.listenDatagram on Deno with --unstable-net",
  async () => {
    const metrics = new MetricsRegistry();
    const t = await openDatagramTransport(
      { host: "127.0.0.1", port: 0, sendQueueDatagrams: 2 },
      components(metrics),
    );
    try {
      for (let i = 0; i < 5; i++) t.send(new Uint8Array([i]), { host: "127.0.0.1", port: 9 });
      // Only the Deno-native transport has a send queue.
      assert.is(metrics.value(SEND_ERRORS, { code: "ENOBUFS" }), 3);
    } finally {
      await t.close();
    }
  },
);

test.run();
