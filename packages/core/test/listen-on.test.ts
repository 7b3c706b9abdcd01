import net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listenOn } from "../src/transport/listen-on.js";

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

function newServer(): net.Server {
  const server = net.createServer();
  servers.push(server);
  return server;
}

/** Connects to `target` and resolves once connected, or rejects with the socket's error. */
function connectTo(target: net.NetConnectOpts): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target, () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", reject);
  });
}

describe("listenOn", () => {
  it("binds port 0 on 127.0.0.1 and resolves with the port it got, which accepts connections", async () => {
    const bound = await listenOn(newServer(), "127.0.0.1:0");
    const match = /^127\.0\.0\.1:(\d+)$/.exec(bound);
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThan(0);
    await connectTo({ host: "127.0.0.1", port: Number(match![1]) });
  });

  it("binds an IPv6 host and writes it back in brackets", async () => {
    const bound = await listenOn(newServer(), "[::1]:0");
    expect(bound).toMatch(/^\[::1\]:\d+$/);
  });

  it("binds a unix socket path and resolves with its unix: address", async () => {
    const dir = mkdtempSync(join(tmpdir(), "grpckit-listen-"));
    try {
      const path = join(dir, "s.sock");
      expect(await listenOn(newServer(), `unix:${path}`)).toBe(`unix:${path}`);
      await connectTo({ path });
    } finally {
      for (const s of servers.splice(0)) s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says which address it cannot listen on and why, and the server is free to listen again", async () => {
    const taken = await listenOn(newServer(), "127.0.0.1:0");
    const second = newServer();
    const error: Error = await listenOn(second, taken).then(
      () => expect.fail("listened on a port already in use"),
      (e: Error) => e,
    );
    expect(error.message).toBe(`cannot listen on ${taken}: listen EADDRINUSE: address already in use ${taken}`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe("EADDRINUSE");
    expect(await listenOn(second, "127.0.0.1:0")).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("rejects a malformed address with the address parser's message, binding nothing", async () => {
    const server = newServer();
    await expect(listenOn(server, "localhost")).rejects.toThrow('address "localhost" has no port');
    expect(server.listening).toBe(false);
  });
});
