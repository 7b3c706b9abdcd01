/**
 * A process's CPU time (user + system, every thread: JavaScript, garbage collection,
 * libuv), and the CPU time per call between two readings: a server's, read over its
 * control channel, or a client process's own.
 */

/** CPU time used by a process since it started, in microseconds. */
export interface CpuTime {
  userMicros: number;
  systemMicros: number;
}

/** This process's CPU time so far (process.cpuUsage: microsecond resolution). */
export function processCpuTime(): CpuTime {
  const usage = process.cpuUsage();
  return { userMicros: usage.user, systemMicros: usage.system };
}

/** Microseconds of CPU time (user + system) used between `before` and `after`. */
export function cpuMicrosBetween(before: CpuTime, after: CpuTime): number {
  return after.userMicros - before.userMicros + (after.systemMicros - before.systemMicros);
}

/**
 * Microseconds of CPU time (user + system) per call between `before` and `after`,
 * `calls` having completed in between; NaN when no call completed.
 */
export function cpuMicrosPerCall(before: CpuTime, after: CpuTime, calls: number): number {
  return calls > 0 ? cpuMicrosBetween(before, after) / calls : Number.NaN;
}
