/**
 * What client and server spans share: the name and attributes OpenTelemetry's RPC
 * semantic conventions give a gRPC call, how a span ends with a status code, and a
 * response stream that ends its span when the stream ends.
 */
import { context, SpanStatusCode, type Context, type Span, type SpanKind, type Tracer } from "@opentelemetry/api";
import { Code, GrpcError, type UnaryRequest } from "@grpckit/core";

type DescMethod = UnaryRequest["method"];

/** The tracer's name: the library the spans come from. */
export const tracerName = "@grpckit/opentelemetry";

/** Starts a span named "package.Service/Method" with rpc.system, rpc.service and rpc.method. */
export function startRpcSpan(tracer: Tracer, method: DescMethod, kind: SpanKind, parent: Context): Span {
  const service = method.parent.typeName;
  return tracer.startSpan(
    `${service}/${method.name}`,
    { kind, attributes: { "rpc.system": "grpc", "rpc.service": service, "rpc.method": method.name } },
    parent,
  );
}

/** Codes a server span reports as an error: the ones that mean the server failed, not the request. */
const serverErrorCodes = new Set<Code>([Code.UNKNOWN, Code.DEADLINE_EXCEEDED, Code.UNIMPLEMENTED, Code.INTERNAL, Code.UNAVAILABLE, Code.DATA_LOSS]);

/**
 * Ends `span` with `rpc.grpc.status_code`. A client span's status is an error for every
 * code but OK; a server span's only for codes that mean the server failed, as the
 * semantic conventions ask.
 */
export function endRpcSpan(span: Span, error: unknown, side: "client" | "server"): void {
  if (error === undefined) {
    span.setAttribute("rpc.grpc.status_code", Code.OK);
  } else {
    const e = GrpcError.from(error);
    span.setAttribute("rpc.grpc.status_code", e.code);
    if (side === "client" || serverErrorCodes.has(e.code)) span.setStatus({ code: SpanStatusCode.ERROR, message: e.rawMessage });
  }
  span.end();
}

/**
 * `source`, calling `onEnd` once when it ends: with undefined when read to its end, with
 * the error it failed with, or with CANCELLED when its reader stops early. When `active`
 * is given, each step of `source` runs with that context active.
 */
export function endWithStream<T>(source: AsyncIterable<T>, onEnd: (error: unknown) => void, active?: Context): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const it = source[Symbol.asyncIterator]();
      let ended = false;
      const end = (error: unknown): void => {
        if (ended) return;
        ended = true;
        onEnd(error);
      };
      const step = <R>(fn: () => Promise<R>): Promise<R> => (active === undefined ? fn() : context.with(active, fn));
      return {
        async next() {
          try {
            const r = await step(() => it.next());
            if (r.done === true) end(undefined);
            return r;
          } catch (e) {
            end(e);
            throw e;
          }
        },
        async return(value?: unknown) {
          try {
            return (await step(async () => it.return?.(value))) ?? { done: true, value: undefined };
          } finally {
            end(new GrpcError(Code.CANCELLED, "the response stream was not read to its end"));
          }
        },
        async throw(reason?: unknown) {
          end(reason);
          const t = it.throw;
          if (t === undefined) throw reason;
          return step(() => t.call(it, reason));
        },
      };
    },
  };
}
