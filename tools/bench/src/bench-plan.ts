/**
 * What one bench run does: the full run (`npm run bench`) or the smoke run (`--smoke`,
 * a few hundred requests per server to prove the harness end to end), with command-line
 * overrides for short development runs.
 */
import { fileURLToPath } from "node:url";
import { LARGE_MESSAGE_BYTES, SMALL_MESSAGE_BYTES } from "./bench-message.js";
import { LIBRARIES, parseLibraries, type Library } from "./libraries.js";

/** One h2load load shape: -c connections, -m streams per connection. */
export interface LoadShape {
  connections: number;
  streams: number;
}

export interface BenchPlan {
  mode: "full" | "smoke";
  /** Where latest.json and latest.md are written; undefined: a new temporary directory. */
  outDir: string | undefined;
  libraries: Library[];
  serverUnary: {
    shapes: LoadShape[];
    warmupRequests: number;
    /** Measure for this long (h2load -D)... */
    durationSeconds?: number;
    /** ...or for this many requests (h2load -n). */
    requests?: number;
    /** Unary requests checked with node:http2 after the load. */
    checkRequests: number;
    /**
     * Each server is measured this many times, the libraries taking turns, and the
     * median run is reported: a shared machine's speed drifts over minutes, and turns
     * spread the drift over every library instead of landing on one.
     */
    rounds: number;
  };
  /** Every client's unary runs, against each of the servers in CLIENT_UNARY_SERVERS (report.ts). */
  clientUnary: {
    runs: { concurrency: number; calls: number; warmupCalls: number }[];
  };
  streaming: {
    runs: { messageBytes: number; messages: number; warmupMessages: number }[];
    /** Each library's stream is measured this many times, the libraries taking turns; the median run is reported. */
    rounds: number;
  };
  /** Server-streaming echo: one request, the server answers with `messages` responses (same shape as `streaming`). */
  serverStreaming: BenchPlan["streaming"];
  /**
   * transport-h2 driven without core against grpckit on transport-h2, under h2load at
   * `shape` with the server-unary warm-up, duration and check, taking turns for the
   * server-unary rounds.
   */
  ceiling: { shape: LoadShape };
  /**
   * One unary echo of a `unaryBytes` message, and `streamMessages` gzip-compressed
   * messages of `streamMessageBytes` on one client-streaming call; limits raised to `limitBytes`.
   */
  largeMessages: { unaryBytes: number; streamMessageBytes: number; streamMessages: number; limitBytes: number };
  /**
   * Flow-control windows of grpckit on transport-h2: one server-streaming call of each
   * of `messageCounts` messages of `messageBytes` through the latency relay at each of
   * `rttsMs` added round trips, with the BDP estimator and fixed 16 MiB windows taking
   * turns for `rounds` rounds (the target is read from the longest stream, where the
   * estimator's growth from 64 KiB weighs least); and `idleStreams` idle open streams on
   * one connection per window mode, the modes taking turns for `idleRounds` rounds (a
   * resident set moves by a few MiB with the allocator alone, so more rounds than the
   * streams need).
   */
  windows: { messageBytes: number; messageCounts: number[]; rttsMs: number[]; rounds: number; idleStreams: number; idleRounds: number };
  /**
   * Connect unary calls under h2load, grpckit on transport-h2 against connect-node, with
   * the server-unary warm-up, duration, check and rounds, at one load per HTTP version
   * (HTTP/1.1: -m is requests pipelined on a connection; 1, as browsers send them).
   */
  connect: { shapes: { "1.1": LoadShape; "2": LoadShape } };
  /** grpckit on transport-h2 served by each count of node:cluster workers, under h2load at `shape` with the server-unary settings. */
  workers: { counts: number[]; shape: LoadShape };
  /**
   * grpckit with channelz off and on: the server at `serverShape` (with the
   * server-unary warm-up and duration), the client with `client`'s calls in flight
   * against the raw server.
   */
  channelz: {
    serverShape: LoadShape;
    client: { concurrency: number; calls: number; warmupCalls: number };
  };
  memory: {
    /** Idle connections opened to each server, and channels opened by each client. */
    connections: number;
    /** Open bidi streams held on the server (spread over streamConnections) and on one client channel. */
    streams: number;
    streamConnections: number;
  };
  /** Longest a client process may run. */
  clientTimeoutMs: number;
  /** The phases to run (PHASES); all of them unless --phases names some. */
  phases: Phase[];
}

