import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../src/markdown.js";
import { computeRatios, type BenchReport } from "../src/report.js";
import { computeTargets, meetsTarget, type Target } from "../src/targets.js";
import { benchReport, clientRow, serverRow, streamingRow } from "./bench-rows.js";

const MIB = 1 << 20;

/** grpckit on transport-h2 and grpc-js rows whose ratios are exactly the bounds. */
function rowsAtTheBounds(): Pick<BenchReport, "serverUnary" | "clientUnary" | "streaming"> {
  return {
    serverUnary: [
      serverRow("grpckit-h2", "-c 8 -m 16", { requestsPerSecond: 80_000, cpuMicrosPerCall: 20, peakRssBytes: 100 * MIB }),
      serverRow("grpc-js", "-c 8 -m 16", { requestsPerSecond: 20_000, cpuMicrosPerCall: 80, peakRssBytes: 100 * MIB }),
      serverRow("grpckit-h2", "-c 1 -m 1", { requestsPerSecond: 8_000, p99Ms: 0.2 }),
      serverRow("grpc-js", "-c 1 -m 1", { requestsPerSecond: 5_000, p99Ms: 0.4 }),
    ],
    clientUnary: [
      clientRow("grpckit-h2", 1, { callsPerSecond: 5_000, p99Ms: 0.3 }),
      clientRow("grpc-js", 1, { callsPerSecond: 3_000, p99Ms: 0.9 }),
      clientRow("grpckit-h2", 100, { callsPerSecond: 27_000, cpuMicrosPerCall: 11, peakRssBytes: 100 * MIB }),
      clientRow("grpc-js", 100, { callsPerSecond: 9_000, cpuMicrosPerCall: 40, peakRssBytes: 100 * MIB }),
      clientRow("grpckit-h2", 100, { callsPerSecond: 40_000, cpuMicrosPerCall: 10, server: "grpckit-h2" }),
      clientRow("grpc-js", 100, { callsPerSecond: 10_000, cpuMicrosPerCall: 40, server: "grpckit-h2" }),
    ],
    streaming: [streamingRow("grpckit-h2", 100, 150_000), streamingRow("grpc-js", 100, 50_000)],
  };
}

function targetsOf(rows: Pick<BenchReport, "serverUnary" | "clientUnary" | "streaming">): Map<string, Target> {
  return new Map(computeTargets(computeRatios(rows)).map((t) => [t.measure, t]));
}

