/**
 * The rows issue 22 ("performance, round two") adds to the report, beside the streaming
 * rows it reuses for server streaming: transport-h2's ceiling, 100 MB messages, 10 MB
 * gzip-compressed messages, and node:cluster workers.
 */
import type { EchoCheckResult } from "./echo-check.js";
import type { H2loadResult } from "./h2load.js";
import type { Library } from "./libraries.js";
import type { LoopDelay } from "./loop-delay.js";

/** A server in the ceiling phase: transport-h2 answering on its own, or grpckit on transport-h2. */
export type CeilingServer = "h2-ceiling" | "grpckit-h2";

/** One server of the ceiling phase under h2load (the median of its rounds). */
export interface CeilingRow {
  /** "-c 8 -m 16". */
  load: string;
  server: CeilingServer;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerCall: number;
  peakRssBytes: number;
  h2load: H2loadResult;
  /** The node:http2 sample after the load; the ceiling answers a fixed response, so only its grpc-status counts. */
  check: EchoCheckResult;
  roundsRequestsPerSecond: number[];
}

/** grpckit on transport-h2 divided by transport-h2 on its own, at one load. */
export interface CeilingRatio {
  load: string;
  /** Requests/s: how much of the ceiling grpckit reaches (1 would be all of it). */
  throughput: number;
  /** CPU µs per call: how much more CPU a call costs with core (above 1: more). */
  cpuPerCall: number;
}

/** grpckit on transport-h2 ÷ the ceiling for every load where both were measured. */
export function computeCeilingRatios(rows: readonly CeilingRow[]): CeilingRatio[] {
  const ratios: CeilingRatio[] = [];
  for (const ceiling of rows) {
    if (ceiling.server !== "h2-ceiling") continue;
    const grpckit = rows.find((row) => row.server === "grpckit-h2" && row.load === ceiling.load);
    if (grpckit === undefined) continue;
    ratios.push({
      load: ceiling.load,
      throughput: grpckit.requestsPerSecond / ceiling.requestsPerSecond,
      cpuPerCall: grpckit.cpuMicrosPerCall / ceiling.cpuMicrosPerCall,
    });
  }
  return ratios;
}

/** One unary echo of a large message, client and server each in their own process. */
export interface LargeUnaryRow {
  library: Library;
  messageBytes: number;
  /** The call's wall time in the client, its connection already made. */
  callMs: number;
  /** How far the client's peak resident set rose above its baseline (taken with the request already built). */
  clientExtraPeakBytes: number;
  /** How far the server's peak resident set rose above its baseline (taken before the call). */
  serverExtraPeakBytes: number;
  /** clientExtraPeakBytes ÷ messageBytes. */
  clientMultiple: number;
  /** serverExtraPeakBytes ÷ messageBytes. */
  serverMultiple: number;
}

/** Gzip-compressed messages on one client-streaming call, with the receiving server's event-loop delay. */
export interface CompressedStreamRow {
  library: Library;
  messages: number;
  messageBytes: number;
  /** The call's wall time in the client. */
  elapsedMs: number;
  /** The server's event-loop delay while it received and inflated the messages. */
  serverLoopDelay: LoopDelay;
}

/** grpckit on transport-h2 served by node:cluster workers under h2load (the median of its rounds). */
export interface WorkersRow {
  workers: number;
  load: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  h2load: H2loadResult;
  check: EchoCheckResult;
  roundsRequestsPerSecond: number[];
}

/** "100 MB", "4 MB", "10 MB": large sizes are decimal megabytes, as the issue states them. */
export function megabytesLabel(bytes: number): string {
  return `${Number((bytes / 1_000_000).toFixed(1))} MB`;
}
