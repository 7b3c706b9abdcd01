/**
 * A process's memory after garbage collection, so that deltas between two snapshots
 * measure what is still held (connections, streams) rather than garbage.
 */

/** Memory in bytes, as process.memoryUsage reports it after a full collection. */
export interface MemorySnapshot {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/**
 * Collects garbage (when node runs with --expose-gc) and reads memory usage. Waits a
 * few turns of the event loop first so finished streams release what they hold.
 */
export async function settledMemory(): Promise<MemorySnapshot> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc?.();
  }
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers };
}

/** Per-item growth between two snapshots: resident set, and JS heap plus external memory. */
export interface MemoryDelta {
  rssBytesPerItem: number;
  heapBytesPerItem: number;
}

/** The memory each of `count` items added between `before` and `after`. */
export function memoryPerItem(before: MemorySnapshot, after: MemorySnapshot, count: number): MemoryDelta {
  return {
    rssBytesPerItem: (after.rss - before.rss) / count,
    heapBytesPerItem: (after.heapUsed + after.external - before.heapUsed - before.external) / count,
  };
}
