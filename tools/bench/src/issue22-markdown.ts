/** The Markdown of issue 22's rows: its targets, server streaming, the ceiling, large messages and workers. */
import { BIDI_SERVER_LABEL } from "./bidi-server-rows.js";
import { megabytesLabel } from "./issue22-rows.js";
import type { Issue22Target } from "./issue22-targets.js";
import { LIBRARY_LABEL } from "./libraries.js";
import { count, everyRun, fixed, loadCells, mib, ratio, ratioTable, table } from "./markdown-table.js";
import { messageSizeLabel, type BenchReport } from "./report.js";
import { WINDOW_LABEL } from "./window-mode.js";

/** "at least 5×", "at most 20 ms". */
function goal(target: Issue22Target): string {
  return `${target.comparison} ${target.bound}${target.unit === "ms" ? " ms" : "×"}`;
}

function measured(target: Issue22Target): string {
  if (target.measured === undefined) return "not measured";
  return target.unit === "ms" ? `${fixed(target.measured, 1)} ms` : ratio(target.measured);
}

export function renderIssue22Targets(report: BenchReport): string[] {
  return [
    `## Issue 22 targets: ${LIBRARY_LABEL["grpckit-h2"]}`,
    "",
    "Each target bounds one value from the tables below: a ratio to another implementation, "
      + "to transport-h2 on its own, or to the message size, or an event-loop delay.",
    "",
    table(
      ["target", "value", "goal", "measured", "result"],
      report.issue22Targets.map((t) => [t.measure, t.value, goal(t), measured(t), t.met ? "met" : "not met"]),
    ),
    "",
  ];
}

export function renderServerStreaming(report: BenchReport): string[] {
  const rounds = Math.max(1, ...report.serverStreaming.map((row) => row.roundsMessagesPerSecond?.length ?? 1));
  return [
    "## Server streaming: messages sent on one server-streaming call",
    "",
    "Each library's own client asks its own server (raw: node:http2 client against the raw server) for the "
      + "messages on one `EchoServerStream` call; the server writes them as fast as flow control lets it and "
      + "the time runs until the last message and the OK status arrive."
      + (rounds > 1
        ? ` Each library ran ${rounds} times, the libraries taking turns; each row is the median run, and the last column lists every run's messages/s.`
        : ""),
    "",
    table(
      ["message", "client and server", "messages", "messages/s", "MiB/s", "client peak RSS MiB", "server peak RSS MiB", ...(rounds > 1 ? ["every run, messages/s"] : [])],
      report.serverStreaming.map((row) => [
        messageSizeLabel(row.messageBytes),
        LIBRARY_LABEL[row.library],
        count(row.messages),
        count(row.messagesPerSecond),
        fixed(row.mebibytesPerSecond, 1),
        mib(row.clientPeakRssBytes),
        mib(row.serverPeakRssBytes),
        ...(rounds > 1 ? [everyRun(row.roundsMessagesPerSecond)] : []),
      ]),
    ),
    "",
    ratioTable(report.ratios.filter((r) => r.table === "server streaming"), false),
    "",
  ];
}

