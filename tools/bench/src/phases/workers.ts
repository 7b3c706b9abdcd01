/**
 * grpckit on transport-h2 served by node:cluster workers sharing one port
 * (servers/grpckit-h2-workers-server.ts), 1 worker and 2, taking turns under the
 * server-unary h2load load (its -c connections are what the primary spreads over the
 * workers), warm-up, duration and sample check, keeping each count's median run.
 * h2load runs on the same cores as the workers, so the figures are as measured.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ECHO_PATH } from "../bench-message.js";
import { ServerProcess } from "../child-process.js";
import { checkEcho } from "../echo-check.js";
import { runH2load } from "../h2load.js";
import type { WorkersRow } from "../issue22-rows.js";
import { medianRun } from "../median-run.js";
import type { BenchContext } from "./bench-context.js";
import { writeEchoBody, type EchoBody } from "./server-unary.js";

let logFiles = 0;

const WORKERS_SERVER = fileURLToPath(new URL("../servers/grpckit-h2-workers-server.js", import.meta.url));

async function measureWorkers(context: BenchContext, phase: string, workers: number, body: EchoBody): Promise<WorkersRow> {
  const settings = context.plan.serverUnary;
  const shape = context.plan.workers.shape;
  const server = await ServerProcess.start(`grpckit-h2 server, ${workers} workers`, WORKERS_SERVER, ["--workers", String(workers)]);
  try {
    const base = { h2load: context.h2load.path, url: `http://${server.address}${ECHO_PATH}`, bodyFile: body.file, ...shape };
    await runH2load({ ...base, requests: Math.max(settings.warmupRequests, shape.connections) });
    const result = await runH2load({
      ...base,
      ...(settings.durationSeconds !== undefined
        ? { durationSeconds: settings.durationSeconds }
        : { requests: Math.max(settings.requests ?? 0, shape.connections) }),
      // h2load appends to an existing log, so each run (of several rounds) writes its own.
      logFile: join(context.workDir, `h2load-workers-${workers}-${++logFiles}.log`),
    });
    const check = await checkEcho(server.address, body.frame, settings.checkRequests);
    if (check.grpcStatusOk !== check.requests || check.echoed !== check.requests) {
      context.fail(phase, "grpckit-h2", new Error(`sample check: ${check.grpcStatusOk}/${check.requests} grpc-status 0, ${check.echoed}/${check.requests} echoed`));
    }
    if (result.succeeded !== result.done || result.done === 0) {
      context.fail(phase, "grpckit-h2", new Error(`h2load: ${result.succeeded} of ${result.done} requests succeeded`));
    }
    return {
      workers,
      load: `-c ${shape.connections} -m ${shape.streams}`,
      requestsPerSecond: result.requestsPerSecond,
      p50Ms: result.latency?.p50Ms ?? Number.NaN,
      p99Ms: result.latency?.p99Ms ?? Number.NaN,
      h2load: result,
      check,
      roundsRequestsPerSecond: [],
    };
  } finally {
    await server.stop();
  }
}

export async function workersPhase(context: BenchContext): Promise<WorkersRow[]> {
  if (!context.plan.libraries.includes("grpckit-h2")) return [];
  const body = writeEchoBody(context);
  const { counts } = context.plan.workers;
  const rounds = context.plan.serverUnary.rounds;
  const runs = new Map<number, WorkersRow[]>(counts.map((count) => [count, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const workers of counts) {
      const phase = `workers, ${workers}`;
      context.log(`grpckit on transport-h2 served by ${workers} worker${workers === 1 ? "" : "s"}${rounds > 1 ? `, round ${round} of ${rounds}` : ""}`);
      try {
        runs.get(workers)!.push(await measureWorkers(context, phase, workers, body));
      } catch (error) {
        context.fail(phase, "grpckit-h2", error);
      }
    }
  }
  const rows: WorkersRow[] = [];
  for (const workers of counts) {
    const measured = runs.get(workers)!;
    const median = medianRun(measured, (row) => row.requestsPerSecond);
    if (median !== undefined) rows.push({ ...median, roundsRequestsPerSecond: measured.map((row) => row.requestsPerSecond) });
  }
  return rows;
}
