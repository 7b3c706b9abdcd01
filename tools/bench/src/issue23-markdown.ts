/** The Markdown of issue 23's rows: its target, and Connect unary calls against connect-node. */
import { CONNECT_SERVER_LABEL } from "./connect-rows.js";
import { everyRun, loadCells, ratio, table } from "./markdown-table.js";
import type { BenchReport } from "./report.js";

export function renderIssue23(report: BenchReport): string[] {
  const rounds = Math.max(1, ...report.connect.map((row) => row.roundsRequestsPerSecond.length));
  const loads = report.plan.connect.shapes;
  return [
    "## Issue 23 targets: Connect unary against @connectrpc/connect-node",
    "",
    table(
      ["target", "value", "goal", "measured", "result"],
      report.issue23Targets.map((t) => [t.measure, t.value, `${t.comparison} ${t.bound}×`, t.measured === undefined ? "not measured" : ratio(t.measured), t.met ? "met" : "not met"]),
    ),
    "",
    "## Connect unary: grpckit on transport-h2 against @connectrpc/connect-node",
    "",
    "The same 100-byte echo as a Connect unary call (POST, `content-type: application/proto`, "
      + "`connect-protocol-version: 1`, the EchoRequest as the body), under h2load with the server-unary warm-up and "
      + `duration: over HTTP/1.1 with \`h2load --h1\` at -c ${loads["1.1"].connections} -m ${loads["1.1"].streams} `
      + `(no pipelining, as browsers send), over HTTP/2 at -c ${loads["2"].connections} -m ${loads["2"].streams}. `
      + "grpckit on transport-h2 answers both on its one port (HTTP/1.1 through node:http); connect-node is "
      + "connectNodeAdapter on node:http for HTTP/1.1 and on node:http2 (without TLS) for HTTP/2, as its users serve it. "
      + "CPU per call is the server process's CPU time over the measured run divided by the requests h2load completed. "
      + "After the load a sample of calls is checked: HTTP 200 and the request's bytes echoed."
      + (rounds > 1 ? ` Each server ran ${rounds} times, the servers taking turns; each row is the median run, and the last column lists every run's requests/s.` : ""),
    "",
    table(
      ["protocol", "load", "server", "requests/s", "p50 ms", "p99 ms", "CPU µs per call", "peak RSS MiB", "h2load 2xx / done", "check", ...(rounds > 1 ? ["every run, requests/s"] : [])],
      report.connect.map((row) => [
        `HTTP/${row.http}`,
        row.load,
        CONNECT_SERVER_LABEL[row.server],
        ...loadCells(row),
        `${row.check.http200}/${row.check.requests} HTTP 200, ${row.check.echoed}/${row.check.requests} echoed`,
        ...(rounds > 1 ? [everyRun(row.roundsRequestsPerSecond)] : []),
      ]),
    ),
    "",
    table(
      ["protocol", "ratio", "throughput", "CPU per call"],
      report.connectRatios.map((r) => [`HTTP/${r.http}`, `${CONNECT_SERVER_LABEL["grpckit-h2"]} ÷ @connectrpc/connect-node`, ratio(r.throughput), ratio(r.cpuPerCall)]),
    ),
    "",
  ];
}
