import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../src/core/clock.ts";
import { SuperpeerError } from "../../src/core/errors.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MetricsRegistry } from "../../src/core/metrics.ts";
import type { Service } from "../../src/core/service.ts";
import { Daemon, startOrder } from "../../src/daemon/daemon.ts";

function fakeService(
  name: string,
  events: string[],
  options: { dependsOn?: string[]; failStart?: boolean; hangStop?: boolean } = {},
): Service {
  return {
    name,
    ...(options.dependsOn ? { dependsOn: options.dependsOn } : {}),
    start: () => {
      events.push(`start ${name}`);
      return options.failStart ? Promise.reject(new Error("port in use")) : Promise.resolve();
    },
    stop: () => {
      events.push(`stop ${name}`);
      return options.hangStop ? new Promise(() => {}) : Promise.resolve();
    },
    status: () => ({ name }),
  };
}

function daemon(shutdownTimeoutMs = 1000) {
  const metrics = new MetricsRegistry();
  return {
    d: new Daemon({ logger: silentLogger(), metrics, clock: new ManualClock(), shutdownTimeoutMs }),
    metrics,
  };
}

test("startOrder puts dependencies first and keeps registration order otherwise", () => {
  const e: string[] = [];
  const order = startOrder([
    fakeService("sip", e, { dependsOn: ["overlay"] }),
    fakeService("ops", e),
    fakeService("overlay", e, { dependsOn: ["transport"] }),
    fakeService("transport", e),
  ]);
  assert.equal(order.map((s) => s.name), ["ops", "transport", "overlay", "sip"]);
});

test("startOrder rejects missing dependencies and cycles", () => {
  const e: string[] = [];
  assert.throws(() => startOrder([fakeService("a", e, { dependsOn: ["b"] })]), /not registered/);
  assert.throws(
    () =>
      startOrder([
        fakeService("a", e, { dependsOn: ["b"] }),
        fakeService("b", e, { dependsOn: ["a"] }),
      ]),
    /cycle among a, b/,
  );
});

test("Daemon starts in dependency order, stops in reverse and reports states", async () => {
  const events: string[] = [];
  const { d, metrics } = daemon();
  d.register(fakeService("overlay", events, { dependsOn: ["ops"] }));
  d.register(fakeService("ops", events));
  await d.start();
  assert.ok(d.healthy());
  assert.equal(d.report().map((r) => [r.name, r.state]), [["ops", "running"], [
    "overlay",
    "running",
  ]]);
  assert.equal(d.report()[0]?.details, { name: "ops" });
  assert.is(metrics.value("superpeer_service_up", { service: "ops" }), 1);
  assert.is(await d.stop(), true);
  assert.equal(events, ["start ops", "start overlay", "stop overlay", "stop ops"]);
  assert.is(metrics.value("superpeer_service_up", { service: "ops" }), 0);
  assert.is(d.healthy(), false);
});

test("Daemon stops already-started services when one fails to start", async () => {
  const events: string[] = [];
  const { d } = daemon();
  d.register(fakeService("a", events));
  d.register(fakeService("b", events, { failStart: true }));
  d.register(fakeService("c", events));
  try {
    await d.start();
    assert.unreachable();
  } catch (error) {
    assert.instance(error, SuperpeerError);
    assert.is((error as SuperpeerError).code, "SERVICE_START_FAILED");
    assert.match((error as Error).message, /Cannot start b: port in use/);
  }
  assert.equal(events, ["start a", "start b", "stop b", "stop a"]);
  assert.not.ok(events.includes("start c"));
});

test("Daemon gives up on a service that does not stop within the shutdown timeout", async () => {
  const events: string[] = [];
  const { d } = daemon(50);
  d.register(fakeService("stuck", events, { hangStop: true }));
  d.register(fakeService("fine", events));
  await d.start();
  assert.is(await d.stop(), false);
  assert.equal(events.slice(-2), ["stop fine", "stop stuck"]);
  assert.is(d.report().find((r) => r.name === "stuck")?.error, "stop timed out");
});

test("Daemon stop() called twice returns the same result and stops once", async () => {
  const events: string[] = [];
  const { d } = daemon();
  d.register(fakeService("a", events));
  await d.start();
  const [first, second] = await Promise.all([d.stop(), d.stop()]);
  assert.is(first, second);
  assert.equal(events, ["start a", "stop a"]);
});

test("Daemon refuses duplicate names and registration after start", async () => {
  const events: string[] = [];
  const { d } = daemon();
  d.register(fakeService("a", events));
  assert.throws(() => d.register(fakeService("a", events)), /exists/);
  await d.start();
  assert.throws(() => d.register(fakeService("b", events)), /has started/);
  await d.stop();
});

test("Daemon.reportHandlerError counts by service and never throws", () => {
  const { d, metrics } = daemon();
  d.reportHandlerError("relay", new Error("boom"));
  d.reportHandlerError("relay", "not even an Error");
  assert.is(metrics.value("superpeer_handler_errors_total", { service: "relay" }), 2);
});

test.run();
