/**
 * Clients making unary echo calls, 1 and 100 in flight, each client its own process
 * against the same raw node:http2 server so the server is not what limits them.
 */
import { SMALL_MESSAGE_BYTES } from "../bench-message.js";
import { runClientProcess, ServerProcess } from "../child-process.js";
import { clientScript, LIBRARY_LABEL, serverScript } from "../libraries.js";
import type { UnaryClientResult } from "../clients/client-result.js";
import type { ClientUnaryRow } from "../report.js";
import type { BenchContext } from "./bench-context.js";

export async function clientUnaryPhase(context: BenchContext): Promise<ClientUnaryRow[]> {
  const { plan } = context;
  const rows: ClientUnaryRow[] = [];
  const server = await ServerProcess.start("raw server", serverScript("raw"));
  try {
    for (const run of plan.clientUnary.runs) {
      for (const library of plan.libraries) {
        context.log(`client unary, ${run.concurrency} in flight: ${LIBRARY_LABEL[library]}`);
        try {
          const result = await runClientProcess<UnaryClientResult>(`${library} client`, clientScript(library), [
            "--target", server.address,
            "--scenario", "unary",
            "--size", String(SMALL_MESSAGE_BYTES),
            "--count", String(run.calls),
            "--concurrency", String(run.concurrency),
            "--warmup", String(run.warmupCalls),
          ], plan.clientTimeoutMs);
          rows.push({
            inFlight: run.concurrency,
            client: library,
            calls: result.calls,
            errors: result.errors,
            ...(result.firstError !== undefined ? { firstError: result.firstError } : {}),
            callsPerSecond: result.callsPerSecond,
            p50Ms: result.p50Ms,
            p99Ms: result.p99Ms,
            peakRssBytes: result.peakRssBytes,
          });
          if (result.errors > 0) {
            context.fail(`client unary ${run.concurrency} in flight`, library, new Error(
              `${result.errors} of ${result.calls} calls failed: ${result.firstError}`,
            ));
          }
        } catch (error) {
          context.fail(`client unary ${run.concurrency} in flight`, library, error);
        }
      }
    }
  } finally {
    await server.stop();
  }
  return rows;
}
