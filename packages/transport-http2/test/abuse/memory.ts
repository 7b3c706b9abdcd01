/**
 * The memory a test process holds, measured after a full garbage collection so that
 * garbage is not mistaken for growth. The server under test runs in the test's own
 * process (vitest gives each test file a process of its own), so what the server keeps
 * after an abuse shows here.
 */
import v8 from "node:v8";
import vm from "node:vm";

type Gc = () => void;

function findGc(): Gc {
  const exposed = (globalThis as { gc?: Gc }).gc;
  if (typeof exposed === "function") return exposed;
  // Without --expose-gc, the flag can still be set at run time; a fresh context then
  // sees the gc function.
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as Gc;
}

const gc = findGc();

export interface MemorySample {
  /** Resident set size of the process. */
  rss: number;
  /** JavaScript heap plus memory outside it (Buffers, ArrayBuffers) still referenced. */
  retained: number;
}

/** Collects garbage (twice, with a turn of the event loop between, so finalizers run) and samples. */
export async function settledMemory(): Promise<MemorySample> {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, retained: m.heapUsed + m.external };
}

export const MiB = 1024 * 1024;

/** The largest resident set size the process has had so far, in bytes. */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}
