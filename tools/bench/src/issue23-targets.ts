/**
 * Issue 23's target: grpckit on transport-h2's Connect unary rate at least 3× what
 * @connectrpc/connect-node's own server answers under the same load, over HTTP/1.1 and
 * over HTTP/2; and whether a run met it.
 */
import type { ConnectRatio } from "./connect-rows.js";
import type { Issue22Target } from "./issue22-targets.js";
import { meetsTarget } from "./targets.js";

/** The same shape as issue 22's targets: what is measured, its value, goal and result. */
export type Issue23Target = Issue22Target;

export function computeIssue23Targets(ratios: readonly ConnectRatio[]): Issue23Target[] {
  return (["1.1", "2"] as const).map((http) => {
    const measured = ratios.find((r) => r.http === http)?.throughput;
    return {
      measure: `Connect unary requests/s over HTTP/${http}`,
      value: "grpckit on transport-h2 ÷ @connectrpc/connect-node",
      comparison: "at least",
      bound: 3,
      unit: "×",
      ...(measured !== undefined ? { measured } : {}),
      met: meetsTarget(measured, "at least", 3),
    };
  });
}
