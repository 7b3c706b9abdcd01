import type { Library } from "../src/libraries.js";
import { computeRatios, type BenchReport, type ClientUnaryRow, type ClientUnaryServer, type ServerUnaryRow, type StreamingRow } from "../src/report.js";
import { computeTargets } from "../src/targets.js";
import { computeCeilingRatios, type CeilingRow, type CeilingServer, type CompressedStreamRow, type LargeUnaryRow } from "../src/issue22-rows.js";
import { computeIssue22Targets } from "../src/issue22-targets.js";
import { PHASES } from "../src/bench-plan.js";
import { computeIssue23Targets } from "../src/issue23-targets.js";
import type { WindowMode } from "../src/window-mode.js";
import { computeBidiServerRatios, type BidiServer, type BidiServerRow } from "../src/bidi-server-rows.js";
import { computeWindowStreamRatios, type IdleStreamsRow, type WindowStreamRow } from "../src/window-rows.js";

/** A server unary row with the given numbers; the h2load counts and check are filler. */
export function serverRow(
  server: Library,
  load: string,
  numbers: { requestsPerSecond: number; p99Ms?: number; cpuMicrosPerCall?: number; peakRssBytes?: number },
): ServerUnaryRow {
  return {
    load,
    server,
    requestsPerSecond: numbers.requestsPerSecond,
    p50Ms: 1,
    p99Ms: numbers.p99Ms ?? 2,
    cpuMicros: (numbers.cpuMicrosPerCall ?? 50) * 1000,
    cpuMicrosPerCall: numbers.cpuMicrosPerCall ?? 50,
    peakRssBytes: numbers.peakRssBytes ?? 100 << 20,
    h2load: { requestsPerSecond: numbers.requestsPerSecond, done: 1000, succeeded: 1000, failed: 0, errored: 0, status2xx: 1000, status3xx: 0, status4xx: 0, status5xx: 0 },
    check: { requests: 5, grpcStatusOk: 5, echoed: 5, grpcStatuses: ["0"], contentTypes: ["application/grpc"] },
  };
}

/** A client unary row with the given numbers, against the raw server unless `server` says otherwise. */
export function clientRow(
  client: Library,
  inFlight: number,
  numbers: { callsPerSecond: number; p99Ms?: number; cpuMicrosPerCall?: number; peakRssBytes?: number; server?: ClientUnaryServer },
): ClientUnaryRow {
  return {
    server: numbers.server ?? "raw",
    inFlight,
    client,
    calls: 1000,
    errors: 0,
    callsPerSecond: numbers.callsPerSecond,
    p50Ms: 1,
    p99Ms: numbers.p99Ms ?? 2,
    cpuMicros: (numbers.cpuMicrosPerCall ?? 40) * 1000,
    cpuMicrosPerCall: numbers.cpuMicrosPerCall ?? 40,
    peakRssBytes: numbers.peakRssBytes ?? 100 << 20,
  };
}

/** A streaming row with the given messages/s (of the median run, when `rounds` lists every run). */
export function streamingRow(library: Library, messageBytes: number, messagesPerSecond: number, rounds?: number[]): StreamingRow {
  return {
    messageBytes,
    library,
    messages: 1000,
    messagesPerSecond,
    mebibytesPerSecond: (messagesPerSecond * messageBytes) / (1024 * 1024),
    clientPeakRssBytes: 60 << 20,
    serverPeakRssBytes: 60 << 20,
    ...(rounds !== undefined ? { roundsMessagesPerSecond: rounds } : {}),
  };
}

/** Issue 22's rows a report may be given; absent ones are empty. */
export type Issue22Rows = Partial<Pick<BenchReport, "serverStreaming" | "ceiling" | "bidiServers" | "largeUnary" | "compressedStream" | "windowStream" | "idleStreams" | "workers">>;

