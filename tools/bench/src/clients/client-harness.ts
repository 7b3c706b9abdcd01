/**
 * The scenarios every bench client runs, written once over a small adapter per library
 * (grpckit, @grpc/grpc-js, raw node:http2), so the libraries differ only in the calls
 * they make. A client process reads its scenario from argv, prints one JSON result
 * line, and exits.
 */
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { benchMessage, type BenchMessage } from "../bench-message.js";
import { cpuMicrosBetween, cpuMicrosPerCall, processCpuTime } from "../cpu-time.js";
import { settledMemory } from "../memory-snapshot.js";
import { summarize } from "../percentile.js";
import { residentMemory } from "../proc-status.js";
import { resetPeakRss } from "../peak-rss.js";
import type {
  ClientResult,
  CountStreamClientResult,
  IdleStreamsClientResult,
  LargeUnaryClientResult,
  MemoryClientResult,
  StreamClientResult,
  UnaryClientResult,
} from "./client-result.js";

/** One connection (a channel, or an HTTP/2 session for raw) of a library under test. */
export interface ClientConnection {
  /** Makes one unary echo call; `done` gets an error when it failed or echoed wrong bytes. */
  unary(done: (error?: unknown) => void): void;
  /** Sends `count` messages on one bidi stream, honouring flow control, and resolves after every echo and an OK status. */
  stream(count: number): Promise<void>;
  /** Asks for `count` echoes of the message on one server-streaming call and resolves after every one and an OK status. */
  serverStream(count: number): Promise<void>;
  /** Makes one unary echo call of `message` (not the connection's own) and resolves when the echo checked out. */
  call(message: BenchMessage): Promise<void>;
  /**
   * Sends `count` copies of the message gzip-compressed on one client-streaming call
   * and resolves when the server counted every message and payload byte.
   */
  countStream(count: number): Promise<void>;
  /** Opens a bidi stream, completes one echo on it, and resolves with a function that ends the stream. */
  openStream(): Promise<() => Promise<void>>;
  /** Calls channelz recorded in this process; absent for a library without channelz. */
  channelzCalls?(): number;
  close(): void;
}

/** A library under test: connects to `target` ("127.0.0.1:port") sending `message`. */
export type ConnectClient = (target: string, message: BenchMessage) => ClientConnection;

/** Checks what a client-streaming count call answered against what was sent. */
export function checkCount(messages: number, payloadBytes: number, count: number, payloadLength: number): void {
  if (messages !== count || payloadBytes !== count * payloadLength) {
    throw new Error(`the server counted ${messages} messages and ${payloadBytes} payload bytes; sent ${count} and ${count * payloadLength}`);
  }
}

interface ClientArgs {
  target: string;
  scenario: string;
  count: number;
  concurrency: number;
  size: number;
  warmup: number;
  connections: number;
  streams: number;
}

function parseArgs(argv: readonly string[]): ClientArgs {
  const value = (name: string, fallback?: string): string => {
    const index = argv.indexOf(`--${name}`);
    if (index !== -1 && argv[index + 1] !== undefined) return argv[index + 1];
    if (fallback === undefined) throw new Error(`missing --${name}`);
    return fallback;
  };
  return {
    target: value("target"),
    scenario: value("scenario"),
    count: Number(value("count", "1000")),
    concurrency: Number(value("concurrency", "1")),
    size: Number(value("size", "100")),
    warmup: Number(value("warmup", "0")),
    connections: Number(value("connections", "0")),
    streams: Number(value("streams", "0")),
  };
}

/**
 * Runs the scenario named on the command line with `connect`, prints its result, and
 * exits; on failure prints `{"error": ...}` and exits with 1.
 */
