/**
 * The median of repeated runs: a shared machine's speed drifts over minutes, so a
 * measurement runs several times, the libraries taking turns, and the middle one is kept.
 */

/** The run with the median throughput (the lower middle one of an even count). */
export function medianRun<T>(runs: readonly T[], throughput: (run: T) => number): T | undefined {
  const sorted = [...runs].sort((a, b) => throughput(a) - throughput(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
