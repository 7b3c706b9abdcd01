/** Resident memory of a process, read from Linux's /proc/<pid>/status. */
import { readFileSync } from "node:fs";

/** VmRSS of `pid` in bytes, or undefined once the process is gone. */
export function residentBytes(pid: number | "self"): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match === null ? undefined : Number(match[1]) * 1024;
}
