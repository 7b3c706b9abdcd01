/**
 * Metrics a plug-in records (gRFC A79, as grpc-go's experimental/stats): a balancer or
 * other plug-in registers its instruments once, by name, in a process-wide registry,
 * and records through the `MetricsRecorder` its channel hands it
 * (`BalancerBuildOptions.metricsRecorder`). A stats plug-in (@grpckit/opentelemetry)
 * provides a recorder per channel through `StatsHandler.metricsRecorder` and exports
 * the instruments its user enables; the recorder adds the `grpc.target` label itself.
 */
import { processWide } from "../registry/process-state.js";
import type { Logger } from "./logging.js";

/** What an instrument is: its name, what it measures, and the labels each record carries. */
export interface MetricDescriptor {
  /** The metric's name, unique in the process ("grpc.lb.wrr.rr_fallback"). */
  readonly name: string;
  /** What the metric measures, for people reading it. */
  readonly description: string;
  /** The unit, as OpenTelemetry spells it ("{call}", "s", "By"). */
  readonly unit: string;
  /** The label keys every record gives values for, in this order. */
  readonly labels: readonly string[];
  /** Label keys every record also gives values for, exported only when the user asks for them. */
  readonly optionalLabels: readonly string[];
  /** Whether the metric is exported without the user enabling it by name. */
  readonly default: boolean;
}

/** The kinds of instrument gRFC A79 defines. */
export type MetricKind = "int64Count" | "float64Count" | "int64Histogram" | "float64Histogram" | "int64Gauge";

/** A registered instrument: its descriptor and kind, passed back to the recorder with each record. */
export interface MetricHandle<K extends MetricKind = MetricKind> extends MetricDescriptor {
  /** Which register function made it, so which record method takes it. */
  readonly kind: K;
}

/** A counter of whole numbers, from `registerInt64Count`. */
export type Int64CountHandle = MetricHandle<"int64Count">;
/** A counter of fractional amounts, from `registerFloat64Count`. */
export type Float64CountHandle = MetricHandle<"float64Count">;
/** A histogram of whole numbers, from `registerInt64Histogram`. */
export type Int64HistogramHandle = MetricHandle<"int64Histogram">;
/** A histogram of fractional values, from `registerFloat64Histogram`. */
export type Float64HistogramHandle = MetricHandle<"float64Histogram">;
/** A gauge of whole numbers, from `registerInt64Gauge`. */
export type Int64GaugeHandle = MetricHandle<"int64Gauge">;

/**
 * Where a plug-in's records go. Label values come in the order of the descriptor's
 * `labels` and `optionalLabels`; a recorder adds the channel's `grpc.target` itself.
 */
export interface MetricsRecorder {
  /** Adds `value` to a counter. */
  recordInt64Count(handle: Int64CountHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): void;
  /** Adds `value` to a counter. */
  recordFloat64Count(handle: Float64CountHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): void;
  /** Records one value in a histogram. */
  recordInt64Histogram(handle: Int64HistogramHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): void;
  /** Records one value in a histogram. */
  recordFloat64Histogram(handle: Float64HistogramHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): void;
  /** Sets a gauge to `value`. */
  recordInt64Gauge(handle: Int64GaugeHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): void;
}

/** The process-wide instruments, by name, shared by every copy of core. */
const registry = processWide("metrics-registry", () => new Map<string, MetricHandle>());

function register<K extends MetricKind>(kind: K, descriptor: MetricDescriptor): MetricHandle<K> {
  const found = registry.get(descriptor.name);
  if (found !== undefined) {
    throw new Error(
      `metric "${descriptor.name}" is already registered (as ${found.kind}); each metric is registered once per process, ` +
        `when the module defining it loads — register it at module level, not per channel or per balancer`,
    );
  }
  const handle: MetricHandle<K> = Object.freeze({
    name: descriptor.name,
    description: descriptor.description,
    unit: descriptor.unit,
    labels: Object.freeze([...descriptor.labels]),
    optionalLabels: Object.freeze([...descriptor.optionalLabels]),
    default: descriptor.default,
    kind,
  });
  registry.set(handle.name, handle);
  return handle;
}

/** Registers a counter of whole numbers; throws if the name is taken. */
export function registerInt64Count(descriptor: MetricDescriptor): Int64CountHandle {
  return register("int64Count", descriptor);
}

