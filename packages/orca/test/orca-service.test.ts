/**
 * The out-of-band service, OpenRcaService.StreamCoreMetrics, over real loopback HTTP/2
 * (transport-h2), read by a grpckit client: a report at once, then one per interval
 * (never faster than the server's minimum), request costs filtered by name, and the
 * stream gone once the client cancels.
 */
import { create } from "@bufbuild/protobuf";
import { afterAll, describe, expect, it } from "vitest";
import { Code, createChannel, createClient, createServer, GrpcError, type Channel, type Server } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import {
  addOrcaService,
  defaultMinReportingIntervalMs,
  OpenRcaService,
  orcaServiceImpl,
  ServerMetricsRecorder,
  type OrcaLoadReport,
  type ServerMetricsProvider,
} from "../src/index.js";
import { DurationSchema } from "@bufbuild/protobuf/wkt";

const transport = h2Transport();
const servers: Server[] = [];
const channels: Channel[] = [];

afterAll(() => {
  for (const c of channels) c.close();
  for (const s of servers) s.forceShutdown();
});

/** A server with the ORCA service over `recorder`, counting the reports it makes. */
async function serve(recorder: ServerMetricsRecorder, minReportingIntervalMs: number) {
  let reports = 0;
  const counted: ServerMetricsProvider = {
    serverMetrics() {
      reports++;
      return recorder.serverMetrics();
    },
  };
  const server = createServer({ transport });
  addOrcaService(server, { serverMetrics: counted, minReportingIntervalMs });
  const bound = await server.listen("127.0.0.1:0");
  servers.push(server);
  const channel = createChannel(`ipv4:127.0.0.1:${bound.port}`, { transport });
  channels.push(channel);
  return { server, client: createClient(OpenRcaService, channel), reports: () => reports };
}

function interval(ms: number) {
  return create(DurationSchema, { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 });
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("OpenRcaService.StreamCoreMetrics", () => {
  it("sends the first report at once, even with a long minimum interval", async () => {
    const recorder = new ServerMetricsRecorder();
    recorder.setCpuUtilization(0.5);
    recorder.setQps(10);
    const { client } = await serve(recorder, 60_000);
    // With a minute between reports, a report inside the test's time can only be the first one sent at once.
    for await (const report of client.streamCoreMetrics({})) {
      expect(report).toMatchObject({ cpuUtilization: 0.5, rpsFractional: 10 });
      break;
    }
  });

  it("reports every interval the client asks for, never faster than the server's minimum, with the figures of the moment", async () => {
    const recorder = new ServerMetricsRecorder();
    const { client } = await serve(recorder, 100);
    // The client asks for 10 ms; the server's minimum of 100 ms wins.
    const fast: { at: number; report: OrcaLoadReport }[] = [];
    recorder.setApplicationUtilization(0.1);
    for await (const report of client.streamCoreMetrics({ reportInterval: interval(10) })) {
      fast.push({ at: performance.now(), report });
      recorder.setApplicationUtilization(0.1 * (fast.length + 1));
      if (fast.length === 4) break;
    }
    expect(fast.map((r) => r.report.applicationUtilization)).toEqual([0.1, 0.2, 0.1 * 3, 0.4]);
    const fastGaps = fast.slice(1).map((r, i) => r.at - fast[i].at);
    // Timers may fire a little early by rounding; a gap well under 100 ms would be the client's 10 ms.
    for (const gap of fastGaps) expect(gap).toBeGreaterThanOrEqual(95);

    // Asking for more than the minimum gets what was asked.
    const slow: number[] = [];
    for await (const _ of client.streamCoreMetrics({ reportInterval: interval(250) })) {
      slow.push(performance.now());
      if (slow.length === 3) break;
    }
    for (const gap of slow.slice(1).map((t, i) => t - slow[i])) expect(gap).toBeGreaterThanOrEqual(245);
    console.log(`reports 100 ms minimum, 10 ms asked: gaps ${fastGaps.map((g) => g.toFixed(0)).join(", ")} ms; 250 ms asked: gaps ${slow
      .slice(1)
      .map((t, i) => (t - slow[i]).toFixed(0))
      .join(", ")} ms`);
  });

  it("sends only the request costs the client names, and all of them when it names none", async () => {
    const recorder = new ServerMetricsRecorder();
    recorder.setRequestCost("cpu_ms", 4);
    recorder.setRequestCost("rows", 9);
    recorder.setRequestCost("bytes", 100);
    const { client } = await serve(recorder, 100);
    const first = async (requestCostNames: string[]) => {
      for await (const report of client.streamCoreMetrics({ requestCostNames })) {
        return { ...report.requestCost };
      }
      throw new Error("the stream ended without a report");
    };
    expect(await first(["rows", "bytes", "unknown"])).toEqual({ rows: 9, bytes: 100 });
    expect(await first([])).toEqual({ cpu_ms: 4, rows: 9, bytes: 100 });
  });

  it("stops reporting once the client cancels: no more reports are made and the server drains", async () => {
    const recorder = new ServerMetricsRecorder();
    recorder.setQps(1);
    const { server, client, reports } = await serve(recorder, 100);
    const ac = new AbortController();
    let received = 0;
    const err = await (async () => {
      for await (const _ of client.streamCoreMetrics({}, { signal: ac.signal })) if (++received === 2) ac.abort();
    })().catch((e: unknown) => e);
    expect(GrpcError.is(err) && err.code).toBe(Code.CANCELLED);
    const made = reports();
    await wait(350);
    expect(reports()).toBe(made);
    // A graceful shutdown waits for running calls: it finishes only because the stream ended.
    await server.shutdown();
    console.log(`cancelled after ${received} reports; reports made by the server: ${made}, 350 ms later: ${reports()}`);
  });

  it("a report interval beyond what a timer can wait, or below zero, does not flood the client", async () => {
    const recorder = new ServerMetricsRecorder();
    recorder.setQps(1);
    const { client, reports } = await serve(recorder, 100);
    for (const reportInterval of [create(DurationSchema, { seconds: 10n ** 12n }), create(DurationSchema, { seconds: -5n })]) {
      const ac = new AbortController();
      const before = reports();
      let received = 0;
      const reading = (async () => {
        for await (const _ of client.streamCoreMetrics({ reportInterval }, { signal: ac.signal })) received++;
      })().catch(() => {});
      await wait(350);
      ac.abort();
      await reading;
      // A huge interval: the first report only. A negative one: the 100 ms minimum, so about 4.
      if (reportInterval.seconds > 0n) expect(received).toBe(1);
      else expect(received).toBeLessThanOrEqual(5);
      expect(reports() - before).toBe(received);
    }
  });
});

describe("orcaServiceImpl options", () => {
  it("refuses a minimum interval that is not a positive number, and a missing provider, naming what is wrong", () => {
    const serverMetrics = new ServerMetricsRecorder();
    for (const minReportingIntervalMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => orcaServiceImpl({ serverMetrics, minReportingIntervalMs })).toThrow(/minReportingIntervalMs must be a positive number/);
    }
    expect(() => orcaServiceImpl({} as never)).toThrow(/needs serverMetrics/);
    expect(defaultMinReportingIntervalMs).toBe(30_000);
  });
});
