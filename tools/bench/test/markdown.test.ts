import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../src/markdown.js";
import { benchReport, clientRow, streamingRow } from "./bench-rows.js";

/** The lines of `markdown` from the heading that starts with `heading` up to the next heading. */
function section(markdown: string, heading: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => line.startsWith(heading));
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, i) => i > start && line.startsWith("## "));
  return lines.slice(start, end === -1 ? undefined : end);
}

describe("the client tables in the Markdown report", () => {
  const markdown = renderMarkdown(benchReport({
    serverUnary: [],
    clientUnary: [
      clientRow("grpckit-h2", 100, { callsPerSecond: 27_000, cpuMicrosPerCall: 11.04 }),
      clientRow("grpc-js", 100, { callsPerSecond: 9_000, cpuMicrosPerCall: 44.16 }),
      clientRow("grpckit-h2", 100, { callsPerSecond: 60_000, cpuMicrosPerCall: 10.5, server: "grpckit-h2" }),
      clientRow("grpc-js", 100, { callsPerSecond: 12_000, cpuMicrosPerCall: 42, server: "grpckit-h2" }),
    ],
    streaming: [],
  }));

  it("has one table against the raw server and one against the grpckit-h2 server, each with the client's CPU µs per call", () => {
    const raw = section(markdown, "## Clients: unary echo against the raw node:http2 server");
    expect(raw).toContain("| in flight | client | calls | calls/s | p50 ms | p99 ms | CPU µs per call | peak RSS MiB | errors |");
    expect(raw).toContain("| 100 | grpckit on transport-h2 | 1,000 | 27,000 | 1.000 | 2.000 | 11.0 | 100.0 | 0 |");
    expect(raw.join("\n")).not.toContain("60,000");
    const h2 = section(markdown, "## Clients: unary echo against the grpckit on transport-h2 server");
    expect(h2).toContain("| 100 | grpckit on transport-h2 | 1,000 | 60,000 | 1.000 | 2.000 | 10.5 | 100.0 | 0 |");
    expect(h2).toContain("| 100 | @grpc/grpc-js | 1,000 | 12,000 | 1.000 | 2.000 | 42.0 | 100.0 | 0 |");
    expect(h2.join("\n")).not.toContain("27,000");
  });

  it("gives each client table its own ratios, with CPU per call", () => {
    const raw = section(markdown, "## Clients: unary echo against the raw node:http2 server");
    expect(raw).toContain("| load | ratio | throughput | p50 | p99 | CPU per call | peak RSS |");
    expect(raw).toContain("| 100 in flight | grpckit on transport-h2 ÷ @grpc/grpc-js | 3.00× | 1.00× | 1.00× | 0.25× | 1.00× |");
    const h2 = section(markdown, "## Clients: unary echo against the grpckit on transport-h2 server");
    expect(h2).toContain("| 100 in flight | grpckit on transport-h2 ÷ @grpc/grpc-js | 5.00× | 1.00× | 1.00× | 0.25× | 1.00× |");
  });

  it("says which server each client table uses and why", () => {
    expect(section(markdown, "## Clients: unary echo against the raw node:http2 server").join(" ")).toMatch(/same raw node:http2 echo server.*can be the limit/);
    expect(section(markdown, "## Clients: unary echo against the grpckit on transport-h2 server").join(" "))
      .toMatch(/same grpckit on transport-h2 echo server.*fastest server.*not the server, is the limit/);
  });
});

describe("the streaming table in the Markdown report", () => {
  it("lists every run's messages/s beside the median run when the libraries ran more than once", () => {
    const markdown = renderMarkdown(benchReport({
      serverUnary: [],
      clientUnary: [],
      streaming: [
        streamingRow("grpckit-h2", 100, 310_000, [250_000, 310_000, 400_000]),
        streamingRow("grpc-js", 100, 40_000, [40_000, 52_000, 31_000]),
      ],
    }));
    const streaming = section(markdown, "## Streaming");
    expect(streaming.join(" ")).toContain("Each library ran 3 times, the libraries taking turns; each row is the median run");
    expect(streaming.find((line) => line.startsWith("| message |"))!.endsWith("| every run, messages/s |")).toBe(true);
    const row = streaming.find((line) => line.startsWith("| 100 B | grpckit on transport-h2 | 1,000 | 310,000 |"));
    expect(row!.endsWith("| 250,000, 310,000, 400,000 |"), row).toBe(true);
  });

  it("has no every-run column for a single run", () => {
    const markdown = renderMarkdown(benchReport({ serverUnary: [], clientUnary: [], streaming: [streamingRow("grpc-js", 100, 40_000)] }));
    expect(section(markdown, "## Streaming").join("\n")).not.toContain("every run");
  });
});
