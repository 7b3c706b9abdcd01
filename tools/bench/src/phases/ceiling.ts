/**
 * transport-h2's ceiling: transport-h2 answering the unary echo on its own (no core,
 * a fixed response; servers/h2-ceiling-server.ts) and grpckit on transport-h2, taking
 * turns under the same h2load load, warm-up, duration and sample as the server-unary
 * rows, for as many rounds as they run, keeping each one's median run.
 */
import { fileURLToPath } from "node:url";
import { ServerProcess } from "../child-process.js";
import type { CeilingRow, CeilingServer } from "../issue22-rows.js";
import { medianRun } from "../median-run.js";
import type { BenchContext } from "./bench-context.js";
import { measureServer, writeEchoBody, type OtherServer } from "./server-unary.js";

/** transport-h2 on its own (servers/h2-ceiling-server.ts): a fixed unary answer, and frames echoed undecoded on a bidi stream. */
export const CEILING_SCRIPT = fileURLToPath(new URL("../servers/h2-ceiling-server.js", import.meta.url));

const CEILING_SERVER: OtherServer = { script: CEILING_SCRIPT, echoes: false };

const SERVERS: readonly CeilingServer[] = ["h2-ceiling", "grpckit-h2"];

const LABEL: Record<CeilingServer, string> = {
  "h2-ceiling": "transport-h2 on its own",
  "grpckit-h2": "grpckit on transport-h2",
};

export async function ceilingPhase(context: BenchContext): Promise<CeilingRow[]> {
  if (!context.plan.libraries.includes("grpckit-h2")) return [];
  const shape = context.plan.ceiling.shape;
  const load = `-c ${shape.connections} -m ${shape.streams}`;
  const body = writeEchoBody(context);
  const rounds = context.plan.serverUnary.rounds;
  const runs = new Map<CeilingServer, CeilingRow[]>(SERVERS.map((server) => [server, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const server of SERVERS) {
      const phase = `ceiling ${load}, ${LABEL[server]}`;
      context.log(`${phase}${rounds > 1 ? `, round ${round} of ${rounds}` : ""}`);
      let process: ServerProcess | undefined;
      try {
        const measured = await measureServer(context, phase, "grpckit-h2", shape, body, [], server === "h2-ceiling" ? CEILING_SERVER : undefined);
        process = measured.server;
        const { row } = measured;
        runs.get(server)!.push({
          load,
          server,
          requestsPerSecond: row.requestsPerSecond,
          p50Ms: row.p50Ms,
          p99Ms: row.p99Ms,
          cpuMicrosPerCall: row.cpuMicrosPerCall,
          peakRssBytes: row.peakRssBytes,
          h2load: row.h2load,
          check: row.check,
          roundsRequestsPerSecond: [],
        });
      } catch (error) {
        context.fail(phase, "grpckit-h2", error);
      } finally {
        await process?.stop();
      }
    }
  }
  const rows: CeilingRow[] = [];
  for (const server of SERVERS) {
    const measured = runs.get(server)!;
    const median = medianRun(measured, (row) => row.requestsPerSecond);
    if (median !== undefined) rows.push({ ...median, roundsRequestsPerSecond: measured.map((row) => row.requestsPerSecond) });
  }
  return rows;
}
