/**
 * A client span for every call, its trace context sent to the server in the call's metadata.
 */
import { context, propagation, SpanKind, trace, type TextMapPropagator, type TracerProvider } from "@opentelemetry/api";
import type { Interceptor } from "@grpckit/core";
import { metadataSetter } from "./metadata-carrier.js";
import { endRpcSpan, endWithStream, startRpcSpan, tracerName } from "./rpc-span.js";

export interface OpenTelemetryTracingOptions {
  /** Where spans are made. Default: the globally registered TracerProvider. */
  readonly tracerProvider?: TracerProvider;
  /**
   * How trace context is written to (client) or read from (server) metadata. Default: the
   * globally registered propagator (`propagation.setGlobalPropagator`), which is a no-op
   * until one is registered, e.g. W3CTraceContextPropagator from @opentelemetry/core.
   */
  readonly propagator?: TextMapPropagator;
}

/**
 * A client interceptor that starts a CLIENT span named "package.Service/Method" for each
 * call, as a child of the active context, and injects its context into the request
 * metadata. The span ends when the call does: for a server-streaming call, when the
 * response stream is read to its end or abandoned.
 *
 * @example
 * propagation.setGlobalPropagator(new W3CTraceContextPropagator());
 * const channel = createChannel(target, { interceptors: [openTelemetryClientInterceptor()] });
 */
export function openTelemetryClientInterceptor(options: OpenTelemetryTracingOptions = {}): Interceptor {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(tracerName);
  const propagator = options.propagator;
  return (next) => (req) => {
    const parent = context.active();
    const span = startRpcSpan(tracer, req.method, SpanKind.CLIENT, parent);
    const ctx = trace.setSpan(parent, span);
    if (propagator === undefined) propagation.inject(ctx, req.metadata, metadataSetter);
    else propagator.inject(ctx, req.metadata, metadataSetter);
    let res: ReturnType<typeof next>;
    try {
      res = context.with(ctx, next, undefined, req);
    } catch (error) {
      endRpcSpan(span, error, "client");
      throw error;
    }
    return res.then(
      (res) => {
        if (res.stream) res.message = endWithStream(res.message, (error) => endRpcSpan(span, error, "client"));
        else endRpcSpan(span, undefined, "client");
        return res;
      },
      (error: unknown) => {
        endRpcSpan(span, error, "client");
        throw error;
      },
    );
  };
}
