/**
 * Connect unary calls under h2load, over HTTP/1.1 (`h2load --h1`) and HTTP/2: grpckit on
 * transport-h2 (which serves Connect beside gRPC on its port, HTTP/1.1 through node:http)
 * against @connectrpc/connect-node's own server (connectNodeAdapter on node:http and
 * node:http2), the same 100-byte echo, load, warm-up and duration, the servers taking
 * turns for the server-unary rounds; each server's CPU time over the measured run, and
 * a sample of calls checked after the load (HTTP 200, the echo byte for byte): a run
 * whose check or h2load requests failed is a failure, not a row.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchMessage, ECHO_PATH, SMALL_MESSAGE_BYTES } from "../bench-message.js";
import { ServerProcess } from "../child-process.js";
import { checkConnectEcho, CONNECT_REQUEST_HEADERS } from "../connect-check.js";
import { CONNECT_SERVER_LABEL, type ConnectRow, type ConnectServer } from "../connect-rows.js";
import { cpuMicrosPerCall } from "../cpu-time.js";
import { serverScript } from "../libraries.js";
import { medianRun } from "../median-run.js";
import type { BenchContext } from "./bench-context.js";
import { loadServer } from "./server-unary.js";

const CONNECT_NODE_SCRIPT = fileURLToPath(new URL("../servers/connect-node-server.js", import.meta.url));
const SERVERS: readonly ConnectServer[] = ["grpckit-h2", "connect-node"];
const HEADERS = Object.entries(CONNECT_REQUEST_HEADERS).map(([name, value]) => `${name}: ${value}`);

async function measure(context: BenchContext, server: ConnectServer, http: "1.1" | "2", bodyFile: string, message: Uint8Array): Promise<Omit<ConnectRow, "roundsRequestsPerSecond">> {
  const settings = context.plan.serverUnary;
  const shape = context.plan.connect.shapes[http];
  const load = `-c ${shape.connections} -m ${shape.streams}`;
  const running = server === "grpckit-h2"
    ? await ServerProcess.start("grpckit-h2 server", serverScript("grpckit-h2"))
    : await ServerProcess.start(`connect-node server (HTTP/${http})`, CONNECT_NODE_SCRIPT, ["--http", http]);
  try {
    const { result, cpuBefore, cpuAfter } = await loadServer(context, running, {
      h2load: context.h2load.path,
      url: `http://${running.address}${ECHO_PATH}`,
      bodyFile,
      headers: HEADERS,
      http1: http === "1.1",
      ...shape,
    }, `connect-${server}-http${http}`);
    const check = await checkConnectEcho(running.address, message, settings.checkRequests, http);
    // A server that did not answer as Connect asks has no row: its rate would be of refusals.
    if (check.http200 !== check.requests || check.echoed !== check.requests) {
      throw new Error(`sample check: ${check.http200}/${check.requests} HTTP 200 (saw ${check.statuses.join(", ")}), ${check.echoed}/${check.requests} echoed`);
    }
    if (result.succeeded !== result.done || result.done === 0) {
      throw new Error(`h2load: ${result.succeeded} of ${result.done} requests succeeded (${result.failed} failed, ${result.errored} errored)`);
    }
    return {
      http,
      load,
      server,
      requestsPerSecond: result.requestsPerSecond,
      p50Ms: result.latency?.p50Ms ?? Number.NaN,
      p99Ms: result.latency?.p99Ms ?? Number.NaN,
      cpuMicrosPerCall: cpuMicrosPerCall(cpuBefore, cpuAfter, result.done),
      peakRssBytes: running.peakRssBytes(),
      h2load: result,
      check,
    };
  } finally {
    await running.stop();
  }
}

export async function connectPhase(context: BenchContext): Promise<ConnectRow[]> {
  const message = benchMessage(SMALL_MESSAGE_BYTES).encoded;
  const bodyFile = join(context.workDir, `connect-request-${message.byteLength}.bin`);
  writeFileSync(bodyFile, message);
  const rounds = context.plan.serverUnary.rounds;
  const rows: ConnectRow[] = [];
  for (const http of ["1.1", "2"] as const) {
    const runs = new Map<ConnectServer, Omit<ConnectRow, "roundsRequestsPerSecond">[]>(SERVERS.map((s) => [s, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const server of SERVERS) {
        context.log(`Connect unary over HTTP/${http}: ${CONNECT_SERVER_LABEL[server]}${rounds > 1 ? `, round ${round} of ${rounds}` : ""}`);
        try {
          runs.get(server)!.push(await measure(context, server, http, bodyFile, message));
        } catch (error) {
          context.fail(`connect unary HTTP/${http} ${server}`, "grpckit-h2", error);
        }
      }
    }
    for (const server of SERVERS) {
      const measured = runs.get(server)!;
      const median = medianRun(measured, (row) => row.requestsPerSecond);
      if (median !== undefined) rows.push({ ...median, roundsRequestsPerSecond: measured.map((row) => row.requestsPerSecond) });
    }
  }
  return rows;
}
