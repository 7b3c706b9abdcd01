/** The bench report: every measured row, the grpckit ratios, the issue 11 targets, and the run's context. */
import type { BenchPlan } from "./bench-plan.js";
import type { EchoCheckResult } from "./echo-check.js";
import type { H2loadResult } from "./h2load.js";
import { BASELINE_LIBRARIES, GRPCKIT_LIBRARIES, type Library } from "./libraries.js";
import type { MachineInfo } from "./machine.js";
import type { Ratio } from "./ratio.js";
import type { Target } from "./targets.js";
import type { BidiServerRatio, BidiServerRow } from "./bidi-server-rows.js";
import type { CeilingRatio, CeilingRow, CompressedStreamRow, LargeUnaryRow, WorkersRow } from "./issue22-rows.js";
import type { Issue22Target } from "./issue22-targets.js";
import type { IdleStreamsRow, WindowStreamRatio, WindowStreamRow } from "./window-rows.js";
import type { ConnectRatio, ConnectRow } from "./connect-rows.js";
import type { Issue23Target } from "./issue23-targets.js";

/** One server under h2load at one load shape. */
export interface ServerUnaryRow {
  /** "-c 8 -m 16". */
  load: string;
  server: Library;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** VmHWM of the server process after warm-up and measurement. */
  peakRssBytes: number;
  /** The server process's CPU time (user + system, every thread) during the measured h2load run. */
  cpuMicros: number;
  /** cpuMicros divided by the requests h2load completed in that run. */
  cpuMicrosPerCall: number;
  h2load: H2loadResult;
  /** The node:http2 sample sent after the load. */
  check: EchoCheckResult;
  /** Requests/s of every round, in order; the row is the median round. */
  roundsRequestsPerSecond?: number[];
}

/**
 * The servers every client makes its unary calls to, one table each: raw node:http2 (the
 * ceiling for a node:http2 server) and grpckit on transport-h2 (the fastest server in the
 * bench, so that with 100 calls in flight the client, not the server, is the limit).
 */
export const CLIENT_UNARY_SERVERS = ["raw", "grpckit-h2"] as const;
export type ClientUnaryServer = (typeof CLIENT_UNARY_SERVERS)[number];

/** One client making unary calls to one of the CLIENT_UNARY_SERVERS. */
export interface ClientUnaryRow {
  /** The server the client called. */
  server: ClientUnaryServer;
  inFlight: number;
  client: Library;
  calls: number;
  errors: number;
  firstError?: string;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The client process's CPU time (user + system, every thread) over the measured calls. */
  cpuMicros: number;
  /** cpuMicros divided by the measured calls. */
  cpuMicrosPerCall: number;
  peakRssBytes: number;
}

/** One library's client and server echoing over one bidi stream. */
export interface StreamingRow {
  messageBytes: number;
  library: Library;
  messages: number;
  messagesPerSecond: number;
  mebibytesPerSecond: number;
  clientPeakRssBytes: number;
  serverPeakRssBytes: number;
  /** Messages/s of every round, in order; the row is the median round. */
  roundsMessagesPerSecond?: number[];
}

/** Memory held per idle connection and per open stream, on a server or a client. */
export interface MemoryRow {
  side: "server" | "client";
  library: Library;
  connections: number;
  streams: number;
  /** RSS after start-up and one call, before the connections were opened. */
  baselineRssBytes: number;
  perConnectionRssBytes: number;
  /** JS heap plus external (Buffer) memory per connection: less noisy than RSS. */
  perConnectionHeapBytes: number;
  perStreamRssBytes: number;
  perStreamHeapBytes: number;
}

/** The grpckit server or client measured with channelz off or on. */
export interface ChannelzRow {
  side: "server" | "client";
  /** "-c 8 -m 16" (server) or "100 in flight" (client). */
  load: string;
  channelz: "off" | "on";
  /** Requests h2load completed (server) or calls made (client) in the measured run. */
  calls: number;
  /** requests/s (server) or calls/s (client). */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  peakRssBytes: number;
  /** Calls channelz counted in the grpckit process, warm-up included: 0 with channelz off. */
  channelzCalls: number;
}

/** channelz on divided by channelz off for one side (above 1 means the number is higher with channelz). */
export interface ChannelzRatio {
  side: ChannelzRow["side"];
  load: string;
  throughput: number;
  p50: number;
  p99: number;
  peakRss: number;
}

/** A measurement that could not be made; the run goes on and exits non-zero. */
export interface Failure {
  phase: string;
  library: Library;
  message: string;
}

