/**
 * A flood of gzip bombs (10 MiB of zeros, about 10 KiB compressed, per message) on many
 * streams at once, against a grpckit server in a process of its own on each transport.
 * Every bomb is refused with RESOURCE_EXHAUSTED; the bytes being inflated at once are
 * bounded per connection and per server, so the server's memory stays within 256 MiB of
 * where it was, and a grpckit client on another connection keeps its calls.
 */
import { spawn, type ChildProcess } from "node:child_process";
import http2 from "node:http2";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, it } from "vitest";
import { Code, GrpcError, createChannel, createClient, type Channel } from "@grpckit/core";
import { h2Transport } from "../src/index.js";
import { EchoService, file_grpckit_test_v1_echo } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";

const serverScript = fileURLToPath(new URL("./support/inflate-flood-server.mjs", import.meta.url));
const MiB = 1024 * 1024;
const attackMs = 3000;
const attackerConnections = 4;
const streamsPerConnection = 50;

/** One message frame: 10 MiB of zeros, gzip-compressed (about 10 KiB). */
const bombFrame = (() => {
  const bomb = gzipSync(Buffer.alloc(10 * MiB), { level: 9 });
  const frame = Buffer.alloc(5 + bomb.byteLength);
  frame[0] = 1;
  frame.writeUInt32BE(bomb.byteLength, 1);
  frame.set(bomb, 5);
  return frame;
})();

interface ServerChild {
  port: number;
  ask(command: "baseline" | "peak"): Promise<number>;
  child: ChildProcess;
}

let children: ChildProcess[] = [];
let channels: Channel[] = [];
let sessions: http2.ClientHttp2Session[] = [];

afterEach(() => {
  for (const s of sessions) s.destroy();
  for (const c of channels) c.close();
  for (const c of children) c.kill("SIGKILL");
  sessions = [];
  channels = [];
  children = [];
});

async function startServer(transport: "h2" | "http2"): Promise<ServerChild> {
  const descriptor = Buffer.from(toBinary(FileDescriptorProtoSchema, file_grpckit_test_v1_echo.proto)).toString("base64");
  const child = spawn(process.execPath, ["--expose-gc", serverScript, transport, descriptor], { stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  const lines: Record<string, number>[] = [];
  const waiters: ((line: Record<string, number>) => void)[] = [];
  createInterface({ input: child.stdout! }).on("line", (text) => {
    const line = JSON.parse(text) as Record<string, number>;
    const w = waiters.shift();
    if (w !== undefined) w(line);
    else lines.push(line);
  });
  const next = () => new Promise<Record<string, number>>((resolve) => (lines.length > 0 ? resolve(lines.shift()!) : waiters.push(resolve)));
  const { port } = await next();
  return {
    port,
    child,
    ask: async (command) => {
      child.stdin!.write(`${command}\n`);
      return (await next())[command];
    },
  };
}

/** Keeps `streamsPerConnection` bomb requests open on each attacker connection until `until`; counts the statuses. */
async function attack(port: number, until: number): Promise<Map<string, number>> {
  const statuses = new Map<string, number>();
  const count = (s: string) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
  const oneStream = (session: http2.ClientHttp2Session) =>
    new Promise<void>((resolve) => {
      const req = session.request({
        ":method": "POST",
        ":path": "/grpckit.test.v1.EchoService/Echo",
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-encoding": "gzip",
      });
      let status: string | undefined;
      req.on("response", (h) => (status ??= h["grpc-status"] as string | undefined));
      req.on("trailers", (t) => (status ??= t["grpc-status"] as string | undefined));
      req.on("data", () => {});
      req.on("error", () => {});
      req.on("close", () => {
        count(status ?? `reset ${req.rstCode}`);
        resolve();
      });
      req.end(bombFrame);
    });
  const loop = async (session: http2.ClientHttp2Session) => {
    while (Date.now() < until && !session.destroyed) await oneStream(session);
  };
  const runs: Promise<void>[] = [];
  for (let c = 0; c < attackerConnections; c++) {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    sessions.push(session);
    for (let s = 0; s < streamsPerConnection; s++) runs.push(loop(session));
  }
  await Promise.all(runs);
  return statuses;
}

/** Unary calls from a grpckit client on its own connection, four at a time, until `until`. */
async function victim(port: number, until: number): Promise<{ ok: number; total: number; errors: string[] }> {
  const channel = createChannel(`127.0.0.1:${port}`, { transport: h2Transport() });
  channels.push(channel);
  const client = createClient(EchoService, channel);
  let ok = 0;
  let total = 0;
  const errors: string[] = [];
  const worker = async () => {
    while (Date.now() < until) {
      total++;
      try {
        const r = await client.echo({ message: "victim" }, { timeoutMs: 5000 });
        if (r.message === "victim") ok++;
      } catch (e) {
        errors.push(e instanceof GrpcError ? `${Code[e.code]}: ${e.message}` : String(e));
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return { ok, total, errors: errors.slice(0, 5) };
}

describe.each(["h2", "http2"] as const)("a gzip-bomb flood against a server on transport-%s", (transport) => {
  it(
    "every bomb gets RESOURCE_EXHAUSTED, the server's peak memory stays within 256 MiB of its baseline, and a client on another connection keeps 99% of its calls",
    async () => {
      const server = await startServer(transport);
      // A few calls first, so the baseline includes a served connection.
      await victim(server.port, Date.now() + 200);
      const baseline = await server.ask("baseline");
      const until = Date.now() + attackMs;
      const [statuses, calls] = await Promise.all([attack(server.port, until), victim(server.port, until)]);
      const peak = await server.ask("peak");
      console.log(
        `transport-${transport}: victim ${calls.ok}/${calls.total} ok; server RSS ${(baseline / MiB).toFixed(0)} MiB before, ` +
          `peak ${(peak / MiB).toFixed(0)} MiB (+${((peak - baseline) / MiB).toFixed(0)} MiB); attacker statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
      );

      const bombs = [...statuses.values()].reduce((a, b) => a + b, 0);
      expect(bombs).toBeGreaterThan(0);
      expect(statuses.get(String(Code.RESOURCE_EXHAUSTED))).toBe(bombs);
      expect(calls.errors).toEqual([]);
      expect(calls.ok / calls.total).toBeGreaterThanOrEqual(0.99);
      expect(peak - baseline).toBeLessThan(256 * MiB);
      // Still serving once the flood is over.
      const after = await victim(server.port, Date.now() + 100);
      expect(after.ok).toBe(after.total);
    },
    60_000,
  );
});