describe("issue 11's targets", () => {
  it("lists the issue's targets, each against grpc-js", () => {
    expect([...targetsOf(rowsAtTheBounds()).values()].map((t) => `${t.measure}: ${t.comparison} ${t.bound}`)).toEqual([
      "server unary requests/s, -c 8 -m 16: at least 4",
      "server CPU time per call, -c 8 -m 16: at most 0.25",
      "client unary calls/s, 100 in flight, grpckit-h2 server: at least 4",
      "client CPU time per call, 100 in flight, grpckit-h2 server: at most 0.25",
      "streaming messages/s, 100 B: at least 3",
      "server p99, -c 1 -m 1 (1 in flight): below 1",
      "client p99, 1 in flight, raw server: below 1",
      "server peak RSS, -c 8 -m 16: at most 1",
      "client peak RSS, 100 in flight, raw server: at most 1",
    ]);
  });

  it("meets 4× requests/s and calls/s, a quarter of the CPU per call, 3× messages/s and equal peak RSS exactly at the bound", () => {
    const targets = [...targetsOf(rowsAtTheBounds()).values()];
    expect(targets.map((t) => t.ratio)).toEqual([4, 0.25, 4, 0.25, 3, 0.5, 0.3 / 0.9, 1, 1]);
    expect(targets.every((t) => t.met)).toBe(true);
  });

  it("does not meet a throughput just under its bound or a CPU per call just over a quarter", () => {
    const rows = rowsAtTheBounds();
    rows.serverUnary[0] = serverRow("grpckit-h2", "-c 8 -m 16", { requestsPerSecond: 79_999, cpuMicrosPerCall: 20.01, peakRssBytes: 100 * MIB });
    rows.streaming[0] = streamingRow("grpckit-h2", 100, 149_999);
    const targets = targetsOf(rows);
    expect(targets.get("server unary requests/s, -c 8 -m 16")!.met).toBe(false);
    expect(targets.get("server CPU time per call, -c 8 -m 16")!.met).toBe(false);
    expect(targets.get("streaming messages/s, 100 B")!.met).toBe(false);
    expect(targets.get("client unary calls/s, 100 in flight, grpckit-h2 server")!.met).toBe(true);
  });

  it("reads client calls/s and client CPU per call from the clients against the grpckit-h2 server, not the raw server", () => {
    const rows = rowsAtTheBounds();
    rows.clientUnary[4] = clientRow("grpckit-h2", 100, { callsPerSecond: 39_999, cpuMicrosPerCall: 10.01, server: "grpckit-h2" });
    const targets = targetsOf(rows);
    expect(targets.get("client unary calls/s, 100 in flight, grpckit-h2 server")).toMatchObject({ ratio: 3.9999, met: false });
    expect(targets.get("client CPU time per call, 100 in flight, grpckit-h2 server")!.met).toBe(false);
    expect(targets.get("client CPU time per call, 100 in flight, grpckit-h2 server")!.ratio).toBeCloseTo(10.01 / 40, 12);

    const onlyRaw = rowsAtTheBounds();
    onlyRaw.clientUnary = onlyRaw.clientUnary.filter((r) => r.server === "raw");
    const withoutH2Server = targetsOf(onlyRaw);
    expect(withoutH2Server.get("client unary calls/s, 100 in flight, grpckit-h2 server")).toEqual(expect.objectContaining({ met: false }));
    expect(withoutH2Server.get("client unary calls/s, 100 in flight, grpckit-h2 server")!.ratio).toBeUndefined();
    expect(withoutH2Server.get("client CPU time per call, 100 in flight, grpckit-h2 server")!.ratio).toBeUndefined();
    expect(withoutH2Server.get("client peak RSS, 100 in flight, raw server")!.met).toBe(true);
  });

  it("does not meet a p99 equal to grpc-js's, which is not below it, nor a peak RSS above grpc-js's", () => {
    const rows = rowsAtTheBounds();
    rows.serverUnary[2] = serverRow("grpckit-h2", "-c 1 -m 1", { requestsPerSecond: 8_000, p99Ms: 0.4 });
    rows.clientUnary[2] = clientRow("grpckit-h2", 100, { callsPerSecond: 27_000, peakRssBytes: 101 * MIB });
    const targets = targetsOf(rows);
    expect(targets.get("server p99, -c 1 -m 1 (1 in flight)")).toMatchObject({ ratio: 1, met: false });
    expect(targets.get("client peak RSS, 100 in flight, raw server")).toMatchObject({ ratio: 1.01, met: false });
  });

  it("judges grpckit on transport-h2, not grpckit on transport-http2", () => {
    const rows = rowsAtTheBounds();
    rows.serverUnary = rows.serverUnary.filter((r) => r.server !== "grpckit-h2");
    rows.serverUnary.push(serverRow("grpckit", "-c 8 -m 16", { requestsPerSecond: 200_000, cpuMicrosPerCall: 1 }));
    const target = targetsOf(rows).get("server unary requests/s, -c 8 -m 16")!;
    expect(target.ratio).toBeUndefined();
    expect(target.met).toBe(false);
  });

  it("never meets a target with no ratio or a NaN ratio", () => {
    expect(meetsTarget(undefined, "at most", 1)).toBe(false);
    expect(meetsTarget(Number.NaN, "at most", 1)).toBe(false);
    expect(meetsTarget(Number.NaN, "at least", 0)).toBe(false);
  });
});

describe("the targets table in the Markdown report", () => {
  it("shows each target's goal, its ratio and met or not met, and nothing else as a verdict", () => {
    const rows = rowsAtTheBounds();
    rows.clientUnary[4] = clientRow("grpckit-h2", 100, { callsPerSecond: 21_000, cpuMicrosPerCall: 10, server: "grpckit-h2" });
    const report = benchReport(rows);
    const markdown = renderMarkdown(report);
    const start = markdown.indexOf("## Issue 11 targets");
    const section = markdown.slice(start, markdown.indexOf("\n## ", start + 1));
    expect(section).toContain("| target | goal | grpckit on transport-h2 ÷ @grpc/grpc-js | result |");
    expect(section).toContain("| server unary requests/s, -c 8 -m 16 | at least 4× | 4.00× | met |");
    expect(section).toContain("| server CPU time per call, -c 8 -m 16 | at most 0.25× | 0.25× | met |");
    expect(section).toContain("| client unary calls/s, 100 in flight, grpckit-h2 server | at least 4× | 2.10× | not met |");
    expect(section).toContain("| client CPU time per call, 100 in flight, grpckit-h2 server | at most 0.25× | 0.25× | met |");
    const results = section.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| target") && !line.startsWith("| ---"))
      .map((line) => line.split(" | ").at(-1));
    expect(results).toHaveLength(9);
    expect(new Set(results)).toEqual(new Set(["met |", "not met |"]));
  });
});
