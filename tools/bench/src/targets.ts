/**
 * Issue 11's targets for grpckit on transport-h2, each a bound on one ratio of grpckit
 * on transport-h2 to @grpc/grpc-js, and whether the run met it.
 */
import type { Ratio } from "./ratio.js";

/** How a ratio must compare with its bound. */
export type TargetComparison = "at least" | "at most" | "below";

/** One target and the run's ratio for it. */
export interface Target {
  /** What is divided, and where: "server unary requests/s, -c 8 -m 16". */
  measure: string;
  comparison: TargetComparison;
  /** The bound on grpckit on transport-h2 ÷ @grpc/grpc-js. */
  bound: number;
  /** grpckit on transport-h2 ÷ @grpc/grpc-js; undefined when either row was not measured. */
  ratio?: number;
  met: boolean;
}

interface TargetSpec {
  measure: string;
  table: Ratio["table"];
  row: string;
  field: "throughput" | "p99" | "cpuPerCall" | "peakRss";
  comparison: TargetComparison;
  bound: number;
}

/** The targets, in the order the issue lists them. */
const TARGET_SPECS: readonly TargetSpec[] = [
  { measure: "server unary requests/s, -c 8 -m 16", table: "server unary", row: "-c 8 -m 16", field: "throughput", comparison: "at least", bound: 4 },
  { measure: "server CPU time per call, -c 8 -m 16", table: "server unary", row: "-c 8 -m 16", field: "cpuPerCall", comparison: "at most", bound: 0.25 },
  { measure: "client unary calls/s, 100 in flight, grpckit-h2 server", table: "client unary, grpckit-h2 server", row: "100 in flight", field: "throughput", comparison: "at least", bound: 4 },
  { measure: "client CPU time per call, 100 in flight, grpckit-h2 server", table: "client unary, grpckit-h2 server", row: "100 in flight", field: "cpuPerCall", comparison: "at most", bound: 0.25 },
  { measure: "streaming messages/s, 100 B", table: "streaming", row: "100 B", field: "throughput", comparison: "at least", bound: 3 },
  { measure: "server p99, -c 1 -m 1 (1 in flight)", table: "server unary", row: "-c 1 -m 1", field: "p99", comparison: "below", bound: 1 },
  { measure: "client p99, 1 in flight, raw server", table: "client unary", row: "1 in flight", field: "p99", comparison: "below", bound: 1 },
  { measure: "server peak RSS, -c 8 -m 16", table: "server unary", row: "-c 8 -m 16", field: "peakRss", comparison: "at most", bound: 1 },
  { measure: "client peak RSS, 100 in flight, raw server", table: "client unary", row: "100 in flight", field: "peakRss", comparison: "at most", bound: 1 },
];

/** Whether `ratio` satisfies `comparison` with `bound`; a missing or NaN ratio never does. */
export function meetsTarget(ratio: number | undefined, comparison: TargetComparison, bound: number): boolean {
  if (ratio === undefined || Number.isNaN(ratio)) return false;
  switch (comparison) {
    case "at least":
      return ratio >= bound;
    case "at most":
      return ratio <= bound;
    case "below":
      return ratio < bound;
  }
}

/** Every target, with the grpckit on transport-h2 ÷ @grpc/grpc-js ratio found in `ratios`. */
export function computeTargets(ratios: readonly Ratio[]): Target[] {
  return TARGET_SPECS.map((spec) => {
    const found = ratios.find((r) => r.table === spec.table && r.row === spec.row && r.library === "grpckit-h2" && r.versus === "grpc-js");
    const ratio = found?.[spec.field];
    return {
      measure: spec.measure,
      comparison: spec.comparison,
      bound: spec.bound,
      ...(ratio !== undefined ? { ratio } : {}),
      met: meetsTarget(ratio, spec.comparison, spec.bound),
    };
  });
}
