/**
 * @grpckit/opentelemetry: OpenTelemetry for @grpckit/core. gRPC's standard client and
 * server metrics (gRFC A66) through core's stats hook, and client and server spans with
 * the trace context carried in call metadata.
 */

// Metrics (gRFC A66)
export { openTelemetryStatsHandler, type OpenTelemetryStatsOptions } from "./stats-handler.js";
export { latencyBuckets, sizeBuckets } from "./instruments.js";
export type { PluginMetricsOptions } from "./plugin-metrics.js";

// Tracing
export { openTelemetryClientInterceptor, type OpenTelemetryTracingOptions } from "./client-interceptor.js";
export { openTelemetryServerInterceptor } from "./server-interceptor.js";
export { metadataGetter, metadataSetter } from "./metadata-carrier.js";
