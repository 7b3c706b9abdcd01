/** The soak run's results, and the targets that decide whether it passed. */
import type { RssSample } from "./rss-sampler.js";
import type { SoakOptions } from "./soak-options.js";
import type { StreamResult } from "./stream-phase.js";
import type { UnaryResult } from "./unary-phase.js";

/** What shutting everything down left behind. */
export interface ShutdownResult {
  /** How long the server's graceful shutdown took; undefined when it did not finish. */
  serverShutdownMs?: number;
  /** Active resources left in the server process after server.shutdown(), beyond stdio. */
  serverLeftover: string[];
  /** The server process exited by itself once its stdin closed. */
  serverExitedOnItsOwn: boolean;
  /** Active resources left in the driver after its channels closed and the server exited. */
  clientLeftover: string[];
}

/** One target and whether the run met it. */
export interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

export interface SoakReport {
  date: string;
  node: string;
  machine: { cpuModel: string; cores: number; memoryBytes: number };
  options: Omit<SoakOptions, "outDir">;
  unary?: UnaryResult;
  streams?: StreamResult;
  /** The server's VmRSS once a second, through both phases. */
  rssSamples: RssSample[];
  serverRssPeak: number;
  shutdown?: ShutdownResult;
  /** Errors that stopped a phase or the shutdown. */
  errors: string[];
  checks: Check[];
  passed: boolean;
}

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;

/** The targets, judged on whatever the run got to measure (a phase that did not run fails). */
export function evaluateChecks(report: Omit<SoakReport, "checks" | "passed">): Check[] {
  const { unary, streams, shutdown, options } = report;
  const checks: Check[] = [];
  checks.push(
    unary === undefined
      ? { name: "every unary call succeeded", passed: false, detail: "phase 1 did not run to the end" }
      : {
          name: "every unary call succeeded",
          passed: unary.failed === 0 && unary.succeeded === unary.planned,
          detail: `${unary.succeeded} of ${unary.planned} succeeded${failureText(unary.failuresByCode, unary.firstFailure)}`,
        },
  );
  checks.push(
    unary === undefined
      ? { name: `server RSS growth after warm-up < ${options.growthTargetPercent}%`, passed: false, detail: "not measured" }
      : {
          name: `server RSS growth after warm-up < ${options.growthTargetPercent}%`,
          passed: unary.rssGrowthPercent < options.growthTargetPercent,
          detail: `${mib(unary.serverMemory.afterWarmup.rss)} -> ${mib(unary.serverMemory.end.rss)} (${unary.rssGrowthPercent.toFixed(2)}%)`,
        },
  );
  checks.push(
    streams === undefined
      ? { name: "every stream was open at once", passed: false, detail: "phase 2 did not run to the end" }
      : {
          name: "every stream was open at once",
          passed: streams.openAtOnce === streams.planned,
          detail: `${streams.openAtOnce} of ${streams.planned}`,
        },
  );
  checks.push(
    streams === undefined
      ? { name: "every stream echoed every message in order and ended OK", passed: false, detail: "phase 2 did not run to the end" }
      : {
          name: "every stream echoed every message in order and ended OK",
          passed: streams.ok === streams.planned && streams.messagesChecked === streams.planned * streams.messagesPerStream,
          detail:
            `${streams.ok} of ${streams.planned} OK, ${streams.messagesChecked} messages checked, ` +
            `${streams.outOfOrder} out of order, ${streams.incomplete} incomplete${failureText(streams.failuresByCode, streams.firstFailure)}`,
        },
  );
  const cut = [unary?.cutShort === true ? "phase 1" : "", streams?.cutShort === true ? "phase 2" : ""].filter((s) => s !== "");
  const unfinished = [unary === undefined ? "phase 1" : "", streams === undefined ? "phase 2" : ""].filter((s) => s !== "");
  checks.push({
    name: `finished within --max-seconds ${options.maxSeconds}`,
    passed: cut.length === 0 && unfinished.length === 0,
    detail: [
      cut.length > 0 ? `${cut.join(" and ")} cut short` : "",
      unfinished.length > 0 ? `${unfinished.join(" and ")} did not run to the end` : "",
    ].filter((s) => s !== "").join("; ") || "yes",
  });
  checks.push(
    shutdown === undefined
      ? { name: "the server shut down gracefully and left nothing running", passed: false, detail: "shutdown not reached" }
      : {
          name: "the server shut down gracefully and left nothing running",
          passed: shutdown.serverShutdownMs !== undefined && shutdown.serverLeftover.length === 0 && shutdown.serverExitedOnItsOwn,
          detail:
            (shutdown.serverShutdownMs === undefined
              ? "shutdown did not finish"
              : `shutdown took ${shutdown.serverShutdownMs.toFixed(0)} ms, left ${resourceText(shutdown.serverLeftover)}`) +
            `, ${shutdown.serverExitedOnItsOwn ? "exited on its own" : "did not exit on its own"}`,
        },
  );
  checks.push(
    shutdown === undefined
      ? { name: "the client left nothing running", passed: false, detail: "shutdown not reached" }
      : {
          name: "the client left nothing running",
          passed: shutdown.clientLeftover.length === 0,
          detail: `left ${resourceText(shutdown.clientLeftover)}`,
        },
  );
  if (report.errors.length > 0) checks.push({ name: "no phase stopped with an error", passed: false, detail: report.errors.join("; ") });
  return checks;
}

function failureText(byCode: Record<string, number>, first: string | undefined): string {
  const codes = Object.entries(byCode).map(([code, count]) => `${count} ${code}`);
  if (codes.length === 0) return "";
  return `; failed: ${codes.join(", ")} (first: ${first ?? "?"})`;
}

/** "nothing", or the resource types with their counts: "2 TCPSocketWrap, 1 Timeout". */
export function resourceText(types: readonly string[]): string {
  if (types.length === 0) return "nothing";
  const counts = new Map<string, number>();
  for (const type of types) counts.set(type, (counts.get(type) ?? 0) + 1);
  return [...counts].map(([type, count]) => `${count} ${type}`).join(", ");
}
