/**
 * A recorder of server metrics, as grpc-go's orca.ServerMetricsRecorder: the server
 * (or one call's handler) sets and deletes figures, and the out-of-band service or
 * the per-call trailer reads a snapshot. A value out of a figure's range is ignored,
 * as grpc-go ignores it, so one bad sample never reaches a client's weights.
 */
import type { OrcaLoadReport } from "@grpckit/core/orca";
import { toLoadReport, type ServerMetrics, type ServerMetricsProvider } from "./server-metrics.js";

export class ServerMetricsRecorder implements ServerMetricsProvider {
  private cpu: number | undefined;
  private memory: number | undefined;
  private application: number | undefined;
  private qps: number | undefined;
  private eps: number | undefined;
  private readonly utilization = new Map<string, number>();
  private readonly requestCost = new Map<string, number>();
  private readonly namedMetrics = new Map<string, number>();

  /** Sets the CPU utilization, a fraction of the CPU the server has: [0, ∞), else ignored. */
  setCpuUtilization(value: number): void {
    if (atLeastZero(value)) this.cpu = value;
  }

  deleteCpuUtilization(): void {
    this.cpu = undefined;
  }

  /** Sets the memory utilization, a fraction of the memory the server has: [0, 1], else ignored. */
  setMemoryUtilization(value: number): void {
    if (fraction(value)) this.memory = value;
  }

  deleteMemoryUtilization(): void {
    this.memory = undefined;
  }

  /** Sets the application's own utilization: [0, ∞), else ignored. Weighted round robin prefers it to CPU. */
  setApplicationUtilization(value: number): void {
    if (atLeastZero(value)) this.application = value;
  }

  deleteApplicationUtilization(): void {
    this.application = undefined;
  }

  /** Sets the queries per second (the report's rps_fractional): [0, ∞), else ignored. */
  setQps(value: number): void {
    if (atLeastZero(value)) this.qps = value;
  }

  deleteQps(): void {
    this.qps = undefined;
  }

  /** Sets the errors per second: [0, ∞), else ignored. */
  setEps(value: number): void {
    if (atLeastZero(value)) this.eps = value;
  }

  deleteEps(): void {
    this.eps = undefined;
  }

  /** Sets the utilization of a named resource (the report's utilization map): [0, 1], else ignored. */
  setNamedUtilization(name: string, value: number): void {
    if (fraction(value)) this.utilization.set(name, value);
  }

  deleteNamedUtilization(name: string): void {
    this.utilization.delete(name);
  }

  /** Sets a cost of the request by the application's name (the report's request_cost map). */
  setRequestCost(name: string, value: number): void {
    if (!Number.isNaN(value)) this.requestCost.set(name, value);
  }

  deleteRequestCost(name: string): void {
    this.requestCost.delete(name);
  }

  /** Sets another named metric of the application (the report's named_metrics map). */
  setNamedMetric(name: string, value: number): void {
    if (!Number.isNaN(value)) this.namedMetrics.set(name, value);
  }

  deleteNamedMetric(name: string): void {
    this.namedMetrics.delete(name);
  }

  /** A snapshot of what is set now; later changes do not alter it. */
  serverMetrics(): ServerMetrics {
    return {
      cpuUtilization: this.cpu,
      memUtilization: this.memory,
      applicationUtilization: this.application,
      qps: this.qps,
      eps: this.eps,
      utilization: toRecord(this.utilization),
      requestCost: toRecord(this.requestCost),
      namedMetrics: toRecord(this.namedMetrics),
    };
  }

  /** What is set now as the OrcaLoadReport a client receives. */
  loadReport(): OrcaLoadReport {
    return toLoadReport(this.serverMetrics());
  }
}

function atLeastZero(value: number): boolean {
  return value >= 0;
}

function fraction(value: number): boolean {
  return value >= 0 && value <= 1;
}

function toRecord(map: ReadonlyMap<string, number>): Record<string, number> {
  // No prototype, so a metric named "__proto__" is an ordinary key.
  const out: Record<string, number> = Object.create(null);
  for (const [name, value] of map) out[name] = value;
  return out;
}
