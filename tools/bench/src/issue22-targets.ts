/**
 * Issue 22's targets for grpckit on transport-h2: ratios to @grpc/grpc-js, to raw
 * node:http2 and to transport-h2's own ceiling, peak memory as a multiple of the message
 * size, and event-loop delay in milliseconds; and whether a run met them.
 */
import { megabytesLabel, type CeilingRatio, type CompressedStreamRow, type LargeUnaryRow } from "./issue22-rows.js";
import { LIBRARY_LABEL } from "./libraries.js";
import type { Ratio } from "./ratio.js";
import { meetsTarget, type TargetComparison } from "./targets.js";
import type { IdleStreamsRow, WindowStreamRatio } from "./window-rows.js";

/** One target, what its value is, and the run's value. */
export interface Issue22Target {
  /** What is measured, and where: "server streaming messages/s, 100 B". */
  measure: string;
  /** What the value is: "grpckit on transport-h2 ÷ @grpc/grpc-js", "extra peak RSS ÷ message size", "p99 delay". */
  value: string;
  comparison: TargetComparison;
  bound: number;
  /** "×" for a ratio or multiple, "ms" for a delay. */
  unit: "×" | "ms";
  /** The run's value; undefined when its rows were not measured. */
  measured?: number;
  met: boolean;
}

/** The rows issue 22's targets read. */
export interface Issue22Measurements {
  ratios: readonly Ratio[];
  ceilingRatios: readonly CeilingRatio[];
  largeUnary: readonly LargeUnaryRow[];
  compressedStream: readonly CompressedStreamRow[];
  windowStreamRatios?: readonly WindowStreamRatio[];
  idleStreams?: readonly IdleStreamsRow[];
}

/** The round trip the window target is measured at. */
export const WINDOW_TARGET_RTT_MS = 20;

const H2 = LIBRARY_LABEL["grpckit-h2"];

function target(measure: string, value: string, comparison: TargetComparison, bound: number, unit: Issue22Target["unit"], measured: number | undefined): Issue22Target {
  return { measure, value, comparison, bound, unit, ...(measured !== undefined ? { measured } : {}), met: meetsTarget(measured, comparison, bound) };
}

/** Every issue 22 target, in the order the issue lists them, with the run's values. */
export function computeIssue22Targets(m: Issue22Measurements): Issue22Target[] {
  const ratio = (table: Ratio["table"], row: string, versus: Ratio["library"]): number | undefined =>
    m.ratios.find((r) => r.table === table && r.row === row && r.library === "grpckit-h2" && r.versus === versus)?.throughput;
  const large = m.largeUnary.find((row) => row.library === "grpckit-h2");
  const compressed = m.compressedStream.find((row) => row.library === "grpckit-h2");
  const idle = (window: IdleStreamsRow["window"]) => m.idleStreams?.find((row) => row.window === window);
  const idleBdp = idle("bdp");
  const idleFixed = idle("fixed-4m");
  // Memory the streams added, estimator ÷ the former fixed windows; a rise of 0 or less on both sides is no more.
  const idleRatio = (side: "clientRssBytes" | "serverRssBytes"): number | undefined =>
    idleBdp === undefined || idleFixed === undefined ? undefined : Math.max(0, idleBdp[side]) / Math.max(1, idleFixed[side]);
  const idleCount = idleBdp?.streams ?? idleFixed?.streams;
  const idleLabel = idleCount !== undefined ? `${idleCount.toLocaleString("en-US")} idle open streams` : "idle open streams";
  const largeSize = large !== undefined ? megabytesLabel(large.messageBytes) : "large";
  const compressedSize = compressed !== undefined ? megabytesLabel(compressed.messageBytes) : "large";
  // The longest stream: the estimator's growth from 64 KiB, a few round trips, weighs least in it.
  const windowRatio = m.windowStreamRatios
    ?.filter((r) => r.rttMs === WINDOW_TARGET_RTT_MS)
    .reduce<WindowStreamRatio | undefined>((longest, r) => (longest === undefined || r.messages > longest.messages ? r : longest), undefined);
  const windowStream = windowRatio !== undefined ? `64 KiB server stream of ${windowRatio.messages.toLocaleString("en-US")} messages` : "64 KiB server stream";
  return [
    target("bidi streaming messages/s, 100 B", `${H2} ÷ ${LIBRARY_LABEL.raw}`, "at least", 1, "×", ratio("streaming", "100 B", "raw")),
    target("server streaming messages/s, 100 B", `${H2} ÷ ${LIBRARY_LABEL["grpc-js"]}`, "at least", 5, "×", ratio("server streaming", "100 B", "grpc-js")),
    target("server unary requests/s, -c 8 -m 16", `${H2} ÷ transport-h2 on its own`, "at least", 0.75, "×",
      m.ceilingRatios.find((r) => r.load === "-c 8 -m 16")?.throughput),
    target(`${windowStream} at ${WINDOW_TARGET_RTT_MS} ms added round trip, MiB/s`, "BDP estimator ÷ fixed 16 MiB windows", "at least", 0.8, "×", windowRatio?.throughput),
    target(`${idleLabel}: client's RSS rise`, "BDP estimator ÷ fixed 4 MiB/16 MiB windows", "at most", 1, "×", idleRatio("clientRssBytes")),
    target(`${idleLabel}: server's RSS rise`, "BDP estimator ÷ fixed 4 MiB/16 MiB windows", "at most", 1, "×", idleRatio("serverRssBytes")),
    target(`${largeSize} unary echo: client's extra peak RSS`, "extra peak RSS ÷ message size", "at most", 1.5, "×", large?.clientMultiple),
    target(`${largeSize} unary echo: server's extra peak RSS`, "extra peak RSS ÷ message size", "at most", 1.5, "×", large?.serverMultiple),
    target(`${compressedSize} gzip-compressed messages: receiving server's event-loop delay`, "p99 delay", "at most", 20, "ms", compressed?.serverLoopDelay.p99Ms),
  ];
}
