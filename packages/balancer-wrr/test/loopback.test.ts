/**
 * weighted_round_robin over real loopback HTTP/2 (transport-h2): three grpckit servers
 * report ORCA loads that give them weights 1:2:3, in each call's trailers or on an
 * OpenRcaService stream, and a grpckit channel spreads its calls accordingly. Counts
 * are asserted, never timings.
 */
import { afterAll, describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { createServer, type HandlerContext, type Server } from "@grpckit/core";
import { OpenRcaService, OrcaLoadReportSchema, loadReportTrailer, type OrcaLoadReport } from "@grpckit/core/orca";
import { h2Transport } from "@grpckit/transport-h2";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
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

const servers: Server[] = [];
const channels: WeightedChannel[] = [];

afterAll(() => {
  for (const c of channels) c.channel.close();
  for (const s of servers) s.forceShutdown();
});

function report(utilization: number): OrcaLoadReport {
  return create(OrcaLoadReportSchema, { rpsFractional: REPORTED_QPS, applicationUtilization: utilization });
}

/** Waits `ms`, or less when the call ends first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}

/**
 * A grpckit server named `name`: Echo answers with the name and, when `perCall` is
 * given, sets the `endpoint-load-metrics-bin` trailer to a report at that utilization;
 * with `outOfBand`, it also serves OpenRcaService, streaming a report at that
 * utilization every interval the client asks for.
 */
async function serve(name: BackendName, loads: { perCall?: number; outOfBand?: number }): Promise<string> {
  const server = createServer({ transport: h2Transport() });
  const trailer = loads.perCall === undefined ? undefined : toBinary(OrcaLoadReportSchema, report(loads.perCall));
  server.addService(EchoService, {
    echo(_req, ctx: HandlerContext) {
      if (trailer !== undefined) ctx.responseTrailer.set(loadReportTrailer, trailer);
      return { message: name };
    },
  });
  const outOfBand = loads.outOfBand;
  if (outOfBand !== undefined) {
    server.addService(OpenRcaService, {
      async *streamCoreMetrics(req, ctx) {
        const interval = req.reportInterval;
        const ms = interval === undefined ? 1_000 : Number(interval.seconds) * 1_000 + interval.nanos / 1e6;
        while (!ctx.signal.aborted) {
          yield report(outOfBand);
          await pause(ms, ctx.signal);
        }
      },
    });
  }
  const { port } = await server.listen("127.0.0.1:0");
  servers.push(server);
  return `127.0.0.1:${port}`;
}

describe("weighted_round_robin on loopback", () => {
  it("spreads 6,000 calls 1:2:3 by the loads three grpckit servers report in call trailers", { timeout: 60_000 }, async ({ annotate }) => {
    const addrs = await Promise.all(backendNames.map((n) => serve(n, { perCall: utilizationOf[n] })));
    const wrr = weightedChannel(addrs, { blackoutPeriod: "0s", weightUpdatePeriod: "0.1s" });
    channels.push(wrr);
    const counts = await spreadAfterWarmUp(wrr, "weighted_round_robin, per-call reports from grpckit servers", annotate);
    expect(counts.one + counts.two + counts.three).toBe(6_000);
    for (const d of deviationsFromOneTwoThree(counts)) expect(d).toBeLessThan(0.05);
  });

  it("spreads 6,000 calls 1:2:3 by out-of-band reports, ignoring the trailers that say 3:2:1", { timeout: 60_000 }, async ({ annotate }) => {
    const addrs = await Promise.all(
      backendNames.map((n) => serve(n, { outOfBand: utilizationOf[n], perCall: oppositeUtilizationOf[n] })),
    );
    const wrr = weightedChannel(addrs, {
      enableOobLoadReport: true,
      oobReportingPeriod: "0.1s",
      blackoutPeriod: "0s",
      weightUpdatePeriod: "0.1s",
    });
    channels.push(wrr);
    const counts = await spreadAfterWarmUp(wrr, "weighted_round_robin, out-of-band reports from grpckit servers", annotate);
    expect(counts.one + counts.two + counts.three).toBe(6_000);
    for (const d of deviationsFromOneTwoThree(counts)) expect(d).toBeLessThan(0.05);
  });
});
