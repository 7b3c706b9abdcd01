/**
 * The out-of-band load reporting service of gRFC A51,
 * xds.service.orca.v3.OpenRcaService: a client opens StreamCoreMetrics once per
 * connection and receives the server's load report at once, then every
 * max(the interval it asked for, the server's minimum) until it cancels.
 */
import { maxTimerMs, type HandlerContext, type Server, type ServiceImpl } from "@grpckit/core";
import { OpenRcaService, type OrcaLoadReportRequest } from "@grpckit/core/orca";
import { toLoadReport, type ServerMetricsProvider } from "./server-metrics.js";

/** The shortest interval between reports a client gets by default: 30 s, as grpc-go's. */
export const defaultMinReportingIntervalMs = 30_000;

export interface OrcaServiceOptions {
  /** Where the reports come from, usually a ServerMetricsRecorder the server keeps up to date. */
  serverMetrics: ServerMetricsProvider;
  /**
   * The shortest interval between two reports on one stream, in ms: a client asking
   * for less (or for nothing) gets this. Default 30 000.
   */
  minReportingIntervalMs?: number;
}

/** Handlers for OpenRcaService answering from `options.serverMetrics`. */
export function orcaServiceImpl(options: OrcaServiceOptions): ServiceImpl<typeof OpenRcaService> {
  const { serverMetrics } = options;
  const minIntervalMs = options.minReportingIntervalMs ?? defaultMinReportingIntervalMs;
  if (typeof serverMetrics?.serverMetrics !== "function") {
    throw new TypeError("the ORCA service needs serverMetrics: a ServerMetricsRecorder or another ServerMetricsProvider");
  }
  if (!(minIntervalMs > 0) || !Number.isFinite(minIntervalMs)) {
    throw new RangeError(`minReportingIntervalMs must be a positive number of milliseconds, got ${String(minIntervalMs)}`);
  }
  return {
    async *streamCoreMetrics(request, context) {
      const intervalMs = reportingIntervalMs(request, minIntervalMs);
      const names = request.requestCostNames;
      for (;;) {
        yield toLoadReport(serverMetrics.serverMetrics(), names);
        if (!(await sleep(intervalMs, context))) return;
      }
    },
  };
}

/**
 * Adds OpenRcaService to `server`, reporting what `options.serverMetrics` holds.
 *
 * @example
 * const metrics = new ServerMetricsRecorder();
 * addOrcaService(server, { serverMetrics: metrics });
 * metrics.setCpuUtilization(0.4);
 */
export function addOrcaService(server: Server, options: OrcaServiceOptions): void {
  server.addService(OpenRcaService, orcaServiceImpl(options));
}

/** The interval a stream reports at: what the client asked, never below the minimum nor above what a timer can wait. */
function reportingIntervalMs(request: OrcaLoadReportRequest, minIntervalMs: number): number {
  const asked = request.reportInterval;
  if (asked === undefined) return minIntervalMs;
  const ms = Number(asked.seconds) * 1000 + asked.nanos / 1e6;
  return Math.min(Math.max(Number.isFinite(ms) ? ms : 0, minIntervalMs), maxTimerMs);
}

/** Waits `ms`; false when the call ended first (the client cancelled, the deadline passed, the server stopped). */
function sleep(ms: number, context: HandlerContext): Promise<boolean> {
  const signal = context.signal;
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", done);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
