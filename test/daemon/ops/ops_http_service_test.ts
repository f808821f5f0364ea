import { test } from "uvu";
import * as assert from "uvu/assert";
import { connect } from "node:net";
import { silentLogger } from "../../../src/core/logger.ts";
import { MetricsRegistry } from "../../../src/core/metrics.ts";
import { OpsHttpService } from "../../../src/daemon/ops/ops_http_service.ts";
import { parsePrometheusText } from "../../helpers/prometheus_parse.ts";

async function withOps(
  fn: (base: string, ops: OpsHttpService, registry: MetricsRegistry) => Promise<void>,
  options: { healthy?: boolean; maxConnections?: number } = {},
) {
  const registry = new MetricsRegistry();
  const ops = new OpsHttpService({
    host: "127.0.0.1",
    port: 0,
    maxConnections: options.maxConnections ?? 8,
  }, {
    logger: silentLogger(),
    metrics: registry,
    registry,
    status: () => ({ nodeId: "abc", services: [] }),
    health: () =>
      (options.healthy ?? true)
        ? { ok: true, detail: "ok" }
        : { ok: false, detail: "not ready: relay=starting" },
  });
  await ops.start({ signal: new AbortController().signal });
  try {
    await fn(`http://127.0.0.1:${ops.address!.port}`, ops, registry);
  } finally {
    await ops.stop();
  }
}

test("OpsHttpService answers /healthz 200 when healthy and 503 with the reason when not", async () => {
  await withOps(async (base) => {
    const res = await fetch(`${base}/healthz`);
    assert.is(res.status, 200);
    assert.is(await res.text(), "ok\n");
  });
  await withOps(async (base) => {
    const res = await fetch(`${base}/healthz`);
    assert.is(res.status, 503);
    assert.match(await res.text(), /relay=starting/);
  }, { healthy: false });
});

test("OpsHttpService serves /status as JSON and /metrics in parseable Prometheus text", async () => {
  await withOps(async (base) => {
    const status = await (await fetch(`${base}/status`)).json();
    assert.is(status.nodeId, "abc");
    await (await fetch(`${base}/healthz`)).text();
    const res = await fetch(`${base}/metrics`);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const parsed = parsePrometheusText(await res.text());
    assert.is(parsed.get('superpeer_ops_requests_total{path="/healthz"}'), 1);
    assert.is(parsed.get("superpeer_ops_connections_refused_total"), 0);
  });
});

test("OpsHttpService answers 404 for unknown paths and 405 for other methods", async () => {
  await withOps(async (base, _ops, registry) => {
    const notFound = await fetch(`${base}/nope`);
    assert.is(notFound.status, 404);
    await notFound.text();
    const post = await fetch(`${base}/status`, { method: "POST", body: "x" });
    assert.is(post.status, 405);
    assert.is(post.headers.get("allow"), "GET, HEAD");
    await post.text();
    assert.is(registry.value("superpeer_ops_requests_total", { path: "other" }), 1);
  });
});

test("OpsHttpService refuses connections past its cap and counts them", async () => {
  await withOps(async (_base, ops, registry) => {
    const port = ops.address!.port;
    const open = (): Promise<ReturnType<typeof connect>> =>
      new Promise((resolve, reject) => {
        const s = connect(port, "127.0.0.1", () => resolve(s));
        s.on("error", reject);
      });
    const first = await open();
    const closed = new Promise<void>((resolve) => {
      const second = connect(port, "127.0.0.1");
      second.on("error", () => {});
      second.on("close", () => resolve());
    });
    await closed;
    assert.is(registry.value("superpeer_ops_connections_refused_total"), 1);
    first.destroy();
  }, { maxConnections: 1 });
});

test("OpsHttpService stop() closes idle keep-alive connections and can be called twice", async () => {
  const registry = new MetricsRegistry();
  const ops = new OpsHttpService({ host: "127.0.0.1", port: 0, maxConnections: 4 }, {
    logger: silentLogger(),
    metrics: registry,
    registry,
    status: () => ({}),
    health: () => ({ ok: true, detail: "ok" }),
  });
  await ops.start({ signal: new AbortController().signal });
  await (await fetch(`http://127.0.0.1:${ops.address!.port}/healthz`)).text();
  await ops.stop();
  await ops.stop();
  try {
    await fetch(`http://127.0.0.1:${ops.address!.port}/healthz`);
    assert.unreachable("the port should be closed");
  } catch (error) {
    assert.not.instance(error, assert.Assertion);
  }
});

test("OpsHttpService start() fails with a clear message when the port is taken", async () => {
  await withOps(async (_base, ops) => {
    const registry = new MetricsRegistry();
    const second = new OpsHttpService({
      host: "127.0.0.1",
      port: ops.address!.port,
      maxConnections: 1,
    }, {
      logger: silentLogger(),
      metrics: registry,
      registry,
      status: () => ({}),
      health: () => ({ ok: true, detail: "ok" }),
    });
    try {
      await second.start({ signal: new AbortController().signal });
      assert.unreachable();
    } catch (error) {
      assert.match((error as Error).message, /cannot listen on 127\.0\.0\.1:\d+/);
    }
  });
});

test.run();
