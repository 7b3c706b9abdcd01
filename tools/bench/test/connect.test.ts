import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { benchMessage } from "../src/bench-message.js";
import { checkConnectEcho } from "../src/connect-check.js";
import { computeConnectRatios, type ConnectRow, type ConnectServer } from "../src/connect-rows.js";
import { computeIssue23Targets } from "../src/issue23-targets.js";
import { renderMarkdown } from "../src/markdown.js";
import { benchReport } from "./bench-rows.js";

const connectNodeScript = join(fileURLToPath(new URL("..", import.meta.url)), "dist", "servers", "connect-node-server.js");
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

async function startConnectNode(http: "1.1" | "2"): Promise<string> {
  const child = spawn(process.execPath, [connectNodeScript, "--port", "0", "--http", http], { stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  const port = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once("line", resolve));
  return `127.0.0.1:${port}`;
}

function connectRow(server: ConnectServer, http: "1.1" | "2", requestsPerSecond: number, cpuMicrosPerCall: number): ConnectRow {
  return {
    http,
    load: http === "2" ? "-c 8 -m 16" : "-c 32 -m 1",
    server,
    requestsPerSecond,
    p50Ms: 1,
    p99Ms: 2,
    cpuMicrosPerCall,
    peakRssBytes: 80 << 20,
    h2load: { requestsPerSecond, done: 1000, succeeded: 1000, failed: 0, errored: 0, status2xx: 1000, status3xx: 0, status4xx: 0, status5xx: 0 },
    check: { requests: 20, http200: 20, echoed: 20, statuses: [200], contentTypes: ["application/proto"] },
    roundsRequestsPerSecond: [requestsPerSecond],
  };
}

describe("the Connect sample check", () => {
  it("sees connect-node's own server answer Connect unary echoes with HTTP 200 and the request's bytes, over HTTP/1.1 and HTTP/2", async () => {
    const message = benchMessage(100).encoded;
    for (const http of ["1.1", "2"] as const) {
      const check = await checkConnectEcho(await startConnectNode(http), message, 5, http);
      expect(check, `HTTP/${http}`).toEqual({ requests: 5, http200: 5, echoed: 5, statuses: [200], contentTypes: ["application/proto"] });
    }
  });

  it("counts an error answer as neither HTTP 200 nor echoed", async () => {
    const address = await startConnectNode("2");
    const notProto = await checkConnectEcho(address, Buffer.from("not a protobuf message"), 2, "2");
    expect(notProto.http200).toBe(0);
    expect(notProto.echoed).toBe(0);
  });
});

describe("issue 23's target", () => {
  it("divides grpckit on transport-h2 by connect-node per HTTP version, and is met at 3×", () => {
    const rows = [
      connectRow("grpckit-h2", "1.1", 30_000, 30), connectRow("connect-node", "1.1", 10_000, 90),
      connectRow("grpckit-h2", "2", 29_999, 20), connectRow("connect-node", "2", 10_000, 100),
    ];
    const ratios = computeConnectRatios(rows);
    expect(ratios).toEqual([{ http: "1.1", throughput: 3, cpuPerCall: 30 / 90 }, { http: "2", throughput: 2.9999, cpuPerCall: 0.2 }]);
    expect(computeIssue23Targets(ratios).map((t) => [t.measure, t.measured, t.met])).toEqual([
      ["Connect unary requests/s over HTTP/1.1", 3, true],
      ["Connect unary requests/s over HTTP/2", 2.9999, false],
    ]);
    expect(computeIssue23Targets([]).map((t) => t.met)).toEqual([false, false]);
  });

  it("is in the Markdown report with the Connect table and its check column", () => {
    const rows = [connectRow("grpckit-h2", "2", 30_000, 20), connectRow("connect-node", "2", 10_000, 100)];
    const report = { ...benchReport({ serverUnary: [], clientUnary: [], streaming: [] }), connect: rows };
    report.connectRatios = computeConnectRatios(rows);
    report.issue23Targets = computeIssue23Targets(report.connectRatios);
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("| Connect unary requests/s over HTTP/2 | grpckit on transport-h2 ÷ @connectrpc/connect-node | at least 3× | 3.00× | met |");
    expect(markdown).toContain("| Connect unary requests/s over HTTP/1.1 | grpckit on transport-h2 ÷ @connectrpc/connect-node | at least 3× | not measured | not met |");
    expect(markdown).toContain("| HTTP/2 | -c 8 -m 16 | @connectrpc/connect-node (connectNodeAdapter) | 10,000 | 1.000 | 2.000 | 100.0 | 80.0 | 1,000 / 1,000 | 20/20 HTTP 200, 20/20 echoed |");
    expect(markdown).toContain("| HTTP/2 | grpckit on transport-h2 ÷ @connectrpc/connect-node | 3.00× | 0.20× |");
  });
});
