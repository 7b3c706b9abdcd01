/**
 * @grpckit/orca: ORCA backend load reports (gRFC A51) for @grpckit/core. A server
 * reports its load per call, in the endpoint-load-metrics-bin trailer, and out of band,
 * on the xds.service.orca.v3.OpenRcaService stream; load-aware balancers on the client
 * read both.
 */

// What a server reports
export { ServerMetricsRecorder } from "./server-metrics-recorder.js";
export type { ServerMetrics, ServerMetricsProvider } from "./server-metrics.js";

// Per-call reports: the endpoint-load-metrics-bin trailer
export { callMetricsInterceptor, callMetricsRecorder, type CallMetricsOptions } from "./call-metrics.js";

// Out-of-band reports: OpenRcaService.StreamCoreMetrics
export { addOrcaService, orcaServiceImpl, defaultMinReportingIntervalMs, type OrcaServiceOptions } from "./orca-service.js";

// The client's listeners, from core (where balancers reach them), and the messages and service
export {
  parseLoadReport,
  registerOobLoadReportListener,
  loadReportTrailer,
  OrcaLoadReportSchema,
  OrcaLoadReportRequestSchema,
  OpenRcaService,
  type OobLoadReportOptions,
  type OrcaLoadReport,
  type OrcaLoadReportRequest,
} from "@grpckit/core/orca";
