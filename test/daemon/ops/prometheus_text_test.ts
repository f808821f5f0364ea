import { test } from "uvu";
import * as assert from "uvu/assert";
import { MetricsRegistry } from "../../../src/core/metrics.ts";
import { renderPrometheusText } from "../../../src/daemon/ops/prometheus_text.ts";
import { parsePrometheusText } from "../../helpers/prometheus_parse.ts";

test("renderPrometheusText writes HELP, TYPE and one line per series", () => {
  const text = renderPrometheusText([{
    name: "up",
    help: "Up",
    type: "gauge",
    samples: [{ labels: {}, value: 1 }],
  }]);
  assert.is(text, "# HELP up Up\n# TYPE up gauge\nup 1\n");
});

test("renderPrometheusText escapes label values and help text", () => {
  const text = renderPrometheusText([{
    name: "x_total",
    help: "a\\b\nc",
    type: "counter",
    samples: [{ labels: { v: 'say "hi"\\\n' }, value: 2 }],
  }]);
  assert.match(text, /# HELP x_total a\\\\b\\nc\n/);
  assert.match(text, /x_total\{v="say \\"hi\\"\\\\\\n"\} 2\n/);
});

test("renderPrometheusText writes special float values as Prometheus spells them", () => {
  const text = renderPrometheusText([{
    name: "g",
    help: "G",
    type: "gauge",
    samples: [{ labels: { a: "1" }, value: NaN }, { labels: { a: "2" }, value: Infinity }, {
      labels: { a: "3" },
      value: -Infinity,
    }],
  }]);
  assert.match(text, /g\{a="1"\} NaN/);
  assert.match(text, /g\{a="2"\} \+Inf/);
  assert.match(text, /g\{a="3"\} -Inf/);
});

test("renderPrometheusText output of a registry parses back to the same values", () => {
  const registry = new MetricsRegistry();
  registry.counter("superpeer_a_total", "A", ["reason"]).with({ reason: "quota" }).inc(7);
  registry.gauge("superpeer_b", "B").set(3.5);
  const parsed = parsePrometheusText(renderPrometheusText(registry.collect()));
  assert.is(parsed.get('superpeer_a_total{reason="quota"}'), 7);
  assert.is(parsed.get("superpeer_b"), 3.5);
  assert.is(parsed.types.get("superpeer_a_total"), "counter");
});

test("renderPrometheusText writes histogram buckets, sum and count under one TYPE line", () => {
  const registry = new MetricsRegistry();
  registry.histogram("superpeer_x_seconds", "X", [1]).observe(0.5);
  const text = renderPrometheusText(registry.collect());
  assert.match(
    text,
    /# TYPE superpeer_x_seconds histogram\nsuperpeer_x_seconds_bucket\{le="1"\} 1\nsuperpeer_x_seconds_bucket\{le="\+Inf"\} 1\nsuperpeer_x_seconds_sum 0\.5\nsuperpeer_x_seconds_count 1\n/,
  );
  assert.is(parsePrometheusText(text).get('superpeer_x_seconds_bucket{le="+Inf"}'), 1);
});

test.run();
