/**
 * Per-call load reports (gRFC A51): a server interceptor gives each handler its own
 * metrics recorder, and when the call ends — with OK or an error — writes what was
 * recorded, over the server's own metrics when a provider is given, into the
 * endpoint-load-metrics-bin trailer as an encoded xds.data.orca.v3.OrcaLoadReport.
 */
import { toBinary } from "@bufbuild/protobuf";
import type { HandlerContext, ServerInterceptor } from "@grpckit/core";
import { loadReportTrailer, OrcaLoadReportSchema } from "@grpckit/core/orca";
import { isEmptyServerMetrics, mergeServerMetrics, toLoadReport, type ServerMetricsProvider } from "./server-metrics.js";
import { ServerMetricsRecorder } from "./server-metrics-recorder.js";

/** A call the interceptor watches; its recorder is made when the handler first asks for it. */
interface CallSlot {
  recorder: ServerMetricsRecorder | undefined;
}

const slots = new WeakMap<HandlerContext, CallSlot>();

export interface CallMetricsOptions {
  /**
   * The server's own metrics, sent with every call's report; a figure the handler
   * recorded for the call wins over the server's. Without it, a call whose handler
   * recorded nothing sends no report.
   */
  serverMetrics?: ServerMetricsProvider;
}

/**
 * The server interceptor that sends per-call ORCA load reports. Put it in the
 * server's `interceptors`; handlers then record through `callMetricsRecorder(context)`.
 *
 * @example
 * const server = createServer({ transport: h2Transport(), interceptors: [callMetricsInterceptor()] });
 * server.addService(EchoService, {
 *   echo(request, context) {
 *     callMetricsRecorder(context)?.setRequestCost("db_queries", 3);
 *     return { message: request.message };
 *   },
 * });
 */
export function callMetricsInterceptor(options: CallMetricsOptions = {}): ServerInterceptor {
  const serverMetrics = options.serverMetrics;
  return (next) => async (req) => {
    const context = req.context;
    const slot: CallSlot = { recorder: undefined };
    slots.set(context, slot);
    const report = () => writeReport(context, slot, serverMetrics);
    let res;
    try {
      res = await next(req);
    } catch (e) {
      report();
      throw e;
    }
    if (!res.stream) {
      report();
      return res;
    }
    // A streamed response is produced while it is sent: the report is written once
    // the last message is (or the stream fails), before the call's trailers go out.
    return { stream: true, message: reportAfter(res.message, report) };
  };
}

/**
 * The recorder for this call's load report, made on first use; undefined when the
 * server has no `callMetricsInterceptor`. Figures follow the ranges of
 * ServerMetricsRecorder, and `setRequestCost` names what this request cost.
 */
export function callMetricsRecorder(context: HandlerContext): ServerMetricsRecorder | undefined {
  const slot = slots.get(context);
  if (slot === undefined) return undefined;
  return (slot.recorder ??= new ServerMetricsRecorder());
}

async function* reportAfter(messages: AsyncIterable<unknown>, report: () => void): AsyncIterable<unknown> {
  try {
    yield* messages;
  } finally {
    report();
  }
}

function writeReport(context: HandlerContext, slot: CallSlot, serverMetrics: ServerMetricsProvider | undefined): void {
  slots.delete(context);
  const call = slot.recorder?.serverMetrics();
  const metrics = serverMetrics === undefined ? call : call === undefined ? serverMetrics.serverMetrics() : mergeServerMetrics(serverMetrics.serverMetrics(), call);
  if (metrics === undefined || isEmptyServerMetrics(metrics)) return;
  context.responseTrailer.set(loadReportTrailer, toBinary(OrcaLoadReportSchema, toLoadReport(metrics)));
}
