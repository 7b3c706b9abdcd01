/**
 * An idle channel holds nothing: after its idle timeout with no call, a channel over
 * real loopback HTTP/2 has no socket and no timer left, and its next call connects
 * again and succeeds. Sockets are counted in the process's active resources; timers
 * by async_hooks, which see unref'd timers too (the active resources list only those
 * that keep the process running, and grpckit unrefs its own).
 */
import { createHook } from "node:async_hooks";
import { createChannel, createClient, createServer, ConnectivityState, type Channel, type Server } from "@grpckit/core";
import { afterEach, describe, expect, it } from "vitest";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { h2Transport } from "../src/index.js";

const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };
afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

/** How many of each kind of handle the process holds (sockets, timers). */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Follows the timers created from now on, ref'd or not, until they fire or are cleared. */
function watchTimers() {
  const live = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      if (type !== "Timeout") return;
      // The frame that called setTimeout/setInterval; the test's own sleeps are not counted.
      const frames = new Error().stack?.split("\n") ?? [];
      const caller = frames.findIndex((f) => /at (setTimeout|setInterval) /.test(f));
      const where = frames.slice(caller + 1, caller + 4).join(" |");
      if (!frames[caller + 1]?.includes("idle-channel.test.ts")) live.set(id, where);
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
  return { live, stop: () => hook.disable() };
}

describe("an idle channel over transport-h2", () => {
  it("has no socket and no timer after its idle timeout, and its next call succeeds", async () => {
    const transport = h2Transport();
    const server = createServer({ transport });
    server.addService(EchoService, echoImpl());
    const { address } = await server.listen("127.0.0.1:0");
    open.servers.push(server);
    const before = handles();
    const timers = watchTimers();

    const channel = createChannel(address, { transport, idleTimeoutMs: 200 });
    open.channels.push(channel);
    const client = createClient(EchoService, channel);
    expect((await client.echo({ message: "first" })).message).toBe("first");
    const busy = handles();
    // The call left a connection (a socket at each end) and timers (the channel's idle timer among them).
    expect(busy.TCPSocketWrap ?? 0).toBe((before.TCPSocketWrap ?? 0) + 2);
    const busyTimers = timers.live.size;
    expect(busyTimers).toBeGreaterThan(0);

    for (let i = 0; i < 200 && channel.getConnectivityState() !== ConnectivityState.IDLE; i++) await sleep(10);
    expect(channel.getConnectivityState()).toBe(ConnectivityState.IDLE);
    // Both ends of the closed connection go within a few turns of the loop.
    for (let i = 0; i < 100 && (handles().TCPSocketWrap ?? 0) > (before.TCPSocketWrap ?? 0); i++) await sleep(10);
    // The sleeps of the wait above are done; what is left was made by the channel, the connection or the server.
    await sleep(0);
    const idle = handles();
    const idleTimers = [...timers.live.values()];
    timers.stop();
    console.log(
      `idle channel: sockets ${before.TCPSocketWrap ?? 0} before the channel, ${busy.TCPSocketWrap ?? 0} connected, ${idle.TCPSocketWrap ?? 0} idle; ` +
        `timers made since: ${busyTimers} live while connected, ${idleTimers.length} live when idle`,
    );
    expect(idle.TCPSocketWrap ?? 0).toBe(before.TCPSocketWrap ?? 0);
    expect(idleTimers).toEqual([]);

    expect((await client.echo({ message: "after idle" })).message).toBe("after idle");
    expect(channel.getConnectivityState()).toBe(ConnectivityState.READY);
  });
});
