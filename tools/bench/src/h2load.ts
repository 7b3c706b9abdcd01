/**
 * h2load (nghttp2's HTTP/2 load generator, Debian package nghttp2-client): finding or
 * installing it, running it against a gRPC unary method, and reading its summary and
 * per-request log.
 */
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { percentile } from "./percentile.js";

/** The command that installs h2load on Debian and Ubuntu. */
export const H2LOAD_INSTALL_COMMAND = "apt-get update && apt-get install -y nghttp2-client";

/** Where h2load was found and which version it is. */
export interface H2loadInfo {
  path: string;
  version: string;
}

/**
 * Returns the h2load on PATH. When it is missing, installs it with apt-get when running
 * as root, and otherwise throws with the command to run.
 */
export function ensureH2load(log: (line: string) => void): H2loadInfo {
  let path = findOnPath("h2load");
  if (path === undefined) {
    if (process.getuid?.() !== 0) {
      throw new Error(
        `h2load is not installed. Install it with: sudo sh -c '${H2LOAD_INSTALL_COMMAND}'`,
      );
    }
    log(`h2load is not installed; running: ${H2LOAD_INSTALL_COMMAND}`);
    const result = spawnSync("sh", ["-c", H2LOAD_INSTALL_COMMAND], {
      stdio: ["ignore", process.stderr, process.stderr],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    path = findOnPath("h2load");
    if (result.status !== 0 || path === undefined) {
      throw new Error(`installing h2load failed (exit ${result.status}): ${H2LOAD_INSTALL_COMMAND}`);
    }
  }
  const version = spawnSync(path, ["--version"], { encoding: "utf8" }).stdout.trim();
  return { path, version };
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The request headers of a gRPC unary call, which h2load sends unless told others. */
export const GRPC_REQUEST_HEADERS: readonly string[] = ["content-type: application/grpc", "te: trailers"];

/** One h2load run: POSTs of a body (a gRPC call's, unless `headers` say otherwise) to one URL. */
export interface H2loadRunOptions {
  h2load: string;
  url: string;
  bodyFile: string;
  /** -c: concurrent connections. */
  connections: number;
  /** -m: concurrent streams per connection. */
  streams: number;
  /** -n: total requests; used when durationSeconds is not set. */
  requests?: number;
  /** -D: measure for this many seconds instead of a request count. */
  durationSeconds?: number;
  /** --log-file: per-request times are read from it for latency percentiles. */
  logFile?: string;
  /** Request headers ("name: value"); GRPC_REQUEST_HEADERS when absent. */
  headers?: readonly string[];
  /** --h1: HTTP/1.1 instead of HTTP/2 (-m is then requests pipelined per connection; 1 for none). */
  http1?: boolean;
}

/** What an h2load run reported. */
export interface H2loadResult {
  requestsPerSecond: number;
  /** Requests h2load counted as done, succeeded (2xx), failed and errored. */
  done: number;
  succeeded: number;
  failed: number;
  errored: number;
  /** HTTP status classes of the responses. */
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  /** From the per-request log, when one was asked for. */
  latency?: { samples: number; p50Ms: number; p99Ms: number; maxMs: number };
}

/** Runs h2load with the request headers and parses what it reports. */
export async function runH2load(options: H2loadRunOptions): Promise<H2loadResult> {
  const args = [
    "-c", String(options.connections),
    "-m", String(options.streams),
    "-t", "1",
    ...(options.headers ?? GRPC_REQUEST_HEADERS).flatMap((header) => ["-H", header]),
    "-d", options.bodyFile,
    ...(options.http1 === true ? ["--h1"] : []),
  ];
  if (options.durationSeconds !== undefined) {
    args.push("-D", String(options.durationSeconds));
  } else {
    args.push("-n", String(options.requests ?? 1000));
  }
  if (options.logFile !== undefined) args.push("--log-file", options.logFile);
  args.push(options.url);
  const output = await capture(options.h2load, args);
  const result = parseH2loadOutput(output);
  if (options.logFile !== undefined) result.latency = readLatencyLog(options.logFile);
  return result;
}

function capture(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${out}`));
    });
  });
}

/** Reads h2load's text summary ("finished in ...", "requests: ...", "status codes: ..."). */
export function parseH2loadOutput(output: string): H2loadResult {
  const finished = /finished in [^,]+, ([\d.]+) req\/s/.exec(output);
  const requests =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(output);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(output);
  if (finished === null || requests === null || codes === null) {
    throw new Error(`unexpected h2load output:\n${output}`);
  }
  return {
    requestsPerSecond: Number(finished[1]),
    done: Number(requests[3]),
    succeeded: Number(requests[4]),
    failed: Number(requests[5]),
    errored: Number(requests[6]),
    status2xx: Number(codes[1]),
    status3xx: Number(codes[2]),
    status4xx: Number(codes[3]),
    status5xx: Number(codes[4]),
  };
}

/**
 * Reads h2load's --log-file: one line per request, tab-separated start time (µs since
 * the epoch), HTTP status (-1 for a failed stream) and duration (µs).
 */
export function readLatencyLog(file: string): { samples: number; p50Ms: number; p99Ms: number; maxMs: number } {
  const durations: number[] = [];
  for (const line of readFileSync(file, "latin1").split("\n")) {
    const [, status, micros] = line.split("\t");
    if (micros === undefined || status === "-1") continue;
    durations.push(Number(micros) / 1000);
  }
  const sorted = Float64Array.from(durations).sort();
  return {
    samples: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1],
  };
}
