/**
 * A finished unary call's objects die young, on the server and on the client: each
 * side in a process of its own (as a server and its clients run), under unary calls
 * kept in flight, weighing what young-generation collections promote to the old
 * generation per call. What a call allocates and drops at its end should be freed by
 * the next scavenge; kept alive past it by a stale reference, it is copied twice and
 * freed only by a full collection. A regression guard with a wide margin, not a speed
 * claim: it measures bytes, never time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const peerScript = fileURLToPath(new URL("./support/gc-promotion-peer.mjs", import.meta.url));

interface Promotion {
  promoted: number;
  scavenges: number;
  /** V8 heap bytes allocated over the measured calls. */
  allocated: number;
  calls: number;
}

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

/** Starts a peer process; resolves with a reader of the JSON lines it prints. */
function startPeer(args: string[]): { next: () => Promise<unknown>; child: ChildProcess } {
  const child = spawn(process.execPath, ["--expose-gc", peerScript, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const waiter = waiting.shift();
    if (waiter !== undefined) waiter(line);
    else lines.push(line);
  });
  const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`the ${args[0]} peer exited (${code}) before answering`))));
  exited.catch(() => {});
  const next = (): Promise<unknown> => {
    const line = lines.shift();
    if (line !== undefined) return Promise.resolve(JSON.parse(line));
    return Promise.race([new Promise<string>((resolve) => waiting.push(resolve)).then((l) => JSON.parse(l) as unknown), exited]);
  };
  return { next, child };
}

describe("unary call garbage", () => {
  it("dies young on the server and on the client: scavenges promote little per call", { timeout: 60_000 }, async ({ annotate }) => {
    // The warm-up lets the connection's and the server's own objects reach the old generation.
    const warmUp = 5_000;
    const calls = 20_000;
    const inFlight = 64;
    const server = startPeer(["server", String(warmUp), String(calls)]);
    const { port } = (await server.next()) as { port: number };
    const client = startPeer(["client", String(warmUp), String(calls), String(port), String(inFlight)]);
    const clientSide = (await client.next()) as Promotion;
    const serverSide = (await server.next()) as Promotion;
    const perCall = (side: Promotion) => side.promoted / side.calls;
    await annotate(
      `${calls} unary calls, ${inFlight} in flight: server ${serverSide.scavenges} scavenges promoted ${serverSide.promoted} bytes ` +
        `(${Math.round(perCall(serverSide))} per call); client ${clientSide.scavenges} scavenges promoted ${clientSide.promoted} bytes ` +
        `(${Math.round(perCall(clientSide))} per call)`,
    );
    expect(serverSide.calls).toBe(calls);
    expect(clientSide.calls).toBe(calls);
    expect(serverSide.scavenges).toBeGreaterThan(0);
    expect(clientSide.scavenges).toBeGreaterThan(0);
    // Finished calls kept past their end by the hash tables of a Set each call joined
    // and left cost over 1 KB per call on each side; what a call truly keeps is its
    // share of the connection's state, a few bytes.
    expect(perCall(serverSide)).toBeLessThan(256);
    expect(perCall(clientSide)).toBeLessThan(256);
  });

  it("allocates under 8 KB per unary call on the client: no error object for a call's first pick", { timeout: 60_000 }, async ({ annotate }) => {
    const warmUp = 5_000;
    const calls = 20_000;
    const server = startPeer(["server", String(warmUp), String(calls)]);
    const { port } = (await server.next()) as { port: number };
    const client = startPeer(["client", String(warmUp), String(calls), String(port), "64"]);
    const clientSide = (await client.next()) as Promotion;
    await server.next();
    const perCall = clientSide.allocated / clientSide.calls;
    await annotate(`V8 heap allocated per unary call by the client: ${Math.round(perCall)} bytes`);
    // A GrpcError made (and dropped) for every call's first pick, with its stack trace,
    // message and metadata, cost about 1.1 KB of the 8.7 KB a call allocated (and a
    // fifth of the client's CPU); without it a call allocates about 7.6 KB.
    expect(perCall).toBeGreaterThan(0);
    expect(perCall).toBeLessThan(8 * 1024);
  });
});
