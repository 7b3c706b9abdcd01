/**
 * What channelz costs grpckit: the grpckit server under the server-unary h2load load
 * and the grpckit client with 100 calls in flight against the raw server, each run
 * with channelz off and with `enableChannelz()` called at start-up (the server in as
 * many turns as the server phase's rounds, keeping the median).
 */
import { ServerProcess } from "../child-process.js";
import { serverScript } from "../libraries.js";
import { medianRun } from "../median-run.js";
import type { ChannelzRow } from "../report.js";
import type { BenchContext } from "./bench-context.js";
import { runUnaryClient } from "./client-unary.js";
import { measureServer, writeEchoBody } from "./server-unary.js";

const MODES = ["off", "on"] as const;

function modeArgs(mode: ChannelzRow["channelz"]): string[] {
  return mode === "on" ? ["--channelz"] : [];
}

/** Records a failure when channelz counted calls it should not have, or none it should have. */
function checkRecorded(context: BenchContext, phase: string, row: ChannelzRow): void {
  if (row.channelz === "on" && row.channelzCalls < row.calls) {
    context.fail(phase, "grpckit", new Error(`channelz recorded ${row.channelzCalls} calls, fewer than the ${row.calls} measured`));
  } else if (row.channelz === "off" && row.channelzCalls !== 0) {
    context.fail(phase, "grpckit", new Error(`channelz is off but recorded ${row.channelzCalls} calls`));
  }
}

export async function channelzPhase(context: BenchContext): Promise<ChannelzRow[]> {
  const { plan } = context;
  if (!plan.libraries.includes("grpckit")) return [];
  const rows: ChannelzRow[] = [];

  const shape = plan.channelz.serverShape;
  const load = `-c ${shape.connections} -m ${shape.streams}`;
  const body = writeEchoBody(context);
  // Off and on take turns, as the server phase's libraries do; the median run of each is kept.
  const serverRuns = new Map<ChannelzRow["channelz"], ChannelzRow[]>(MODES.map((m) => [m, []]));
  const rounds = plan.serverUnary.rounds;
  for (let round = 1; round <= rounds; round++) {
    for (const mode of MODES) {
      const phase = `channelz ${mode}, server ${load}`;
      context.log(`${phase}${rounds > 1 ? `, round ${round} of ${rounds}` : ""}`);
      let server: ServerProcess | undefined;
      try {
        const measured = await measureServer(context, phase, "grpckit", shape, body, modeArgs(mode));
        server = measured.server;
        const row: ChannelzRow = {
          side: "server",
          load,
          channelz: mode,
          calls: measured.row.h2load.done,
          throughput: measured.row.requestsPerSecond,
          p50Ms: measured.row.p50Ms,
          p99Ms: measured.row.p99Ms,
          peakRssBytes: measured.row.peakRssBytes,
          channelzCalls: await server.channelzCalls(),
        };
        serverRuns.get(mode)!.push(row);
        checkRecorded(context, phase, row);
      } catch (error) {
        context.fail(phase, "grpckit", error);
      } finally {
        await server?.stop();
      }
    }
  }
  for (const mode of MODES) {
    const median = medianRun(serverRuns.get(mode)!, (r) => r.throughput);
    if (median !== undefined) rows.push(median);
  }

  const run = plan.channelz.client;
  const inFlight = `${run.concurrency} in flight`;
  let rawServer: ServerProcess | undefined;
  try {
    rawServer = await ServerProcess.start("raw server", serverScript("raw"));
    for (const mode of MODES) {
      const phase = `channelz ${mode}, client ${inFlight}`;
      context.log(phase);
      try {
        const result = await runUnaryClient(context, phase, "grpckit", rawServer.address, run, modeArgs(mode));
        if (result.channelzCalls === undefined) throw new Error("the grpckit client reported no channelz count");
        const row: ChannelzRow = {
          side: "client",
          load: inFlight,
          channelz: mode,
          calls: result.calls,
          throughput: result.callsPerSecond,
          p50Ms: result.p50Ms,
          p99Ms: result.p99Ms,
          peakRssBytes: result.peakRssBytes,
          channelzCalls: result.channelzCalls,
        };
        rows.push(row);
        checkRecorded(context, phase, row);
      } catch (error) {
        context.fail(phase, "grpckit", error);
      }
    }
  } catch (error) {
    context.fail(`channelz, client ${inFlight}`, "grpckit", error);
  } finally {
    await rawServer?.stop();
  }
  return rows;
}
