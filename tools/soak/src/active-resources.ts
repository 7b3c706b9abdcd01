/**
 * What keeps a process alive after everything was closed: process.getActiveResourcesInfo()
 * less the process's own stdio pipes and terminals.
 */
import { setTimeout as sleep } from "node:timers/promises";

const stdioTypes = new Set(["PipeWrap", "TTYWrap"]);

/** The stdio handles of this process, counted once its stdio streams exist. */
export type StdioBaseline = ReadonlyMap<string, number>;

/**
 * Opens stdout and stderr (node creates them lazily) and counts the stdio handles the
 * process holds: these are not leftovers. Call it before any other handle is opened,
 * after stdin is read from if it will be.
 */
export function stdioBaseline(): StdioBaseline {
  void process.stdout;
  void process.stderr;
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) {
    if (stdioTypes.has(type)) counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return counts;
}

/** Active resources beyond the stdio baseline, sorted by type name. */
export function activeBeyondStdio(baseline: StdioBaseline): string[] {
  const allowed = new Map(baseline);
  const extra: string[] = [];
  for (const type of process.getActiveResourcesInfo()) {
    const left = allowed.get(type) ?? 0;
    if (left > 0) allowed.set(type, left - 1);
    else extra.push(type);
  }
  return extra.sort();
}

/**
 * Resources still active beyond stdio once closing has had `graceMs` to finish (sockets
 * and sessions close over a few turns of the event loop). Checks every 10 ms, from
 * outside any timer callback, so the check's own timer is not counted.
 */
export async function leftoverResources(baseline: StdioBaseline, graceMs = 2000): Promise<string[]> {
  const until = Date.now() + graceMs;
  for (;;) {
    await sleep(10);
    const extra = activeBeyondStdio(baseline);
    if (extra.length === 0 || Date.now() >= until) return extra;
  }
}