/** A full report of `rows`, with their ratios and targets, and filler for the run's context. */
export function benchReport(rows: Pick<BenchReport, "serverUnary" | "clientUnary" | "streaming"> & Issue22Rows): BenchReport {
  const ratios = computeRatios(rows);
  const ceiling = rows.ceiling ?? [];
  const ceilingRatios = computeCeilingRatios(ceiling);
  const largeUnary = rows.largeUnary ?? [];
  const compressedStream = rows.compressedStream ?? [];
  const windowStream = rows.windowStream ?? [];
  const windowStreamRatios = computeWindowStreamRatios(windowStream);
  const idleStreams = rows.idleStreams ?? [];
  return {
    mode: "full",
    date: "2026-11-24T00:00:00.000Z",
    machine: { cpuModel: "test CPU", cores: 2, totalMemoryBytes: 4 << 30, os: "Linux", node: "v20.20.2" },
    h2load: "h2load nghttp2/1.52.0",
    packages: {},
    plan: {
      mode: "full",
      libraries: ["grpckit-h2", "grpc-js"],
      serverUnary: { shapes: [], warmupRequests: 10, durationSeconds: 1, checkRequests: 1, rounds: 1 },
      clientUnary: { runs: [] },
      streaming: { runs: [], rounds: 1 },
      serverStreaming: { runs: [], rounds: 1 },
      ceiling: { shape: { connections: 8, streams: 16 } },
      largeMessages: { unaryBytes: 100_000_000, streamMessageBytes: 10_000_000, streamMessages: 5, limitBytes: 128 << 20 },
      connect: { shapes: { "1.1": { connections: 32, streams: 1 }, "2": { connections: 8, streams: 16 } } },
      windows: { messageBytes: 65536, messageCounts: [2000, 8000], rttsMs: [0, 20], rounds: 1, idleStreams: 1000, idleRounds: 5 },
      workers: { counts: [1, 2], shape: { connections: 8, streams: 16 } },
      channelz: { serverShape: { connections: 8, streams: 16 }, client: { concurrency: 100, calls: 1, warmupCalls: 1 } },
      memory: { connections: 1, streams: 1, streamConnections: 1 },
      clientTimeoutMs: 1000,
      phases: [...PHASES],
    },
    serverUnary: rows.serverUnary,
    clientUnary: rows.clientUnary,
    streaming: rows.streaming,
    memory: [],
    ratios,
    targets: computeTargets(ratios),
    channelz: [],
    channelzRatios: [],
    serverStreaming: rows.serverStreaming ?? [],
    ceiling,
    ceilingRatios,
    bidiServers: rows.bidiServers ?? [],
    bidiServerRatios: computeBidiServerRatios(rows.bidiServers ?? []),
    largeUnary,
    compressedStream,
    windowStream,
    windowStreamRatios,
    idleStreams,
    workers: rows.workers ?? [],
    issue22Targets: computeIssue22Targets({ ratios, ceilingRatios, largeUnary, compressedStream, windowStreamRatios, idleStreams }),
    connect: [],
    connectRatios: [],
    issue23Targets: computeIssue23Targets([]),
    failures: [],
  };
}

/** A ceiling-phase row with the given requests/s and CPU µs per call; the h2load counts and check are filler. */
export function ceilingRow(server: CeilingServer, requestsPerSecond: number, cpuMicrosPerCall = 20): CeilingRow {
  const { load: _load, server: _server, cpuMicros: _cpu, ...rest } = serverRow("grpckit-h2", "-c 8 -m 16", { requestsPerSecond, cpuMicrosPerCall });
  return { ...rest, load: "-c 8 -m 16", server, roundsRequestsPerSecond: [requestsPerSecond] };
}

/** A large unary row whose extra peaks are the given multiples of a 100 MB message. */
export function largeUnaryRow(library: Library, clientMultiple: number, serverMultiple: number): LargeUnaryRow {
  const messageBytes = 100_000_000;
  return {
    library,
    messageBytes,
    callMs: 500,
    clientExtraPeakBytes: clientMultiple * messageBytes,
    serverExtraPeakBytes: serverMultiple * messageBytes,
    clientMultiple,
    serverMultiple,
  };
}

/** A gzip-compressed stream row with the given server event-loop delays. */
export function compressedStreamRow(library: Library, p99Ms: number, maxMs = p99Ms * 2): CompressedStreamRow {
  return { library, messages: 5, messageBytes: 10_000_000, elapsedMs: 400, serverLoopDelay: { samples: 200, p50Ms: 0.1, p99Ms, maxMs } };
}

/** The raw client's 100-byte bidi echo through `server` at the given messages/s and server CPU per message. */
export function bidiServerRow(server: BidiServer, messagesPerSecond: number, cpuMicrosPerMessage: number): BidiServerRow {
  return { server, messageBytes: 100, messages: 200_000, messagesPerSecond, cpuMicrosPerMessage, roundsMessagesPerSecond: [messagesPerSecond] };
}

/** A server stream of `messages` 64 KiB messages through the latency relay at `rttMs` with the given MiB/s. */
export function windowStreamRow(window: WindowMode, rttMs: number, mebibytesPerSecond: number, messages = 8000): WindowStreamRow {
  return {
    window,
    rttMs,
    messageBytes: 65536,
    messages,
    mebibytesPerSecond,
    clientPeakRssBytes: 100 << 20,
    serverPeakRssBytes: 70 << 20,
    roundsMebibytesPerSecond: [mebibytesPerSecond],
  };
}

/** 1,000 idle streams whose client and server resident sets rose by the given MiB. */
export function idleStreamsRow(window: WindowMode, clientMiB: number, serverMiB: number): IdleStreamsRow {
  return {
    window,
    streams: 1000,
    clientRssBytes: clientMiB * (1 << 20),
    serverRssBytes: serverMiB * (1 << 20),
    clientHeapBytes: 6 << 20,
    serverHeapBytes: 4 << 20,
    roundsClientRssBytes: [clientMiB * (1 << 20)],
    roundsServerRssBytes: [serverMiB * (1 << 20)],
  };
}
