/**
 * A real HTTP CONNECT proxy for the tests: tinyproxy in the foreground on 127.0.0.1 at
 * a free port, with its own config and log file in a temporary directory. Its log has a
 * line for each CONNECT it was asked for, which the tests read.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TinyproxyOptions {
  /** The only ports CONNECT may reach (tinyproxy refuses others with 403). */
  connectPorts: number[];
  /** Require these credentials (407 without them). */
  basicAuth?: { user: string; password: string };
}

function findTinyproxy(): string {
  for (const candidate of ["tinyproxy", "/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]) {
    if (spawnSync(candidate, ["-v"], { stdio: "ignore" }).status === 0) return candidate;
  }
  throw new Error("tinyproxy is not installed: the proxy tests need a real HTTP proxy. Run `node scripts/setup-test-deps.mjs` from the repository root.");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves true once something accepts connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Every tinyproxy started and not yet stopped: killed when the test process exits, whatever happened. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export class Tinyproxy {
  private readonly dir = mkdtempSync(join(tmpdir(), "grpckit-tinyproxy-"));
  private readonly logFile = join(this.dir, "tinyproxy.log");
  private child: ChildProcess | undefined;
  private output = "";
  port = 0;

  private constructor(private readonly options: TinyproxyOptions) {}

  /** Starts a proxy; resolves once it accepts connections. */
  static async start(options: TinyproxyOptions): Promise<Tinyproxy> {
    const proxy = new Tinyproxy(options);
    try {
      // A port free a moment ago may be taken by another process on this shared machine; a few fresh ports settle it.
      for (let attempt = 1; ; attempt++) {
        proxy.port = await freePort();
        if (await proxy.spawn()) return proxy;
        if (attempt >= 5) throw new Error(`tinyproxy did not start: ${proxy.output}`);
      }
    } catch (e) {
      await proxy.dispose();
      throw e;
    }
  }

  /** "127.0.0.1:port". */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The proxy's URL, with `userinfo` ("user:password") when given. */
  url(userinfo?: string): string {
    return `http://${userinfo !== undefined ? `${userinfo}@` : ""}${this.address}`;
  }

  /** The request lines of the CONNECTs the proxy was asked for, oldest first: "CONNECT localhost:443 HTTP/1.1". */
  connectRequests(): string[] {
    let log: string;
    try {
      log = readFileSync(this.logFile, "utf8");
    } catch {
      return [];
    }
    return log
      .split("\n")
      .map((line) => /Request \(file descriptor \d+\): (CONNECT .*)$/.exec(line)?.[1])
      .filter((line): line is string => line !== undefined);
  }

  /** The log's lines about CONNECTs (requests and established tunnels), for the test to print. */
  connectLog(): string[] {
    return readFileSync(this.logFile, "utf8")
      .split("\n")
      .filter((line) => /: (Request \(file descriptor \d+\): CONNECT |Established connection to host )/.test(line));
  }

  /** Resolves with the CONNECT request lines logged after the first `before`, once there are `count` of them. */
  async waitForConnects(before: number, count: number): Promise<string[]> {
    for (let i = 0; i < 200; i++) {
      const after = this.connectRequests().slice(before);
      if (after.length >= count) return after;
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.connectRequests().slice(before);
  }

  /** Stops the proxy and removes its files. */
  async dispose(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    }
    if (child !== undefined) running.delete(child);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Writes the config and runs tinyproxy; true once it accepts connections, false when it exited (its port taken). */
  private async spawn(): Promise<boolean> {
    const conf = join(this.dir, "tinyproxy.conf");
    const lines = [
      `Port ${this.port}`,
      "Listen 127.0.0.1",
      "Timeout 60",
      "MaxClients 100",
      "Allow 127.0.0.1",
      `LogFile "${this.logFile}"`,
      // Connect level logs each request line, CONNECTs included.
      "LogLevel Connect",
      ...this.options.connectPorts.map((p) => `ConnectPort ${p}`),
    ];
    if (this.options.basicAuth !== undefined) lines.push(`BasicAuth ${this.options.basicAuth.user} ${this.options.basicAuth.password}`);
    writeFileSync(conf, lines.join("\n") + "\n");
    this.output = "";
    const child = spawn(findTinyproxy(), ["-d", "-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    const keep = (d: Buffer) => {
      this.output += d.toString();
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    this.child = child;
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (await accepts(this.port)) return true;
      await new Promise((r) => setTimeout(r, 10));
    }
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    }
    running.delete(child);
    this.child = undefined;
    try {
      this.output += readFileSync(this.logFile, "utf8");
    } catch {
      // No log yet.
    }
    return false;
  }
}
