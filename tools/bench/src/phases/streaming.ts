/**
 * Messages per second over one bidi stream ("stream") or one server-streaming call
 * ("server-stream"), 100-byte and 64 KiB messages: each library's client against the
 * same library's server (raw: node:http2 at both ends), in as many rounds as the plan
 * says, the libraries taking turns, keeping each library's median run.
 */
import type { BenchPlan } from "../bench-plan.js";
import { runClientProcess, ServerProcess } from "../child-process.js";
import { clientScript, LIBRARY_LABEL, serverScript, type Library } from "../libraries.js";
import type { StreamClientResult } from "../clients/client-result.js";
import { medianRun } from "../median-run.js";
import { messageSizeLabel, type StreamingRow } from "../report.js";
import type { BenchContext } from "./bench-context.js";

/** One streaming run: message size, messages measured and warm-up messages. */
type StreamingRun = BenchPlan["streaming"]["runs"][number];

/** The client scenario: bidi echo, or server-streaming echo. */
export type StreamScenario = "stream" | "server-stream";

/** Starts `library`'s server, streams `run`'s messages to it from `library`'s client, and stops the server. */
async function measureStream(context: BenchContext, library: Library, run: StreamingRun, scenario: StreamScenario): Promise<StreamingRow> {
  let server: ServerProcess | undefined;
  try {
    server = await ServerProcess.start(`${library} server`, serverScript(library));
    const result = await runClientProcess<StreamClientResult>(`${library} client`, clientScript(library), [
      "--target", server.address,
      "--scenario", scenario,
      "--size", String(run.messageBytes),
      "--count", String(run.messages),
      "--warmup", String(run.warmupMessages),
    ], context.plan.clientTimeoutMs);
    return {
      messageBytes: run.messageBytes,
      library,
      messages: result.messages,
      messagesPerSecond: result.messagesPerSecond,
      mebibytesPerSecond: result.mebibytesPerSecond,
      clientPeakRssBytes: result.peakRssBytes,
      serverPeakRssBytes: server.peakRssBytes(),
    };
  } finally {
    await server?.stop();
  }
}

export async function streamingPhase(context: BenchContext, scenario: StreamScenario = "stream"): Promise<StreamingRow[]> {
  const { plan } = context;
  const settings = scenario === "stream" ? plan.streaming : plan.serverStreaming;
  const name = scenario === "stream" ? "streaming" : "server streaming";
  const rows: StreamingRow[] = [];
  const rounds = settings.rounds;
  for (const run of settings.runs) {
    const size = messageSizeLabel(run.messageBytes);
    const runs = new Map<Library, StreamingRow[]>(plan.libraries.map((library) => [library, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const library of plan.libraries) {
        context.log(`${name} ${size} messages: ${LIBRARY_LABEL[library]}${rounds > 1 ? `, round ${round} of ${rounds}` : ""}`);
        try {
          runs.get(library)!.push(await measureStream(context, library, run, scenario));
        } catch (error) {
          context.fail(`${name} ${size}`, library, error);
        }
      }
    }
    for (const library of plan.libraries) {
      const measured = runs.get(library)!;
      const median = medianRun(measured, (row) => row.messagesPerSecond);
      if (median !== undefined) rows.push({ ...median, roundsMessagesPerSecond: measured.map((row) => row.messagesPerSecond) });
    }
  }
  return rows;
}
