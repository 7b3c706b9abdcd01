/**
 * grpckit's weighted_round_robin against @grpc/grpc-js servers: three grpc-js servers
 * report ORCA loads for weights 1:2:3 the way grpc-js applications do, per call
 * (`call.getMetricsRecorder()` with `grpc.server_call_metric_recording`) or out of band
 * (`ServerMetricRecorder` serving OpenRcaService), and a grpckit channel spreads its
 * calls by them. Counts are asserted, never timings.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  backendNames,
  spreadAfterWarmUp,
  deviationsFromOneTwoThree,
  oppositeUtilizationOf,
  REPORTED_QPS,
  utilizationOf,
  weightedChannel,
  type BackendName,
  type WeightedChannel,
} from "./support/spread-calls.js";

const definition = protoLoader.loadSync("grpckit/test/v1/echo.proto", {
  keepCase: true,
  defaults: true,
  includeDirs: [fileURLToPath(new URL("../../core/test/proto", import.meta.url))],
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  grpckit: { test: { v1: { EchoService: grpc.ServiceClientConstructor } } };
};
const echoService = loaded.grpckit.test.v1.EchoService.service;

/**
 * grpc-js 1.14 parses its ORCA .proto files again for every per-call report it
 * serializes (its cache of the loaded files is never filled): about 75 ms of CPU per
 * call when measured here, so 6,000 calls would take minutes. While these tests run, @grpc/proto-loader's
 * loadSync returns the definition it loaded before for the same files and options: the
 * same object it would build again, so grpc-js's servers record, serialize and send
 * their reports with their own code, only without the repeated parse.
 */
const protoLoaderModule = createRequire(import.meta.url)("@grpc/proto-loader") as { loadSync: typeof protoLoader.loadSync };
const uncachedLoadSync = protoLoaderModule.loadSync;
beforeAll(() => {
  const loaded = new Map<string, protoLoader.PackageDefinition>();
  protoLoaderModule.loadSync = (filename, options) => {
    const key = JSON.stringify([filename, options]);
    let definition = loaded.get(key);
    if (definition === undefined) loaded.set(key, (definition = uncachedLoadSync(filename, options)));
    return definition;
  };
});

const jsServers: grpc.Server[] = [];
const channels: WeightedChannel[] = [];

afterAll(() => {
  protoLoaderModule.loadSync = uncachedLoadSync;
  for (const c of channels) c.channel.close();
  for (const s of jsServers) s.forceShutdown();
});

/**
 * A grpc-js server named `name`. With `perCall`, each Echo records 100 qps at that
 * application utilization on the call's metrics recorder (sent as the
 * endpoint-load-metrics-bin trailer); with `outOfBand`, a ServerMetricRecorder holding
 * 100 qps at that utilization serves OpenRcaService.
 */
async function serveJs(name: BackendName, loads: { perCall?: number; outOfBand?: number }): Promise<string> {
  const server = new grpc.Server(loads.perCall === undefined ? {} : { "grpc.server_call_metric_recording": 1 });
  const perCall = loads.perCall;
  server.addService(echoService, {
    Echo(call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
      if (perCall !== undefined) {
        const recorder = call.getMetricsRecorder();
        recorder.recordQpsMetric(REPORTED_QPS);
        recorder.recordApplicationUtilizationMetric(perCall);
      }
      callback(null, { message: name });
    },
  });
  if (loads.outOfBand !== undefined) {
    const recorder = new grpc.ServerMetricRecorder();
    recorder.setQpsMetric(REPORTED_QPS);
    recorder.setApplicationUtilizationMetric(loads.outOfBand);
    recorder.addToServer(server);
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  jsServers.push(server);
  return `127.0.0.1:${port}`;
}

describe("grpckit's weighted_round_robin against grpc-js servers", () => {
  // Each runs 6,000 calls through grpc-js servers in this process: seconds, more on a busy machine.
  it("spreads 6,000 calls 1:2:3 by the loads grpc-js servers report per call", { timeout: 60_000 }, async ({ annotate }) => {
    const addrs = await Promise.all(backendNames.map((n) => serveJs(n, { perCall: utilizationOf[n] })));
    const wrr = weightedChannel(addrs, { blackoutPeriod: "0s", weightUpdatePeriod: "0.1s" });
    channels.push(wrr);
    const counts = await spreadAfterWarmUp(wrr, "weighted_round_robin, per-call reports from grpc-js servers", annotate);
    expect(counts.one + counts.two + counts.three).toBe(6_000);
    for (const d of deviationsFromOneTwoThree(counts)) expect(d).toBeLessThan(0.05);
  });

  it("spreads 6,000 calls 1:2:3 by grpc-js servers' out-of-band reports, ignoring trailers that say 3:2:1", { timeout: 60_000 }, async ({ annotate }) => {
    const addrs = await Promise.all(
      backendNames.map((n) => serveJs(n, { outOfBand: utilizationOf[n], perCall: oppositeUtilizationOf[n] })),
    );
    const wrr = weightedChannel(addrs, {
      enableOobLoadReport: true,
      oobReportingPeriod: "0.1s",
      blackoutPeriod: "0s",
      weightUpdatePeriod: "0.1s",
    });
    channels.push(wrr);
    const counts = await spreadAfterWarmUp(wrr, "weighted_round_robin, out-of-band reports from grpc-js servers", annotate);
    expect(counts.one + counts.two + counts.three).toBe(6_000);
    for (const d of deviationsFromOneTwoThree(counts)) expect(d).toBeLessThan(0.05);
  });
});
