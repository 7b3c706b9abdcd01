/**
 * What a server reports about its load, as grpc-go's orca.ServerMetrics: the named
 * figures of an ORCA load report, each either set or not, and three maps of named
 * values. A snapshot, made by a recorder and turned into an OrcaLoadReport to send.
 */
import { create } from "@bufbuild/protobuf";
import { OrcaLoadReportSchema, type OrcaLoadReport } from "@grpckit/core/orca";

export interface ServerMetrics {
  /** CPU use as a fraction of the CPU the server has, [0, ∞); undefined when not set. */
  readonly cpuUtilization: number | undefined;
  /** Memory use as a fraction of the memory the server has, [0, 1]; undefined when not set. */
  readonly memUtilization: number | undefined;
  /** The application's own utilization, [0, ∞); weighted round robin prefers it to CPU. */
  readonly applicationUtilization: number | undefined;
  /** Queries per second, [0, ∞): the report's rps_fractional. */
  readonly qps: number | undefined;
  /** Errors per second, [0, ∞). */
  readonly eps: number | undefined;
  /** Utilizations of named resources, each in [0, 1]. */
  readonly utilization: Readonly<Record<string, number>>;
  /** Costs of a request by the application's names (per-call reports; out of band, those asked for). */
  readonly requestCost: Readonly<Record<string, number>>;
  /** Other named metrics of the application. */
  readonly namedMetrics: Readonly<Record<string, number>>;
}

/** Anything that can say what the server's load is now, such as a ServerMetricsRecorder. */
export interface ServerMetricsProvider {
  serverMetrics(): ServerMetrics;
}

/** `base` overlaid with `over`: a figure or map entry set in `over` wins, as grpc-go merges per-call metrics over the server's. */
export function mergeServerMetrics(base: ServerMetrics, over: ServerMetrics): ServerMetrics {
  return {
    cpuUtilization: over.cpuUtilization ?? base.cpuUtilization,
    memUtilization: over.memUtilization ?? base.memUtilization,
    applicationUtilization: over.applicationUtilization ?? base.applicationUtilization,
    qps: over.qps ?? base.qps,
    eps: over.eps ?? base.eps,
    utilization: mergeRecords(base.utilization, over.utilization),
    requestCost: mergeRecords(base.requestCost, over.requestCost),
    namedMetrics: mergeRecords(base.namedMetrics, over.namedMetrics),
  };
}

/** True when `metrics` has no figure set and no map entry: nothing worth sending. */
export function isEmptyServerMetrics(metrics: ServerMetrics): boolean {
  return (
    metrics.cpuUtilization === undefined &&
    metrics.memUtilization === undefined &&
    metrics.applicationUtilization === undefined &&
    metrics.qps === undefined &&
    metrics.eps === undefined &&
    isEmptyRecord(metrics.utilization) &&
    isEmptyRecord(metrics.requestCost) &&
    isEmptyRecord(metrics.namedMetrics)
  );
}

/**
 * The OrcaLoadReport that carries `metrics` (a figure not set is sent as 0, which the
 * proto3 report cannot tell from unset). `requestCostNames`, when given and not empty,
 * keeps only those request costs, as an out-of-band client asks with request_cost_names.
 */
export function toLoadReport(metrics: ServerMetrics, requestCostNames?: readonly string[]): OrcaLoadReport {
  return create(OrcaLoadReportSchema, {
    cpuUtilization: metrics.cpuUtilization ?? 0,
    memUtilization: metrics.memUtilization ?? 0,
    applicationUtilization: metrics.applicationUtilization ?? 0,
    rpsFractional: metrics.qps ?? 0,
    eps: metrics.eps ?? 0,
    utilization: { ...metrics.utilization },
    requestCost: requestCostNames === undefined || requestCostNames.length === 0 ? { ...metrics.requestCost } : pick(metrics.requestCost, requestCostNames),
    namedMetrics: { ...metrics.namedMetrics },
  });
}

function mergeRecords(base: Readonly<Record<string, number>>, over: Readonly<Record<string, number>>): Record<string, number> {
  // No prototype, so a metric named "__proto__" is an ordinary key.
  return Object.assign(Object.create(null) as Record<string, number>, base, over);
}

function isEmptyRecord(record: Readonly<Record<string, number>>): boolean {
  for (const _ in record) return false;
  return true;
}

function pick(record: Readonly<Record<string, number>>, names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = Object.create(null);
  for (const name of names) if (Object.hasOwn(record, name)) out[name] = record[name];
  return out;
}
