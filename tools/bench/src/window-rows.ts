/**
 * The rows of issue 22's flow-control windows: a 64 KiB-message server stream through
 * the latency relay with each window mode, and the memory of idle open streams.
 */
import { medianRun } from "./median-run.js";
import type { WindowMode } from "./window-mode.js";

/** One server-streaming call through the latency relay (the median of its rounds). */
export interface WindowStreamRow {
  window: WindowMode;
  /** Round trip the relay added, in milliseconds. */
  rttMs: number;
  messageBytes: number;
  messages: number;
  mebibytesPerSecond: number;
  clientPeakRssBytes: number;
  serverPeakRssBytes: number;
  roundsMebibytesPerSecond: number[];
}

/** The estimator's MiB/s divided by the fixed 16 MiB windows' at one added round trip and stream length. */
export interface WindowStreamRatio {
  rttMs: number;
  messages: number;
  /** 1 would be as fast as the fixed 16 MiB windows. */
  throughput: number;
}

/** One run's rise of each side's memory with the idle streams open. */
export interface IdleStreamsRun {
  window: WindowMode;
  streams: number;
  /** How far the client's resident set (after garbage collection) rose with the streams open. */
  clientRssBytes: number;
  serverRssBytes: number;
  /** The same for the JS heap plus external memory. */
  clientHeapBytes: number;
  serverHeapBytes: number;
}

/**
 * Idle open bidi streams on one connection, grpckit on transport-h2 at both ends: memory
 * above the baseline, each figure the median of its runs, with every run's RSS rises.
 */
export interface IdleStreamsRow extends IdleStreamsRun {
  roundsClientRssBytes: number[];
  roundsServerRssBytes: number[];
}

/**
 * One window mode's runs as a row: each side's rise is the median of that side's runs
 * (a resident set moves by a few MiB with the allocator alone, each side on its own, so
 * a run in the middle for both sides together can be an outlier for one).
 */
export function idleStreamsMedians(runs: readonly IdleStreamsRun[]): IdleStreamsRow | undefined {
  const first = runs[0];
  if (first === undefined) return undefined;
  const median = (field: "clientRssBytes" | "serverRssBytes" | "clientHeapBytes" | "serverHeapBytes"): number =>
    medianRun(runs.map((run) => run[field]), (value) => value)!;
  return {
    window: first.window,
    streams: first.streams,
    clientRssBytes: median("clientRssBytes"),
    serverRssBytes: median("serverRssBytes"),
    clientHeapBytes: median("clientHeapBytes"),
    serverHeapBytes: median("serverHeapBytes"),
    roundsClientRssBytes: runs.map((run) => run.clientRssBytes),
    roundsServerRssBytes: runs.map((run) => run.serverRssBytes),
  };
}

/** BDP estimator ÷ fixed 16 MiB windows for every round trip and stream length where both were measured. */
export function computeWindowStreamRatios(rows: readonly WindowStreamRow[]): WindowStreamRatio[] {
  const ratios: WindowStreamRatio[] = [];
  for (const bdp of rows) {
    if (bdp.window !== "bdp") continue;
    const fixed = rows.find((row) => row.window === "fixed-16m" && row.rttMs === bdp.rttMs && row.messages === bdp.messages);
    if (fixed !== undefined) ratios.push({ rttMs: bdp.rttMs, messages: bdp.messages, throughput: bdp.mebibytesPerSecond / fixed.mebibytesPerSecond });
  }
  return ratios;
}
