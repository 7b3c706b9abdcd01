import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchReport } from "../src/report.js";

const benchDir = fileURLToPath(new URL("..", import.meta.url));
const mainScript = join(benchDir, "dist", "main.js");
const libraries = ["grpckit", "grpckit-h2", "grpc-js", "raw"] as const;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function runSmoke(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mainScript, "--smoke"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGTERM"), 200_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("the bench in smoke mode", () => {
  let run: { code: number | null; stdout: string; stderr: string };
  let outDir: string;
  let report: BenchReport;
  let markdown: string;

  beforeAll(async () => {
    if (!existsSync(mainScript) || statSync(mainScript).mtimeMs < newestSource(join(benchDir, "src"))) {
      throw new Error("tools/bench/dist is missing or older than its sources: run `npm run build` first");
    }
    run = await runSmoke();
    const written = /results written to (.+)\/latest\.json/.exec(run.stderr);
    if (written === null) throw new Error(`the smoke run wrote no results (exit ${run.code}):\n${run.stderr}`);
    outDir = written[1];
    report = JSON.parse(readFileSync(join(outDir, "latest.json"), "utf8")) as BenchReport;
    markdown = readFileSync(join(outDir, "latest.md"), "utf8");
  }, 240_000);

  afterAll(() => {
    if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });
  });

  it("finishes with exit code 0 and no failed measurement", () => {
    expect(report.failures).toEqual([]);
    expect(run.code, run.stderr).toBe(0);
  });

  it("writes its results to a temporary directory, not to tools/bench/results", () => {
    expect(report.mode).toBe("smoke");
    expect(outDir.startsWith(tmpdir())).toBe(true);
    expect(relative(join(benchDir, "results"), outDir).startsWith("..")).toBe(true);
  });

  it("every server answered every h2load request at both load shapes", () => {
    for (const load of ["-c 8 -m 16", "-c 1 -m 1"]) {
      for (const server of libraries) {
        const row = report.serverUnary.find((r) => r.load === load && r.server === server);
        expect(row, `${server} at ${load}`).toBeDefined();
        expect(row!.h2load.done).toBeGreaterThan(0);
        expect(row!.h2load.succeeded).toBe(row!.h2load.done);
        expect(row!.h2load.failed + row!.h2load.errored).toBe(0);
        expect(row!.p99Ms).toBeGreaterThanOrEqual(row!.p50Ms);
        expect(row!.peakRssBytes).toBeGreaterThan(0);
      }
    }
  });

  it("every server reported its CPU time over the measured run, divided by the requests h2load completed", () => {
    for (const row of report.serverUnary) {
      expect(row.cpuMicros, `${row.server} at ${row.load}`).toBeGreaterThan(0);
      expect(row.cpuMicrosPerCall).toBeCloseTo(row.cpuMicros / row.h2load.done, 6);
    }
  });

  it("every server's sampled answers carry grpc-status 0 and echo the request", () => {
    expect(new Set(report.serverUnary.map((row) => row.server))).toEqual(new Set(libraries));
    for (const row of report.serverUnary) {
      expect(row.check.grpcStatuses, row.server).toEqual(["0"]);
      expect(row.check.grpcStatusOk).toBe(row.check.requests);
      expect(row.check.echoed).toBe(row.check.requests);
      expect(row.check.contentTypes[0]).toMatch(/^application\/grpc/);
    }
  });

  it("every client completed its unary calls with 1 and with 100 in flight against the raw server and the grpckit-h2 server, all with grpc-status 0", () => {
    for (const server of ["raw", "grpckit-h2"] as const) {
      for (const inFlight of [1, 100]) {
        for (const client of libraries) {
          const row = report.clientUnary.find((r) => r.server === server && r.inFlight === inFlight && r.client === client);
          expect(row, `${client} with ${inFlight} in flight against ${server}`).toBeDefined();
          expect(row!.errors, row!.firstError).toBe(0);
          expect(row!.callsPerSecond).toBeGreaterThan(0);
        }
      }
    }
    expect(report.clientUnary).toHaveLength(2 * 2 * libraries.length);
  });

  it("every client reported its own CPU time over the measured calls, divided by the calls", () => {
    for (const row of report.clientUnary) {
      expect(row.cpuMicros, `${row.client} with ${row.inFlight} in flight against ${row.server}`).toBeGreaterThan(0);
      expect(row.cpuMicrosPerCall).toBeCloseTo(row.cpuMicros / row.calls, 6);
    }
  });

  it("every library echoed 100-byte and 64 KiB messages over one bidi stream, three times, reporting the median run", () => {
    for (const messageBytes of [100, 65536]) {
      for (const library of libraries) {
        const row = report.streaming.find((r) => r.messageBytes === messageBytes && r.library === library);
        expect(row, `${library} ${messageBytes}`).toBeDefined();
        expect(row!.messagesPerSecond).toBeGreaterThan(0);
        const runs = row!.roundsMessagesPerSecond!;
        expect(runs).toHaveLength(3);
        expect(row!.messagesPerSecond).toBe([...runs].sort((a, b) => a - b)[1]);
      }
    }
  });

  it("every library streamed 100-byte and 64 KiB messages from its server on one server-streaming call", () => {
    for (const messageBytes of [100, 65536]) {
      for (const library of libraries) {
        const row = report.serverStreaming.find((r) => r.messageBytes === messageBytes && r.library === library);
        expect(row, `${library} ${messageBytes}`).toBeDefined();
        expect(row!.messages).toBeGreaterThan(0);
        expect(row!.messagesPerSecond).toBeGreaterThan(0);
      }
    }
    expect(markdown).toContain("## Server streaming: messages sent on one server-streaming call");
  });

  it("measured transport-h2 on its own and grpckit on transport-h2 under the same h2load load, and divided one by the other", () => {
    for (const server of ["h2-ceiling", "grpckit-h2"] as const) {
      const row = report.ceiling.find((r) => r.server === server && r.load === "-c 8 -m 16");
      expect(row, server).toBeDefined();
      expect(row!.h2load.done).toBeGreaterThan(0);
      expect(row!.h2load.succeeded).toBe(row!.h2load.done);
      expect(row!.check.grpcStatusOk, server).toBe(row!.check.requests);
      expect(row!.cpuMicrosPerCall).toBeGreaterThan(0);
    }
    const ceiling = report.ceiling.find((r) => r.server === "h2-ceiling")!;
    const grpckit = report.ceiling.find((r) => r.server === "grpckit-h2")!;
    expect(report.ceilingRatios).toEqual([{
      load: "-c 8 -m 16",
      throughput: grpckit.requestsPerSecond / ceiling.requestsPerSecond,
      cpuPerCall: grpckit.cpuMicrosPerCall / ceiling.cpuMicrosPerCall,
    }]);
    expect(markdown).toContain("grpc-status 0 (fixed response, not checked as an echo)");
  });

  it("echoed 100-byte bidi messages from the raw client through node:http2, transport-h2 on its own and grpckit on transport-h2, and divided each by node:http2", () => {
    const rowOf = (server: "raw" | "h2-ceiling" | "grpckit-h2") => report.bidiServers.find((r) => r.server === server);
    for (const server of ["raw", "h2-ceiling", "grpckit-h2"] as const) {
      const row = rowOf(server);
      expect(row, server).toBeDefined();
      expect(row!.messageBytes).toBe(100);
      expect(row!.messagesPerSecond).toBeGreaterThan(0);
      expect(row!.cpuMicrosPerMessage).toBeGreaterThan(0);
    }
    const raw = rowOf("raw")!;
    expect(report.bidiServerRatios).toEqual((["h2-ceiling", "grpckit-h2"] as const).map((server) => ({
      server,
      throughput: rowOf(server)!.messagesPerSecond / raw.messagesPerSecond,
      cpuPerMessage: rowOf(server)!.cpuMicrosPerMessage / raw.cpuMicrosPerMessage,
    })));
    expect(markdown).toContain("## Bidi streaming by server: 100-byte messages from the raw node:http2 client");
  });

  it("echoed one large unary message with grpckit on both transports and grpc-js, reporting each side's extra peak RSS as a multiple of it", () => {
    for (const library of ["grpckit", "grpckit-h2", "grpc-js"] as const) {
      const row = report.largeUnary.find((r) => r.library === library);
      expect(row, library).toBeDefined();
      expect(row!.messageBytes).toBe(report.plan.largeMessages.unaryBytes);
      expect(row!.callMs).toBeGreaterThan(0);
      expect(row!.clientMultiple).toBeCloseTo(row!.clientExtraPeakBytes / row!.messageBytes, 12);
      expect(row!.serverMultiple).toBeCloseTo(row!.serverExtraPeakBytes / row!.messageBytes, 12);
    }
    expect(markdown).toContain(`## Large messages: one ${report.plan.largeMessages.unaryBytes / 1_000_000} MB unary echo`);
  });

  it("sent gzip-compressed large messages with grpckit on both transports and grpc-js, with the receiving server's event-loop delay", () => {
    for (const library of ["grpckit", "grpckit-h2", "grpc-js"] as const) {
      const row = report.compressedStream.find((r) => r.library === library);
      expect(row, library).toBeDefined();
      expect(row!.messages).toBe(report.plan.largeMessages.streamMessages);
      expect(row!.messageBytes).toBe(report.plan.largeMessages.streamMessageBytes);
      expect(row!.serverLoopDelay.samples).toBeGreaterThan(0);
      expect(row!.serverLoopDelay.p99Ms).toBeGreaterThanOrEqual(row!.serverLoopDelay.p50Ms);
      expect(row!.serverLoopDelay.maxMs).toBeGreaterThanOrEqual(row!.serverLoopDelay.p99Ms);
    }
  });

  it("streamed 64 KiB messages through the latency relay at 0 and 20 ms, in streams of each length, with the BDP estimator and fixed 16 MiB windows, and divided one by the other", () => {
    for (const rttMs of [0, 20]) for (const messages of report.plan.windows.messageCounts) {
      for (const window of ["bdp", "fixed-16m"] as const) {
        const row = report.windowStream.find((r) => r.rttMs === rttMs && r.messages === messages && r.window === window);
        expect(row, `${window} at ${rttMs} ms, ${messages} messages`).toBeDefined();
        expect(row!.messageBytes).toBe(65536);
        expect(row!.mebibytesPerSecond).toBeGreaterThan(0);
      }
      const of = (window: string) => report.windowStream.find((r) => r.rttMs === rttMs && r.messages === messages && r.window === window)!;
      expect(report.windowStreamRatios.find((r) => r.rttMs === rttMs && r.messages === messages)!.throughput)
        .toBeCloseTo(of("bdp").mebibytesPerSecond / of("fixed-16m").mebibytesPerSecond, 12);
    }
    expect(markdown).toContain("## Flow-control windows: 64 KiB server stream through a latency relay");
  });

  it("held idle open streams with each window mode and read both sides' memory with them open", () => {
    for (const window of ["bdp", "fixed-16m", "fixed-4m"] as const) {
      const row = report.idleStreams.find((r) => r.window === window);
      expect(row, window).toBeDefined();
      expect(row!.streams).toBe(report.plan.windows.idleStreams);
      // Open streams hold handlers, stream state and their echoed message on both sides.
      expect(row!.clientHeapBytes, window).toBeGreaterThan(0);
      expect(row!.serverHeapBytes, window).toBeGreaterThan(0);
    }
    expect(markdown).toContain(`## Flow-control windows: ${report.plan.windows.idleStreams} idle open streams`);
  });

  it("loaded Connect unary echoes over HTTP/1.1 and HTTP/2 on grpckit on transport-h2 and on connect-node, every sampled answer HTTP 200 and the echo", () => {
    for (const http of ["1.1", "2"] as const) {
      for (const server of ["grpckit-h2", "connect-node"] as const) {
        const row = report.connect.find((r) => r.http === http && r.server === server);
        expect(row, `${server} over HTTP/${http}`).toBeDefined();
        expect(row!.h2load.done).toBeGreaterThan(0);
        expect(row!.h2load.status2xx).toBe(row!.h2load.done);
        expect(row!.check.http200).toBe(row!.check.requests);
        expect(row!.check.echoed).toBe(row!.check.requests);
        expect(row!.check.contentTypes).toEqual(["application/proto"]);
        expect(row!.cpuMicrosPerCall).toBeGreaterThan(0);
      }
      const grpckit = report.connect.find((r) => r.http === http && r.server === "grpckit-h2")!;
      const connect = report.connect.find((r) => r.http === http && r.server === "connect-node")!;
      expect(report.connectRatios.find((r) => r.http === http)!.throughput).toBeCloseTo(grpckit.requestsPerSecond / connect.requestsPerSecond, 12);
    }
    const targets = sectionOf(markdown, "## Issue 23 targets");
    for (const target of report.issue23Targets) {
      expect(target.measured, target.measure).toBeGreaterThan(0);
      expect(targets).toContain(`| ${target.measure} | ${target.value} | at least 3× |`);
    }
  });

  it("served h2load from 1 and from 2 node:cluster workers, every request answered", () => {
    for (const workers of [1, 2]) {
      const row = report.workers.find((r) => r.workers === workers);
      expect(row, `${workers} workers`).toBeDefined();
      expect(row!.load).toBe("-c 8 -m 16");
      expect(row!.h2load.done).toBeGreaterThan(0);
      expect(row!.h2load.succeeded).toBe(row!.h2load.done);
      expect(row!.check.grpcStatusOk).toBe(row!.check.requests);
      expect(row!.check.echoed).toBe(row!.check.requests);
    }
    expect(markdown).toMatch(/h2load runs on the same cores as the workers.*as measured, and there is no target/);
  });

  it("reports every issue 22 target with its measured value, met or not met", () => {
    expect(report.issue22Targets).toHaveLength(9);
    for (const target of report.issue22Targets) {
      expect(target.measured, target.measure).toBeGreaterThanOrEqual(0);
      expect(typeof target.met).toBe("boolean");
      // Within the issue 22 table: issue 11's table has rows of the same name.
      const section = sectionOf(markdown, "## Issue 22 targets");
      const line = section.split("\n").find((l) => l.startsWith(`| ${target.measure} |`));
      expect(line, target.measure).toBeDefined();
      expect(line!.endsWith(` | ${target.met ? "met" : "not met"} |`), line).toBe(true);
    }
  });

  it("measured memory per connection and per stream on the server and the client side of every library", () => {
    for (const side of ["server", "client"] as const) {
      for (const library of libraries) {
        const row = report.memory.find((r) => r.side === side && r.library === library);
        expect(row, `${side} ${library}`).toBeDefined();
        expect(row!.connections).toBeGreaterThan(0);
        expect(row!.streams).toBeGreaterThan(0);
        expect(Number.isFinite(row!.perStreamHeapBytes)).toBe(true);
      }
    }
  });

  it("measured the grpckit server under h2load -c 8 -m 16 and the grpckit client with 100 in flight, with channelz off and on", () => {
    for (const [side, load] of [["server", "-c 8 -m 16"], ["client", "100 in flight"]] as const) {
      for (const channelz of ["off", "on"] as const) {
        const row = report.channelz.find((r) => r.side === side && r.load === load && r.channelz === channelz);
        expect(row, `${side} ${load} channelz ${channelz}`).toBeDefined();
        expect(row!.calls).toBeGreaterThan(0);
        expect(row!.throughput).toBeGreaterThan(0);
        expect(row!.p99Ms).toBeGreaterThanOrEqual(row!.p50Ms);
        expect(row!.peakRssBytes).toBeGreaterThan(0);
      }
    }
  });

  it("channelz counted every measured call when on and none when off", () => {
    for (const row of report.channelz) {
      if (row.channelz === "on") expect(row.channelzCalls, `${row.side} ${row.load}`).toBeGreaterThanOrEqual(row.calls);
      else expect(row.channelzCalls, `${row.side} ${row.load}`).toBe(0);
    }
  });

  it("reports channelz on ÷ off for the server and the client", () => {
    for (const [side, load] of [["server", "-c 8 -m 16"], ["client", "100 in flight"]] as const) {
      const ratio = report.channelzRatios.find((r) => r.side === side && r.load === load);
      expect(ratio, `${side} ${load}`).toBeDefined();
      const on = report.channelz.find((r) => r.side === side && r.channelz === "on")!;
      const off = report.channelz.find((r) => r.side === side && r.channelz === "off")!;
      expect(ratio!.throughput).toBeCloseTo(on.throughput / off.throughput, 10);
      expect(ratio!.p99).toBeCloseTo(on.p99Ms / off.p99Ms, 10);
    }
    expect(markdown).toContain("## Channelz: grpckit on transport-http2 with channelz off and on");
  });

  it("reports grpckit on transport-http2 and on transport-h2 against grpc-js and against raw node:http2 for every throughput row", () => {
    const expected = [
      ...["-c 8 -m 16", "-c 1 -m 1"].map((row) => ["server unary", row]),
      ...["1 in flight", "100 in flight"].map((row) => ["client unary", row]),
      ...["1 in flight", "100 in flight"].map((row) => ["client unary, grpckit-h2 server", row]),
      ...["100 B", "64 KiB"].map((row) => ["streaming", row]),
      ...["100 B", "64 KiB"].map((row) => ["server streaming", row]),
    ];
    for (const [table, row] of expected) {
      for (const library of ["grpckit", "grpckit-h2"]) {
        for (const versus of ["grpc-js", "raw"]) {
          const ratio = report.ratios.find((r) => r.table === table && r.row === row && r.library === library && r.versus === versus);
          expect(ratio, `${table} ${row}: ${library} vs ${versus}`).toBeDefined();
          expect(ratio!.throughput).toBeGreaterThan(0);
          if (!table.includes("streaming")) expect(ratio!.cpuPerCall).toBeGreaterThan(0);
        }
      }
    }
    expect(report.ratios).toHaveLength(expected.length * 4);
  });

  it("reports every issue 11 target with its grpckit on transport-h2 ÷ grpc-js ratio, met or not met", () => {
    expect(report.targets).toHaveLength(9);
    for (const target of report.targets) {
      expect(target.ratio, target.measure).toBeGreaterThan(0);
      expect(typeof target.met).toBe("boolean");
      // Within the issue 11 table: issue 22's table has rows of the same name.
      const section = sectionOf(markdown, "## Issue 11 targets");
      const line = section.split("\n").find((l) => l.startsWith(`| ${target.measure} |`));
      expect(line, target.measure).toBeDefined();
      expect(line!.endsWith(` | ${target.met ? "met" : "not met"} |`), line).toBe(true);
    }
  });

  it("the Markdown report names the run's machine and versions and has a row per measurement", () => {
    expect(markdown).toContain(report.machine.cpuModel);
    expect(markdown).toContain(`${report.machine.cores} cores`);
    expect(markdown).toContain(process.version);
    expect(markdown).toContain(`@grpc/grpc-js ${report.packages["@grpc/grpc-js"]}`);
    expect(markdown).toContain(`@grpckit/transport-h2 ${report.packages["@grpckit/transport-h2"]}`);
    const tableRows = markdown.split("\n").filter((line) => /^\| (-c |\d+ \||\d+ in flight \||\d+ (B|KiB|MB) \||server \||client \|)/.test(line));
    const measurements = report.serverUnary.length + report.clientUnary.length + report.streaming.length
      + report.memory.length + report.channelz.length + report.serverStreaming.length + report.ceiling.length
      + report.largeUnary.length + report.compressedStream.length + report.workers.length;
    expect(measurements).toBe(2 * 4 + 2 * 2 * 4 + 2 * 4 + 2 * 4 + 2 * 2 + 2 * 4 + 2 + 3 + 3 + 2);
    expect(tableRows.length).toBe(measurements + report.ratios.length + report.channelzRatios.length + report.ceilingRatios.length);
  });

  it("the Markdown report has a client table against each server with CPU per call, and every streaming run", () => {
    for (const heading of [
      "## Clients: unary echo against the raw node:http2 server",
      "## Clients: unary echo against the grpckit on transport-h2 server",
    ]) {
      const start = markdown.indexOf(heading);
      expect(start, heading).toBeGreaterThanOrEqual(0);
      const section = markdown.slice(start, markdown.indexOf("\n## ", start + 1));
      expect(section).toContain("| in flight | client | calls | calls/s | p50 ms | p99 ms | CPU µs per call | peak RSS MiB | errors |");
      expect(section).toContain("| load | ratio | throughput | p50 | p99 | CPU per call | peak RSS |");
      expect(section.split("\n").filter((line) => /^\| (1|100) \| /.test(line))).toHaveLength(2 * libraries.length);
    }
    expect(markdown).toContain("| message | client and server | messages | messages/s | MiB/s | client peak RSS MiB | server peak RSS MiB | every run, messages/s |");
    const streamingStart = markdown.indexOf("## Streaming");
    const streamingSection = markdown.slice(streamingStart, markdown.indexOf("\n## ", streamingStart + 1));
    const streamingLines = streamingSection.split("\n").filter((line) => /^\| (100 B|64 KiB) \| [^÷]*$/.test(line));
    expect(streamingLines).toHaveLength(report.streaming.length);
    for (const [i, row] of report.streaming.entries()) {
      const everyRun = row.roundsMessagesPerSecond!.map((n) => Math.round(n).toLocaleString("en-US")).join(", ");
      expect(streamingLines[i].endsWith(` | ${everyRun} |`), streamingLines[i]).toBe(true);
    }
  });
});

/** The part of the Markdown from `heading` to the next "## " heading. */
function sectionOf(markdown: string, heading: string): string {
  const start = markdown.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const next = markdown.indexOf("\n## ", start + heading.length);
  return markdown.slice(start, next === -1 ? undefined : next);
}
