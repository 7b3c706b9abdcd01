/**
 * The side-by-side benchmark: grpckit on transport-http2 and on transport-h2 against
 * @grpc/grpc-js and a bare node:http2 handler, servers under h2load (with their CPU
 * time per call), clients (with their CPU time per call) against the raw server and
 * against the grpckit on transport-h2 server, one-stream throughput (median of three
 * runs), memory per connection and per stream, issue 11's targets, and grpckit with
 * channelz off and on; and issue 22's rows: server streaming, transport-h2's ceiling,
 * large and gzip-compressed messages, flow-control windows through a latency relay,
 * node:cluster workers, and issue 22's targets; and issue 23's Connect unary rows
 * against @connectrpc/connect-node.
 * Writes latest.json and latest.md (tools/bench/results/, or a temporary
 * directory with --smoke) and prints the Markdown.
 *
 *   npm run bench                               the full run
 *   node tools/bench/dist/main.js --smoke       a quick end-to-end check of the harness
 *   node tools/bench/dist/main.js --smoke --phases windows   one phase while developing
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePlan, type Phase } from "./bench-plan.js";
import { killAllChildren } from "./child-process.js";
import { ensureH2load } from "./h2load.js";
import { LIBRARY_LABEL, type Library } from "./libraries.js";
import { machineInfo, packageVersions, sourceRevision } from "./machine.js";
import { renderMarkdown } from "./markdown.js";
import { channelzPhase } from "./phases/channelz.js";
import { clientUnaryPhase } from "./phases/client-unary.js";
import { memoryPhase } from "./phases/memory.js";
import { serverUnaryPhase } from "./phases/server-unary.js";
import { streamingPhase } from "./phases/streaming.js";
import { ceilingPhase } from "./phases/ceiling.js";
import { bidiServersPhase } from "./phases/bidi-servers.js";
import { computeBidiServerRatios } from "./bidi-server-rows.js";
import { compressedStreamPhase, largeUnaryPhase } from "./phases/large-messages.js";
import { workersPhase } from "./phases/workers.js";
import { idleStreamsPhase, windowStreamPhase } from "./phases/windows.js";
import { computeWindowStreamRatios } from "./window-rows.js";
import { connectPhase } from "./phases/connect.js";
import { computeConnectRatios } from "./connect-rows.js";
import { computeIssue23Targets } from "./issue23-targets.js";
import { computeCeilingRatios } from "./issue22-rows.js";
import { computeIssue22Targets } from "./issue22-targets.js";
import type { BenchContext } from "./phases/bench-context.js";
import { computeChannelzRatios, computeRatios, type BenchReport, type ChannelzRow, type Failure } from "./report.js";
import { computeTargets } from "./targets.js";

const log = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<number> {
  const plan = parsePlan(process.argv.slice(2));
  const h2load = ensureH2load(log);
  const workDir = mkdtempSync(join(tmpdir(), "grpckit-bench-"));
  const failures: Failure[] = [];
  const context: BenchContext = {
    plan,
    h2load,
    workDir,
    log,
    failures,
    fail(phase: string, library: Library, error: unknown) {
      const message = errorMessage(error);
      log(`FAILED ${phase}, ${LIBRARY_LABEL[library]}: ${message}`);
      failures.push({ phase, library, message });
    },
  };
  const phase = async <T>(name: Phase, run: () => Promise<T[]>): Promise<T[]> => {
    if (!plan.phases.includes(name)) return [];
    try {
      return await run();
    } catch (error) {
      for (const library of plan.libraries) context.fail(name, library, error);
      return [];
    }
  };

  log(`${plan.mode} run of ${plan.libraries.map((library) => LIBRARY_LABEL[library]).join(", ")}; ${h2load.version}`);
  try {
    const date = new Date().toISOString();
    const serverUnary = await phase("server-unary", () => serverUnaryPhase(context));
    const clientUnary = await phase("client-unary", () => clientUnaryPhase(context));
    const streaming = await phase("streaming", () => streamingPhase(context));
    const serverStreaming = await phase("server-streaming", () => streamingPhase(context, "server-stream"));
    const ceiling = await phase("ceiling", () => ceilingPhase(context));
    const bidiServers = await phase("bidi-servers", () => bidiServersPhase(context));
    const largeUnary = await phase("large-unary", () => largeUnaryPhase(context));
    const compressedStream = await phase("gzip-stream", () => compressedStreamPhase(context));
    const windowStream = await phase("windows", () => windowStreamPhase(context));
    const idleStreams = await phase("idle-streams", () => idleStreamsPhase(context));
    const connect = await phase("connect", () => connectPhase(context));
    const workers = await phase("workers", () => workersPhase(context));
    const memory = await phase("memory", () => memoryPhase(context));
    let channelz: ChannelzRow[] = [];
    if (plan.phases.includes("channelz")) {
      try {
        channelz = await channelzPhase(context);
      } catch (error) {
        context.fail("channelz", "grpckit", error);
      }
    }
    const { outDir: chosenOutDir, ...planShown } = plan;
    const revision = sourceRevision();
    const ratios = computeRatios({ serverUnary, clientUnary, streaming, serverStreaming });
    const ceilingRatios = computeCeilingRatios(ceiling);
    const windowStreamRatios = computeWindowStreamRatios(windowStream);
    const connectRatios = computeConnectRatios(connect);
    const report: BenchReport = {
      mode: plan.mode,
      date,
      machine: machineInfo(),
      h2load: h2load.version,
      packages: packageVersions(),
      ...(revision !== undefined ? { revision } : {}),
      plan: planShown,
      serverUnary,
      clientUnary,
      streaming,
      memory,
      ratios,
      targets: computeTargets(ratios),
      channelz,
      channelzRatios: computeChannelzRatios(channelz),
      serverStreaming,
      ceiling,
      ceilingRatios,
      bidiServers,
      bidiServerRatios: computeBidiServerRatios(bidiServers),
      largeUnary,
      compressedStream,
      windowStream,
      windowStreamRatios,
      idleStreams,
      workers,
      issue22Targets: computeIssue22Targets({ ratios, ceilingRatios, largeUnary, compressedStream, windowStreamRatios, idleStreams }),
      connect,
      connectRatios,
      issue23Targets: computeIssue23Targets(connectRatios),
      failures,
    };
    const markdown = renderMarkdown(report);
    const outDir = chosenOutDir ?? mkdtempSync(join(tmpdir(), "grpckit-bench-smoke-"));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(outDir, "latest.md"), `${markdown}\n`);
    process.stdout.write(`${markdown}\n`);
    log(`results written to ${join(outDir, "latest.json")} and latest.md`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

process.on("exit", killAllChildren);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(errorMessage(error));
    process.exit(2);
  },
);
