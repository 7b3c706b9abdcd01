import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { parsePlan, PHASES } from "../src/bench-plan.js";
import { windowModeArg, windowTransportOptions } from "../src/window-mode.js";

const relayScript = join(fileURLToPath(new URL("..", import.meta.url)), "dist", "servers", "latency-relay.js");
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

/** Starts the built relay in front of `target` and resolves with its port. */
async function startRelay(target: string, rttMs: number): Promise<number> {
  const child = spawn(process.execPath, [relayScript, "--port", "0", "--target", target, "--rtt-ms", String(rttMs)], { stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  const [line] = await new Promise<string[]>((resolve) => createInterface({ input: child.stdout! }).once("line", (l) => resolve([l])));
  return Number(line);
}

/** An echo server on 127.0.0.1 and its port. */
async function echoServer(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Sends `payload` through `port` in `chunks` writes and resolves with what came back and when the last byte did, in ms. */
function roundTrip(port: number, payload: Buffer, chunks: number): Promise<{ echoed: Buffer; ms: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      const start = performance.now();
      const received: Buffer[] = [];
      let length = 0;
      socket.on("data", (chunk: Buffer) => {
        received.push(chunk);
        length += chunk.length;
        if (length >= payload.length) {
          socket.destroy();
          resolve({ echoed: Buffer.concat(received), ms: performance.now() - start });
        }
      });
      const size = Math.ceil(payload.length / chunks);
      for (let offset = 0; offset < payload.length; offset += size) socket.write(payload.subarray(offset, offset + size));
    });
    socket.on("error", reject);
  });
}

describe("the bench's latency relay", () => {
  it("passes every byte through in order, and adds the round trip it was given", async () => {
    const { server, port } = await echoServer();
    try {
      const payload = Buffer.alloc(1 << 20);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
      const direct = await startRelay(`127.0.0.1:${port}`, 0);
      expect((await roundTrip(direct, payload, 64)).echoed.equals(payload)).toBe(true);
      const delayed = await startRelay(`127.0.0.1:${port}`, 60);
      const through = await roundTrip(delayed, payload, 64);
      expect(through.echoed.equals(payload)).toBe(true);
      // A lower bound only: the relay may not deliver sooner than half the round trip each way.
      expect(through.ms).toBeGreaterThanOrEqual(58);
    } finally {
      server.close();
    }
  });
});

describe("the bench's window modes", () => {
  it("leave transport-h2's estimator on by default and set both windows to fix them", () => {
    expect(windowModeArg([])).toBe("bdp");
    expect(windowTransportOptions("bdp")).toEqual({});
    expect(windowTransportOptions(windowModeArg(["--window", "fixed-16m"]))).toEqual({ settings: { initialWindowSize: 16 << 20, connectionWindowSize: 16 << 20 } });
    expect(windowTransportOptions("fixed-4m")).toEqual({ settings: { initialWindowSize: 4 << 20, connectionWindowSize: 16 << 20 } });
    expect(() => windowModeArg(["--window", "huge"])).toThrow('--window must be one of bdp, fixed-16m, fixed-4m, got "huge"');
  });
});

describe("choosing phases", () => {
  it("runs every phase unless --phases names some, and names the phases on a wrong one", () => {
    expect(parsePlan(["--smoke"]).phases).toEqual([...PHASES]);
    expect(parsePlan(["--smoke", "--phases", "idle-streams,windows"]).phases).toEqual(["windows", "idle-streams"]);
    expect(() => parsePlan(["--phases", "window"])).toThrow(/unknown phase "window"; expected some of server-unary, .*idle-streams/);
  });
});
