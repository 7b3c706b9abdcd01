/**
 * Servers under h2load: each server process in turn gets a warm-up and a measured run
 * of unary echo calls, with its CPU time read before and after the measured run, then
 * a node:http2 sample that checks the answers.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchMessage, ECHO_PATH, SMALL_MESSAGE_BYTES } from "../bench-message.js";
import type { LoadShape } from "../bench-plan.js";
import { ServerProcess } from "../child-process.js";
import { cpuMicrosBetween, cpuMicrosPerCall, type CpuTime } from "../cpu-time.js";
import { checkEcho } from "../echo-check.js";
import { runH2load, type H2loadResult, type H2loadRunOptions } from "../h2load.js";
import { LIBRARY_LABEL, serverScript, type Library } from "../libraries.js";
import { medianRun } from "../median-run.js";
import type { ServerUnaryRow } from "../report.js";
import type { BenchContext } from "./bench-context.js";

/** The 100-byte echo request h2load sends: its gRPC frame, and the file h2load reads it from. */
export interface EchoBody {
  frame: Buffer;
  file: string;
}

/** Writes the small echo request's frame to the run's scratch directory. */
export function writeEchoBody(context: BenchContext): EchoBody {
  const message = benchMessage(SMALL_MESSAGE_BYTES);
  const file = join(context.workDir, `echo-request-${message.size}.bin`);
  writeFileSync(file, message.frame);
  return { frame: message.frame, file };
}

/** One server process measured at one load shape. */
export interface ServerMeasurement {
  row: ServerUnaryRow;
  /** The server process, still running, for questions asked after the load. */
  server: ServerProcess;
}

/** Numbers every h2load log file of a run: h2load appends to an existing log, so each measured run needs its own. */
let logFiles = 0;

/** A measured h2load run and the server's CPU time read just before and after it. */
export interface LoadRun {
  result: H2loadResult;
  cpuBefore: CpuTime;
  cpuAfter: CpuTime;
}

/**
 * Warms `server` up with h2load at `base`, then measures it with the plan's server-unary
 * duration (or request count), its per-request times logged to a file named after
 * `logName`, and its CPU time read before and after the measured run.
 */
export async function loadServer(
  context: BenchContext,
  server: ServerProcess,
  base: Omit<H2loadRunOptions, "requests" | "durationSeconds" | "logFile">,
  logName: string,
): Promise<LoadRun> {
  const settings = context.plan.serverUnary;
  await runH2load({ ...base, requests: Math.max(settings.warmupRequests, base.connections) });
  const logFile = join(context.workDir, `h2load-${logName}-${++logFiles}.log`);
  const cpuBefore = await server.cpuTime();
  const result = await runH2load({
    ...base,
    ...(settings.durationSeconds !== undefined
      ? { durationSeconds: settings.durationSeconds }
      : { requests: Math.max(settings.requests ?? 0, base.connections) }),
    logFile,
  });
  const cpuAfter = await server.cpuTime();
  return { result, cpuBefore, cpuAfter };
}

/** A server measured in place of a library's own: its script, and whether its answers must echo. */
export interface OtherServer {
  script: string;
  /** false for a server that answers a fixed response: only grpc-status 0 is required. */
  echoes: boolean;
}

/**
 * Starts `library`'s server (with `serverArgs`; or `other`, counted under `library`), warms it up, measures it under h2load
 * at `shape` with the plan's server-unary duration (and the server's CPU time over that
 * run), and checks a sample of answers.
 * A failed check or failed h2load requests are recorded under `phase`; the caller
 * stops the returned server.
 */
export async function measureServer(
  context: BenchContext,
  phase: string,
  library: Library,
  shape: LoadShape,
  body: EchoBody,
  serverArgs: string[] = [],
  other?: OtherServer,
): Promise<ServerMeasurement> {
  const settings = context.plan.serverUnary;
  const load = `-c ${shape.connections} -m ${shape.streams}`;
  const server = await ServerProcess.start(`${library} server`, other?.script ?? serverScript(library), serverArgs);
  try {
    const url = `http://${server.address}${ECHO_PATH}`;
    const variant = [...serverArgs, ...(other !== undefined ? [other.script.replace(/^.*\//, "").replace(/\.js$/, "")] : [])]
      .map((arg) => arg.replace(/^-+/, "")).join("-");
    const { result, cpuBefore, cpuAfter } = await loadServer(
      context,
      server,
      { h2load: context.h2load.path, url, bodyFile: body.file, ...shape },
      `${library}${variant === "" ? "" : `-${variant}`}-c${shape.connections}-m${shape.streams}`,
    );
    const peakRssBytes = server.peakRssBytes();
    const check = await checkEcho(server.address, body.frame, settings.checkRequests);
    if (check.grpcStatusOk !== check.requests || ((other?.echoes ?? true) && check.echoed !== check.requests)) {
      context.fail(phase, library, new Error(
        `sample check: ${check.grpcStatusOk}/${check.requests} grpc-status 0 (saw ${check.grpcStatuses.join(", ")}), ${check.echoed}/${check.requests} echoed`,
      ));
    }
    if (result.succeeded !== result.done || result.done === 0) {
      context.fail(phase, library, new Error(
        `h2load: ${result.succeeded} of ${result.done} requests succeeded (${result.failed} failed, ${result.errored} errored)`,
      ));
    }
    return {
      server,
      row: {
        load,
        server: library,
        requestsPerSecond: result.requestsPerSecond,
        p50Ms: result.latency?.p50Ms ?? Number.NaN,
        p99Ms: result.latency?.p99Ms ?? Number.NaN,
        peakRssBytes,
        cpuMicros: cpuMicrosBetween(cpuBefore, cpuAfter),
        cpuMicrosPerCall: cpuMicrosPerCall(cpuBefore, cpuAfter, result.done),
        h2load: result,
        check,
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export async function serverUnaryPhase(context: BenchContext): Promise<ServerUnaryRow[]> {
  const { plan } = context;
  const body = writeEchoBody(context);
  const rows: ServerUnaryRow[] = [];
  const rounds = plan.serverUnary.rounds;
  for (const shape of plan.serverUnary.shapes) {
    const load = `-c ${shape.connections} -m ${shape.streams}`;
    const runs = new Map<Library, ServerUnaryRow[]>(plan.libraries.map((l) => [l, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const library of plan.libraries) {
        context.log(`server unary ${load}: ${LIBRARY_LABEL[library]}${rounds > 1 ? `, round ${round} of ${rounds}` : ""}`);
        let server: ServerProcess | undefined;
        try {
          const measured = await measureServer(context, `server unary ${load}`, library, shape, body);
          server = measured.server;
          runs.get(library)!.push(measured.row);
        } catch (error) {
          context.fail(`server unary ${load}`, library, error);
        } finally {
          await server?.stop();
        }
      }
    }
    for (const library of plan.libraries) {
      const median = medianRun(runs.get(library)!, (r) => r.requestsPerSecond);
      if (median !== undefined) rows.push({ ...median, roundsRequestsPerSecond: runs.get(library)!.map((r) => r.requestsPerSecond) });
    }
  }
  return rows;
}
