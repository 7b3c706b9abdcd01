/** An in-memory MeterProvider for tests, and helpers to read what it recorded. */
import { MeterProvider, MetricReader, type DataPoint, type Histogram, type MetricData } from "@opentelemetry/sdk-metrics";

/** A reader whose metrics are read on demand with `collect()`. */
class OnDemandReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }

  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

export interface MetricsKit {
  meterProvider: MeterProvider;
  /** Every metric recorded so far, by name. */
  read(): Promise<Map<string, MetricData>>;
  shutdown(): Promise<void>;
}

export function metricsKit(): MetricsKit {
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    meterProvider,
    async read() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      const out = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics) for (const m of scope.metrics) out.set(m.descriptor.name, m);
      return out;
    },
    shutdown: () => meterProvider.shutdown(),
  };
}

type Attributes = Readonly<Record<string, unknown>>;

function matches(attrs: Attributes, want: Attributes): boolean {
  return Object.keys(want).every((k) => attrs[k] === want[k]);
}

/** The sum of a counter's points whose attributes include `want`. */
export function counterValue(metrics: Map<string, MetricData>, name: string, want: Attributes): number {
  const m = metrics.get(name);
  if (m === undefined) return 0;
  return (m.dataPoints as DataPoint<number>[]).filter((p) => matches(p.attributes, want)).reduce((s, p) => s + p.value, 0);
}

/** The histogram point whose attributes are exactly `want`. */
export function histogramPoint(metrics: Map<string, MetricData>, name: string, want: Attributes): Histogram | undefined {
  const m = metrics.get(name);
  const p = (m?.dataPoints as DataPoint<Histogram>[] | undefined)?.find(
    (d) => Object.keys(d.attributes).length === Object.keys(want).length && matches(d.attributes, want),
  );
  return p?.value;
}
