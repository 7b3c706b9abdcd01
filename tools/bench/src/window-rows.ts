/**
 * The rows of issue 22's flow-control windows: a 64 KiB-message server stream through
 * the latency relay with each window mode, and the memory of idle open streams.
 */
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

/** Idle open bidi streams on one connection, grpckit on transport-h2 at both ends: memory above the baseline. */
export interface IdleStreamsRow {
  window: WindowMode;
  streams: number;
  /** How far the client's resident set (after garbage collection) rose with the streams open. */
  clientRssBytes: number;
  serverRssBytes: number;
  /** The same for the JS heap plus external memory. */
  clientHeapBytes: number;
  serverHeapBytes: number;
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
