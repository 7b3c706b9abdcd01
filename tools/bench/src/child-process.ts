/**
 * The bench's child processes: servers that announce a port and answer memory queries,
 * and clients that run one scenario and print one JSON result. Every child is tracked so
 * the driver can end them all when it finishes or fails.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import type { CpuTime } from "./cpu-time.js";
import type { LoopDelay } from "./loop-delay.js";
import { residentMemory, type ResidentMemory } from "./proc-status.js";
import type { MemorySnapshot } from "./memory-snapshot.js";

const NODE_FLAGS = ["--expose-gc"];
const START_TIMEOUT_MS = 15_000;
const running = new Set<ChildProcess>();

/** Kills every child still running (SIGKILL, by pid). */
export function killAllChildren(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  running.clear();
}

/** Reads a child's stdout line by line, in order. */
class LineQueue {
  private readonly lines: string[] = [];
  private readonly waiters: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  private ended: Error | undefined;

  constructor(reader: Interface, what: string) {
    reader.on("line", (line) => {
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter.resolve(line);
      else this.lines.push(line);
    });
    reader.on("close", () => {
      this.ended = new Error(`${what} closed its output`);
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.ended);
    });
  }

  next(timeoutMs: number, what: string): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended !== undefined) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        reject(new Error(`${what}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        resolve: (value: string) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }
}

/** A node child whose stderr is passed through and its end kept for error messages. */
interface NodeChild {
  process: ChildProcess;
  stderrTail(): string;
}

function spawnNode(script: string, args: string[]): NodeChild {
  const child = spawn(process.execPath, [...NODE_FLAGS, script, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  child.on("exit", () => running.delete(child));
  let tail = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    process.stderr.write(chunk);
    tail = (tail + chunk).slice(-2000);
  });
  return { process: child, stderrTail: () => tail.trim() };
}

/** A server child process listening on 127.0.0.1. */
export class ServerProcess {
  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly output: LineQueue,
    readonly port: number,
  ) {}

  /** Starts `script` and resolves once it printed its port. */
  static async start(name: string, script: string, args: string[] = []): Promise<ServerProcess> {
    const { process: child, stderrTail } = spawnNode(script, ["--port", "0", ...args]);
    const output = new LineQueue(createInterface({ input: child.stdout! }), name);
    try {
      const line = await output.next(START_TIMEOUT_MS, `${name} start`);
      const port = Number(line);
      if (!Number.isInteger(port) || port <= 0) throw new Error(`${name} printed "${line}" instead of its port`);
      return new ServerProcess(name, child, output, port);
    } catch (error) {
      child.kill("SIGKILL");
      const stderr = stderrTail();
      throw stderr === "" ? error : new Error(`${(error as Error).message}: ${stderr}`);
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** "127.0.0.1:<port>". */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The server's memory after a full garbage collection. */
  async memory(): Promise<MemorySnapshot> {
    this.child.stdin!.write("memory\n");
    return JSON.parse(await this.output.next(10_000, `${this.name} memory`)) as MemorySnapshot;
  }

  /** The server process's CPU time so far (user + system, every thread). */
  async cpuTime(): Promise<CpuTime> {
    this.child.stdin!.write("cpu\n");
    return JSON.parse(await this.output.next(10_000, `${this.name} cpu`)) as CpuTime;
  }

  /** The calls channelz recorded in the server process (0 when it is off). */
  async channelzCalls(): Promise<number> {
    this.child.stdin!.write("channelz\n");
    const answer = JSON.parse(await this.output.next(10_000, `${this.name} channelz`)) as { calls: number };
    return answer.calls;
  }

  /** Collects garbage, resets the server's peak resident set to what it holds now, and returns both. */
  async resetPeakRss(): Promise<ResidentMemory> {
    this.child.stdin!.write("rss-reset\n");
    return JSON.parse(await this.output.next(10_000, `${this.name} rss-reset`)) as ResidentMemory;
  }

  /** The server's event-loop delay during the last client-streaming call it received. */
  async loopDelay(): Promise<LoopDelay> {
    this.child.stdin!.write("loop-delay\n");
    const answer = JSON.parse(await this.output.next(10_000, `${this.name} loop-delay`)) as LoopDelay | null;
    if (answer === null) throw new Error(`${this.name} recorded no client-streaming call's event-loop delay`);
    return answer;
  }

  /** Peak resident memory of the process so far (VmHWM). */
  peakRssBytes(): number {
    return residentMemory(this.pid).peakRssBytes;
  }

  /** Asks the server to stop and waits for it to exit; kills it if it does not. */
  stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin!.end("stop\n");
    });
  }
}

/**
 * Runs a client child to completion and returns the JSON object it printed last.
 * Rejects when it exits with an error or prints no result within `timeoutMs`.
 */
export function runClientProcess<T>(name: string, script: string, args: string[], timeoutMs: number): Promise<T> {
  const { process: child, stderrTail } = spawnNode(script, args);
  child.stdin!.end();
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  return clientResult(child, name, timeoutMs, stderrTail, async () => ({ lines: out.trim().split("\n") }));
}

/**
 * The JSON object a client child printed last, once it has closed: `output` gives the
 * lines it printed (and a failure of the driver's own, which wins). Rejects when the
 * child exits with an error, prints no result, or is still running after `timeoutMs`.
 */
function clientResult<T>(
  child: ChildProcess,
  name: string,
  timeoutMs: number,
  stderrTail: () => string,
  output: () => Promise<{ lines: string[]; failure?: unknown }>,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      void output().then(({ lines, failure }) => {
        const last = lines.at(-1) ?? "";
        if (failure !== undefined) {
          reject(failure);
        } else if (code !== 0) {
          reject(new Error(`${name} exited with ${code ?? signal}: ${last || stderrTail()}`));
        } else {
          try {
            resolve(JSON.parse(last) as T);
          } catch {
            reject(new Error(`${name} printed no result: ${lines.join("\n")}`));
          }
        }
      });
    });
  });
}

/**
 * Runs a client child that stops at steps (a `{"step": name}` line on stdout) for the
 * driver: `onStep` runs at each one, then the child is told to go on (a line on its
 * stdin). Resolves with the JSON object it printed last, as {@link runClientProcess}.
 */
export function runSteppedClientProcess<T>(
  name: string,
  script: string,
  args: string[],
  timeoutMs: number,
  onStep: (step: string) => Promise<void>,
): Promise<T> {
  const { process: child, stderrTail } = spawnNode(script, args);
  const lines: string[] = [];
  let failure: unknown;
  let steps = Promise.resolve();
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const step = /^\{"step":"([^"]*)"\}$/.exec(line)?.[1];
    if (step === undefined) {
      lines.push(line);
      return;
    }
    steps = steps.then(async () => {
      try {
        await onStep(step);
      } catch (error) {
        failure ??= error;
      }
      if (child.stdin!.writable) child.stdin!.write("next\n");
    });
  });
  return clientResult(child, name, timeoutMs, stderrTail, () => steps.then(() => ({ lines, failure })));
}
