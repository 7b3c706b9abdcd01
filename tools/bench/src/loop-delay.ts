/**
 * Event-loop delay as `perf_hooks.monitorEventLoopDelay` sees it: a timer meant to fire
 * every EVENT_LOOP_RESOLUTION_MS records how long each interval really took, so a
 * recorded value is the resolution plus the delay; the delay is what is reported.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

/** The timer's interval: fine enough to see a 20 ms stall, coarse enough to cost nothing. */
export const EVENT_LOOP_RESOLUTION_MS = 2;

/** Event-loop delay over a watched stretch of time, in milliseconds beyond the timer's interval. */
export interface LoopDelay {
  /** Intervals recorded. */
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The delay of a recorded interval of `recordedNanos`: what it took beyond `resolutionMs` (never negative). */
export function delayBeyondInterval(recordedNanos: number, resolutionMs: number): number {
  return Math.max(0, recordedNanos / 1e6 - resolutionMs);
}

/** p50, p99 and max delay of `histogram`, recorded with `resolutionMs`. */
export function loopDelaySummary(histogram: Pick<IntervalHistogram, "count" | "percentile" | "max">, resolutionMs = EVENT_LOOP_RESOLUTION_MS): LoopDelay {
  const samples = histogram.count;
  if (samples === 0) return { samples, p50Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN };
  return {
    samples,
    p50Ms: delayBeyondInterval(histogram.percentile(50), resolutionMs),
    p99Ms: delayBeyondInterval(histogram.percentile(99), resolutionMs),
    maxMs: delayBeyondInterval(histogram.max, resolutionMs),
  };
}

let lastCall: LoopDelay | undefined;

/**
 * Starts recording this process's event-loop delay for one call; the returned function
 * stops and keeps the result, which `lastCallLoopDelay` then answers. A server's
 * client-streaming handler records from its start until its last message is read.
 */
export function recordCallLoopDelay(): () => void {
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  histogram.enable();
  return () => {
    histogram.disable();
    lastCall = loopDelaySummary(histogram);
  };
}

/** The event-loop delay of the last call recorded in this process, if any. */
export function lastCallLoopDelay(): LoopDelay | undefined {
  return lastCall;
}