export function renderIssue22Sections(report: BenchReport): string[] {
  const out: string[] = [];
  const rounds = Math.max(1, ...report.ceiling.map((row) => row.roundsRequestsPerSecond.length));
  out.push("## Ceiling: transport-h2 on its own against grpckit on transport-h2");
  out.push("");
  out.push("transport-h2 on its own is @grpckit/transport-h2's server driven without core: each stream is answered, once "
    + "its request ended, from one response made at start-up (shared headers, the 100-byte EchoResponse's frame, "
    + "grpc-status 0 trailers); nothing is decoded or routed, so it answers every request with the same bytes. Both "
    + "servers take turns under the server-unary h2load load, warm-up and duration. Its check column counts "
    + "grpc-status 0 only, as its answer is fixed rather than echoed."
    + (rounds > 1 ? ` Each server ran ${rounds} times; each row is the median run, and the last column lists every run's requests/s.` : ""));
  out.push("");
  out.push(table(
    ["load", "server", "requests/s", "p50 ms", "p99 ms", "CPU µs per call", "peak RSS MiB", "h2load 2xx / done", "check", ...(rounds > 1 ? ["every run, requests/s"] : [])],
    report.ceiling.map((row) => [
      row.load,
      row.server === "h2-ceiling" ? "transport-h2 on its own" : LIBRARY_LABEL["grpckit-h2"],
      ...loadCells(row),
      row.server === "h2-ceiling"
        ? `${row.check.grpcStatusOk}/${row.check.requests} grpc-status 0 (fixed response, not checked as an echo)`
        : `${row.check.grpcStatusOk}/${row.check.requests} grpc-status 0, ${row.check.echoed}/${row.check.requests} echoed`,
      ...(rounds > 1 ? [everyRun(row.roundsRequestsPerSecond)] : []),
    ]),
  ));
  out.push("");
  out.push(table(
    ["load", "ratio", "throughput", "CPU per call"],
    report.ceilingRatios.map((r) => [r.load, `${LIBRARY_LABEL["grpckit-h2"]} ÷ transport-h2 on its own`, ratio(r.throughput), ratio(r.cpuPerCall)]),
  ));
  out.push("");
  out.push(...renderBidiServers(report));

  const unarySize = report.largeUnary[0] !== undefined ? megabytesLabel(report.largeUnary[0].messageBytes) : "large";
  out.push(`## Large messages: one ${unarySize} unary echo`);
  out.push("");
  out.push("Client and server each in their own process, message limits raised on both sides. Extra peak RSS is how far "
    + "the process's peak resident set (VmHWM) rose above its resident set just before the call: the server's baseline "
    + "is taken after a garbage collection before the client connects, the client's after a first small call and a "
    + "garbage collection, with the request already built (its own request buffer is not counted). The peak is reset "
    + "to the baseline first (/proc/self/clear_refs), so it is this call's peak. The multiple divides it by the message size.");
  out.push("");
  out.push(table(
    ["message", "client and server", "call ms", "client extra peak RSS MiB", "× message", "server extra peak RSS MiB", "× message"],
    report.largeUnary.map((row) => [
      megabytesLabel(row.messageBytes),
      LIBRARY_LABEL[row.library],
      fixed(row.callMs, 0),
      mib(row.clientExtraPeakBytes),
      ratio(row.clientMultiple),
      mib(row.serverExtraPeakBytes),
      ratio(row.serverMultiple),
    ]),
  ));
  out.push("");

  const streamSize = report.compressedStream[0] !== undefined ? megabytesLabel(report.compressedStream[0].messageBytes) : "large";
  out.push(`## Large messages: ${streamSize} gzip-compressed messages on one stream`);
  out.push("");
  out.push("The client sends compressible messages (a repeating byte pattern) gzip-compressed on one client-streaming "
    + "call; the server inflates each one and answers with the count of messages and payload bytes, which the client "
    + "checks. The receiving server's event-loop delay is recorded with `perf_hooks.monitorEventLoopDelay` (a 2 ms "
    + "interval) from the moment its handler starts until it has read the last message; a delay is how much longer "
    + "than the monitor's interval an interval took.");
  out.push("");
  out.push(table(
    ["message", "client and server", "messages", "call ms", "server loop delay p50 ms", "p99 ms", "max ms", "samples"],
    report.compressedStream.map((row) => [
      megabytesLabel(row.messageBytes),
      LIBRARY_LABEL[row.library],
      count(row.messages),
      fixed(row.elapsedMs, 0),
      fixed(row.serverLoopDelay.p50Ms, 1),
      fixed(row.serverLoopDelay.p99Ms, 1),
      fixed(row.serverLoopDelay.maxMs, 1),
      count(row.serverLoopDelay.samples),
    ]),
  ));
  out.push("");

  out.push(...renderWindows(report));

  const workerRounds = Math.max(1, ...report.workers.map((row) => row.roundsRequestsPerSecond.length));
  out.push(`## Workers: ${LIBRARY_LABEL["grpckit-h2"]} served by node:cluster workers`);
  out.push("");
  out.push("The grpckit on transport-h2 echo server in node:cluster workers sharing one port (the primary accepts each "
    + "connection and hands it to a worker in turn), under the server-unary h2load load; h2load's connections are what "
    + "spread over the workers. h2load runs on the same cores as the workers, so on a machine with few cores it takes "
    + "CPU the workers would use: the figures are as measured, and there is no target."
    + (workerRounds > 1 ? ` Each count ran ${workerRounds} times; each row is the median run, and the last column lists every run's requests/s.` : ""));
  out.push("");
  out.push(table(
    ["workers", "load", "requests/s", "p50 ms", "p99 ms", "h2load 2xx / done", "check", ...(workerRounds > 1 ? ["every run, requests/s"] : [])],
    report.workers.map((row) => [
      String(row.workers),
      row.load,
      count(row.requestsPerSecond),
      fixed(row.p50Ms, 3),
      fixed(row.p99Ms, 3),
      `${count(row.h2load.status2xx)} / ${count(row.h2load.done)}`,
      `${row.check.grpcStatusOk}/${row.check.requests} grpc-status 0, ${row.check.echoed}/${row.check.requests} echoed`,
      ...(workerRounds > 1 ? [everyRun(row.roundsRequestsPerSecond)] : []),
    ]),
  ));
  out.push("");
  return out;
}