export async function runClientMain(connect: ConnectClient): Promise<void> {
  try {
    await runScenario(connect);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`);
    process.exit(1);
  }
}

async function runScenario(connect: ConnectClient): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const message = benchMessage(args.size);
  let result: ClientResult;
  switch (args.scenario) {
    case "unary":
      result = await unaryScenario(connect, args, message);
      break;
    case "stream":
      result = await streamScenario(connect, args, message);
      break;
    case "memory":
      result = await memoryScenario(connect, args, message);
      break;
    case "server-stream":
      result = await streamScenario(connect, args, message, "server-stream");
      break;
    case "large-unary":
      result = await largeUnaryScenario(connect, args, message);
      break;
    case "count-stream":
      result = await countStreamScenario(connect, args, message);
      break;
    case "connected-server-stream":
      result = await connectedServerStreamScenario(connect, args, message);
      break;
    case "idle-streams":
      result = await idleStreamsScenario(connect, args, message);
      break;
    default:
      throw new Error(`unknown scenario "${args.scenario}"`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** Issues `calls` unary calls keeping `concurrency` in flight; latencies go to `latencies` when given. */
function unaryRun(
  connection: ClientConnection,
  calls: number,
  concurrency: number,
  latencies: Float64Array | undefined,
): Promise<{ errors: number; firstError?: string }> {
  return new Promise((resolve) => {
    let issued = 0;
    let finished = 0;
    let errors = 0;
    let firstError: string | undefined;
    const worker = (): void => {
      let started = 0;
      const onDone = (error?: unknown): void => {
        if (latencies !== undefined) latencies[finished] = performance.now() - started;
        finished++;
        if (error !== undefined && error !== null) {
          errors++;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
        if (issued < calls) next();
        else if (finished === calls) resolve({ errors, firstError });
      };
      const next = (): void => {
        issued++;
        started = performance.now();
        connection.unary(onDone);
      };
      next();
    };
    for (let i = 0; i < Math.min(concurrency, calls); i++) worker();
  });
}

async function unaryScenario(connect: ConnectClient, args: ClientArgs, message: BenchMessage): Promise<UnaryClientResult> {
  const connection = connect(args.target, message);
  if (args.warmup > 0) await unaryRun(connection, args.warmup, args.concurrency, undefined);
  const latencies = new Float64Array(args.count);
  const cpuBefore = processCpuTime();
  const start = performance.now();
  const { errors, firstError } = await unaryRun(connection, args.count, args.concurrency, latencies);
  const elapsedMs = performance.now() - start;
  const cpuAfter = processCpuTime();
  const channelzCalls = connection.channelzCalls?.();
  connection.close();
  return {
    scenario: "unary",
    calls: args.count,
    concurrency: args.concurrency,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    elapsedMs,
    callsPerSecond: (args.count / elapsedMs) * 1000,
    ...summarize(latencies, args.count),
    cpuMicros: cpuMicrosBetween(cpuBefore, cpuAfter),
    cpuMicrosPerCall: cpuMicrosPerCall(cpuBefore, cpuAfter, args.count),
    peakRssBytes: residentMemory("self").peakRssBytes,
    ...(channelzCalls !== undefined ? { channelzCalls } : {}),
  };
}

/** One stream of `args.count` messages: bidi echo ("stream") or server-streaming echo ("server-stream"). */
async function streamScenario(
  connect: ConnectClient,
  args: ClientArgs,
  message: BenchMessage,
  scenario: StreamClientResult["scenario"] = "stream",
): Promise<StreamClientResult> {
  const connection = connect(args.target, message);
  const run = (count: number): Promise<void> => (scenario === "stream" ? connection.stream(count) : connection.serverStream(count));
  if (args.warmup > 0) await run(args.warmup);
  const start = performance.now();
  await run(args.count);
  const elapsedMs = performance.now() - start;
  connection.close();
  return streamResult(scenario, args.count, message, elapsedMs);
}

/** A streaming run's result: `messages` of `message`'s size in `elapsedMs`, and the process's peak RSS. */
function streamResult(scenario: StreamClientResult["scenario"], messages: number, message: BenchMessage, elapsedMs: number): StreamClientResult {
  return {
    scenario,
    messages,
    messageBytes: message.size,
    elapsedMs,
    messagesPerSecond: (messages / elapsedMs) * 1000,
    mebibytesPerSecond: ((messages * message.size) / (1024 * 1024) / elapsedMs) * 1000,
    peakRssBytes: residentMemory("self").peakRssBytes,
  };
}

/** The message a large-message client warms its connection up with, so the measured call does not connect. */
const WARMUP_MESSAGE_BYTES = 100;

/**
 * One unary echo of a large message: after a small call has connected, collects garbage
 * and resets the process's peak resident set (the request, built before, is in that
 * baseline), makes the call, and reports how far the peak rose and how long it took.
 */
async function largeUnaryScenario(connect: ConnectClient, args: ClientArgs, message: BenchMessage): Promise<LargeUnaryClientResult> {
  const connection = connect(args.target, message);
  await connection.call(benchMessage(WARMUP_MESSAGE_BYTES));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = resetPeakRss();
  const start = performance.now();
  await connection.call(message);
  const callMs = performance.now() - start;
  const peakRssBytes = residentMemory("self").peakRssBytes;
  connection.close();
  return { scenario: "large-unary", messageBytes: message.size, callMs, baselineRssBytes: baseline.rssBytes, peakRssBytes };
}

/** `args.count` gzip-compressed messages on one client-streaming call, timed. */
async function countStreamScenario(connect: ConnectClient, args: ClientArgs, message: BenchMessage): Promise<CountStreamClientResult> {
  const connection = connect(args.target, message);
  await connection.call(benchMessage(WARMUP_MESSAGE_BYTES));
  const start = performance.now();
  await connection.countStream(args.count);
  const elapsedMs = performance.now() - start;
  connection.close();
  return { scenario: "count-stream", messages: args.count, messageBytes: message.size, elapsedMs };
}

/**
 * One server-streaming call of `args.count` messages on a connection that a small call
 * made first, timed from the call's start: flow-control windows start as a new
 * connection has them, so a window that grows does so inside the measured time.
 */
async function connectedServerStreamScenario(connect: ConnectClient, args: ClientArgs, message: BenchMessage): Promise<StreamClientResult> {
  const connection = connect(args.target, message);
  await connection.call(benchMessage(WARMUP_MESSAGE_BYTES));
  const start = performance.now();
  await connection.serverStream(args.count);
  const elapsedMs = performance.now() - start;
  connection.close();
  return streamResult("server-stream", args.count, message, elapsedMs);
}

/** The driver's lines on stdin, read in order. */
let driverLines: AsyncIterator<string> | undefined;

/** Prints `{"step": step}` and waits for the driver's next line on stdin: it measures the server in between. */
async function stepWithDriver(step: string): Promise<void> {
  driverLines ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  process.stdout.write(`${JSON.stringify({ step })}\n`);
  const next = await driverLines.next();
  if (next.done === true) throw new Error(`the driver went away at step "${step}"`);
}

/**
 * Memory of `args.streams` idle open bidi streams on one connection, both sides: after a
 * first call and stream, settles and reads the baseline, lets the driver read the
 * server's ("baseline"), opens the streams (each has echoed one message), settles and
 * reads again, lets the driver read the server's ("open"), then ends the streams.
 */
async function idleStreamsScenario(connect: ConnectClient, args: ClientArgs, message: BenchMessage): Promise<IdleStreamsClientResult> {
  const connection = connect(args.target, message);
  await oneCall(connection);
  await (await connection.openStream())();
  const baseline = await settledMemory();
  await stepWithDriver("baseline");
  const closers = await Promise.all(Array.from({ length: args.streams }, () => connection.openStream()));
  const withStreams = await settledMemory();
  await stepWithDriver("open");
  await Promise.all(closers.map((close) => close()));
  connection.close();
  return { scenario: "idle-streams", streams: args.streams, baseline, withStreams };
}

function oneCall(connection: ClientConnection): Promise<void> {
  return new Promise((resolve, reject) =>
    connection.unary((error) => (error === undefined || error === null ? resolve() : reject(error))),
  );
}

/**
 * Memory held per idle connection and per open stream: after a first connection has
 * loaded the library's code, opens `connections` more (each completes one call, so it
 * is connected) and then `streams` open bidi streams on the first one.
 */
async function memoryScenario(connect: ConnectClient, args: ClientArgs, message: BenchMessage): Promise<MemoryClientResult> {
  const first = connect(args.target, message);
  await oneCall(first);
  await (await first.openStream())();
  const baseline = await settledMemory();

  const connections: ClientConnection[] = [];
  for (let i = 0; i < args.connections; i++) {
    const connection = connect(args.target, message);
    connections.push(connection);
    await oneCall(connection);
  }
  const withConnections = await settledMemory();

  const closers = await Promise.all(Array.from({ length: args.streams }, () => first.openStream()));
  const withStreams = await settledMemory();

  await Promise.all(closers.map((close) => close()));
  for (const connection of connections) connection.close();
  first.close();
  return { scenario: "memory", connections: args.connections, streams: args.streams, baseline, withConnections, withStreams };
}
