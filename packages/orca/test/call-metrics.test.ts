/**
 * Per-call ORCA reports over real loopback HTTP/2 (transport-h2): a grpckit server with
 * callMetricsInterceptor, a grpckit client reading the endpoint-load-metrics-bin
 * trailer of each call, on OK and error ends, unary and streamed.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, createChannel, createClient, createServer, GrpcError, type Channel, type Metadata, type Server, type ServerInterceptor } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { callMetricsInterceptor, callMetricsRecorder, OrcaLoadReportSchema, ServerMetricsRecorder, type OrcaLoadReport } from "../src/index.js";

const transport = h2Transport();
const servers: Server[] = [];
const channels: Channel[] = [];

afterAll(() => {
  for (const c of channels) c.close();
  for (const s of servers) s.forceShutdown();
});

/** A server whose handlers record what the request's message asks for. */
async function serve(interceptors: ServerInterceptor[]): Promise<ReturnType<typeof createClient<typeof EchoService>>> {
  const server = createServer({ transport, interceptors });
  server.addService(EchoService, {
    echo(req, ctx) {
      const recorder = callMetricsRecorder(ctx);
      if (req.message === "record") {
        recorder?.setApplicationUtilization(0.5);
        recorder?.setQps(40);
        recorder?.setRequestCost("db_queries", 3);
      }
      if (req.message === "record-cpu") recorder?.setCpuUtilization(0.25);
      if (req.message === "no-interceptor") return { message: recorder === undefined ? "undefined" : "recorder" };
      if (req.failCode !== 0) {
        recorder?.setEps(2);
        throw new GrpcError(req.failCode as Code, req.failMessage);
      }
      return { message: req.message };
    },
    async *expand(req, ctx) {
      for (let i = 0; i < req.repeat; i++) {
        // Recorded while the stream runs, after messages went out: the report still has it.
        callMetricsRecorder(ctx)?.setRequestCost("rows", i + 1);
        yield { message: req.message, index: i };
      }
      if (req.failCode !== 0) throw new GrpcError(req.failCode as Code, req.failMessage);
    },
    async collect(reqs, ctx) {
      let n = 0;
      for await (const _ of reqs) n++;
      callMetricsRecorder(ctx)?.setNamedMetric("messages", n);
      return { message: String(n) };
    },
  });
  const bound = await server.listen("127.0.0.1:0");
  servers.push(server);
  const channel = createChannel(`ipv4:127.0.0.1:${bound.port}`, { transport });
  channels.push(channel);
  return createClient(EchoService, channel);
}

/** The load report a call's trailers carry, or undefined. */
function reportOf(trailer: Metadata | undefined): OrcaLoadReport | undefined {
  const bytes = trailer?.get("endpoint-load-metrics-bin");
  if (bytes === undefined) return undefined;
  if (typeof bytes === "string") throw new Error("endpoint-load-metrics-bin arrived as text");
  return fromBinary(OrcaLoadReportSchema, bytes);
}