/** The raw client's bidi echo against each server. */
function renderBidiServers(report: BenchReport): string[] {
  const out: string[] = [];
  const rounds = Math.max(1, ...report.bidiServers.map((row) => row.roundsMessagesPerSecond.length));
  out.push("## Bidi streaming by server: 100-byte messages from the raw node:http2 client");
  out.push("");
  out.push("The bidi streaming rows run each library's client against its own server. Here one client, the raw node:http2 "
    + "client of the streaming rows (it writes one ready-made frame per message as fast as the stream takes them, and "
    + "counts the echoed bytes), echoes 100-byte messages on one stream through three servers: node:http2's (the raw "
    + "server, which splits the body into gRPC frames and writes each back undecoded), transport-h2 on its own (the "
    + "ceiling server, echoing the same way on transport-h2's seam) and grpckit on transport-h2 (each message decoded, "
    + "handed to the handler, encoded and framed by core). The first two compare the HTTP/2 implementations under the "
    + "same work; the third adds core and protobuf. CPU per message is the server process's CPU time over the client's "
    + "whole run, warm-up included, divided by the messages it echoed."
    + (rounds > 1 ? ` The servers took turns for ${rounds} rounds; each row is the median run, and the last column lists every run's messages/s.` : ""));
  out.push("");
  out.push(table(
    ["server process", "messages", "messages/s", "server CPU µs per message", ...(rounds > 1 ? ["every run, messages/s"] : [])],
    report.bidiServers.map((row) => [
      BIDI_SERVER_LABEL[row.server],
      count(row.messages),
      count(row.messagesPerSecond),
      fixed(row.cpuMicrosPerMessage, 2),
      ...(rounds > 1 ? [everyRun(row.roundsMessagesPerSecond)] : []),
    ]),
  ));
  out.push("");
  out.push(table(
    ["ratio", "messages/s", "server CPU per message"],
    report.bidiServerRatios.map((r) => [`${BIDI_SERVER_LABEL[r.server]} ÷ ${BIDI_SERVER_LABEL.raw}`, ratio(r.throughput), ratio(r.cpuPerMessage)]),
  ));
  out.push("");
  return out;
}

