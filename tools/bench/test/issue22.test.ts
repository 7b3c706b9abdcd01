import { createHistogram } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { computeCeilingRatios, megabytesLabel } from "../src/issue22-rows.js";
import { computeIssue22Targets, type Issue22Target } from "../src/issue22-targets.js";
import { delayBeyondInterval, loopDelaySummary } from "../src/loop-delay.js";
import { renderMarkdown } from "../src/markdown.js";
import { extraPeakBytes, multipleOfMessage, resetPeakRss } from "../src/peak-rss.js";
import { residentMemory } from "../src/proc-status.js";
import { computeRatios, type BenchReport } from "../src/report.js";
import { benchReport, bidiServerRow, ceilingRow, compressedStreamRow, idleStreamsRow, largeUnaryRow, streamingRow, windowStreamRow, type Issue22Rows } from "./bench-rows.js";
import { computeWindowStreamRatios, idleStreamsMedians } from "../src/window-rows.js";
import { computeBidiServerRatios } from "../src/bidi-server-rows.js";

type Rows = Pick<BenchReport, "serverUnary" | "clientUnary" | "streaming"> & Issue22Rows;

/** grpckit on transport-h2's rows exactly at each of issue 22's bounds. */
function rowsAtTheBounds(): Rows {
  return {
    serverUnary: [],
    clientUnary: [],
    streaming: [streamingRow("grpckit-h2", 100, 700_000), streamingRow("raw", 100, 700_000)],
    serverStreaming: [streamingRow("grpckit-h2", 100, 500_000), streamingRow("grpc-js", 100, 100_000)],
    ceiling: [ceilingRow("h2-ceiling", 100_000, 8), ceilingRow("grpckit-h2", 75_000, 12)],
    bidiServers: [bidiServerRow("raw", 800_000, 1), bidiServerRow("h2-ceiling", 1_000_000, 0.8), bidiServerRow("grpckit-h2", 400_000, 2.5)],
    windowStream: [
      windowStreamRow("bdp", 0, 300), windowStreamRow("fixed-16m", 0, 300),
      windowStreamRow("bdp", 20, 160), windowStreamRow("fixed-16m", 20, 200),
      // A shorter stream, where the estimator's growth weighs more, is reported but not the target.
      windowStreamRow("bdp", 20, 100, 2000), windowStreamRow("fixed-16m", 20, 200, 2000),
    ],
    idleStreams: [idleStreamsRow("bdp", 12, 8), idleStreamsRow("fixed-16m", 12, 8), idleStreamsRow("fixed-4m", 12, 8)],
    largeUnary: [largeUnaryRow("grpckit-h2", 1.5, 1.5), largeUnaryRow("grpc-js", 4, 4)],
    compressedStream: [compressedStreamRow("grpckit-h2", 20), compressedStreamRow("grpc-js", 90)],
  };
}

function targetsOf(rows: Rows): Issue22Target[] {
  return benchReport(rows).issue22Targets;
}

