/**
 * The attack tests' server: a grpckit server on transport-h2 (interop's TestService)
 * in a child process, so the memory it reports is the server's alone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("./attack-server.mjs", import.meta.url));

export interface MemoryReport {
  rss: number;
  peak: number;
}

export class AttackServer {
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string) => void)[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => child.once("close", () => resolve()));
  }

  /** Starts the server and resolves once it listens. */
  static async start(): Promise<AttackServer> {
    const child = spawn(process.execPath, ["--expose-gc", script], { stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once("line", resolve);
      child.once("close", (code) => reject(new Error(`the attack server exited (${code}) before listening`)));
    });
    const server = new AttackServer(child, (JSON.parse(first) as { port: number }).port);
    lines.on("line", (line) => {
      const waiter = server.waiters.shift();
      if (waiter !== undefined) waiter(line);
      else server.lines.push(line);
    });
    return server;
  }

  private ask(command: string): Promise<MemoryReport> {
    this.child.stdin!.write(`${command}\n`);
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(JSON.parse(queued) as MemoryReport);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the attack server did not answer "${command}" within 30 s`)), 30_000);
      this.waiters.push((line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as MemoryReport);
      });
    });
  }

  /** Collects garbage in the server and starts measuring its peak from there. */
  async mark(): Promise<number> {
    return (await this.ask("mark")).rss;
  }

  /** The server's highest RSS since the mark. */
  async peak(): Promise<number> {
    return (await this.ask("peak")).peak;
  }

  /** Ends the server process (its stdin closes and it exits; killed if it does not within 5 s). */
  async stop(): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