/** Server streaming through the latency relay with each window mode, and idle streams' memory. */
function renderWindows(report: BenchReport): string[] {
  const out: string[] = [];
  const first = report.windowStream[0];
  const rounds = Math.max(1, ...report.windowStream.map((row) => row.roundsMebibytesPerSecond.length));
  out.push(`## Flow-control windows: ${first !== undefined ? messageSizeLabel(first.messageBytes) : "64 KiB"} server stream through a latency relay`);
  out.push("");
  out.push(`${LIBRARY_LABEL["grpckit-h2"]} at both ends, each in its own process, both with the same windows: transport-h2's `
    + "BDP estimator (stream and connection windows start at 64 KiB and grow from PING-timed samples up to 16 MiB) or "
    + "fixed 16 MiB stream and connection windows (set on both ends, which turns the estimator off). The client connects "
    + "through the bench's TCP relay, which writes every chunk on half the added round trip later in each direction, "
    + "makes one small call, then times one server-streaming call from its start to its OK status, so the estimator's "
    + "growth from 64 KiB is inside the measured time: it takes a few round trips whatever the stream's length, so it "
    + "weighs most in the shortest stream, and the target is read from the longest."
    + (rounds > 1 ? ` Each mode ran ${rounds} times at each round trip, the modes taking turns; each row is the median run, and the last column lists every run's MiB/s.` : ""));
  out.push("");
  out.push(table(
    ["added round trip", "windows", "messages", "MiB/s", "client peak RSS MiB", "server peak RSS MiB", ...(rounds > 1 ? ["every run, MiB/s"] : [])],
    report.windowStream.map((row) => [
      `${row.rttMs} ms`,
      WINDOW_LABEL[row.window],
      count(row.messages),
      fixed(row.mebibytesPerSecond, 1),
      mib(row.clientPeakRssBytes),
      mib(row.serverPeakRssBytes),
      ...(rounds > 1 ? [row.roundsMebibytesPerSecond.map((n) => fixed(n, 1)).join(", ")] : []),
    ]),
  ));
  out.push("");
  out.push(table(
    ["added round trip", "messages", "ratio", "MiB/s"],
    report.windowStreamRatios.map((r) => [`${r.rttMs} ms`, count(r.messages), "BDP estimator ÷ fixed 16 MiB windows", ratio(r.throughput)]),
  ));
  out.push("");
  const streams = report.idleStreams[0]?.streams;
  const idleRounds = report.plan.windows.idleRounds;
  out.push(`## Flow-control windows: ${streams !== undefined ? count(streams) : "idle"} idle open streams`);
  out.push("");
  out.push(`${LIBRARY_LABEL["grpckit-h2"]} at both ends with the same windows; the client opens the bidi streams on one `
    + "connection, each echoes one 100-byte message and stays open. Each side's memory is read after garbage collection "
    + "before the streams open and with them open; the table gives the rise, in total."
    + (idleRounds > 1
      ? ` Each mode ran ${idleRounds} times, the modes taking turns; each figure is the median of that side's runs (a resident set moves by a few MiB with the allocator alone, each side on its own), and the last columns list every run's RSS rises.`
      : ""));
  out.push("");
  out.push(table(
    ["windows", "streams", "client RSS rise MiB", "client heap + external rise MiB", "server RSS rise MiB", "server heap + external rise MiB",
      ...(idleRounds > 1 ? ["every run, client RSS rise MiB", "every run, server RSS rise MiB"] : [])],
    report.idleStreams.map((row) => [
      WINDOW_LABEL[row.window],
      count(row.streams),
      mib(row.clientRssBytes),
      mib(row.clientHeapBytes),
      mib(row.serverRssBytes),
      mib(row.serverHeapBytes),
      ...(idleRounds > 1 ? [row.roundsClientRssBytes.map(mib).join(", "), row.roundsServerRssBytes.map(mib).join(", ")] : []),
    ]),
  ));
  out.push("");
  return out;
}
