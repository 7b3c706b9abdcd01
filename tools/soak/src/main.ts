/**
 * The soak run: a grpckit server in a child process under a million unary calls and
 * then ten thousand concurrent bidi streams from this process, with the server's memory
 * watched throughout and every handle accounted for after shutdown. Writes latest.json
 * and latest.md (tools/soak/results/ by default), prints the summary, and exits non-zero
 * when a target fails.
 *
 *   npm run soak                                                 the full run
 *   node tools/soak/dist/main.js --calls 20000 --streams 500     a shorter one
 *   node tools/soak/dist/main.js --transport=http2               on node:http2
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { createChannel, createClient, type Channel } from "@grpckit/core";
import { leftoverResources, stdioBaseline } from "./active-resources.js";
import { EchoService } from "./gen/soak/v1/echo_pb.js";
import { renderMarkdown } from "./markdown.js";
import { RssSampler } from "./rss-sampler.js";
import { ServerProcess } from "./server-process.js";
import { evaluateChecks, type ShutdownResult, type SoakReport } from "./soak-report.js";
import { parseOptions, WARMUP_FRACTION, type SoakOptions } from "./soak-options.js";
import { runStreamPhase, type StreamResult } from "./stream-phase.js";
import { transportFor, type TransportName } from "@grpckit/transport-choice";
import { runUnaryPhase, type UnaryResult } from "./unary-phase.js";

/** How long past the time limit calls in flight may take before their channels are closed. */
const overrunGraceMs = 30_000;
const shutdownTimeoutMs = 30_000;
const exitTimeoutMs = 5_000;

const log = (line: string): void => {
  process.stderr.write(`[soak] ${line}\n`);
};

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function openChannels(target: string, count: number, transportName: TransportName): Channel[] {
  const transport = transportFor(transportName);
  return Array.from({ length: count }, () => createChannel(target, { transport }));
}

/** Closes `channels` if the phase is still running `overrunGraceMs` after the time limit. */
async function bounded<T>(channels: readonly Channel[], deadline: number, phase: () => Promise<T>): Promise<T> {
  const watchdog = setTimeout(() => {
    log(`still running ${overrunGraceMs / 1000} s after the time limit: closing the channels`);
    for (const channel of channels) channel.close();
  }, Math.max(0, deadline - performance.now()) + overrunGraceMs);
  try {
    return await phase();
  } finally {
    clearTimeout(watchdog);
  }
}

async function soak(options: SoakOptions, baseline: ReturnType<typeof stdioBaseline>): Promise<Omit<SoakReport, "checks" | "passed">> {
  const deadline = performance.now() + options.maxSeconds * 1000;
  const errors: string[] = [];
  const payload = new Uint8Array(options.payloadBytes).fill(0x5a);
  let unary: UnaryResult | undefined;
  let streams: StreamResult | undefined;

  const { outDir: _outDir, ...shownOptions } = options;
  const about = {
    date: new Date().toISOString(),
    node: process.version,
    machine: { cpuModel: cpus()[0]?.model ?? "unknown", cores: cpus().length, memoryBytes: totalmem() },
    options: shownOptions,
  };
  let server: ServerProcess;
  try {
    server = await ServerProcess.start(options.transport);
  } catch (error) {
    return { ...about, rssSamples: [], serverRssPeak: 0, errors: [`server start: ${errorMessage(error)}`] };
  }
  log(`server pid ${server.pid} listening on 127.0.0.1:${server.port}, transport ${options.transport}`);
  const sampler = new RssSampler(server.pid);
  sampler.start();
  const target = `127.0.0.1:${server.port}`;
  const unaryChannels = openChannels(target, options.channels, options.transport);
  const streamChannels = openChannels(target, options.streamChannels, options.transport);
  const allChannels = [...unaryChannels, ...streamChannels];
  try {
    unary = await bounded(unaryChannels, deadline, () =>
      runUnaryPhase({
        clients: unaryChannels.map((channel) => createClient(EchoService, channel)),
        calls: options.calls,
        warmupCalls: Math.floor(options.calls * WARMUP_FRACTION),
        concurrency: options.concurrency,
        payload,
        deadline,
        memory: () => server.memory(),
        log,
      }),
    );
    log(`unary: ${unary.completed} calls in ${unary.durationSeconds.toFixed(1)} s, server RSS growth after warm-up ${unary.rssGrowthPercent.toFixed(2)}%`);
  } catch (error) {
    errors.push(`phase 1: ${errorMessage(error)}`);
  }
  try {
    streams = await bounded(streamChannels, deadline, () =>
      runStreamPhase({
        clients: streamChannels.map((channel) => createClient(EchoService, channel)),
        streams: options.streams,
        messages: options.messages,
        payload,
        deadline,
        log,
      }),
    );
    log(`streams: ${streams.ok} of ${streams.planned} ok, ${streams.messagesChecked} messages checked`);
  } catch (error) {
    errors.push(`phase 2: ${errorMessage(error)}`);
  }
  sampler.stop();

  log("shutting down: server.shutdown() with the channels still connected, then the channels close");
  let serverShutdownMs: number | undefined;
  let serverLeftover: string[] = [];
  try {
    const report = await server.shutdown(shutdownTimeoutMs);
    serverShutdownMs = report.shutdownMs;
    serverLeftover = report.leftover;
  } catch (error) {
    errors.push(`shutdown: ${errorMessage(error)}`);
  }
  for (const channel of allChannels) channel.close();
  const serverExitedOnItsOwn = await server.exit(exitTimeoutMs);
  const clientLeftover = await leftoverResources(baseline);
  const shutdown: ShutdownResult = {
    ...(serverShutdownMs !== undefined ? { serverShutdownMs } : {}),
    serverLeftover,
    serverExitedOnItsOwn,
    clientLeftover,
  };

  return {
    ...about,
    ...(unary !== undefined ? { unary } : {}),
    ...(streams !== undefined ? { streams } : {}),
    rssSamples: sampler.samples,
    serverRssPeak: sampler.serverPeak,
    shutdown,
    errors,
  };
}

async function main(): Promise<number> {
  const baseline = stdioBaseline();
  let options: SoakOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${errorMessage(error)}\n`);
    return 2;
  }
  const measured = await soak(options, baseline);
  const checks = evaluateChecks(measured);
  const report: SoakReport = { ...measured, checks, passed: checks.every((check) => check.passed) };
  const markdown = renderMarkdown(report);
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(options.outDir, "latest.md"), markdown);
  process.stdout.write(markdown);
  log(`results written to ${join(options.outDir, "latest.json")} and latest.md`);
  for (const check of checks) if (!check.passed) log(`FAILED: ${check.name}: ${check.detail}`);
  return report.passed ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`[soak] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
