/**
 * Memory per idle connection and per open stream. Server side: a fresh server process
 * holding connections and streams opened by the driver. Client side: a client process
 * holding its own channels and streams to the raw server.
 */
import { benchMessage, SMALL_MESSAGE_BYTES } from "../bench-message.js";
import { runClientProcess, ServerProcess } from "../child-process.js";
import { checkEcho } from "../echo-check.js";
import { memoryPerItem } from "../memory-snapshot.js";
import { closeAll, openEchoStreams, openIdleConnections } from "../memory-probe.js";
import { clientScript, LIBRARY_LABEL, serverScript, type Library } from "../libraries.js";
import type { MemoryClientResult } from "../clients/client-result.js";
import type { MemoryRow } from "../report.js";
import type { BenchContext } from "./bench-context.js";

export async function memoryPhase(context: BenchContext): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  for (const library of context.plan.libraries) {
    context.log(`server memory: ${LIBRARY_LABEL[library]}`);
    try {
      rows.push(await serverMemory(context, library));
    } catch (error) {
      context.fail("server memory", library, error);
    }
  }
  const server = await ServerProcess.start("raw server", serverScript("raw"));
  try {
    for (const library of context.plan.libraries) {
      context.log(`client memory: ${LIBRARY_LABEL[library]}`);
      try {
        rows.push(await clientMemory(context, library, server.address));
      } catch (error) {
        context.fail("client memory", library, error);
      }
    }
  } finally {
    await server.stop();
  }
  return rows;
}

async function serverMemory(context: BenchContext, library: Library): Promise<MemoryRow> {
  const { connections, streams, streamConnections } = context.plan.memory;
  const message = benchMessage(SMALL_MESSAGE_BYTES);
  const perSession = Math.ceil(streams / streamConnections);
  const server = await ServerProcess.start(`${library} server`, serverScript(library));
  try {
    const warm = await openIdleConnections(server.address, 1);
    await openEchoStreams(warm, 1, message.frame);
    closeAll(warm);
    await checkEcho(server.address, message.frame, 1);
    const baseline = await server.memory();
    const sessions = await openIdleConnections(server.address, connections);
    try {
      const withConnections = await server.memory();
      const opened = await openEchoStreams(sessions.slice(0, streamConnections), perSession, message.frame);
      const withStreams = await server.memory();
      const perConnection = memoryPerItem(baseline, withConnections, connections);
      const perStream = memoryPerItem(withConnections, withStreams, opened.length);
      return {
        side: "server",
        library,
        connections,
        streams: opened.length,
        baselineRssBytes: baseline.rss,
        perConnectionRssBytes: perConnection.rssBytesPerItem,
        perConnectionHeapBytes: perConnection.heapBytesPerItem,
        perStreamRssBytes: perStream.rssBytesPerItem,
        perStreamHeapBytes: perStream.heapBytesPerItem,
      };
    } finally {
      closeAll(sessions);
    }
  } finally {
    await server.stop();
  }
}

async function clientMemory(context: BenchContext, library: Library, target: string): Promise<MemoryRow> {
  const { connections, streams } = context.plan.memory;
  const result = await runClientProcess<MemoryClientResult>(`${library} client`, clientScript(library), [
    "--target", target,
    "--scenario", "memory",
    "--size", String(SMALL_MESSAGE_BYTES),
    "--connections", String(connections),
    "--streams", String(streams),
  ], context.plan.clientTimeoutMs);
  const perConnection = memoryPerItem(result.baseline, result.withConnections, result.connections);
  const perStream = memoryPerItem(result.withConnections, result.withStreams, result.streams);
  return {
    side: "client",
    library,
    connections: result.connections,
    streams: result.streams,
    baselineRssBytes: result.baseline.rss,
    perConnectionRssBytes: perConnection.rssBytesPerItem,
    perConnectionHeapBytes: perConnection.heapBytesPerItem,
    perStreamRssBytes: perStream.rssBytesPerItem,
    perStreamHeapBytes: perStream.heapBytesPerItem,
  };
}