describe("issue 22's targets", () => {
  it("lists the issue's targets with what each value is", () => {
    expect(targetsOf(rowsAtTheBounds()).map((t) => `${t.measure} (${t.value}): ${t.comparison} ${t.bound}${t.unit}`)).toEqual([
      "bidi streaming messages/s, 100 B (grpckit on transport-h2 ÷ raw node:http2): at least 1×",
      "server streaming messages/s, 100 B (grpckit on transport-h2 ÷ @grpc/grpc-js): at least 5×",
      "server unary requests/s, -c 8 -m 16 (grpckit on transport-h2 ÷ transport-h2 on its own): at least 0.75×",
      "64 KiB server stream of 8,000 messages at 20 ms added round trip, MiB/s (BDP estimator ÷ fixed 16 MiB windows): at least 0.8×",
      "1,000 idle open streams: client's RSS rise (BDP estimator ÷ fixed 4 MiB/16 MiB windows): at most 1×",
      "1,000 idle open streams: server's RSS rise (BDP estimator ÷ fixed 4 MiB/16 MiB windows): at most 1×",
      "100 MB unary echo: client's extra peak RSS (extra peak RSS ÷ message size): at most 1.5×",
      "100 MB unary echo: server's extra peak RSS (extra peak RSS ÷ message size): at most 1.5×",
      "10 MB gzip-compressed messages: receiving server's event-loop delay (p99 delay): at most 20ms",
    ]);
  });

  it("meets every target exactly at its bound", () => {
    const targets = targetsOf(rowsAtTheBounds());
    expect(targets.map((t) => t.measured)).toEqual([1, 5, 0.75, 0.8, 1, 1, 1.5, 1.5, 20]);
    expect(targets.every((t) => t.met)).toBe(true);
  });

  it("misses each target just past its bound, reading grpckit on transport-h2's rows only", () => {
    const rows = rowsAtTheBounds();
    rows.streaming[0] = streamingRow("grpckit-h2", 100, 699_999);
    rows.serverStreaming![0] = streamingRow("grpckit-h2", 100, 499_999);
    rows.ceiling![1] = ceilingRow("grpckit-h2", 74_999);
    rows.windowStream![2] = windowStreamRow("bdp", 20, 159.9);
    rows.idleStreams![0] = idleStreamsRow("bdp", 12.1, 8);
    rows.largeUnary![0] = largeUnaryRow("grpckit-h2", 1.51, 1.5);
    rows.compressedStream![0] = compressedStreamRow("grpckit-h2", 20.01);
    expect(targetsOf(rows).map((t) => t.met)).toEqual([false, false, false, false, false, true, false, true, false]);
  });

  it("does not meet a target whose rows were not measured", () => {
    const targets = targetsOf({ serverUnary: [], clientUnary: [], streaming: [] });
    expect(targets).toHaveLength(9);
    for (const target of targets) {
      expect(target.measured, target.measure).toBeUndefined();
      expect(target.met).toBe(false);
    }
  });
});

describe("the ceiling ratio", () => {
  it("divides grpckit on transport-h2 by transport-h2 on its own: requests/s and CPU per call", () => {
    expect(computeCeilingRatios([ceilingRow("h2-ceiling", 120_000, 8), ceilingRow("grpckit-h2", 90_000, 12)]))
      .toEqual([{ load: "-c 8 -m 16", throughput: 0.75, cpuPerCall: 1.5 }]);
    expect(computeCeilingRatios([ceilingRow("h2-ceiling", 120_000)])).toEqual([]);
  });
});

describe("the bidi split by server", () => {
  it("divides transport-h2 on its own and grpckit on transport-h2 by node:http2: messages/s and server CPU per message", () => {
    expect(computeBidiServerRatios([
      bidiServerRow("raw", 800_000, 1), bidiServerRow("h2-ceiling", 1_000_000, 0.8), bidiServerRow("grpckit-h2", 400_000, 2.5),
    ])).toEqual([
      { server: "h2-ceiling", throughput: 1.25, cpuPerMessage: 0.8 },
      { server: "grpckit-h2", throughput: 0.5, cpuPerMessage: 2.5 },
    ]);
  });

  it("has no ratio without the node:http2 row", () => {
    expect(computeBidiServerRatios([bidiServerRow("h2-ceiling", 1_000_000, 0.8)])).toEqual([]);
  });
});

