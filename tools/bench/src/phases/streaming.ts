/**
 * Messages per second over one bidi stream, 100-byte and 64 KiB messages: each
 * library's client against the same library's server (raw: node:http2 at both ends).
 */
import { runClientProcess, ServerProcess } from "../child-process.js";
import { clientScript, LIBRARY_LABEL, serverScript } from "../libraries.js";
import type { StreamClientResult } from "../clients/client-result.js";
import { messageSizeLabel, type StreamingRow } from "../report.js";
import type { BenchContext } from "./bench-context.js";

export async function streamingPhase(context: BenchContext): Promise<StreamingRow[]> {
  const { plan } = context;
  const rows: StreamingRow[] = [];
  for (const run of plan.streaming.runs) {
    const size = messageSizeLabel(run.messageBytes);
    for (const library of plan.libraries) {
      context.log(`streaming ${size} messages: ${LIBRARY_LABEL[library]}`);
      let server: ServerProcess | undefined;
      try {
        server = await ServerProcess.start(`${library} server`, serverScript(library));
        const result = await runClientProcess<StreamClientResult>(`${library} client`, clientScript(library), [
          "--target", server.address,
          "--scenario", "stream",
          "--size", String(run.messageBytes),
          "--count", String(run.messages),
          "--warmup", String(run.warmupMessages),
        ], plan.clientTimeoutMs);
        rows.push({
          messageBytes: run.messageBytes,
          library,
          messages: result.messages,
          messagesPerSecond: result.messagesPerSecond,
          mebibytesPerSecond: result.mebibytesPerSecond,
          clientPeakRssBytes: result.peakRssBytes,
          serverPeakRssBytes: server.peakRssBytes(),
        });
      } catch (error) {
        context.fail(`streaming ${size}`, library, error);
      } finally {
        await server?.stop();
      }
    }
  }
  return rows;
}