/** The bench's phases, in the order a run takes them. */
export const PHASES = [
  "server-unary",
  "client-unary",
  "streaming",
  "server-streaming",
  "ceiling",
  "bidi-servers",
  "large-unary",
  "gzip-stream",
  "windows",
  "idle-streams",
  "connect",
  "workers",
  "memory",
  "channelz",
] as const;
export type Phase = (typeof PHASES)[number];

function parsePhases(list: string): Phase[] {
  const names = list.split(",").map((name) => name.trim()).filter((name) => name !== "");
  for (const name of names) {
    if (!(PHASES as readonly string[]).includes(name)) throw new Error(`unknown phase "${name}"; expected some of ${PHASES.join(", ")}`);
  }
  return PHASES.filter((phase) => names.includes(phase));
}

/** The directory results go to by default: tools/bench/results. */
export const RESULTS_DIR = fileURLToPath(new URL("../results/", import.meta.url));

const USAGE = `usage: node tools/bench/dist/main.js [--smoke] [--out DIR] [--libs grpckit,grpckit-h2,grpc-js,raw]
       [--requests N | --duration SECONDS] [--calls N] [--messages N] [--phases LIST]

  --smoke        a few hundred requests per server; results go to a temporary directory
  --out DIR      write latest.json and latest.md to DIR (default tools/bench/results)
  --libs LIST    only these implementations (grpckit: on transport-http2; grpckit-h2: on transport-h2)
  --requests N   h2load measures N requests (-n) instead of a fixed duration
  --duration S   h2load measures for S seconds (-D, default 10)
  --calls N      client unary calls per run (both concurrencies, and the channelz client runs)
  --messages N   messages per streaming and server-streaming run (both sizes)
  --phases LIST  only these phases, e.g. --phases windows,idle-streams (a development run;
                 the rows of the others are empty): ${PHASES.join(", ")}`;

