/**
 * Plug-in metrics (gRFC A79): the instruments balancers and other plug-ins register in
 * @grpckit/core, exported through the user's MeterProvider. A metric is exported when
 * it is on by default and not disabled, or when the user enables it by name; its
 * optional labels are kept only when the user names them. Each channel gets its own
 * recorder, which adds the channel's `grpc.target`.
 */
import type { Attributes, Counter, Gauge, Histogram, Meter } from "@opentelemetry/api";
import type { MetricHandle, MetricsRecorder } from "@grpckit/core";

/** Which plug-in metrics are exported, and with which optional labels. */
export interface PluginMetricsOptions {
  /** Metric names to export though they are off by default (`"grpc.lb.wrr.rr_fallback"`). */
  readonly enableMetrics?: readonly string[];
  /** Metric names not to export though they are on by default. */
  readonly disableMetrics?: readonly string[];
  /** Optional label keys to keep on the metrics that have them (`"grpc.lb.locality"`); others are left off. */
  readonly optionalLabels?: readonly string[];
}

type Instrument = Counter | Histogram | Gauge;

/** The OpenTelemetry instruments of the plug-in metrics one handler exports, made on first record. */
export class PluginMetrics {
  private readonly enabled: ReadonlySet<string>;
  private readonly disabled: ReadonlySet<string>;
  private readonly optionalLabels: ReadonlySet<string>;
  /** By metric name: its instrument, or null when the metric is not exported. */
  private readonly instruments = new Map<string, Instrument | null>();

  constructor(
    private readonly meter: Meter,
    options: PluginMetricsOptions,
  ) {
    this.enabled = new Set(options.enableMetrics ?? []);
    this.disabled = new Set(options.disableMetrics ?? []);
    this.optionalLabels = new Set(options.optionalLabels ?? []);
  }

  /** Whether the metric is exported. */
  exports(handle: MetricHandle): boolean {
    return this.enabled.has(handle.name) || (handle.default && !this.disabled.has(handle.name));
  }

  /** The recorder for a channel whose `grpc.target` is `target`. */
  recorderFor(target: string): MetricsRecorder {
    const record = (handle: MetricHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): void => {
      const instrument = this.instrumentOf(handle);
      if (instrument === null) return;
      const attrs: Attributes = { "grpc.target": target };
      handle.labels.forEach((key, i) => (attrs[key] = labels[i]));
      handle.optionalLabels.forEach((key, i) => {
        if (this.optionalLabels.has(key)) attrs[key] = optionalLabels[i];
      });
      if ("add" in instrument) instrument.add(value, attrs);
      else instrument.record(value, attrs);
    };
    return {
      recordInt64Count: record,
      recordFloat64Count: record,
      recordInt64Histogram: record,
      recordFloat64Histogram: record,
      recordInt64Gauge: record,
    };
  }

  private instrumentOf(handle: MetricHandle): Instrument | null {
    let found = this.instruments.get(handle.name);
    if (found === undefined) {
      found = this.exports(handle) ? this.create(handle) : null;
      this.instruments.set(handle.name, found);
    }
    return found;
  }

  private create(handle: MetricHandle): Instrument {
    const options = { description: handle.description, unit: handle.unit };
    switch (handle.kind) {
      case "int64Count":
      case "float64Count":
        return this.meter.createCounter(handle.name, options);
      case "int64Histogram":
      case "float64Histogram":
        return this.meter.createHistogram(handle.name, options);
      case "int64Gauge":
        return this.meter.createGauge(handle.name, options);
    }
  }
}
