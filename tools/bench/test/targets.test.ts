import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../src/markdown.js";
import { computeRatios, type BenchReport } from "../src/report.js";
import { computeTargets, meetsTarget, type Target } from "../src/targets.js";
import { clientRow, serverRow, streamingRow } from "./bench-rows.js";

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
      clientRow("grpckit-h2", 100, { callsPerSecond: 40_000, peakRssBytes: 100 * MIB }),
      clientRow("grpc-js", 100, { callsPerSecond: 10_000, peakRssBytes: 100 * MIB }),
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
      "client unary calls/s, 100 in flight: at least 4",
      "streaming messages/s, 100 B: at least 3",
      "server p99, -c 1 -m 1 (1 in flight): below 1",
      "client p99, 1 in flight: below 1",
      "server peak RSS, -c 8 -m 16: at most 1",
      "client peak RSS, 100 in flight: at most 1",
    ]);
  });

  it("meets 4× requests/s, a quarter of the CPU per call, 4× calls/s, 3× messages/s and equal peak RSS exactly at the bound", () => {
    const targets = [...targetsOf(rowsAtTheBounds()).values()];
    expect(targets.map((t) => t.ratio)).toEqual([4, 0.25, 4, 3, 0.5, 0.3 / 0.9, 1, 1]);
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
    expect(targets.get("client unary calls/s, 100 in flight")!.met).toBe(true);
  });

  it("does not meet a p99 equal to grpc-js's, which is not below it, nor a peak RSS above grpc-js's", () => {
    const rows = rowsAtTheBounds();
    rows.serverUnary[2] = serverRow("grpckit-h2", "-c 1 -m 1", { requestsPerSecond: 8_000, p99Ms: 0.4 });
    rows.clientUnary[2] = clientRow("grpckit-h2", 100, { callsPerSecond: 40_000, peakRssBytes: 101 * MIB });
    const targets = targetsOf(rows);
    expect(targets.get("server p99, -c 1 -m 1 (1 in flight)")).toMatchObject({ ratio: 1, met: false });
    expect(targets.get("client peak RSS, 100 in flight")).toMatchObject({ ratio: 1.01, met: false });
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
    rows.clientUnary[2] = clientRow("grpckit-h2", 100, { callsPerSecond: 21_000, peakRssBytes: 100 * MIB });
    const ratios = computeRatios(rows);
    const plan: BenchReport["plan"] = {
      mode: "full",
      libraries: ["grpckit-h2", "grpc-js"],
      serverUnary: { shapes: [], warmupRequests: 10, durationSeconds: 1, checkRequests: 1, rounds: 1 },
      clientUnary: { runs: [] },
      streaming: { runs: [] },
      channelz: { serverShape: { connections: 8, streams: 16 }, client: { concurrency: 100, calls: 1, warmupCalls: 1 } },
      memory: { connections: 1, streams: 1, streamConnections: 1 },
      clientTimeoutMs: 1000,
    };
    const report: BenchReport = {
      mode: "full",
      date: "2026-11-24T00:00:00.000Z",
      machine: { cpuModel: "test CPU", cores: 2, totalMemoryBytes: 4 << 30, os: "Linux", node: "v20.20.2" },
      h2load: "h2load nghttp2/1.52.0",
      packages: {},
      plan,
      ...rows,
      memory: [],
      ratios,
      targets: computeTargets(ratios),
      channelz: [],
      channelzRatios: [],
      failures: [],
    };
    const markdown = renderMarkdown(report);
    const section = markdown.slice(markdown.indexOf("## Issue 11 targets"), markdown.indexOf("## Servers under h2load"));
    expect(section).toContain("| target | goal | grpckit on transport-h2 ÷ @grpc/grpc-js | result |");
    expect(section).toContain("| server unary requests/s, -c 8 -m 16 | at least 4× | 4.00× | met |");
    expect(section).toContain("| server CPU time per call, -c 8 -m 16 | at most 0.25× | 0.25× | met |");
    expect(section).toContain("| client unary calls/s, 100 in flight | at least 4× | 2.10× | not met |");
    const results = section.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| target") && !line.startsWith("| ---"))
      .map((line) => line.split(" | ").at(-1));
    expect(results).toHaveLength(8);
    expect(new Set(results)).toEqual(new Set(["met |", "not met |"]));
  });
});
