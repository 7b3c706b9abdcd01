/**
 * A process's peak resident set above a baseline: Linux keeps the peak (VmHWM) since
 * the process started, so before a measured call the peak is reset to the resident set
 * of that moment (writing 5 to /proc/self/clear_refs), and afterwards VmHWM minus that
 * baseline is what the call added at its worst.
 */
import { writeFileSync } from "node:fs";
import { residentMemory, type ResidentMemory } from "./proc-status.js";

/** Resets this process's VmHWM to its VmRSS and returns both as they are after the reset. */
export function resetPeakRss(): ResidentMemory {
  writeFileSync("/proc/self/clear_refs", "5");
  return residentMemory("self");
}

/** Bytes the peak rose above `baselineRssBytes` (0 when it never did). */
export function extraPeakBytes(baselineRssBytes: number, peakRssBytes: number): number {
  return Math.max(0, peakRssBytes - baselineRssBytes);
}

/** `extraBytes` as a multiple of `messageBytes`: 1.5 means half again the message's size. */
export function multipleOfMessage(extraBytes: number, messageBytes: number): number {
  return messageBytes > 0 ? extraBytes / messageBytes : Number.NaN;
}