describe("per-call load reports", () => {
  let client: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    client = await serve([callMetricsInterceptor()]);
  });

  it("a unary handler's recorded figures and request cost arrive in the endpoint-load-metrics-bin trailer", async () => {
    let trailer: Metadata | undefined;
    const res = await client.echo({ message: "record" }, { onTrailer: (md) => (trailer = md) });
    expect(res.message).toBe("record");
    expect(reportOf(trailer)).toMatchObject({ applicationUtilization: 0.5, rpsFractional: 40, requestCost: { db_queries: 3 }, cpuUtilization: 0 });
  });

  it("a call that ends with an error still carries what its handler recorded", async () => {
    let trailer: Metadata | undefined;
    const err = await client.echo({ message: "record", failCode: Code.RESOURCE_EXHAUSTED, failMessage: "busy" }, { onTrailer: (md) => (trailer = md) }).catch((e: unknown) => e);
    expect(GrpcError.is(err) && err.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(reportOf(trailer)).toMatchObject({ applicationUtilization: 0.5, rpsFractional: 40, eps: 2, requestCost: { db_queries: 3 } });
  });

  it("a handler that records nothing sends no report", async () => {
    let trailer: Metadata | undefined;
    await client.echo({ message: "quiet" }, { onTrailer: (md) => (trailer = md) });
    expect(trailer).toBeDefined();
    expect(trailer?.has("endpoint-load-metrics-bin")).toBe(false);
  });

  it("a server-streaming handler's report comes after its last message, with what it recorded while streaming", async () => {
    let trailer: Metadata | undefined;
    const got: number[] = [];
    for await (const m of client.expand({ message: "s", repeat: 3 }, { onTrailer: (md) => (trailer = md) })) got.push(m.index);
    expect(got).toEqual([0, 1, 2]);
    expect(reportOf(trailer)?.requestCost).toEqual({ rows: 3 });
  });

  it("a stream that fails after its messages still carries the report", async () => {
    let trailer: Metadata | undefined;
    const got: number[] = [];
    const err = await (async () => {
      for await (const m of client.expand({ message: "s", repeat: 2, failCode: Code.ABORTED, failMessage: "stop" }, { onTrailer: (md) => (trailer = md) })) got.push(m.index);
    })().catch((e: unknown) => e);
    expect(GrpcError.is(err) && err.code).toBe(Code.ABORTED);
    expect(got).toEqual([0, 1]);
    expect(reportOf(trailer)?.requestCost).toEqual({ rows: 2 });
  });

  it("a client-streaming handler reports once its requests are read", async () => {
    let trailer: Metadata | undefined;
    async function* requests() {
      for (let i = 0; i < 4; i++) yield { message: String(i) };
    }
    const res = await client.collect(requests(), { onTrailer: (md) => (trailer = md) });
    expect(res.message).toBe("4");
    expect(reportOf(trailer)?.namedMetrics).toEqual({ messages: 4 });
  });

  it("each call gets its own recorder: concurrent calls do not see each other's figures", async () => {
    const trailers: (Metadata | undefined)[] = [undefined, undefined];
    await Promise.all([
      client.echo({ message: "record" }, { onTrailer: (md) => (trailers[0] = md) }),
      client.echo({ message: "record-cpu" }, { onTrailer: (md) => (trailers[1] = md) }),
    ]);
    expect(reportOf(trailers[0])).toMatchObject({ cpuUtilization: 0, rpsFractional: 40 });
    expect(reportOf(trailers[1])).toMatchObject({ cpuUtilization: 0.25, rpsFractional: 0, requestCost: {} });
  });
});

describe("per-call load reports over the server's own metrics", () => {
  const serverMetrics = new ServerMetricsRecorder();
  let client: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    serverMetrics.setCpuUtilization(0.75);
    serverMetrics.setMemoryUtilization(0.5);
    serverMetrics.setNamedUtilization("disk", 0.1);
    client = await serve([callMetricsInterceptor({ serverMetrics })]);
  });

  it("a call whose handler recorded nothing reports the server's metrics", async () => {
    let trailer: Metadata | undefined;
    await client.echo({ message: "quiet" }, { onTrailer: (md) => (trailer = md) });
    expect(reportOf(trailer)).toMatchObject({ cpuUtilization: 0.75, memUtilization: 0.5, utilization: { disk: 0.1 } });
  });

  it("a figure the handler recorded wins over the server's; the server's others stay", async () => {
    let trailer: Metadata | undefined;
    await client.echo({ message: "record-cpu" }, { onTrailer: (md) => (trailer = md) });
    expect(reportOf(trailer)).toMatchObject({ cpuUtilization: 0.25, memUtilization: 0.5, utilization: { disk: 0.1 } });
  });
});

describe("without callMetricsInterceptor", () => {
  it("callMetricsRecorder gives a handler undefined and no report is sent", async () => {
    const client = await serve([]);
    let trailer: Metadata | undefined;
    const res = await client.echo({ message: "no-interceptor" }, { onTrailer: (md) => (trailer = md) });
    expect(res.message).toBe("undefined");
    expect(trailer?.has("endpoint-load-metrics-bin")).toBe(false);
  });
});
