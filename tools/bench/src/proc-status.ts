/** Resident memory of a process, read from Linux's /proc/<pid>/status. */
import { readFileSync } from "node:fs";

/** VmRSS (resident now) and VmHWM (peak resident) in bytes. */
export interface ResidentMemory {
  rssBytes: number;
  peakRssBytes: number;
}

/** Reads the resident memory of `pid` ("self" for this process). */
export function residentMemory(pid: number | "self"): ResidentMemory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return { rssBytes: kilobytes(status, "VmRSS"), peakRssBytes: kilobytes(status, "VmHWM") };
}

function kilobytes(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (match === null) throw new Error(`/proc status has no ${field}`);
  return Number(match[1]) * 1024;
}
