import { describe, expect, it } from "vitest";
import { computeRatios } from "../src/report.js";
import { clientRow, serverRow, streamingRow } from "./bench-rows.js";

describe("ratios of the grpckit rows", () => {
  const report = {
    serverUnary: [
      serverRow("grpckit", "-c 8 -m 16", { requestsPerSecond: 30_000, cpuMicrosPerCall: 60 }),
      serverRow("grpckit-h2", "-c 8 -m 16", { requestsPerSecond: 90_000, cpuMicrosPerCall: 20 }),
      serverRow("grpc-js", "-c 8 -m 16", { requestsPerSecond: 20_000, cpuMicrosPerCall: 80 }),
      serverRow("raw", "-c 8 -m 16", { requestsPerSecond: 36_000, cpuMicrosPerCall: 40 }),
    ],
    clientUnary: [
      clientRow("grpckit-h2", 100, { callsPerSecond: 40_000 }),
      clientRow("grpc-js", 100, { callsPerSecond: 10_000 }),
    ],
    streaming: [streamingRow("grpckit-h2", 100, 600_000), streamingRow("raw", 100, 900_000)],
  };
  const ratios = computeRatios(report);
  const find = (table: string, row: string, library: string, versus: string) =>
    ratios.find((r) => r.table === table && r.row === row && r.library === library && r.versus === versus);

  it("divides grpckit on transport-http2 and grpckit on transport-h2 each by grpc-js and by raw node:http2", () => {
    expect(find("server unary", "-c 8 -m 16", "grpckit", "grpc-js")!.throughput).toBe(1.5);
    expect(find("server unary", "-c 8 -m 16", "grpckit", "raw")!.throughput).toBeCloseTo(30 / 36, 12);
    expect(find("server unary", "-c 8 -m 16", "grpckit-h2", "grpc-js")!.throughput).toBe(4.5);
    expect(find("server unary", "-c 8 -m 16", "grpckit-h2", "raw")!.throughput).toBe(2.5);
  });

  it("divides the servers' CPU time per call", () => {
    expect(find("server unary", "-c 8 -m 16", "grpckit-h2", "grpc-js")!.cpuPerCall).toBe(0.25);
    expect(find("server unary", "-c 8 -m 16", "grpckit", "grpc-js")!.cpuPerCall).toBe(0.75);
  });

  it("gives a ratio only where both rows were measured", () => {
    expect(find("client unary", "100 in flight", "grpckit-h2", "grpc-js")!.throughput).toBe(4);
    expect(find("client unary", "100 in flight", "grpckit-h2", "raw")).toBeUndefined();
    expect(find("client unary", "100 in flight", "grpckit", "grpc-js")).toBeUndefined();
    expect(find("streaming", "100 B", "grpckit-h2", "raw")!.throughput).toBeCloseTo(2 / 3, 12);
    expect(find("streaming", "100 B", "grpckit-h2", "raw")!.cpuPerCall).toBeUndefined();
    expect(ratios).toHaveLength(4 + 1 + 1);
  });
});

describe("ratios of the clients against each server", () => {
  const report = {
    serverUnary: [],
    clientUnary: [
      clientRow("grpckit-h2", 100, { callsPerSecond: 27_000, cpuMicrosPerCall: 11 }),
      clientRow("grpc-js", 100, { callsPerSecond: 9_000, cpuMicrosPerCall: 44 }),
      clientRow("raw", 100, { callsPerSecond: 18_000, cpuMicrosPerCall: 22 }),
      clientRow("grpckit-h2", 100, { callsPerSecond: 60_000, cpuMicrosPerCall: 10, server: "grpckit-h2" }),
      clientRow("grpc-js", 100, { callsPerSecond: 12_000, cpuMicrosPerCall: 50, server: "grpckit-h2" }),
    ],
    streaming: [],
  };
  const ratios = computeRatios(report);
  const find = (table: string, library: string, versus: string) =>
    ratios.find((r) => r.table === table && r.row === "100 in flight" && r.library === library && r.versus === versus);

  it("divides the clients' CPU time per call as well as their calls/s", () => {
    expect(find("client unary", "grpckit-h2", "grpc-js")).toMatchObject({ throughput: 3, cpuPerCall: 0.25 });
    expect(find("client unary", "grpckit-h2", "raw")).toMatchObject({ throughput: 1.5, cpuPerCall: 0.5 });
  });

  it("divides clients against the grpckit-h2 server only by clients against that same server", () => {
    expect(find("client unary, grpckit-h2 server", "grpckit-h2", "grpc-js")).toMatchObject({ throughput: 5, cpuPerCall: 0.2 });
    expect(find("client unary, grpckit-h2 server", "grpckit-h2", "raw")).toBeUndefined();
    expect(ratios).toHaveLength(3);
  });
});
