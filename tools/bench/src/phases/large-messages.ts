/**
 * Large messages, for grpckit on both transports and @grpc/grpc-js, with the message
 * limits raised on both sides:
 * - one unary echo of a 100 MB message (a few MB in a smoke run), client and server each
 *   in their own process: how far each one's peak resident set rose above its baseline,
 *   as a multiple of the message size, and the call's time;
 * - gzip-compressed 10 MB messages on one client-streaming call: the receiving server's
 *   event-loop delay (perf_hooks.monitorEventLoopDelay) from the call's start until its
 *   last message was read, while it inflates them.
 */
import { runClientProcess, ServerProcess } from "../child-process.js";
import type { CountStreamClientResult, LargeUnaryClientResult } from "../clients/client-result.js";
import { megabytesLabel, type CompressedStreamRow, type LargeUnaryRow } from "../issue22-rows.js";
import { clientScript, LIBRARY_LABEL, serverScript, type Library } from "../libraries.js";
import { extraPeakBytes, multipleOfMessage } from "../peak-rss.js";
import type { BenchContext } from "./bench-context.js";

/** The libraries with large-message rows: raw node:http2 has no message limits or compression to measure. */
const LARGE_MESSAGE_LIBRARIES: readonly Library[] = ["grpckit", "grpckit-h2", "grpc-js"];

async function largeUnary(context: BenchContext, library: Library): Promise<LargeUnaryRow> {
  const { unaryBytes, limitBytes } = context.plan.largeMessages;
  const limit = ["--max-message-bytes", String(limitBytes)];
  const server = await ServerProcess.start(`${library} server`, serverScript(library), limit);
  try {
    const serverBaseline = await server.resetPeakRss();
    const result = await runClientProcess<LargeUnaryClientResult>(`${library} client`, clientScript(library), [
      "--target", server.address,
      "--scenario", "large-unary",
      "--size", String(unaryBytes),
      ...limit,
    ], context.plan.clientTimeoutMs);
    const serverExtra = extraPeakBytes(serverBaseline.rssBytes, server.peakRssBytes());
    const clientExtra = extraPeakBytes(result.baselineRssBytes, result.peakRssBytes);
    return {
      library,
      messageBytes: result.messageBytes,
      callMs: result.callMs,
      clientExtraPeakBytes: clientExtra,
      serverExtraPeakBytes: serverExtra,
      clientMultiple: multipleOfMessage(clientExtra, result.messageBytes),
      serverMultiple: multipleOfMessage(serverExtra, result.messageBytes),
    };
  } finally {
    await server.stop();
  }
}

async function compressedStream(context: BenchContext, library: Library): Promise<CompressedStreamRow> {
  const { streamMessageBytes, streamMessages, limitBytes } = context.plan.largeMessages;
  const limit = ["--max-message-bytes", String(limitBytes)];
  const server = await ServerProcess.start(`${library} server`, serverScript(library), limit);
  try {
    const result = await runClientProcess<CountStreamClientResult>(`${library} client`, clientScript(library), [
      "--target", server.address,
      "--scenario", "count-stream",
      "--size", String(streamMessageBytes),
      "--count", String(streamMessages),
      ...limit,
    ], context.plan.clientTimeoutMs);
    return {
      library,
      messages: result.messages,
      messageBytes: result.messageBytes,
      elapsedMs: result.elapsedMs,
      serverLoopDelay: await server.loopDelay(),
    };
  } finally {
    await server.stop();
  }
}

export async function largeUnaryPhase(context: BenchContext): Promise<LargeUnaryRow[]> {
  const rows: LargeUnaryRow[] = [];
  const size = megabytesLabel(context.plan.largeMessages.unaryBytes);
  for (const library of LARGE_MESSAGE_LIBRARIES.filter((l) => context.plan.libraries.includes(l))) {
    context.log(`${size} unary echo: ${LIBRARY_LABEL[library]}`);
    try {
      rows.push(await largeUnary(context, library));
    } catch (error) {
      context.fail(`${size} unary`, library, error);
    }
  }
  return rows;
}

export async function compressedStreamPhase(context: BenchContext): Promise<CompressedStreamRow[]> {
  const rows: CompressedStreamRow[] = [];
  const size = megabytesLabel(context.plan.largeMessages.streamMessageBytes);
  for (const library of LARGE_MESSAGE_LIBRARIES.filter((l) => context.plan.libraries.includes(l))) {
    context.log(`${size} gzip-compressed stream: ${LIBRARY_LABEL[library]}`);
    try {
      rows.push(await compressedStream(context, library));
    } catch (error) {
      context.fail(`${size} gzip stream`, library, error);
    }
  }
  return rows;
}
