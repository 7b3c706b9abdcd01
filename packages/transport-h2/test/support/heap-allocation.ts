/**
 * Counts the bytes allocated on the V8 heap while a piece of code runs: what each
 * garbage collection found in use before it ran, less what the previous one left, plus
 * what is in use at the end. Buffers' backing stores live outside the V8 heap and are
 * not counted; their small JS objects are.
 */
import v8 from "node:v8";

export async function heapBytesAllocated(run: () => Promise<void>): Promise<number> {
  const profiler = new v8.GCProfiler();
  let previous = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  await run();
  const end = v8.getHeapStatistics().used_heap_size;
  const { statistics } = profiler.stop();
  let total = 0;
  for (const gc of statistics) {
    total += gc.beforeGC.heapStatistics.usedHeapSize - previous;
    previous = gc.afterGC.heapStatistics.usedHeapSize;
  }
  return total + end - previous;
}
