/**
 * Servers under h2load: each server process in turn gets a warm-up and a measured run
 * of unary echo calls, then a node:http2 sample that checks the answers.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchMessage, ECHO_PATH, SMALL_MESSAGE_BYTES } from "../bench-message.js";
import { ServerProcess } from "../child-process.js";
import { checkEcho } from "../echo-check.js";
import { runH2load } from "../h2load.js";
import { LIBRARY_LABEL, serverScript } from "../libraries.js";
import type { ServerUnaryRow } from "../report.js";
import type { BenchContext } from "./bench-context.js";

export async function serverUnaryPhase(context: BenchContext): Promise<ServerUnaryRow[]> {
  const { plan } = context;
  const settings = plan.serverUnary;
  const message = benchMessage(SMALL_MESSAGE_BYTES);
  const bodyFile = join(context.workDir, `echo-request-${message.size}.bin`);
  writeFileSync(bodyFile, message.frame);
  const rows: ServerUnaryRow[] = [];
  for (const shape of settings.shapes) {
    const load = `-c ${shape.connections} -m ${shape.streams}`;
    for (const library of plan.libraries) {
      context.log(`server unary ${load}: ${LIBRARY_LABEL[library]}`);
      let server: ServerProcess | undefined;
      try {
        server = await ServerProcess.start(`${library} server`, serverScript(library));
        const url = `http://${server.address}${ECHO_PATH}`;
        const base = { h2load: context.h2load.path, url, bodyFile, ...shape };
        await runH2load({ ...base, requests: Math.max(settings.warmupRequests, shape.connections) });
        const logFile = join(context.workDir, `h2load-${library}-c${shape.connections}-m${shape.streams}.log`);
        const result = await runH2load({
          ...base,
          ...(settings.durationSeconds !== undefined
            ? { durationSeconds: settings.durationSeconds }
            : { requests: Math.max(settings.requests ?? 0, shape.connections) }),
          logFile,
        });
        const peakRssBytes = server.peakRssBytes();
        const check = await checkEcho(server.address, message.frame, settings.checkRequests);
        rows.push({
          load,
          server: library,
          requestsPerSecond: result.requestsPerSecond,
          p50Ms: result.latency?.p50Ms ?? Number.NaN,
          p99Ms: result.latency?.p99Ms ?? Number.NaN,
          peakRssBytes,
          h2load: result,
          check,
        });
        if (check.grpcStatusOk !== check.requests || check.echoed !== check.requests) {
          context.fail(`server unary ${load}`, library, new Error(
            `sample check: ${check.grpcStatusOk}/${check.requests} grpc-status 0 (saw ${check.grpcStatuses.join(", ")}), ${check.echoed}/${check.requests} echoed`,
          ));
        }
        if (result.succeeded !== result.done || result.done === 0) {
          context.fail(`server unary ${load}`, library, new Error(
            `h2load: ${result.succeeded} of ${result.done} requests succeeded (${result.failed} failed, ${result.errored} errored)`,
          ));
        }
      } catch (error) {
        context.fail(`server unary ${load}`, library, error);
      } finally {
        await server?.stop();
      }
    }
  }
  return rows;
}
