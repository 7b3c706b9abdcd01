/**
 * A @grpc/grpc-js 1.14 client's weighted_round_robin (gRFC A58) spreads calls by the
 * loads three grpckit servers (transport-h2, 127.0.0.1) report through @grpckit/orca:
 * once from per-call reports (the endpoint-load-metrics-bin trailer), once from
 * out-of-band reports (OpenRcaService), with no trailer sent. Every server reports
 * qps 3; their application utilizations 0.75, 0.375 and 0.25 make weights of exactly
 * 4, 8 and 12 (qps / utilization), so calls should land 1:2:3.
 *
 * grpc-js 1.14 parses each endpoint-load-metrics-bin trailer by loading the ORCA proto
 * files anew with @grpc/proto-loader (orca.js: `loadedOrcaProto` is a constant null, so
 * its cache never fills), tens of milliseconds of client CPU per report. So in the
 * per-call run a backend reports on its first call and every 500th after it; grpc-js
 * keeps a weight until it expires (3 minutes by default), so the weights are the same
 * as with a report on every call, and the calls stay fast.
 *
 * grpc-js reads its weighted_round_robin config with snake_case keys only
 * (blackout_period, weight_update_period, enable_oob_load_report,
 * oob_load_reporting_period); a camelCase key is ignored and its default applies.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterAll, describe, expect, it } from "vitest";
import { createServer, type Server, type ServerInterceptor } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { EchoRequestSchema, EchoResponseSchema, EchoService, type EchoRequest, type EchoResponse } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { addOrcaService, callMetricsInterceptor, callMetricsRecorder, ServerMetricsRecorder, type ServerMetricsProvider } from "../src/index.js";

const transport = h2Transport();
const servers: Server[] = [];
const clients: grpc.Client[] = [];

afterAll(() => {
  for (const c of clients) c.close();
  for (const s of servers) s.forceShutdown();
});

const qps = 3;
/** Application utilization per backend: weights qps / utilization = 4, 8, 12. */
const utilizations = [0.75, 0.375, 0.25];
const expectedShare = [1 / 6, 2 / 6, 3 / 6];
const measuredCalls = 6000;
/** Each test takes a few seconds alone; this leaves room for a busy shared machine. */
const testTimeoutMs = 60_000;
/** In the per-call run, a backend reports on its first call and every this many after it. */
const reportEvery = 500;

interface Backend {
  /** host:port */
  address: string;
  calls: number;
  /** Calls served since the backend started (calls is reset before measuring). */
  served: number;
  /** Per-call reports the backend sent. */
  callReports: number;
  /** Out-of-band reports the backend made. */
  oobReports: number;
}

/** Three grpckit servers; each counts its calls and reports its load the way `mode` says. */
async function startBackends(mode: "per-call" | "out-of-band"): Promise<Backend[]> {
  const backends: Backend[] = [];
  for (const utilization of utilizations) {
    const interceptors: ServerInterceptor[] = mode === "per-call" ? [callMetricsInterceptor()] : [];
    const server = createServer({ transport, interceptors });
    const backend: Backend = { address: "", calls: 0, served: 0, callReports: 0, oobReports: 0 };
    server.addService(EchoService, {
      echo(req, ctx) {
        if (mode === "per-call" && backend.served % reportEvery === 0) {
          backend.callReports++;
          const recorder = callMetricsRecorder(ctx);
          recorder?.setQps(qps);
          recorder?.setApplicationUtilization(utilization);
        }
        backend.calls++;
        backend.served++;
        return { message: req.message };
      },
    });
    if (mode === "out-of-band") {
      const recorder = new ServerMetricsRecorder();
      recorder.setQps(qps);
      recorder.setApplicationUtilization(utilization);
      const counted: ServerMetricsProvider = {
        serverMetrics() {
          backend.oobReports++;
          return recorder.serverMetrics();
        },
      };
      addOrcaService(server, { serverMetrics: counted, minReportingIntervalMs: 100 });
    }
    const bound = await server.listen("127.0.0.1:0");
    servers.push(server);
    backend.address = bound.address;
    backends.push(backend);
  }
  return backends;
}

function grpcJsClient(backends: Backend[], wrrConfig: Record<string, unknown>): grpc.Client {
  const target = `ipv4:${backends.map((b) => b.address).join(",")}`;
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
    "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ weighted_round_robin: wrrConfig }] }),
  });
  clients.push(client);
  return client;
}

function echo(client: grpc.Client, message: string): Promise<EchoResponse> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      `/${EchoService.typeName}/Echo`,
      (req: EchoRequest) => Buffer.from(toBinary(EchoRequestSchema, req)),
      (bytes: Buffer) => fromBinary(EchoResponseSchema, bytes),
      create(EchoRequestSchema, { message }),
      (err, res) => (err ? reject(err) : resolve(res as EchoResponse)),
    );
  });
}

/** Sends `count` calls, `concurrency` at a time. */
async function sendCalls(client: grpc.Client, count: number, concurrency = 16): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        await echo(client, "x");
      }
    }),
  );
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends the measured calls and checks each backend's share is within 5% of 1:2:3. */
async function measure(mode: string, client: grpc.Client, backends: Backend[]): Promise<void> {
  for (const b of backends) b.calls = 0;
  await sendCalls(client, measuredCalls);
  const counts = backends.map((b) => b.calls);
  const ratios = counts.map((c, i) => c / (measuredCalls * expectedShare[i]));
  console.log(
    `grpc-js weighted_round_robin, ${mode} reports from @grpckit/orca: ${measuredCalls} calls landed ${counts.join(" : ")} ` +
      `(expected 1000 : 2000 : 3000); each over its expected count: ${ratios.map((r) => r.toFixed(3)).join(", ")}` +
      (mode === "out-of-band"
        ? `; out-of-band reports made per backend: ${backends.map((b) => b.oobReports).join(", ")}`
        : `; per-call reports sent per backend: ${backends.map((b) => b.callReports).join(", ")}`),
  );
  expect(counts.reduce((a, b) => a + b, 0)).toBe(measuredCalls);
  for (const r of ratios) expect(Math.abs(r - 1)).toBeLessThanOrEqual(0.05);
}

describe("a grpc-js client's weighted_round_robin over grpckit servers reporting through @grpckit/orca", () => {
  it("spreads calls 1:2:3 by per-call reports in the endpoint-load-metrics-bin trailer", async () => {
    const backends = await startBackends("per-call");
    const client = grpcJsClient(backends, { blackout_period: "0s", weight_update_period: "0.1s" });
    // Warm up until every backend has answered (and so reported) once, then give the
    // policy's 100 ms weight update a few turns to apply the weights.
    for (let i = 0; i < 3000 && backends.some((b) => b.calls === 0); i++) await echo(client, "warm-up");
    expect(backends.every((b) => b.calls > 0)).toBe(true);
    await wait(500);
    await measure("per-call", client, backends);
  }, testTimeoutMs);

  it("spreads calls 1:2:3 by out-of-band reports, with no trailer sent", async () => {
    const backends = await startBackends("out-of-band");
    const client = grpcJsClient(backends, {
      blackout_period: "0s",
      weight_update_period: "0.1s",
      enable_oob_load_report: true,
      oob_load_reporting_period: "0.1s",
    });
    // Connect, then wait until every backend has sent out-of-band reports.
    for (let i = 0; i < 100 && backends.some((b) => b.oobReports < 2); i++) {
      await echo(client, "warm-up");
      await wait(50);
    }
    expect(backends.every((b) => b.oobReports >= 2)).toBe(true);
    await wait(500);
    await measure("out-of-band", client, backends);
  }, testTimeoutMs);
});
