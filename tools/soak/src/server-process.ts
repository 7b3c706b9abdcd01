/**
 * The driver's handle on the soak server process: starts it, asks it for settled
 * memory, shuts it down, and waits for it to exit on its own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import type { ServerLine, SettledMemory, ShutdownReport } from "./server-messages.js";
import type { TransportName } from "@grpckit/transport-choice";

const serverScript = fileURLToPath(new URL("./echo-server.js", import.meta.url));
const startTimeoutMs = 15_000;
const answerTimeoutMs = 30_000;

type Waiter = { resolve: (line: ServerLine) => void; reject: (error: Error) => void };

export class ServerProcess {
  private readonly lines: ServerLine[] = [];
  private readonly waiters: Waiter[] = [];
  private stderrTail = "";
  private ended: Error | undefined;
  private readonly exited: Promise<void>;
  port = 0;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once("close", () => resolve()));
    // A server that died mid-run closes the pipe; the next read of its output says so.
    child.stdin!.on("error", () => {});
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      process.stderr.write(chunk);
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    const reader = createInterface({ input: child.stdout! });
    reader.on("line", (text) => this.receive(text));
    reader.on("close", () => {
      this.ended = new Error(`the server closed its output${this.stderrTail === "" ? "" : `: ${this.stderrTail.trim()}`}`);
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.ended);
    });
  }

  /** Starts the server on `transport` and resolves once it listens. */
  static async start(transport: TransportName): Promise<ServerProcess> {
    const child = spawn(process.execPath, ["--expose-gc", serverScript, `--transport=${transport}`], { stdio: ["pipe", "pipe", "pipe"] });
    const server = new ServerProcess(child);
    try {
      const line = await server.next(startTimeoutMs, "start");
      if (line.kind !== "listening") throw new Error(`the server answered ${JSON.stringify(line)} instead of its port`);
      server.port = line.port;
      return server;
    } catch (error) {
      server.kill();
      throw error;
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The server's memory after a full garbage collection. */
  async memory(): Promise<SettledMemory> {
    this.child.stdin!.write("memory\n");
    const line = await this.next(answerTimeoutMs, "memory");
    if (line.kind !== "memory") throw new Error(`the server answered ${JSON.stringify(line)} to "memory"`);
    return line.memory;
  }

  /** Runs server.shutdown() in the server and returns what it left behind. */
  async shutdown(timeoutMs: number): Promise<ShutdownReport> {
    this.child.stdin!.write("shutdown\n");
    const line = await this.next(timeoutMs, "shutdown");
    if (line.kind !== "shutdown") throw new Error(`the server answered ${JSON.stringify(line)} to "shutdown"`);
    return line.report;
  }

  /**
   * Closes the server's stdin and waits for it to exit. Resolves with whether it exited
   * by itself within `timeoutMs`; if not, it is killed.
   */
  async exit(timeoutMs: number): Promise<boolean> {
    this.child.stdin!.end();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const exited = await Promise.race([this.exited.then(() => true), timedOut]);
    clearTimeout(timer);
    if (!exited) {
      this.kill();
      await this.exited;
    }
    return exited && this.child.exitCode === 0;
  }

  /** Kills the server now (SIGKILL). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }

  private receive(text: string): void {
    let line: ServerLine;
    try {
      line = JSON.parse(text) as ServerLine;
    } catch {
      process.stderr.write(`[soak server] ${text}\n`);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter.resolve(line);
    else this.lines.push(line);
  }

  private next(timeoutMs: number, what: string): Promise<ServerLine> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended !== undefined) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        reject(new Error(`the server gave no answer to "${what}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }
}
