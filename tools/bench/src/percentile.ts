/** Latency percentiles over recorded samples. */

/**
 * The nearest-rank percentile `p` (0..1) of ascending `sorted` samples; NaN when there
 * are none.
 */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Sorts the first `count` samples in place and returns their p50 and p99. */
export function summarize(samples: Float64Array, count: number): { p50Ms: number; p99Ms: number } {
  const sorted = samples.subarray(0, count).sort();
  return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
}
