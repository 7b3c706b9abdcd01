/**
 * One backend's weight as gRFC A58 computes it from its ORCA load reports: queries per
 * second over utilization, with errors counted as extra utilization; used only after
 * a blackout period and forgotten when reports stop.
 */

/** The fields of an ORCA load report (`xds.data.orca.v3.OrcaLoadReport`) a weight is computed from. */
export interface LoadReportValues {
  /** Queries per second the backend served. */
  readonly rpsFractional: number;
  /** Errors per second. */
  readonly eps: number;
  /** The utilization the application reports; preferred over `cpuUtilization` when above 0. */
  readonly applicationUtilization: number;
  /** CPU utilization, used when the application reports none. */
  readonly cpuUtilization: number;
}

/** When a known weight is used and when it is forgotten, in milliseconds. */
export interface WeightTiming {
  /** A weight is used only once reports have kept it known for this long. */
  readonly blackoutPeriodMs: number;
  /** A weight not refreshed for this long is forgotten (0: never). */
  readonly weightExpirationPeriodMs: number;
}

/**
 * The weight a report gives: `qps / (utilization + eps / qps * errorUtilizationPenalty)`,
 * where utilization is the application utilization when above 0, else the CPU
 * utilization. 0 means the report says nothing usable (no queries or no utilization).
 */
export function weightFromReport(report: LoadReportValues, errorUtilizationPenalty: number): number {
  const qps = report.rpsFractional;
  const utilization = report.applicationUtilization > 0 ? report.applicationUtilization : report.cpuUtilization;
  if (!(qps > 0) || !(utilization > 0)) return 0;
  const weight = qps / (utilization + (report.eps / qps) * errorUtilizationPenalty);
  return Number.isFinite(weight) && weight > 0 ? weight : 0;
}

/**
 * The weight of one backend, kept across pickers. Times are milliseconds on one
 * monotonic clock the caller passes in, so the rules can be checked without waiting.
 */
export class EndpointWeight {
  private value = 0;
  /** When the current run of usable reports began; undefined when there is none. */
  private nonEmptySince: number | undefined;
  /** When the last usable report arrived. */
  private lastUpdated: number | undefined;

  /** Takes a load report received at `now`; a report without a usable weight is ignored. */
  update(report: LoadReportValues, now: number, errorUtilizationPenalty: number): void {
    const weight = weightFromReport(report, errorUtilizationPenalty);
    if (weight === 0) return;
    this.value = weight;
    this.lastUpdated = now;
    this.nonEmptySince ??= now;
  }

  /**
   * The weight to schedule with at `now`, or 0 while it is unknown: no report yet, still
   * in its blackout period, or expired (an expired weight serves a new blackout once
   * reports resume, since the backend's load may have changed meanwhile).
   */
  weightAt(now: number, timing: WeightTiming): number {
    if (this.lastUpdated === undefined) return 0;
    if (timing.weightExpirationPeriodMs > 0 && now - this.lastUpdated >= timing.weightExpirationPeriodMs) {
      this.nonEmptySince = undefined;
      return 0;
    }
    if (timing.blackoutPeriodMs > 0 && (this.nonEmptySince === undefined || now - this.nonEmptySince < timing.blackoutPeriodMs)) {
      return 0;
    }
    return this.value;
  }

  /**
   * Starts a new blackout period: called when the backend's connection becomes READY
   * again, since a reconnected backend may be a different process with another load.
   */
  restartBlackout(): void {
    this.nonEmptySince = undefined;
  }
}
