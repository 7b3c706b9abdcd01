import { afterEach, describe, expect, it } from "vitest";
import { Code, ConnectivityState, channelzRegistry, enableChannelz, type ChannelzSocket } from "../src/index.js";
import { collect, failure, startEcho, type Harness } from "./support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("channelz records", () => {
  it("records nothing until channelz is enabled", async () => {
    // Vitest runs each file in its own process, so nothing here enabled it yet.
    expect(channelzRegistry()).toBeUndefined();
    h = await startEcho();
    await h.client.echo({ message: "a" });
    expect(h.channel.channelz).toBeUndefined();
    expect(h.server.channelz).toBeUndefined();
  });

  it("counts calls, streams and messages on the channel, subchannel, server and both sockets", async () => {
    const registry = enableChannelz();
    h = await startEcho();
    await h.client.echo({ message: "a" });
    await h.client.echo({ message: "b" });
    expect((await failure(h.client.echo({ message: "c", failCode: Code.NOT_FOUND, failMessage: "no" }))).code).toBe(Code.NOT_FOUND);
    expect(await collect(h.client.expand({ message: "x", repeat: 3 }))).toHaveLength(3);

    const channel = registry.topChannels().items.find((c) => c.id === h!.channel.channelz!.id)!;
    expect(channel.target).toBe(h.channel.target.raw);
    expect(channel.state).toBe(ConnectivityState.READY);
    expect(channel.calls).toMatchObject({ callsStarted: 4, callsSucceeded: 3, callsFailed: 1 });
    expect(channel.calls.lastCallStarted).toBeGreaterThan(Date.now() - 60_000);
    expect(channel.trace.events.map((e) => e.description)).toContain("Channel Connectivity change to READY");

    const [sub] = channel.subchannels;
    expect(registry.subchannel(sub.id)).toBe(sub);
    expect(sub.state).toBe(ConnectivityState.READY);
    expect(sub.calls).toMatchObject({ callsStarted: 4, callsSucceeded: 3, callsFailed: 1 });
    const [clientSocket] = sub.sockets;
    expect(registry.socket(clientSocket.id)).toBe(clientSocket);
    expect(clientSocket).toMatchObject({ side: "client", streamsStarted: 4, streamsSucceeded: 4, streamsFailed: 0 });
    expect(clientSocket).toMatchObject({ messagesSent: 4, messagesReceived: 5 });

    const server = registry.server(h.server.channelz!.id)!;
    expect(server.calls).toMatchObject({ callsStarted: 4, callsSucceeded: 3, callsFailed: 1 });
    expect([...server.listenSockets].map((l) => l.local)).toEqual([h.channel.target.raw]);
    const page = registry.serverSockets(server);
    expect(page.end).toBe(true);
    const serverSocket = page.items[0] as ChannelzSocket;
    expect(serverSocket).toMatchObject({ side: "server", streamsStarted: 4, streamsSucceeded: 4, messagesSent: 5, messagesReceived: 4 });
    expect(serverSocket.remote).toBe(clientSocket.local);
  });

  it("counts a cancelled call as failed on both sides and its stream as failed", async () => {
    const registry = enableChannelz();
    h = await startEcho();
    await h.client.echo({ message: "warm" });
    const ac = new AbortController();
    const p = h.client.echo({ message: "slow", delayMs: 5_000 }, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    expect((await failure(p)).code).toBe(Code.CANCELLED);
    await new Promise((r) => setTimeout(r, 20));
    const cz = h.channel.channelz!;
    expect(cz.calls).toMatchObject({ callsStarted: 2, callsSucceeded: 1, callsFailed: 1 });
    const [socket] = [...cz.subchannels][0].sockets;
    expect(socket).toMatchObject({ streamsSucceeded: 1, streamsFailed: 1 });
    expect(registry.server(h.server.channelz!.id)!.calls).toMatchObject({ callsStarted: 2, callsFailed: 1 });
  });

  it("pages top channels by id and forgets closed channels and servers", async () => {
    const registry = enableChannelz();
    h = await startEcho();
    const other = await startEcho();
    await h.client.echo({ message: "a" });
    await other.client.echo({ message: "b" });
    const ids = [h.channel.channelz!.id, other.channel.channelz!.id].sort((a, b) => a - b);
    const first = registry.topChannels(ids[0], 1);
    expect(first.items.map((c) => c.id)).toEqual([ids[0]]);
    expect(first.end).toBe(false);
    const second = registry.topChannels(ids[0] + 1, 1);
    expect(second.items.map((c) => c.id)).toEqual([ids[1]]);
    expect(second.end).toBe(true);
    const sub = [...other.channel.channelz!.subchannels][0];
    await other.close();
    expect(registry.channel(other.channel.channelz!.id)).toBeUndefined();
    expect(registry.subchannel(sub.id)).toBeUndefined();
    expect(registry.server(other.server.channelz!.id)).toBeUndefined();
    expect(registry.channel(h.channel.channelz!.id)).toBeDefined();
  });
});
