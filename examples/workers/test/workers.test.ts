/**
 * The workers example as a user runs it: `node dist/main.js 127.0.0.1:0 2` in its own
 * process; connections to the one address are answered by both workers, each worker's
 * admin address answers health and channelz for that worker, and SIGTERM lets a call
 * in flight finish before every process exits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, createClient, type Channel } from "@grpckit/core";
import { ChannelzService } from "@grpckit/channelz";
import { HealthService, ServingStatus } from "@grpckit/health";
import { h2Transport } from "@grpckit/transport-h2";
import { WorkerInfo } from "../src/gen/workers/v1/worker_info_pb.js";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const transport = h2Transport();

interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  readonly workers: { id: number; pid: number; admin: string }[];
  readonly stdout: string[];
}

const children: ChildProcess[] = [];
const channels: Channel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) c.close();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** Starts the example and reads its "serving" and per-worker lines. */
async function start(workers: number): Promise<Started> {
  const child = spawn(process.execPath, [main, "127.0.0.1:0", String(workers)], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const stdout: string[] = [];
  let buffered = "";
  const listed = new Promise<Started>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example did not report ready: ${stdout.join(" | ")}`)), 20_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        stdout.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
      const serving = stdout.map((l) => /^serving 127\.0\.0\.1:(\d+) from (\d+) workers$/.exec(l)).find((m) => m !== null);
      const listedWorkers = stdout.map((l) => /^worker (\d+): pid (\d+), admin at (.+)$/.exec(l)).filter((m) => m !== null);
      if (serving && listedWorkers.length === workers) {
        clearTimeout(timer);
        resolve({
          child,
          port: Number(serving[1]),
          workers: listedWorkers.map((m) => ({ id: Number(m[1]), pid: Number(m[2]), admin: m[3] })),
          stdout,
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`the example exited (${code}) before it was ready: ${stdout.join(" | ")}`)));
  });
  return listed;
}

function channelTo(target: string): Channel {
  const channel = createChannel(target, { transport });
  channels.push(channel);
  return channel;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("serving one address from two worker processes", () => {
  it("spreads connections across the workers, and each worker's admin address answers for it", async () => {
    const started = await start(2);
    expect(new Set(started.workers.map((w) => w.pid)).size).toBe(2);

    // Each channel is its own connection; node:cluster hands connections to workers in turn.
    const answeredBy = new Map<number, number>();
    for (let i = 0; i < 12; i++) {
      const reply = await createClient(WorkerInfo, channelTo(`127.0.0.1:${started.port}`)).describe({});
      answeredBy.set(reply.pid, (answeredBy.get(reply.pid) ?? 0) + 1);
    }
    console.log(`workers: 12 connections answered by ${[...answeredBy].map(([pid, n]) => `pid ${pid}: ${n}`).join(", ")}`);
    expect([...answeredBy.keys()].sort()).toEqual(started.workers.map((w) => w.pid).sort());

    for (const w of started.workers) {
      const admin = channelTo(w.admin);
      const health = await createClient(HealthService, admin).check({ service: "workers.v1.WorkerInfo" });
      expect(health.status).toBe(ServingStatus.SERVING);
      // The worker's channelz lists its two servers: the shared address and its own.
      const { server } = await createClient(ChannelzService, admin).getServers({});
      const listening = server.flatMap((s) => s.listenSocket.map((l) => l.name));
      expect(listening.some((name) => name.endsWith(`:${started.port}`))).toBe(true);
      expect(listening.some((name) => name === w.admin)).toBe(true);
    }
  });

  it("drains every worker on SIGTERM: a call in flight finishes, then every process exits", async () => {
    const started = await start(2);
    const client = createClient(WorkerInfo, channelTo(`127.0.0.1:${started.port}`));
    await client.describe({});
    const inFlight = client.describe({ delayMs: 500 });
    // Let the slow call reach its worker before the signal.
    await new Promise((r) => setTimeout(r, 100));
    const exited = once(started.child, "exit");
    started.child.kill("SIGTERM");
    const reply = await inFlight;
    expect(started.workers.map((w) => w.pid)).toContain(reply.pid);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    for (const w of started.workers) expect(alive(w.pid)).toBe(false);
  });
});