describe("the flow-control window rows", () => {
  it("divide the estimator's MiB/s by the fixed 16 MiB windows' at each round trip and stream length measured with both", () => {
    expect(computeWindowStreamRatios([
      windowStreamRow("bdp", 0, 300), windowStreamRow("fixed-16m", 0, 250),
      windowStreamRow("bdp", 20, 90), windowStreamRow("fixed-16m", 20, 180),
      windowStreamRow("bdp", 20, 60, 2000), windowStreamRow("fixed-16m", 20, 240, 2000),
      windowStreamRow("bdp", 40, 50),
    ])).toEqual([
      { rttMs: 0, messages: 8000, throughput: 1.2 },
      { rttMs: 20, messages: 8000, throughput: 0.5 },
      { rttMs: 20, messages: 2000, throughput: 0.25 },
    ]);
  });

  it("read the window target from the longest stream at 20 ms", () => {
    const rows = rowsAtTheBounds();
    rows.windowStream = [
      windowStreamRow("bdp", 20, 100, 2000), windowStreamRow("fixed-16m", 20, 200, 2000),
      windowStreamRow("bdp", 20, 190, 8000), windowStreamRow("fixed-16m", 20, 200, 8000),
      windowStreamRow("bdp", 0, 10, 9000), windowStreamRow("fixed-16m", 0, 200, 9000),
    ];
    const window = targetsOf(rows).find((t) => t.measure.includes("round trip"))!;
    expect(window.measure).toBe("64 KiB server stream of 8,000 messages at 20 ms added round trip, MiB/s");
    expect(window.measured).toBeCloseTo(0.95, 12);
    expect(window.met).toBe(true);
  });

  it("take each side's idle-stream rise as the median of that side's runs, keeping every run's", () => {
    const MiB = 1 << 20;
    const run = (client: number, server: number) => ({ ...idleStreamsRow("bdp", client, server), roundsClientRssBytes: undefined, roundsServerRssBytes: undefined });
    // The run in the middle for both sides together (16 + 6) would give the client 16 MiB and the server 6.
    const row = idleStreamsMedians([run(12, 9), run(16, 6), run(13, 8.5), run(15, 7), run(14, 10)]);
    expect(row!.clientRssBytes).toBe(14 * MiB);
    expect(row!.serverRssBytes).toBe(8.5 * MiB);
    expect(row!.roundsClientRssBytes).toEqual([12, 16, 13, 15, 14].map((n) => n * MiB));
    expect(row!.roundsServerRssBytes).toEqual([9, 6, 8.5, 7, 10].map((n) => n * MiB));
    expect(idleStreamsMedians([])).toBeUndefined();
  });

  it("count an idle-stream rise of nothing or less as no more than the fixed windows'", () => {
    const rows = rowsAtTheBounds();
    rows.idleStreams = [idleStreamsRow("bdp", -0.2, 0), idleStreamsRow("fixed-4m", 0, -0.1)];
    const idle = targetsOf(rows).filter((t) => t.measure.includes("idle open streams"));
    expect(idle.map((t) => [t.measured, t.met])).toEqual([[0, true], [0, true]]);
  });
});

describe("server-streaming ratios", () => {
  it("divide each grpckit library by grpc-js and raw node:http2 in a table of their own", () => {
    const ratios = computeRatios({
      serverUnary: [],
      clientUnary: [],
      streaming: [],
      serverStreaming: [streamingRow("grpckit-h2", 100, 600_000), streamingRow("grpc-js", 100, 100_000), streamingRow("raw", 100, 400_000)],
    });
    expect(ratios.map((r) => [r.table, r.row, r.library, r.versus, r.throughput])).toEqual([
      ["server streaming", "100 B", "grpckit-h2", "grpc-js", 6],
      ["server streaming", "100 B", "grpckit-h2", "raw", 1.5],
    ]);
  });
});

describe("peak resident memory above a baseline", () => {
  it("is the peak minus the baseline, never negative, and as a multiple of the message size", () => {
    expect(extraPeakBytes(300 << 20, 450 << 20)).toBe(150 << 20);
    expect(extraPeakBytes(300 << 20, 290 << 20)).toBe(0);
    expect(multipleOfMessage(227_000_000, 100_000_000)).toBeCloseTo(2.27, 12);
    expect(multipleOfMessage(1, 0)).toBeNaN();
  });

  it("resets this process's peak to its resident set, so an earlier peak is not counted", () => {
    const large = Buffer.alloc(64 << 20, 1);
    expect(residentMemory("self").peakRssBytes).toBeGreaterThan(64 << 20);
    large.fill(0);
    const after = resetPeakRss();
    // Right after the reset the peak is the resident set (both read at page granularity).
    expect(Math.abs(after.peakRssBytes - after.rssBytes)).toBeLessThan(4 << 20);
  });
});

describe("event-loop delay", () => {
  it("is what an interval took beyond the monitor's resolution, never negative", () => {
    expect(delayBeyondInterval(27e6, 2)).toBe(25);
    expect(delayBeyondInterval(1.5e6, 2)).toBe(0);
  });

  it("summarizes a histogram of intervals as p50, p99 and max delay", () => {
    const histogram = createHistogram();
    for (let i = 0; i < 99; i++) histogram.record(2_100_000);
    histogram.record(52_000_000);
    const delay = loopDelaySummary(histogram, 2);
    expect(delay.samples).toBe(100);
    expect(delay.p50Ms).toBeCloseTo(0.1, 1);
    expect(delay.p99Ms).toBeCloseTo(0.1, 1);
    expect(delay.maxMs).toBeCloseTo(50, 0);
    expect(loopDelaySummary(createHistogram(), 2).p99Ms).toBeNaN();
  });
});

