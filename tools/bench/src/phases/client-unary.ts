/**
 * Clients making unary echo calls, 1 and 100 in flight, each client its own process:
 * every client against the raw node:http2 server, then every client against the
 * grpckit on transport-h2 server (the fastest one, so it is not what limits a fast
 * client), with each client's CPU time per call.
 */
import { SMALL_MESSAGE_BYTES } from "../bench-message.js";
import type { BenchPlan } from "../bench-plan.js";
import { runClientProcess, ServerProcess } from "../child-process.js";
import { clientScript, LIBRARY_LABEL, serverScript, type Library } from "../libraries.js";
import type { UnaryClientResult } from "../clients/client-result.js";
import { CLIENT_UNARY_SERVERS, type ClientUnaryRow } from "../report.js";
import type { BenchContext } from "./bench-context.js";

/** One client unary run: calls, warm-up calls and how many are in flight. */
export type ClientUnaryRun = BenchPlan["clientUnary"]["runs"][number];

/**
 * Runs `library`'s client process (with `clientArgs`) making `run`'s unary calls to
 * `target`. Failed calls are recorded under `phase`; the result is returned either way.
 */
export async function runUnaryClient(
  context: BenchContext,
  phase: string,
  library: Library,
  target: string,
  run: ClientUnaryRun,
  clientArgs: string[] = [],
): Promise<UnaryClientResult> {
  const result = await runClientProcess<UnaryClientResult>(`${library} client`, clientScript(library), [
    "--target", target,
    "--scenario", "unary",
    "--size", String(SMALL_MESSAGE_BYTES),
    "--count", String(run.calls),
    "--concurrency", String(run.concurrency),
    "--warmup", String(run.warmupCalls),
    ...clientArgs,
  ], context.plan.clientTimeoutMs);
  if (result.errors > 0) {
    context.fail(phase, library, new Error(`${result.errors} of ${result.calls} calls failed: ${result.firstError}`));
  }
  return result;
}

export async function clientUnaryPhase(context: BenchContext): Promise<ClientUnaryRow[]> {
  const { plan } = context;
  const rows: ClientUnaryRow[] = [];
  for (const serverLibrary of CLIENT_UNARY_SERVERS) {
    const against = `${LIBRARY_LABEL[serverLibrary]} server`;
    let server: ServerProcess | undefined;
    try {
      server = await ServerProcess.start(against, serverScript(serverLibrary));
      for (const run of plan.clientUnary.runs) {
        const phase = `client unary ${run.concurrency} in flight, ${against}`;
        for (const library of plan.libraries) {
          context.log(`client unary, ${run.concurrency} in flight, ${against}: ${LIBRARY_LABEL[library]}`);
          try {
            const result = await runUnaryClient(context, phase, library, server.address, run);
            rows.push({
              server: serverLibrary,
              inFlight: run.concurrency,
              client: library,
              calls: result.calls,
              errors: result.errors,
              ...(result.firstError !== undefined ? { firstError: result.firstError } : {}),
              callsPerSecond: result.callsPerSecond,
              p50Ms: result.p50Ms,
              p99Ms: result.p99Ms,
              cpuMicros: result.cpuMicros,
              cpuMicrosPerCall: result.cpuMicrosPerCall,
              peakRssBytes: result.peakRssBytes,
            });
          } catch (error) {
            context.fail(phase, library, error);
          }
        }
      }
    } catch (error) {
      for (const library of plan.libraries) context.fail(`client unary, ${against}`, library, error);
    } finally {
      await server?.stop();
    }
  }
  return rows;
}
