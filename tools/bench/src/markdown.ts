/** The bench report as a Markdown page (tools/bench/results/latest.md). */
import { LIBRARY_LABEL } from "./libraries.js";
import { CLIENT_UNARY_SERVERS, clientUnaryTable, messageSizeLabel, type BenchReport, type ClientUnaryServer } from "./report.js";
import type { Target } from "./targets.js";
import { renderIssue22Sections, renderIssue22Targets, renderServerStreaming } from "./issue22-markdown.js";
import { renderIssue23 } from "./issue23-markdown.js";
import { count, everyRun, fixed, kib, loadCells, mib, ratio, ratioTable, table } from "./markdown-table.js";

/** "at least 4×", "at most 0.25×", "below 1×". */
function goal(target: Target): string {
  return `${target.comparison} ${target.bound}×`;
}

function targetTable(targets: Target[]): string {
  return table(
    ["target", "goal", `${LIBRARY_LABEL["grpckit-h2"]} ÷ ${LIBRARY_LABEL["grpc-js"]}`, "result"],
    targets.map((t) => [t.measure, goal(t), t.ratio === undefined ? "not measured" : ratio(t.ratio), t.met ? "met" : "not met"]),
  );
}

/** Why each client table uses its server. */
const CLIENT_TABLE_TEXT: Record<ClientUnaryServer, string> = {
  raw: "Every client is its own process with one connection to the same raw node:http2 echo server, the least "
    + "a node:http2 server can do. With 100 calls in flight that server can be the limit for the fastest clients "
    + "(compare its CPU per call in the server table with theirs below), so calls/s here understates them. ",
  "grpckit-h2": "Every client is its own process with one connection to the same grpckit on transport-h2 echo server, "
    + "the fastest server in the bench (the least CPU per call in the server table), so that a fast client, not the "
    + "server, is the limit; every client meets the same server, so the comparison stays fair. "
    + "Issue 11's client calls/s and client CPU targets are read from this table. ",
};

const CLIENT_TABLE_COMMON_TEXT = "Latency is measured per call in the client. CPU per call is the client process's "
  + "CPU time (user + system, every thread) over the measured calls divided by the calls; it is the client's own "
  + "cost whichever process is the limit.";

/** Microseconds with one decimal. */
function micros(value: number): string {
  return fixed(value, 1);
}