/** Registers a counter of fractional amounts; throws if the name is taken. */
export function registerFloat64Count(descriptor: MetricDescriptor): Float64CountHandle {
  return register("float64Count", descriptor);
}

/** Registers a histogram of whole numbers; throws if the name is taken. */
export function registerInt64Histogram(descriptor: MetricDescriptor): Int64HistogramHandle {
  return register("int64Histogram", descriptor);
}

/** Registers a histogram of fractional values; throws if the name is taken. */
export function registerFloat64Histogram(descriptor: MetricDescriptor): Float64HistogramHandle {
  return register("float64Histogram", descriptor);
}

/** Registers a gauge of whole numbers (the last value recorded); throws if the name is taken. */
export function registerInt64Gauge(descriptor: MetricDescriptor): Int64GaugeHandle {
  return register("int64Gauge", descriptor);
}

/** Every instrument registered in the process, in registration order. */
export function registeredMetrics(): readonly MetricHandle[] {
  return [...registry.values()];
}

/** The instrument registered as `name`, if any. */
export function registeredMetric(name: string): MetricHandle | undefined {
  return registry.get(name);
}

type RecordMethod = keyof MetricsRecorder;

const recordMethodOf: Record<MetricKind, RecordMethod> = {
  int64Count: "recordInt64Count",
  float64Count: "recordFloat64Count",
  int64Histogram: "recordInt64Histogram",
  float64Histogram: "recordFloat64Histogram",
  int64Gauge: "recordInt64Gauge",
};

/**
 * The recorder a channel hands its balancer: each record goes to every stats plug-in's
 * recorder. A record whose label values do not match the instrument's descriptor, or
 * whose value does not fit the kind, is dropped and logged (once per instrument), and a
 * recorder that throws is logged: a plug-in's mistake never reaches its balancer.
 */
export class MetricsRecorderList implements MetricsRecorder {
  private readonly reported = new Set<string>();

  constructor(
    private readonly recorders: readonly MetricsRecorder[],
    private readonly logger: Logger,
  ) {}

  recordInt64Count(handle: Int64CountHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): void {
    this.record(handle, value, labels, optionalLabels);
  }

  recordFloat64Count(handle: Float64CountHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): void {
    this.record(handle, value, labels, optionalLabels);
  }

  recordInt64Histogram(handle: Int64HistogramHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): void {
    this.record(handle, value, labels, optionalLabels);
  }

  recordFloat64Histogram(handle: Float64HistogramHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): void {
    this.record(handle, value, labels, optionalLabels);
  }

  recordInt64Gauge(handle: Int64GaugeHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): void {
    this.record(handle, value, labels, optionalLabels);
  }

  private record(handle: MetricHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): void {
    // Checked even with no recorder, so a policy's mistake shows without a stats plug-in installed.
    const wrong = mismatch(handle, value, labels, optionalLabels);
    if (wrong !== undefined) {
      this.reportOnce(handle.name, `metric "${handle.name}": record dropped: ${wrong}`);
      return;
    }
    const method = recordMethodOf[handle.kind];
    for (const r of this.recorders) {
      try {
        (r[method] as (h: MetricHandle, v: number, l: readonly string[], o: readonly string[]) => void).call(r, handle, value, labels, optionalLabels);
      } catch (e) {
        this.reportOnce(`${handle.name}\0threw`, `metric "${handle.name}": a metrics recorder threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  private reportOnce(key: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.logger.error(message);
  }
}

/** Why a record does not fit its instrument, or undefined when it does. */
function mismatch(handle: MetricHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): string | undefined {
  if (registry.get(handle.name) !== handle) return "the handle was not returned by a register function of @grpckit/core";
  if (labels.length !== handle.labels.length) {
    return `${labels.length} label values given, the descriptor has ${handle.labels.length} labels (${handle.labels.join(", ") || "none"})`;
  }
  if (optionalLabels.length !== handle.optionalLabels.length) {
    return `${optionalLabels.length} optional label values given, the descriptor has ${handle.optionalLabels.length} optional labels (${handle.optionalLabels.join(", ") || "none"})`;
  }
  if (!Number.isFinite(value)) return `value ${String(value)} is not a finite number`;
  if (handle.kind.startsWith("int64") && !Number.isInteger(value)) return `value ${String(value)} is not a whole number, and ${handle.kind} counts whole numbers`;
  return undefined;
}
