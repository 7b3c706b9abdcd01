/**
 * A server span for every call, the child of the trace context the client sent in metadata.
 */
import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import type { ServerInterceptor } from "@grpckit/core";
import type { OpenTelemetryTracingOptions } from "./client-interceptor.js";
import { metadataGetter } from "./metadata-carrier.js";
import { endRpcSpan, endWithStream, startRpcSpan, tracerName } from "./rpc-span.js";

/**
 * A server interceptor that extracts the caller's trace context from the request
 * metadata and starts a SERVER span named "package.Service/Method" as its child. The
 * span is the active span while the handler runs (`trace.getActiveSpan()` inside the
 * handler returns it, and spans the handler starts are its children); it ends with the
 * handler's outcome: for a streaming response, when the response stream ends.
 *
 * @example
 * propagation.setGlobalPropagator(new W3CTraceContextPropagator());
 * const server = createServer({ interceptors: [openTelemetryServerInterceptor()] });
 */
export function openTelemetryServerInterceptor(options: OpenTelemetryTracingOptions = {}): ServerInterceptor {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(tracerName);
  const propagator = options.propagator;
  return (next) => (req) => {
    const md = req.context.metadata;
    const active = context.active();
    const parent = propagator === undefined ? propagation.extract(active, md, metadataGetter) : propagator.extract(active, md, metadataGetter);
    const span = startRpcSpan(tracer, req.method, SpanKind.SERVER, parent);
    const ctx = trace.setSpan(parent, span);
    let res: ReturnType<typeof next>;
    try {
      res = context.with(ctx, next, undefined, req);
    } catch (error) {
      endRpcSpan(span, error, "server");
      throw error;
    }
    return res.then(
      (res) => {
        if (res.stream) res.message = endWithStream(res.message, (error) => endRpcSpan(span, error, "server"), ctx);
        else endRpcSpan(span, undefined, "server");
        return res;
      },
      (error: unknown) => {
        endRpcSpan(span, error, "server");
        throw error;
      },
    );
  };
}
