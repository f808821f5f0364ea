/** Label names and values of one series; values are short, bounded strings (reasons, states). */
export type Labels = Readonly<Record<string, string>>;

/** A monotonically increasing count (`*_total`). */
export interface Counter {
  inc(by?: number): void;
  /** The child series for these label values; keep it for hot paths instead of looking it up per event. */
  with(labels: Labels): Counter;
}

/** A value that goes up and down. */
export interface Gauge {
  set(value: number): void;
  inc(by?: number): void;
  dec(by?: number): void;
  with(labels: Labels): Gauge;
}

/**
 * Creates metrics; services receive one as a component. Names follow Prometheus rules.
 * A metric declared with `labelNames` has no unlabelled series: use `.with({...})` for each one.
 * A metric without label names is exposed (as 0) from the moment it is declared.
 */
export interface Metrics {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  /** A histogram with these upper bucket bounds (ascending); no labels. */
  histogram(name: string, help: string, buckets: readonly number[]): Histogram;
}

/** Counts observations into fixed buckets (`*_bucket{le}`, `*_sum`, `*_count`). */
export interface Histogram {
  observe(value: number): void;
}

/** One series as collected for exposition. */
export interface MetricSample {
  readonly labels: Labels;
  readonly value: number;
  /** Appended to the family name (`_bucket`, `_sum`, `_count` of a histogram). */
  readonly suffix?: string;
}

/** One metric family as collected for exposition. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly samples: readonly MetricSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Series per metric beyond which new label sets are refused (bounded memory, STYLE rule 5). */
export const DEFAULT_MAX_SERIES_PER_METRIC = 64;

interface Slot {
  readonly labels: Labels;
  value: number;
}

class Family {
  readonly series = new Map<string, Slot>();
  dropped = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge",
    readonly labelNames: readonly string[],
    readonly maxSeries: number,
  ) {}

  /** The series for `labels`, created on first use; undefined when the family is at its series cap. */
  slot(labels: Labels): Slot | undefined {
    const key = seriesKey(labels);
    let slot = this.series.get(key);
    if (slot === undefined) {
      const names = Object.keys(labels);
      if (
        names.length !== this.labelNames.length || names.some((n) => !this.labelNames.includes(n))
      ) {
        throw new TypeError(
          `Cannot use labels {${names.join(",")}} on ${this.name}: declared {${
            this.labelNames.join(",")
          }}`,
        );
      }
      if (this.series.size >= this.maxSeries) {
        this.dropped++;
        return undefined;
      }
      slot = { labels: { ...labels }, value: 0 };
      this.series.set(key, slot);
    }
    return slot;
  }
}

function seriesKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}\u0000${labels[k]}`).join("\u0001");
}

const NO_LABELS: Labels = Object.freeze({});

class SeriesHandle implements Counter, Gauge {
  readonly #family: Family;
  readonly #slot: Slot | undefined;

  /** `labels` undefined makes the family's root handle, which is only a series when it has no labels. */
  constructor(family: Family, labels: Labels | undefined) {
    this.#family = family;
    if (labels !== undefined) this.#slot = family.slot(labels);
    else if (family.labelNames.length === 0) this.#slot = family.slot(NO_LABELS);
  }

  inc(by = 1): void {
    if (this.#family.type === "counter" && !(by >= 0)) {
      throw new RangeError(`Cannot decrease counter ${this.#family.name} by ${by}`);
    }
    if (this.#slot) this.#slot.value += by;
  }

  dec(by = 1): void {
    if (this.#slot) this.#slot.value -= by;
  }

  set(value: number): void {
    if (this.#slot) this.#slot.value = value;
  }

  with(labels: Labels): SeriesHandle {
    return new SeriesHandle(this.#family, labels);
  }
}

/**
 * The process's metrics: counters and gauges with bounded label sets, plus collectors that
 * refresh sampled gauges (RSS, heap) just before each scrape.
 *
 * @example
 * ```ts
 * const registry = new MetricsRegistry();
 * const drops = registry.counter("superpeer_relay_dropped_total", "Packets dropped").with({ reason: "quota" });
 * drops.inc();
 * ```
 */
class HistogramFamily implements Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {
    this.counts = new Array(buckets.length).fill(0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]!++;
  }

  collect(): MetricFamily {
    const samples: MetricSample[] = this.buckets.map((le, i) => ({
      labels: { le: String(le) },
      value: this.counts[i]!,
      suffix: "_bucket",
    }));
    samples.push({ labels: { le: "+Inf" }, value: this.count, suffix: "_bucket" });
    samples.push({ labels: {}, value: this.sum, suffix: "_sum" });
    samples.push({ labels: {}, value: this.count, suffix: "_count" });
    return { name: this.name, help: this.help, type: "histogram", samples };
  }
}

export class MetricsRegistry implements Metrics {
  readonly #families = new Map<string, Family>();
  readonly #histograms = new Map<string, HistogramFamily>();
  readonly #collectors: Array<() => void> = [];
  readonly #maxSeries: number;

  constructor(options: { maxSeriesPerMetric?: number } = {}) {
    this.#maxSeries = options.maxSeriesPerMetric ?? DEFAULT_MAX_SERIES_PER_METRIC;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return new SeriesHandle(this.#family(name, help, "counter", labelNames), undefined);
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return new SeriesHandle(this.#family(name, help, "gauge", labelNames), undefined);
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    if (!METRIC_NAME.test(name)) {
      throw new TypeError(`Cannot register metric: invalid name "${name}"`);
    }
    if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1]!)) {
      throw new RangeError(`Cannot register ${name}: bucket bounds must ascend`);
    }
    let family = this.#histograms.get(name);
    if (family === undefined) {
      family = new HistogramFamily(name, help, [...buckets]);
      this.#histograms.set(name, family);
    }
    return family;
  }

  /** Registers a function run before every `collect()`, to set sampled gauges. */
  addCollector(collect: () => void): void {
    this.#collectors.push(collect);
  }

  /** Runs the collectors and returns a snapshot of every family, in registration order. */
  collect(): MetricFamily[] {
    for (const collect of this.#collectors) collect();
    const out: MetricFamily[] = [];
    for (const family of this.#families.values()) {
      const samples: MetricSample[] = [];
      for (const slot of family.series.values()) {
        samples.push({ labels: slot.labels, value: slot.value });
      }
      out.push({ name: family.name, help: family.help, type: family.type, samples });
    }
    for (const histogram of this.#histograms.values()) out.push(histogram.collect());
    return out;
  }

  /** Label sets refused because a metric was at its series cap, summed over all metrics. */
  droppedSeries(): number {
    let n = 0;
    for (const family of this.#families.values()) n += family.dropped;
    return n;
  }

  /** Current value of one series, or undefined when it does not exist; for tests and /status. */
  value(name: string, labels: Labels = NO_LABELS): number | undefined {
    return this.#families.get(name)?.series.get(seriesKey(labels))?.value;
  }

  #family(
    name: string,
    help: string,
    type: "counter" | "gauge",
    labelNames: readonly string[],
  ): Family {
    if (!METRIC_NAME.test(name)) {
      throw new TypeError(`Cannot register metric: invalid name "${name}"`);
    }
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label)) {
        throw new TypeError(`Cannot register ${name}: invalid label name "${label}"`);
      }
    }
    if (type === "counter" && !name.endsWith("_total")) {
      throw new TypeError(`Cannot register counter ${name}: counter names end in _total`);
    }
    const existing = this.#families.get(name);
    if (existing) {
      if (existing.type !== type || existing.labelNames.join(",") !== labelNames.join(",")) {
        throw new TypeError(`Cannot register ${name} again with a different type or labels`);
      }
      return existing;
    }
    const family = new Family(name, help, type, [...labelNames], this.#maxSeries);
    this.#families.set(name, family);
    return family;
  }
}