/** Renders `report` as Markdown. */
export function renderMarkdown(report: BenchReport): string {
  const { machine, plan } = report;
  const load = plan.serverUnary.durationSeconds !== undefined
    ? `${plan.serverUnary.durationSeconds} s measured after ${count(plan.serverUnary.warmupRequests)} warm-up requests`
    : `${count(plan.serverUnary.requests ?? 0)} requests measured after ${count(plan.serverUnary.warmupRequests)} warm-up requests`;
  const out: string[] = [];
  out.push(`# grpckit benchmark${report.mode === "smoke" ? " (smoke run: numbers are not measurements)" : ""}`);
  out.push("");
  out.push(`- date: ${report.date}`);
  out.push(`- machine: ${machine.cpuModel}, ${machine.cores} cores, ${mib(machine.totalMemoryBytes)} MiB, ${machine.os}`);
  out.push(`- node ${machine.node}; ${report.h2load}`);
  out.push(`- packages: ${Object.entries(report.packages).map(([name, version]) => `${name} ${version}`).join(", ")}`);
  if (report.revision !== undefined) out.push(`- source revision: ${report.revision}`);
  out.push("");

  out.push(`## Issue 11 targets: ${LIBRARY_LABEL["grpckit-h2"]} against ${LIBRARY_LABEL["grpc-js"]}`);
  out.push("");
  out.push(`Each target bounds the ratio ${LIBRARY_LABEL["grpckit-h2"]} ÷ ${LIBRARY_LABEL["grpc-js"]} on one row of the tables below.`);
  out.push("");
  out.push(targetTable(report.targets));
  out.push("");

  out.push(...renderIssue22Targets(report));

  const rounds = Math.max(1, ...report.serverUnary.map((row) => row.roundsRequestsPerSecond?.length ?? 1));
  out.push("## Servers under h2load: unary echo of a 100-byte message");
  out.push("");
  out.push(`Each server is its own process on 127.0.0.1, loaded by h2load (one thread), ${load}. `
    + "Latency is h2load's per-request time (--log-file); peak RSS is the server's VmHWM. "
    + "CPU per call is the server process's CPU time (user + system, every thread) during the measured run "
    + "divided by the requests h2load completed; it holds whether the server or h2load is the limit. "
    + "The check column is a node:http2 sample sent after the load: answers with grpc-status 0 and a byte-exact echo."
    + (rounds > 1
      ? ` Each server ran ${rounds} times, the servers taking turns; each row is the median run, and the last column lists every run's requests/s.`
      : ""));
  out.push("");
  out.push(table(
    ["load", "server", "requests/s", "p50 ms", "p99 ms", "CPU µs per call", "peak RSS MiB", "h2load 2xx / done", "check", ...(rounds > 1 ? ["every run, requests/s"] : [])],
    report.serverUnary.map((row) => [
      row.load,
      LIBRARY_LABEL[row.server],
      ...loadCells(row),
      `${row.check.grpcStatusOk}/${row.check.requests} grpc-status 0, ${row.check.echoed}/${row.check.requests} echoed`,
      ...(rounds > 1 ? [everyRun(row.roundsRequestsPerSecond)] : []),
    ]),
  ));
  out.push("");
  out.push(ratioTable(report.ratios.filter((r) => r.table === "server unary"), true, true));
  out.push("");

  for (const server of CLIENT_UNARY_SERVERS) {
    out.push(`## Clients: unary echo against the ${LIBRARY_LABEL[server]} server`);
    out.push("");
    out.push(CLIENT_TABLE_TEXT[server] + CLIENT_TABLE_COMMON_TEXT);
    out.push("");
    out.push(table(
      ["in flight", "client", "calls", "calls/s", "p50 ms", "p99 ms", "CPU µs per call", "peak RSS MiB", "errors"],
      report.clientUnary.filter((row) => row.server === server).map((row) => [
        String(row.inFlight),
        LIBRARY_LABEL[row.client],
        count(row.calls),
        count(row.callsPerSecond),
        fixed(row.p50Ms, 3),
        fixed(row.p99Ms, 3),
        micros(row.cpuMicrosPerCall),
        mib(row.peakRssBytes),
        String(row.errors),
      ]),
    ));
    out.push("");
    out.push(ratioTable(report.ratios.filter((r) => r.table === clientUnaryTable(server)), true, true));
    out.push("");
  }

  out.push("## Streaming: messages echoed over one bidi stream");
  out.push("");
  const streamRounds = Math.max(1, ...report.streaming.map((row) => row.roundsMessagesPerSecond?.length ?? 1));
  out.push("Each library's own client against its own server (raw: node:http2 client against the raw server), "
    + "so a row measures both ends of one implementation. The client writes as fast as flow control lets it "
    + "and the time runs until the last echo and the OK status arrive."
    + (streamRounds > 1
      ? ` Each library ran ${streamRounds} times, the libraries taking turns; each row is the median run, and the last column lists every run's messages/s.`
      : ""));
  out.push("");
  out.push(table(
    ["message", "client and server", "messages", "messages/s", "MiB/s", "client peak RSS MiB", "server peak RSS MiB", ...(streamRounds > 1 ? ["every run, messages/s"] : [])],
    report.streaming.map((row) => [
      messageSizeLabel(row.messageBytes),
      LIBRARY_LABEL[row.library],
      count(row.messages),
      count(row.messagesPerSecond),
      fixed(row.mebibytesPerSecond, 1),
      mib(row.clientPeakRssBytes),
      mib(row.serverPeakRssBytes),
      ...(streamRounds > 1 ? [everyRun(row.roundsMessagesPerSecond)] : []),
    ]),
  ));
  out.push("");
  out.push(ratioTable(report.ratios.filter((r) => r.table === "streaming"), false));
  out.push("");
  out.push(...renderServerStreaming(report), ...renderIssue22Sections(report), ...renderIssue23(report));

  out.push("## Memory per idle connection and per open stream");
  out.push("");
  out.push("Server: a fresh server process; the driver opens idle HTTP/2 connections, then bidi streams that "
    + "each echoed one message and stay open. Client: one client process opens channels that each completed "
    + "one call, then open bidi streams on one channel, against the raw server. Memory is read after a full "
    + "garbage collection; heap is V8 heap plus external (Buffer) memory.");
  out.push("");
  out.push(table(
    ["side", "library", "connections", "streams", "baseline RSS MiB", "per connection: RSS KiB", "heap KiB", "per stream: RSS KiB", "heap KiB"],
    report.memory.map((row) => [
      row.side,
      LIBRARY_LABEL[row.library],
      String(row.connections),
      String(row.streams),
      mib(row.baselineRssBytes),
      kib(row.perConnectionRssBytes),
      kib(row.perConnectionHeapBytes),
      kib(row.perStreamRssBytes),
      kib(row.perStreamHeapBytes),
    ]),
  ));
  out.push("");

  out.push(`## Channelz: ${LIBRARY_LABEL.grpckit} with channelz off and on`);
  out.push("");
  out.push("The grpckit server (on transport-http2) under the server-unary h2load load and settings, and its client "
    + "against the raw node:http2 server, each run once as is and once with `enableChannelz()` called "
    + "before the server or the first channel is created. The last column is the calls channelz counted "
    + "in the process, warm-up and sample included: 0 when it is off.");
  out.push("");
  out.push(table(
    ["side", "load", "channelz", "requests or calls/s", "p50 ms", "p99 ms", "peak RSS MiB", "calls recorded"],
    report.channelz.map((row) => [
      row.side,
      row.load,
      row.channelz,
      count(row.throughput),
      fixed(row.p50Ms, 3),
      fixed(row.p99Ms, 3),
      mib(row.peakRssBytes),
      count(row.channelzCalls),
    ]),
  ));
  out.push("");
  out.push(table(
    ["side", "load", "channelz on ÷ off: throughput", "p50", "p99", "peak RSS"],
    report.channelzRatios.map((r) => [r.side, r.load, ratio(r.throughput), ratio(r.p50), ratio(r.p99), ratio(r.peakRss)]),
  ));
  out.push("");

  if (report.failures.length > 0) {
    out.push("## Failures");
    out.push("");
    out.push(table(
      ["phase", "library", "error"],
      report.failures.map((failure) => [failure.phase, LIBRARY_LABEL[failure.library], failure.message.replace(/\s+/g, " ").replace(/\|/g, "\\|")]),
    ));
    out.push("");
  }
  return out.join("\n");
}
