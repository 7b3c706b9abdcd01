/**
 * Flow-control windows of grpckit on transport-h2, client and server each in their own
 * process with the same `--window` mode (window-mode.ts):
 * - one server-streaming call of 64 KiB messages through the latency relay at each added
 *   round trip and stream length, the connection made by a small call first so windows
 *   start as a new connection's do: MiB/s with the BDP estimator and with fixed 16 MiB
 *   windows, in rounds, the modes taking turns;
 * - idle open bidi streams on one connection: client and server memory above their
 *   baseline with the estimator, fixed 16 MiB windows and the former fixed 4 MiB/16 MiB,
 *   the modes taking turns, keeping the median of each side's rises.
 */
import { fileURLToPath } from "node:url";
import { runClientProcess, runSteppedClientProcess, ServerProcess } from "../child-process.js";
import type { IdleStreamsClientResult, StreamClientResult } from "../clients/client-result.js";
import { clientScript, serverScript } from "../libraries.js";
import type { MemorySnapshot } from "../memory-snapshot.js";
import { medianRun } from "../median-run.js";
import { SMALL_MESSAGE_BYTES } from "../bench-message.js";
import { WINDOW_LABEL, type WindowMode } from "../window-mode.js";
import { idleStreamsMedians, type IdleStreamsRow, type IdleStreamsRun, type WindowStreamRow } from "../window-rows.js";
import type { BenchContext } from "./bench-context.js";

const RELAY_SCRIPT = fileURLToPath(new URL("../servers/latency-relay.js", import.meta.url));

/** The modes the stream compares: the estimator against the fixed windows it grows to. */
const STREAM_WINDOWS: readonly WindowMode[] = ["bdp", "fixed-16m"];
/** The modes whose idle streams are weighed. */
const IDLE_WINDOWS: readonly WindowMode[] = ["bdp", "fixed-16m", "fixed-4m"];

async function measureStream(context: BenchContext, window: WindowMode, rttMs: number, messages: number): Promise<Omit<WindowStreamRow, "roundsMebibytesPerSecond">> {
  const { messageBytes } = context.plan.windows;
  const server = await ServerProcess.start(`grpckit-h2 server (${window})`, serverScript("grpckit-h2"), ["--window", window]);
  try {
    const relay = await ServerProcess.start(`latency relay (${rttMs} ms)`, RELAY_SCRIPT, ["--target", server.address, "--rtt-ms", String(rttMs)]);
    try {
      const result = await runClientProcess<StreamClientResult>(`grpckit-h2 client (${window})`, clientScript("grpckit-h2"), [
        "--target", relay.address,
        "--scenario", "connected-server-stream",
        "--size", String(messageBytes),
        "--count", String(messages),
        "--window", window,
      ], context.plan.clientTimeoutMs);
      return {
        window,
        rttMs,
        messageBytes: result.messageBytes,
        messages: result.messages,
        mebibytesPerSecond: result.mebibytesPerSecond,
        clientPeakRssBytes: result.peakRssBytes,
        serverPeakRssBytes: server.peakRssBytes(),
      };
    } finally {
      await relay.stop();
    }
  } finally {
    await server.stop();
  }
}

export async function windowStreamPhase(context: BenchContext): Promise<WindowStreamRow[]> {
  const { rttsMs, rounds, messageBytes, messageCounts } = context.plan.windows;
  const rows: WindowStreamRow[] = [];
  for (const rttMs of rttsMs) for (const messages of messageCounts) {
    const runs = new Map<WindowMode, Omit<WindowStreamRow, "roundsMebibytesPerSecond">[]>(STREAM_WINDOWS.map((w) => [w, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const window of STREAM_WINDOWS) {
        context.log(`${messages} × ${messageBytes >> 10} KiB server stream, ${rttMs} ms added round trip: ${WINDOW_LABEL[window]}${rounds > 1 ? `, round ${round} of ${rounds}` : ""}`);
        try {
          runs.get(window)!.push(await measureStream(context, window, rttMs, messages));
        } catch (error) {
          context.fail(`window stream ${rttMs} ms ${messages} messages ${window}`, "grpckit-h2", error);
        }
      }
    }
    for (const window of STREAM_WINDOWS) {
      const measured = runs.get(window)!;
      const median = medianRun(measured, (row) => row.mebibytesPerSecond);
      if (median !== undefined) rows.push({ ...median, roundsMebibytesPerSecond: measured.map((row) => row.mebibytesPerSecond) });
    }
  }
  return rows;
}

function rise(before: MemorySnapshot, after: MemorySnapshot): { rss: number; heap: number } {
  return { rss: after.rss - before.rss, heap: after.heapUsed + after.external - before.heapUsed - before.external };
}

async function measureIdleStreams(context: BenchContext, window: WindowMode): Promise<IdleStreamsRun> {
  const { idleStreams } = context.plan.windows;
  const server = await ServerProcess.start(`grpckit-h2 server (${window})`, serverScript("grpckit-h2"), ["--window", window]);
  try {
    const serverMemory = new Map<string, MemorySnapshot>();
    const result = await runSteppedClientProcess<IdleStreamsClientResult>(`grpckit-h2 client (${window})`, clientScript("grpckit-h2"), [
      "--target", server.address,
      "--scenario", "idle-streams",
      "--size", String(SMALL_MESSAGE_BYTES),
      "--streams", String(idleStreams),
      "--window", window,
    ], context.plan.clientTimeoutMs, async (step) => {
      serverMemory.set(step, await server.memory());
    });
    const serverBaseline = serverMemory.get("baseline");
    const serverOpen = serverMemory.get("open");
    if (serverBaseline === undefined || serverOpen === undefined) throw new Error("the client did not stop at its baseline and open steps");
    const client = rise(result.baseline, result.withStreams);
    const serverRise = rise(serverBaseline, serverOpen);
    return {
      window,
      streams: result.streams,
      clientRssBytes: client.rss,
      serverRssBytes: serverRise.rss,
      clientHeapBytes: client.heap,
      serverHeapBytes: serverRise.heap,
    };
  } finally {
    await server.stop();
  }
}

export async function idleStreamsPhase(context: BenchContext): Promise<IdleStreamsRow[]> {
  const { idleStreams, idleRounds: rounds } = context.plan.windows;
  const runs = new Map<WindowMode, IdleStreamsRun[]>(IDLE_WINDOWS.map((w) => [w, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const window of IDLE_WINDOWS) {
      context.log(`${idleStreams} idle streams: ${WINDOW_LABEL[window]}${rounds > 1 ? `, round ${round} of ${rounds}` : ""}`);
      try {
        runs.get(window)!.push(await measureIdleStreams(context, window));
      } catch (error) {
        context.fail(`idle streams ${window}`, "grpckit-h2", error);
      }
    }
  }
  const rows: IdleStreamsRow[] = [];
  for (const window of IDLE_WINDOWS) {
    const row = idleStreamsMedians(runs.get(window)!);
    if (row !== undefined) rows.push(row);
  }
  return rows;
}
