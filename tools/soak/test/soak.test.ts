import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SoakReport } from "../src/soak-report.js";

const soakDir = fileURLToPath(new URL("..", import.meta.url));
const mainScript = join(soakDir, "dist", "main.js");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  report: SoakReport;
  markdown: string;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs the built soak with `args`, writing its results to `outDir`. */
function runSoak(outDir: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mainScript, ...args, "--out", outDir], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (!existsSync(join(outDir, "latest.json"))) {
        reject(new Error(`the soak wrote no results (exit ${code}):\n${stderr}`));
        return;
      }
      const report = JSON.parse(readFileSync(join(outDir, "latest.json"), "utf8")) as SoakReport;
      resolve({ code, stdout, stderr, report, markdown: readFileSync(join(outDir, "latest.md"), "utf8") });
    });
  });
}

// A few hundred calls cannot warm a server up, so memory growth is judged by the full
// run only; every other target applies as in `npm run soak`.
const smallRun = ["--calls", "400", "--concurrency", "32", "--channels", "2", "--streams", "50", "--stream-channels", "2", "--messages", "8", "--growth-target", "1000"];

const outDirs: string[] = [];
function newOutDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "grpckit-soak-"));
  outDirs.push(dir);
  return dir;
}

beforeAll(() => {
  if (!existsSync(mainScript) || statSync(mainScript).mtimeMs < newestSource(join(soakDir, "src"))) {
    throw new Error("tools/soak/dist is missing or older than its sources: run `npm run build` first");
  }
});

afterAll(() => {
  for (const dir of outDirs) rmSync(dir, { recursive: true, force: true });
});

describe("a small soak run with no --transport", () => {
  let run: Run;

  beforeAll(async () => {
    run = await runSoak(newOutDir(), smallRun);
  }, 40_000);

  it("meets every target and exits with code 0", () => {
    expect(run.report.checks.filter((check) => !check.passed)).toEqual([]);
    expect(run.report.passed).toBe(true);
    expect(run.code, run.stderr).toBe(0);
  });

  it("echoes all 400 unary calls and reads the server's RSS at start, after the 40 warm-up calls and at the end", () => {
    const unary = run.report.unary!;
    expect(unary.completed).toBe(400);
    expect(unary.succeeded).toBe(400);
    expect(unary.warmupCalls).toBe(40);
    expect(unary.callsPerSecond).toBeGreaterThan(0);
    for (const memory of Object.values(unary.serverMemory)) expect(memory.rss).toBeGreaterThan(10 * 1048576);
    const { afterWarmup, end } = unary.serverMemory;
    expect(unary.rssGrowthPercent).toBeCloseTo(((end.rss - afterWarmup.rss) / afterWarmup.rss) * 100, 6);
    expect(run.report.rssSamples.length).toBeGreaterThan(0);
    expect(run.report.serverRssPeak).toBeGreaterThan(10 * 1048576);
  });

  it("holds all 50 bidi streams open at once and gets every message back in order", () => {
    const streams = run.report.streams!;
    expect(streams.openAtOnce).toBe(50);
    expect(streams.ok).toBe(50);
    expect(streams.failed + streams.outOfOrder + streams.incomplete).toBe(0);
    expect(streams.messagesChecked).toBe(50 * 8);
  });

  it("leaves no handle, timer or socket in the server or the client after shutdown", () => {
    const shutdown = run.report.shutdown!;
    expect(shutdown.serverShutdownMs).toBeGreaterThanOrEqual(0);
    expect(shutdown.serverLeftover).toEqual([]);
    expect(shutdown.serverExitedOnItsOwn).toBe(true);
    expect(shutdown.clientLeftover).toEqual([]);
  });

  it("prints the same summary table it writes to latest.md", () => {
    expect(run.stdout).toBe(run.markdown);
    for (const row of ["| unary calls | 400 of 400 (40 warm-up), 0 failed |", "| streams ok | 50 ", "| leftover resources, client | nothing |"]) {
      expect(run.markdown).toContain(row);
    }
    expect(run.markdown).toMatch(/^# grpckit soak run \(passed\)/);
  });

  it("runs the server and the client on transport-h2, the default, and says so in the report", () => {
    expect(run.report.options.transport).toBe("h2");
    expect(run.stderr).toContain("transport h2");
    expect(run.markdown).toContain("server and client on @grpckit/transport-h2");
  });
});

describe("a small soak run on transport-http2 (--transport=http2)", () => {
  let run: Run;

  beforeAll(async () => {
    run = await runSoak(newOutDir(), [...smallRun, "--transport=http2"]);
  }, 40_000);

  it("meets every target, exits with code 0 and leaves nothing running", () => {
    expect(run.report.checks.filter((check) => !check.passed)).toEqual([]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.report.unary!.succeeded).toBe(400);
    expect(run.report.streams!.ok).toBe(50);
    expect(run.report.shutdown!.serverLeftover).toEqual([]);
    expect(run.report.shutdown!.clientLeftover).toEqual([]);
  });

  it("runs the server and the client on transport-http2 and says so in the report", () => {
    expect(run.report.options.transport).toBe("http2");
    expect(run.stderr).toContain("transport http2");
    expect(run.markdown).toContain("server and client on @grpckit/transport-http2");
  });
});

describe("a soak run given no time", () => {
  let run: Run;

  beforeAll(async () => {
    run = await runSoak(newOutDir(), [...smallRun, "--max-seconds", "0"]);
  }, 40_000);

  it("fails with a non-zero exit code and names the phases it cut short", () => {
    expect(run.code).toBe(1);
    expect(run.report.passed).toBe(false);
    const timeCheck = run.report.checks.find((check) => check.name.startsWith("finished within"));
    expect(timeCheck).toMatchObject({ passed: false, detail: "phase 1 and phase 2 cut short" });
    expect(run.markdown).toMatch(/^# grpckit soak run \(FAILED\)/);
  });

  it("still shuts down cleanly after cancelling its streams", () => {
    expect(run.report.streams!.failuresByCode).toEqual({ CANCELLED: 50 });
    expect(run.report.shutdown!.serverLeftover).toEqual([]);
    expect(run.report.shutdown!.clientLeftover).toEqual([]);
  });
});
