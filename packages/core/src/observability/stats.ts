/**
 * The stats hook, as grpc-go's stats.Handler: a handler given to a channel or a server
 * hears when each call starts, the size of each message it sends and receives, and
 * how it ends. @grpckit/opentelemetry records gRPC's standard metrics through it.
 * With no handler, a call checks one undefined field.
 */
import type { Code } from "../status/code.js";
import type { GrpcError } from "../status/grpc-error.js";
import type { MetricsRecorder } from "./metrics-recorder.js";

export interface CallStatsInfo {
  readonly side: "client" | "server";
  /** "/package.Service/Method" */
  readonly method: string;
  /** The channel's target (client side). */
  readonly target?: string;
  /** The peer's address (server side). */
  readonly peer?: string;
  /** When the call started (ms since the epoch). */
  readonly startTime: number;
}

export interface CallEndInfo {
  readonly code: Code;
  /** Undefined when the call ended OK. */
  readonly error: GrpcError | undefined;
  readonly endTime: number;
}

/** What a handler records for one call. */
export interface CallStats {
  /**
   * A message went out: `bytes` is its size on the wire without the 5-byte prefix
   * (compressed when it was). On a retried call, every attempt's messages count.
   */
  messageSent?(bytes: number): void;
  /** A message came in: its size on the wire without the 5-byte prefix. */
  messageReceived?(bytes: number): void;
  /** The client started another attempt of a retried or hedged call. */
  attemptStarted?(previousAttempts: number): void;
  /** The call ended; called once. */
  callEnded(info: CallEndInfo): void;
}

export interface StatsHandler {
  /** A call started; return what records it, or undefined to skip it. */
  callStarted(info: CallStatsInfo): CallStats | undefined;
  /**
   * The recorder of plug-in metrics (gRFC A79) for a channel to `target` (its canonical
   * form, "dns:///host:443"), asked once when the channel is made: the channel's
   * balancers record through it, and it adds `target` as the `grpc.target` label.
   * Omit it, or return undefined, to record no plug-in metrics.
   */
  metricsRecorder?(target: string): MetricsRecorder | undefined;
}

/** The stats of one call for every handler, or undefined when none records it. */
export function startCallStats(handlers: readonly StatsHandler[] | undefined, info: CallStatsInfo): CallStats | undefined {
  if (handlers === undefined || handlers.length === 0) return undefined;
  if (handlers.length === 1) return handlers[0].callStarted(info);
  const all = handlers.map((h) => h.callStarted(info)).filter((s): s is CallStats => s !== undefined);
  if (all.length <= 1) return all[0];
  return {
    messageSent: (n) => all.forEach((s) => s.messageSent?.(n)),
    messageReceived: (n) => all.forEach((s) => s.messageReceived?.(n)),
    attemptStarted: (n) => all.forEach((s) => s.attemptStarted?.(n)),
    callEnded: (e) => all.forEach((s) => s.callEnded(e)),
  };
}