describe("issue 22's rows in the Markdown report", () => {
  const markdown = renderMarkdown(benchReport(rowsAtTheBounds()));
  const section = (heading: string): string => {
    const start = markdown.indexOf(heading);
    expect(start, heading).toBeGreaterThanOrEqual(0);
    const end = markdown.indexOf("\n## ", start + 1);
    return markdown.slice(start, end === -1 ? undefined : end);
  };

  it("has a target table with each value, goal, measurement and result", () => {
    const targets = section("## Issue 22 targets");
    expect(targets).toContain("| target | value | goal | measured | result |");
    expect(targets).toContain("| server streaming messages/s, 100 B | grpckit on transport-h2 ÷ @grpc/grpc-js | at least 5× | 5.00× | met |");
    expect(targets).toContain("| 10 MB gzip-compressed messages: receiving server's event-loop delay | p99 delay | at most 20 ms | 20.0 ms | met |");
  });

  it("has the server-streaming table and its ratios", () => {
    const streaming = section("## Server streaming");
    expect(streaming).toContain("| 100 B | grpckit on transport-h2 | 1,000 | 500,000 |");
    expect(streaming).toContain("| 100 B | grpckit on transport-h2 ÷ @grpc/grpc-js | 5.00× | 1.00× |");
  });

  it("says the ceiling's check is grpc-status only, and divides grpckit by the ceiling", () => {
    const ceiling = section("## Ceiling");
    expect(ceiling).toContain("5/5 grpc-status 0 (fixed response, not checked as an echo)");
    expect(ceiling).toContain("| -c 8 -m 16 | grpckit on transport-h2 ÷ transport-h2 on its own | 0.75× | 1.50× |");
  });

  it("has the bidi split by server with each server's CPU per message, divided by node:http2's", () => {
    const bidi = section("## Bidi streaming by server");
    expect(bidi).toContain("| transport-h2 on its own | 200,000 | 1,000,000 | 0.80 |");
    expect(bidi).toContain("| grpckit on transport-h2 ÷ node:http2 on its own (raw) | 0.50× | 2.50× |");
  });

  it("gives the large messages' extra peak RSS as multiples and the receiving server's loop delay", () => {
    expect(section("## Large messages: one 100 MB unary echo")).toContain("| 100 MB | grpckit on transport-h2 | 500 | 143.1 | 1.50× | 143.1 | 1.50× |");
    expect(section("## Large messages: 10 MB gzip-compressed")).toContain("| 10 MB | @grpc/grpc-js | 5 | 400 | 0.1 | 90.0 | 180.0 | 200 |");
  });

  it("gives the window rows' MiB/s, the estimator ÷ fixed ratio, and the idle streams' rise for each window mode", () => {
    const stream = section("## Flow-control windows: 64 KiB server stream through a latency relay");
    expect(stream).toContain("| 20 ms | BDP estimator (64 KiB, growing to 16 MiB) | 8,000 | 160.0 | 100.0 | 70.0 |");
    expect(stream).toContain("| 20 ms | BDP estimator (64 KiB, growing to 16 MiB) | 2,000 | 100.0 | 100.0 | 70.0 |");
    expect(stream).toContain("| 20 ms | 8,000 | BDP estimator ÷ fixed 16 MiB windows | 0.80× |");
    expect(stream).toContain("| 20 ms | 2,000 | BDP estimator ÷ fixed 16 MiB windows | 0.50× |");
    const idle = section("## Flow-control windows: 1,000 idle open streams");
    expect(idle).toContain("| fixed 4 MiB stream, 16 MiB connection windows | 1,000 | 12.0 | 6.0 | 8.0 | 4.0 |");
  });

  it("labels large sizes in decimal megabytes", () => {
    expect(megabytesLabel(100_000_000)).toBe("100 MB");
    expect(megabytesLabel(4_000_000)).toBe("4 MB");
  });
});