export interface BenchReport {
  mode: BenchPlan["mode"];
  date: string;
  machine: MachineInfo;
  h2load: string;
  packages: Record<string, string>;
  revision?: string;
  plan: Omit<BenchPlan, "outDir">;
  serverUnary: ServerUnaryRow[];
  clientUnary: ClientUnaryRow[];
  streaming: StreamingRow[];
  /** One server-streaming call per row: the server sends, the client receives. */
  serverStreaming: StreamingRow[];
  memory: MemoryRow[];
  ratios: Ratio[];
  /** Issue 11's targets for grpckit on transport-h2 against grpc-js, met or not. */
  targets: Target[];
  channelz: ChannelzRow[];
  channelzRatios: ChannelzRatio[];
  /** transport-h2 on its own and grpckit on transport-h2 under the same h2load load. */
  ceiling: CeilingRow[];
  ceilingRatios: CeilingRatio[];
  /** The raw client's 100-byte bidi echo against node:http2's server, transport-h2 on its own and grpckit on transport-h2. */
  bidiServers: BidiServerRow[];
  bidiServerRatios: BidiServerRatio[];
  largeUnary: LargeUnaryRow[];
  compressedStream: CompressedStreamRow[];
  /** A 64 KiB-message server stream through the latency relay, BDP estimator and fixed windows. */
  windowStream: WindowStreamRow[];
  windowStreamRatios: WindowStreamRatio[];
  /** Idle open streams' memory with each window mode. */
  idleStreams: IdleStreamsRow[];
  workers: WorkersRow[];
  /** Issue 22's targets for grpckit on transport-h2, met or not. */
  issue22Targets: Issue22Target[];
  /** Connect unary calls, grpckit on transport-h2 and connect-node, over HTTP/1.1 and HTTP/2. */
  connect: ConnectRow[];
  connectRatios: ConnectRatio[];
  /** Issue 23's target: grpckit's Connect rate against connect-node's. */
  issue23Targets: Issue23Target[];
  failures: Failure[];
}

/** Numbers a ratio divides; absent ones are left out of the ratio. */
interface RatioMeasure {
  throughput: number;
  p50?: number;
  p99?: number;
  cpuPerCall?: number;
  peakRss: number;
}

/**
 * Each grpckit library (on transport-http2 and on transport-h2) divided by grpc-js and
 * by raw node:http2, for every row where both were measured.
 */
export function computeRatios(
  report: Pick<BenchReport, "serverUnary" | "clientUnary" | "streaming"> & Partial<Pick<BenchReport, "serverStreaming">>,
): Ratio[] {
  const ratios: Ratio[] = [];
  const divide = (a: number | undefined, b: number | undefined): number | undefined =>
    a !== undefined && b !== undefined ? a / b : undefined;
  const add = <T>(
    table: Ratio["table"],
    rows: T[],
    rowKey: (row: T) => string,
    library: (row: T) => Library,
    measure: (row: T) => RatioMeasure,
  ): void => {
    for (const key of [...new Set(rows.map(rowKey))]) {
      for (const ourLibrary of GRPCKIT_LIBRARIES) {
        const ours = rows.find((row) => rowKey(row) === key && library(row) === ourLibrary);
        if (ours === undefined) continue;
        for (const other of BASELINE_LIBRARIES) {
          const theirs = rows.find((row) => rowKey(row) === key && library(row) === other);
          if (theirs === undefined) continue;
          const a = measure(ours);
          const b = measure(theirs);
          const p50 = divide(a.p50, b.p50);
          const p99 = divide(a.p99, b.p99);
          const cpuPerCall = divide(a.cpuPerCall, b.cpuPerCall);
          ratios.push({
            table,
            row: key,
            library: ourLibrary,
            versus: other,
            throughput: a.throughput / b.throughput,
            ...(p50 !== undefined ? { p50 } : {}),
            ...(p99 !== undefined ? { p99 } : {}),
            ...(cpuPerCall !== undefined ? { cpuPerCall } : {}),
            peakRss: a.peakRss / b.peakRss,
          });
        }
      }
    }
  };
  add("server unary", report.serverUnary, (row) => row.load, (row) => row.server, (row) => ({
    throughput: row.requestsPerSecond, p50: row.p50Ms, p99: row.p99Ms, cpuPerCall: row.cpuMicrosPerCall, peakRss: row.peakRssBytes,
  }));
  for (const server of CLIENT_UNARY_SERVERS) {
    add(clientUnaryTable(server), report.clientUnary.filter((row) => row.server === server), (row) => `${row.inFlight} in flight`, (row) => row.client, (row) => ({
      throughput: row.callsPerSecond, p50: row.p50Ms, p99: row.p99Ms, cpuPerCall: row.cpuMicrosPerCall, peakRss: row.peakRssBytes,
    }));
  }
  add("streaming", report.streaming, (row) => messageSizeLabel(row.messageBytes), (row) => row.library, (row) => ({
    throughput: row.messagesPerSecond, peakRss: row.clientPeakRssBytes + row.serverPeakRssBytes,
  }));
  add("server streaming", report.serverStreaming ?? [], (row) => messageSizeLabel(row.messageBytes), (row) => row.library, (row) => ({
    throughput: row.messagesPerSecond, peakRss: row.clientPeakRssBytes + row.serverPeakRssBytes,
  }));
  return ratios;
}

/** The channelz on ÷ off ratios for every side and load where both were measured. */
export function computeChannelzRatios(rows: readonly ChannelzRow[]): ChannelzRatio[] {
  const ratios: ChannelzRatio[] = [];
  for (const off of rows) {
    if (off.channelz !== "off") continue;
    const on = rows.find((row) => row.channelz === "on" && row.side === off.side && row.load === off.load);
    if (on === undefined) continue;
    ratios.push({
      side: off.side,
      load: off.load,
      throughput: on.throughput / off.throughput,
      p50: on.p50Ms / off.p50Ms,
      p99: on.p99Ms / off.p99Ms,
      peakRss: on.peakRssBytes / off.peakRssBytes,
    });
  }
  return ratios;
}

/** The ratio table of the clients' unary calls to `server`. */
export function clientUnaryTable(server: ClientUnaryServer): Ratio["table"] {
  return server === "raw" ? "client unary" : `client unary, ${server} server`;
}

/** "100 B", "64 KiB". */
export function messageSizeLabel(bytes: number): string {
  return bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}
