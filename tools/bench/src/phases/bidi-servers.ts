/**
 * The bidi split by server (bidi-server-rows.ts): the raw node:http2 client's 100-byte
 * bidi echo against node:http2's server, transport-h2 on its own and grpckit on
 * transport-h2, taking turns for the streaming rounds, keeping each server's median run,
 * with the server process's CPU time per message.
 */
import { runClientProcess, ServerProcess } from "../child-process.js";
import { BIDI_SERVER_LABEL, type BidiServer, type BidiServerRow } from "../bidi-server-rows.js";
import { SMALL_MESSAGE_BYTES } from "../bench-message.js";
import type { StreamClientResult } from "../clients/client-result.js";
import { cpuMicrosPerCall } from "../cpu-time.js";
import { clientScript, serverScript } from "../libraries.js";
import { medianRun } from "../median-run.js";
import type { BenchContext } from "./bench-context.js";
import { CEILING_SCRIPT } from "./ceiling.js";

const SERVERS: readonly BidiServer[] = ["raw", "h2-ceiling", "grpckit-h2"];

function script(server: BidiServer): string {
  return server === "h2-ceiling" ? CEILING_SCRIPT : serverScript(server);
}

async function measure(context: BenchContext, server: BidiServer, messages: number, warmupMessages: number): Promise<Omit<BidiServerRow, "roundsMessagesPerSecond">> {
  const process = await ServerProcess.start(`${server} server`, script(server));
  try {
    const before = await process.cpuTime();
    const result = await runClientProcess<StreamClientResult>("raw client", clientScript("raw"), [
      "--target", process.address,
      "--scenario", "stream",
      "--size", String(SMALL_MESSAGE_BYTES),
      "--count", String(messages),
      "--warmup", String(warmupMessages),
    ], context.plan.clientTimeoutMs);
    const after = await process.cpuTime();
    return {
      server,
      messageBytes: result.messageBytes,
      messages: result.messages,
      messagesPerSecond: result.messagesPerSecond,
      cpuMicrosPerMessage: cpuMicrosPerCall(before, after, messages + warmupMessages),
    };
  } finally {
    await process.stop();
  }
}

export async function bidiServersPhase(context: BenchContext): Promise<BidiServerRow[]> {
  const run = context.plan.streaming.runs.find((r) => r.messageBytes === SMALL_MESSAGE_BYTES);
  if (run === undefined || !context.plan.libraries.includes("grpckit-h2") || !context.plan.libraries.includes("raw")) return [];
  const rounds = context.plan.streaming.rounds;
  const runs = new Map<BidiServer, Omit<BidiServerRow, "roundsMessagesPerSecond">[]>(SERVERS.map((server) => [server, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const server of SERVERS) {
      context.log(`bidi 100 B from the raw client: ${BIDI_SERVER_LABEL[server]}${rounds > 1 ? `, round ${round} of ${rounds}` : ""}`);
      try {
        runs.get(server)!.push(await measure(context, server, run.messages, run.warmupMessages));
      } catch (error) {
        context.fail(`bidi from the raw client, ${BIDI_SERVER_LABEL[server]}`, server === "h2-ceiling" ? "grpckit-h2" : server, error);
      }
    }
  }
  const rows: BidiServerRow[] = [];
  for (const server of SERVERS) {
    const measured = runs.get(server)!;
    const median = medianRun(measured, (row) => row.messagesPerSecond);
    if (median !== undefined) rows.push({ ...median, roundsMessagesPerSecond: measured.map((row) => row.messagesPerSecond) });
  }
  return rows;
}
