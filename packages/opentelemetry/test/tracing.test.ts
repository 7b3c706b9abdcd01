/**
 * Client and server spans from openTelemetryClientInterceptor and
 * openTelemetryServerInterceptor over real HTTP/2 on 127.0.0.1: one trace across both
 * sides, carried by W3C traceparent in metadata, with gRPC's status on each span.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { Code, createChannel, createClient, createServer, GrpcError, type Channel, type Server } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { EchoService, echoImpl } from "../../core/test/support/echo-service.js";
import { openTelemetryClientInterceptor, openTelemetryServerInterceptor } from "../src/index.js";

const transport = http2Transport();
const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

afterAll(async () => {
  await tracerProvider.shutdown();
  context.disable();
  propagation.disable();
});

afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
  exporter.reset();
});

/** What the handlers saw as the active span and the request's traceparent. */
interface Seen {
  activeSpans: (Span | undefined)[];
  traceparents: unknown[];
}

async function start() {
  const seen: Seen = { activeSpans: [], traceparents: [] };
  const base = echoImpl();
  const { echo, expand } = base;
  if (echo === undefined || expand === undefined) throw new Error("echoImpl lacks echo or expand");
  const server = createServer({ transport, interceptors: [openTelemetryServerInterceptor({ tracerProvider })] }).addService(EchoService, {
    ...base,
    echo(req, ctx) {
      seen.activeSpans.push(trace.getActiveSpan());
      seen.traceparents.push(ctx.metadata.get("traceparent"));
      return echo(req, ctx);
    },
    async *expand(req, ctx) {
      for await (const r of expand(req, ctx)) {
        seen.activeSpans.push(trace.getActiveSpan());
        yield r;
      }
    },
  });
  const { address } = await server.listen("127.0.0.1:0");
  open.servers.push(server);
  const channel = createChannel(address, { transport, interceptors: [openTelemetryClientInterceptor({ tracerProvider })] });
  open.channels.push(channel);
  return { seen, client: createClient(EchoService, channel) };
}

async function failure(p: Promise<unknown>): Promise<GrpcError> {
  try {
    await p;
  } catch (e) {
    return e as GrpcError;
  }
  throw new Error("expected the call to fail");
}

/** The finished spans, once `n` have ended (the server's may end just after the client's). */
async function finishedSpans(n: number): Promise<ReadableSpan[]> {
  for (let i = 0; i < 100 && exporter.getFinishedSpans().length < n; i++) await new Promise((r) => setTimeout(r, 10));
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(n);
  return spans;
}

function byKind(spans: ReadableSpan[], kind: SpanKind): ReadableSpan {
  const s = spans.find((x) => x.kind === kind);
  if (s === undefined) throw new Error(`no ${SpanKind[kind]} span`);
  return s;
}

describe("tracing interceptors", () => {
  it("make a client span and its child server span in one trace, named and attributed per the RPC conventions", async () => {
    const { client, seen } = await start();
    await client.echo({ message: "hi" });
    const spans = await finishedSpans(2);
    const c = byKind(spans, SpanKind.CLIENT);
    const s = byKind(spans, SpanKind.SERVER);
    for (const span of [c, s]) {
      expect(span.name).toBe("grpckit.test.v1.EchoService/Echo");
      expect(span.attributes).toEqual({
        "rpc.system": "grpc",
        "rpc.service": "grpckit.test.v1.EchoService",
        "rpc.method": "Echo",
        "rpc.grpc.status_code": Code.OK,
      });
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }
    expect(s.spanContext().traceId).toBe(c.spanContext().traceId);
    expect(s.parentSpanContext?.spanId).toBe(c.spanContext().spanId);
    expect(seen.traceparents[0]).toBe(`00-${c.spanContext().traceId}-${c.spanContext().spanId}-01`);
  });

  it("make the server span the active span while the handler runs", async () => {
    const { client, seen } = await start();
    await client.echo({ message: "hi" });
    const s = byKind(await finishedSpans(2), SpanKind.SERVER);
    expect(seen.activeSpans[0]?.spanContext().spanId).toBe(s.spanContext().spanId);
  });

  it("start the client span as a child of the caller's active span", async () => {
    const { client } = await start();
    const parent = tracerProvider.getTracer("test").startSpan("parent");
    await context.with(trace.setSpan(context.active(), parent), () => client.echo({ message: "hi" }));
    parent.end();
    const c = byKind(await finishedSpans(3), SpanKind.CLIENT);
    expect(c.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(c.spanContext().traceId).toBe(parent.spanContext().traceId);
  });

  it("end both spans with an error status and the code when the server fails with UNAVAILABLE", async () => {
    const { client } = await start();
    await failure(client.echo({ message: "x", failCode: Code.UNAVAILABLE, failMessage: "down" }));
    const spans = await finishedSpans(2);
    for (const span of spans) {
      expect(span.attributes["rpc.grpc.status_code"]).toBe(Code.UNAVAILABLE);
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "down" });
    }
  });

  it("mark NOT_FOUND an error on the client span only, as the server did its job", async () => {
    const { client } = await start();
    await failure(client.echo({ message: "x", failCode: Code.NOT_FOUND, failMessage: "gone" }));
    const spans = await finishedSpans(2);
    expect(byKind(spans, SpanKind.CLIENT).status).toEqual({ code: SpanStatusCode.ERROR, message: "gone" });
    expect(byKind(spans, SpanKind.SERVER).status.code).toBe(SpanStatusCode.UNSET);
    expect(spans.map((s) => s.attributes["rpc.grpc.status_code"])).toEqual([Code.NOT_FOUND, Code.NOT_FOUND]);
  });

  it("end a server-streaming call's spans after the last response, with the server span active at each one", async () => {
    const { client, seen } = await start();
    const it = client.expand({ message: "m", repeat: 3 })[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    expect(exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(0);
    while (!(await it.next()).done);
    const spans = await finishedSpans(2);
    const s = byKind(spans, SpanKind.SERVER);
    expect(byKind(spans, SpanKind.CLIENT).attributes["rpc.grpc.status_code"]).toBe(Code.OK);
    expect(s.attributes["rpc.grpc.status_code"]).toBe(Code.OK);
    expect(seen.activeSpans.map((a) => a?.spanContext().spanId)).toEqual([s.spanContext().spanId, s.spanContext().spanId, s.spanContext().spanId]);
  });

  it("end a server-streaming call's spans with the error the stream fails with", async () => {
    const { client } = await start();
    const got: string[] = [];
    const e = await failure(
      (async () => {
        for await (const r of client.expand({ message: "m", repeat: 2, failCode: Code.INTERNAL, failMessage: "broke" })) got.push(r.message);
      })(),
    );
    expect(e.code).toBe(Code.INTERNAL);
    expect(got).toHaveLength(2);
    const spans = await finishedSpans(2);
    for (const span of spans) {
      expect(span.attributes["rpc.grpc.status_code"]).toBe(Code.INTERNAL);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
    }
  });
});
