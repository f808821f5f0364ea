import { test } from "uvu";
import * as assert from "uvu/assert";
import { MetricsRegistry } from "../../src/core/metrics.ts";

test("MetricsRegistry counter without labels is exposed from declaration as 0", () => {
  const registry = new MetricsRegistry();
  registry.counter("superpeer_x_total", "X");
  const [family] = registry.collect();
  assert.equal(family?.samples, [{ labels: {}, value: 0 }]);
});

test("MetricsRegistry labelled counter has only the series that were used", () => {
  const registry = new MetricsRegistry();
  const drops = registry.counter("superpeer_drops_total", "Drops", ["reason"]);
  drops.with({ reason: "quota" }).inc();
  drops.with({ reason: "quota" }).inc(2);
  drops.with({ reason: "rate" }).inc();
  assert.is(registry.value("superpeer_drops_total", { reason: "quota" }), 3);
  assert.is(registry.value("superpeer_drops_total", { reason: "rate" }), 1);
  assert.is(registry.collect()[0]?.samples.length, 2);
});

test("MetricsRegistry refuses label sets past the series cap and counts them", () => {
  const registry = new MetricsRegistry({ maxSeriesPerMetric: 2 });
  const c = registry.counter("superpeer_c_total", "C", ["k"]);
  for (const k of ["a", "b", "c", "d"]) c.with({ k }).inc();
  assert.is(registry.collect()[0]?.samples.length, 2);
  assert.is(registry.droppedSeries(), 2);
});

test("MetricsRegistry rejects undeclared labels, bad names and negative counter steps", () => {
  const registry = new MetricsRegistry();
  const c = registry.counter("superpeer_y_total", "Y", ["a"]);
  assert.throws(() => c.with({ b: "1" }), /declared/);
  assert.throws(() => registry.counter("bad name_total", "Z"), /invalid name/);
  assert.throws(() => registry.counter("superpeer_no_suffix", "Z"), /_total/);
  assert.throws(() => registry.counter("superpeer_z_total", "Z").inc(-1), /decrease/);
});

test("MetricsRegistry re-declaring a metric returns the same family; a different type throws", () => {
  const registry = new MetricsRegistry();
  registry.counter("superpeer_r_total", "R").inc();
  registry.counter("superpeer_r_total", "R").inc();
  assert.is(registry.value("superpeer_r_total"), 2);
  assert.throws(() => registry.gauge("superpeer_r_total", "R"), /different type/);
});

test("MetricsRegistry gauges move both ways and collectors run before collect", () => {
  const registry = new MetricsRegistry();
  const g = registry.gauge("superpeer_g", "G");
  let sampled = 0;
  registry.addCollector(() => g.set(++sampled * 10));
  registry.collect();
  assert.is(registry.value("superpeer_g"), 10);
  g.inc(5);
  g.dec(2);
  assert.is(registry.value("superpeer_g"), 13);
});

test("MetricsRegistry histogram counts into cumulative buckets with sum and count", () => {
  const registry = new MetricsRegistry();
  const h = registry.histogram("superpeer_latency_seconds", "Latency", [0.1, 1]);
  for (const v of [0.05, 0.5, 0.7, 3]) h.observe(v);
  const family = registry.collect().find((f) => f.name === "superpeer_latency_seconds")!;
  assert.is(family.type, "histogram");
  assert.equal(family.samples.map((s) => [s.suffix, s.labels.le ?? "", s.value]), [
    ["_bucket", "0.1", 1],
    ["_bucket", "1", 3],
    ["_bucket", "+Inf", 4],
    ["_sum", "", 4.25],
    ["_count", "", 4],
  ]);
  assert.throws(() => registry.histogram("superpeer_bad_seconds", "Bad", [1, 0.5]), /ascend/);
});

test.run();