/** Reads the plan from the command line; throws with the usage on a bad argument. */
export function parsePlan(argv: readonly string[]): BenchPlan {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") throw new Error(USAGE);
    if (!arg.startsWith("--")) throw new Error(`unexpected argument "${arg}"\n${USAGE}`);
    const name = arg.slice(2);
    if (name === "smoke") {
      flags.set(name, true);
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || !["out", "libs", "requests", "duration", "calls", "messages", "phases"].includes(name)) {
      throw new Error(`bad option "${arg}"\n${USAGE}`);
    }
    flags.set(name, value);
    i++;
  }
  const number = (name: string): number | undefined => {
    const value = flags.get(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} needs a positive number`);
    return parsed;
  };

  const smoke = flags.get("smoke") === true;
  const plan = smoke ? smokePlan() : fullPlan();
  const out = flags.get("out");
  if (typeof out === "string") plan.outDir = out;
  const libs = flags.get("libs");
  if (typeof libs === "string") plan.libraries = parseLibraries(libs);
  const phases = flags.get("phases");
  if (typeof phases === "string") plan.phases = parsePhases(phases);
  const requests = number("requests");
  const duration = number("duration");
  if (requests !== undefined) {
    plan.serverUnary.requests = requests;
    plan.serverUnary.durationSeconds = undefined;
  } else if (duration !== undefined) {
    plan.serverUnary.durationSeconds = duration;
    plan.serverUnary.requests = undefined;
  }
  const calls = number("calls");
  if (calls !== undefined) {
    for (const run of [...plan.clientUnary.runs, plan.channelz.client]) {
      run.calls = calls;
      run.warmupCalls = Math.ceil(calls / 10);
    }
  }
  const messages = number("messages");
  if (messages !== undefined) {
    for (const run of [...plan.streaming.runs, ...plan.serverStreaming.runs]) {
      run.messages = messages;
      run.warmupMessages = Math.ceil(messages / 10);
    }
  }
  return plan;
}

function fullPlan(): BenchPlan {
  return {
    mode: "full",
    outDir: RESULTS_DIR,
    libraries: [...LIBRARIES],
    serverUnary: {
      shapes: [
        { connections: 8, streams: 16 },
        { connections: 1, streams: 1 },
      ],
      warmupRequests: 10_000,
      durationSeconds: 10,
      checkRequests: 20,
      rounds: 3,
    },
    clientUnary: {
      runs: [
        { concurrency: 1, calls: 20_000, warmupCalls: 2_000 },
        { concurrency: 100, calls: 100_000, warmupCalls: 10_000 },
      ],
    },
    streaming: {
      runs: [
        { messageBytes: SMALL_MESSAGE_BYTES, messages: 200_000, warmupMessages: 20_000 },
        { messageBytes: LARGE_MESSAGE_BYTES, messages: 20_000, warmupMessages: 2_000 },
      ],
      // Five runs of a few seconds each: one-second runs on these shared machines varied by 2x.
      rounds: 5,
    },
    serverStreaming: {
      runs: [
        { messageBytes: SMALL_MESSAGE_BYTES, messages: 200_000, warmupMessages: 20_000 },
        { messageBytes: LARGE_MESSAGE_BYTES, messages: 20_000, warmupMessages: 2_000 },
      ],
      rounds: 5,
    },
    ceiling: { shape: { connections: 8, streams: 16 } },
    largeMessages: { unaryBytes: 100_000_000, streamMessageBytes: 10_000_000, streamMessages: 5, limitBytes: 128 * 1024 * 1024 },
    connect: { shapes: { "1.1": { connections: 32, streams: 1 }, "2": { connections: 8, streams: 16 } } },
    windows: { messageBytes: LARGE_MESSAGE_BYTES, messageCounts: [2000, 8000], rttsMs: [0, 20], rounds: 3, idleStreams: 1000, idleRounds: 5 },
    workers: { counts: [1, 2], shape: { connections: 8, streams: 16 } },
    channelz: {
      serverShape: { connections: 8, streams: 16 },
      client: { concurrency: 100, calls: 100_000, warmupCalls: 10_000 },
    },
    memory: { connections: 200, streams: 1000, streamConnections: 10 },
    clientTimeoutMs: 300_000,
    phases: [...PHASES],
  };
}

function smokePlan(): BenchPlan {
  return {
    mode: "smoke",
    outDir: undefined,
    libraries: [...LIBRARIES],
    serverUnary: {
      shapes: [
        { connections: 8, streams: 16 },
        { connections: 1, streams: 1 },
      ],
      warmupRequests: 100,
      requests: 300,
      checkRequests: 5,
      rounds: 1,
    },
    clientUnary: {
      runs: [
        { concurrency: 1, calls: 300, warmupCalls: 50 },
        { concurrency: 100, calls: 300, warmupCalls: 100 },
      ],
    },
    streaming: {
      runs: [
        { messageBytes: SMALL_MESSAGE_BYTES, messages: 300, warmupMessages: 30 },
        { messageBytes: LARGE_MESSAGE_BYTES, messages: 20, warmupMessages: 2 },
      ],
      rounds: 3,
    },
    serverStreaming: {
      runs: [
        { messageBytes: SMALL_MESSAGE_BYTES, messages: 300, warmupMessages: 30 },
        { messageBytes: LARGE_MESSAGE_BYTES, messages: 20, warmupMessages: 2 },
      ],
      rounds: 1,
    },
    ceiling: { shape: { connections: 8, streams: 16 } },
    largeMessages: { unaryBytes: 12_000_000, streamMessageBytes: 10_000_000, streamMessages: 2, limitBytes: 16 * 1024 * 1024 },
    connect: { shapes: { "1.1": { connections: 32, streams: 1 }, "2": { connections: 8, streams: 16 } } },
    windows: { messageBytes: LARGE_MESSAGE_BYTES, messageCounts: [20, 40], rttsMs: [0, 20], rounds: 1, idleStreams: 50, idleRounds: 1 },
    workers: { counts: [1, 2], shape: { connections: 8, streams: 16 } },
    channelz: {
      serverShape: { connections: 8, streams: 16 },
      client: { concurrency: 100, calls: 300, warmupCalls: 100 },
    },
    memory: { connections: 20, streams: 50, streamConnections: 2 },
    clientTimeoutMs: 30_000,
    phases: [...PHASES],
  };
}
