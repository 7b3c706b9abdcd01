/** What a client process prints when its scenario is done (one JSON line). */
import type { MemorySnapshot } from "../memory-snapshot.js";

/** N unary echo calls with a fixed number in flight. */
export interface UnaryClientResult {
  scenario: "unary";
  calls: number;
  concurrency: number;
  /** Calls that failed or echoed the wrong payload; the first such error is kept. */
  errors: number;
  firstError?: string;
  elapsedMs: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The client process's CPU time (user + system, every thread) over the measured calls. */
  cpuMicros: number;
  /** cpuMicros divided by the measured calls. */
  cpuMicrosPerCall: number;
  peakRssBytes: number;
  /** Calls channelz recorded in the client process (warm-up included); grpckit only. */
  channelzCalls?: number;
}

/** Messages echoed over one bidi stream ("stream") or one server-streaming call ("server-stream"). */
export interface StreamClientResult {
  scenario: "stream" | "server-stream";
  messages: number;
  messageBytes: number;
  elapsedMs: number;
  messagesPerSecond: number;
  /** Echoed message bytes per second, one direction, in MiB. */
  mebibytesPerSecond: number;
  peakRssBytes: number;
}

/** Client memory with idle connections, then with open streams. */
export interface MemoryClientResult {
  scenario: "memory";
  connections: number;
  streams: number;
  baseline: MemorySnapshot;
  withConnections: MemorySnapshot;
  withStreams: MemorySnapshot;
}

/** One unary echo of a large message, with the client's peak resident set above its baseline. */
export interface LargeUnaryClientResult {
  scenario: "large-unary";
  messageBytes: number;
  /** Wall time of the one call, connection already made. */
  callMs: number;
  /** VmRSS after garbage collection with the request already built, when the peak was reset. */
  baselineRssBytes: number;
  /** VmHWM after the call. */
  peakRssBytes: number;
}

/** Gzip-compressed messages sent on one client-streaming call. */
export interface CountStreamClientResult {
  scenario: "count-stream";
  messages: number;
  messageBytes: number;
  elapsedMs: number;
}

/** Client memory before and with idle open streams on one connection. */
export interface IdleStreamsClientResult {
  scenario: "idle-streams";
  streams: number;
  baseline: MemorySnapshot;
  withStreams: MemorySnapshot;
}

export type ClientResult =
  | UnaryClientResult
  | StreamClientResult
  | MemoryClientResult
  | LargeUnaryClientResult
  | CountStreamClientResult
  | IdleStreamsClientResult;
