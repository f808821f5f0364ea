import type { Labels, MetricFamily } from "../../core/metrics.ts";

/** Content type of the Prometheus text exposition format, version 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${escapeLabelValue(labels[k] ?? "")}"`).join(",")}}`;
}

/**
 * Renders metric families in the Prometheus text exposition format (HELP, TYPE, one line per series).
 *
 * @example
 * ```ts
 * renderPrometheusText([{ name: "up", help: "Up", type: "gauge", samples: [{ labels: {}, value: 1 }] }]);
 * // "# HELP up Up\n# TYPE up gauge\nup 1\n"
 * ```
 */
export function renderPrometheusText(families: readonly MetricFamily[]): string {
  let out = "";
  for (const family of families) {
    out += `# HELP ${family.name} ${
      escapeHelp(family.help)
    }\n# TYPE ${family.name} ${family.type}\n`;
    for (const sample of family.samples) {
      out += `${family.name}${sample.suffix ?? ""}${formatLabels(sample.labels)} ${
        formatValue(sample.value)
      }\n`;
    }
  }
  return out;
}
