/**
 * @grpckit/orca: ORCA backend load reports (gRFC A51) for @grpckit/core. A server
 * reports its load per call, in the endpoint-load-metrics-bin trailer, and out of band,
 * on the xds.service.orca.v3.OpenRcaService stream; load-aware balancers on the client
 * read both.
 */

// What a server reports
export { ServerMetricsRecorder } from "./server-metrics-recorder.js";
export { mergeServerMetrics, toLoadReport, type ServerMetrics, type ServerMetricsProvider } from "./server-metrics.js";

// Per-call reports: the endpoint-load-metrics-bin trailer
export { callMetricsInterceptor, callMetricsRecorder, type CallMetricsOptions } from "./call-metrics.js";

// Out-of-band reports: OpenRcaService.StreamCoreMetrics
export { addOrcaService, orcaServiceImpl, defaultMinReportingIntervalMs, type OrcaServiceOptions } from "./orca-service.js";

// The messages and the service
export { OrcaLoadReportSchema, OrcaLoadReportRequestSchema, OpenRcaService, type OrcaLoadReport, type OrcaLoadReportRequest } from "./orca-protos.js";
