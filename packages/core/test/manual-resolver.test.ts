import { afterEach, describe, expect, it } from "vitest";
import {
  Code,
  ConnectivityState,
  createChannel,
  createClient,
  createInMemoryTransport,
  createManualResolver,
  createServer,
  type Channel,
  type Server,
} from "../src/index.js";
import { EchoService, echoImpl } from "./support/echo-service.js";
import { failure } from "./support/harness.js";

const transport = createInMemoryTransport();
const open: { channels: Channel[]; servers: Server[] } = { channels: [], servers: [] };

async function startServer(name: string): Promise<string> {
  const server = createServer({ transport });
  server.addService(EchoService, echoImpl());
  open.servers.push(server);
  return (await server.listen(name)).address;
}

function channelFor(target: string, options: Parameters<typeof createChannel>[1]): Channel {
  const channel = createChannel(target, { transport, ...options });
  open.channels.push(channel);
  return channel;
}

afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

describe("the manual resolver", () => {
  it("delivers a state pushed before the channel builds it", async () => {
    const addr = await startServer("manual-initial");
    const r = createManualResolver();
    r.updateState({ endpoints: [{ addresses: [{ addr }] }] });
    const client = createClient(EchoService, channelFor("manual:///anything", { resolvers: [r] }));
    expect((await client.echo({ message: "hi" })).message).toBe("hi");
    expect(r.built).toBe(true);
  });

  it("lets a call queue until addresses are pushed", async () => {
    const addr = await startServer("manual-late");
    const r = createManualResolver();
    const channel = channelFor("manual:///svc", { resolvers: [r] });
    const reply = createClient(EchoService, channel).echo({ message: "later" });
    await new Promise((res) => setTimeout(res, 10));
    expect(channel.getConnectivityState()).toBe(ConnectivityState.CONNECTING);
    r.updateState({ endpoints: [{ addresses: [{ addr }] }] });
    expect((await reply).message).toBe("later");
  });

  it("moves calls to the new backend when the state changes", async () => {
    const a = await startServer("manual-a");
    const b = await startServer("manual-b");
    const r = createManualResolver();
    r.updateState({ endpoints: [{ addresses: [{ addr: a }] }] });
    const channel = channelFor("manual:///svc", { resolvers: [r] });
    const client = createClient(EchoService, channel);
    await client.echo({});
    open.servers[0].forceShutdown();
    r.updateState({ endpoints: [{ addresses: [{ addr: b }] }] });
    expect((await client.echo({ message: "b" }, { waitForReady: true })).message).toBe("b");
  });

  it("fails calls with UNAVAILABLE carrying a reported error's message", async () => {
    const r = createManualResolver();
    r.reportError(new Error("registry unreachable"));
    const client = createClient(EchoService, channelFor("manual:///svc", { resolvers: [r] }));
    const err = await failure(client.echo({}));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain("registry unreachable");
  });

  it("counts the channel's re-resolution requests and calls onResolveNow", async () => {
    const addr = await startServer("manual-reresolve");
    const r = createManualResolver();
    let hooked = 0;
    r.onResolveNow = () => hooked++;
    r.updateState({ endpoints: [{ addresses: [{ addr }] }] });
    const client = createClient(EchoService, channelFor("manual:///svc", { resolvers: [r] }));
    await client.echo({});
    expect(r.lastResolveNowCount).toBe(0);
    open.servers[0].forceShutdown();
    for (let i = 0; i < 100 && r.lastResolveNowCount === 0; i++) await new Promise((res) => setTimeout(res, 5));
    expect(r.lastResolveNowCount).toBeGreaterThan(0);
    expect(hooked).toBe(r.lastResolveNowCount);
  });

  it("serves its own scheme name", async () => {
    const addr = await startServer("manual-scheme");
    const r = createManualResolver("mine");
    expect(r.name).toBe("mine");
    r.updateState({ endpoints: [{ addresses: [{ addr }] }] });
    const client = createClient(EchoService, channelFor("mine:///x", { resolvers: [r] }));
    expect((await client.echo({ message: "ok" })).message).toBe("ok");
  });

  it("stops forwarding once the channel closes", async () => {
    const r = createManualResolver();
    const channel = channelFor("manual:///svc", { resolvers: [r] });
    channel.getConnectivityState(true);
    expect(r.built).toBe(true);
    channel.close();
    expect(r.built).toBe(false);
    expect(() => r.updateState({ endpoints: [] })).not.toThrow();
  });
});
