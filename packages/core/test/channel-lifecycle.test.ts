/**
 * A channel's lifecycle and the switches a channel sets for itself, as grpc-go's
 * dial options: the idle timeout, resetConnectBackoff, and turning off retries,
 * resolver-supplied service config and client-side health checking, and the cap on
 * attempts.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  Code,
  ConnectivityState,
  GrpcError,
  constantPicker,
  createChannel,
  createClient,
  createInMemoryTransport,
  createManualResolver,
  createServer,
  registerBalancer,
  registerHealthChecker,
  type Balancer,
  type BalancerClientConn,
  type Channel,
  type ChannelOptions,
  type ResolverState,
  type Server,
  type ServiceConfig,
  type Subchannel,
} from "../src/index.js";
import { EchoService } from "./gen/grpckit/test/v1/echo_pb.js";

const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };
afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
  registerHealthChecker(undefined);
});

let nextName = 1;

/** A server whose Echo fails with UNAVAILABLE until it has been called `failures` times; it counts every attempt. */
async function startServer(transport = createInMemoryTransport(), failures = 0, name = `lifecycle-${nextName++}`) {
  const counts = { attempts: 0, streamsOpen: 0 };
  const server = createServer({ transport });
  server.addService(EchoService, {
    async echo(req) {
      counts.attempts++;
      if (counts.attempts <= failures) throw new GrpcError(Code.UNAVAILABLE, `attempt ${counts.attempts} fails`);
      return { message: req.message, payload: req.payload };
    },
    async *expand(req, ctx) {
      counts.streamsOpen++;
      try {
        yield { message: req.message, index: 0 };
        await new Promise((res) => setTimeout(res, req.delayMs));
        if (!ctx.signal.aborted) yield { message: req.message, index: 1 };
      } finally {
        counts.streamsOpen--;
      }
    },
    async collect() {
      return { message: "" };
    },
    async *chat() {},
  });
  await server.listen(name);
  open.servers.push(server);
  return { server, name, transport, counts };
}

function channelTo(target: string, options: ChannelOptions) {
  const channel = createChannel(target, options);
  open.channels.push(channel);
  return { channel, client: createClient(EchoService, channel) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(5);
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

const retryConfig = (maxAttempts: number): ServiceConfig => ({
  methodConfig: [
    {
      name: [{ service: "grpckit.test.v1.EchoService" }],
      retryPolicy: { maxAttempts, initialBackoff: "0.001s", maxBackoff: "0.001s", backoffMultiplier: 1, retryableStatusCodes: ["UNAVAILABLE"] },
    },
  ],
});

describe("the idle timeout", () => {
  it("sends a channel with no call IDLE, closing its resolver and connection; the next call wakes it", async () => {
    const { name, transport } = await startServer();
    const resolver = createManualResolver("idle-test");
    resolver.updateState({ endpoints: [{ addresses: [{ addr: name }] }] });
    const { channel, client } = channelTo("idle-test:///backend", { transport, resolvers: [resolver], idleTimeoutMs: 100 });
    expect((await client.echo({ message: "one" })).message).toBe("one");
    expect(channel.getConnectivityState()).toBe(ConnectivityState.READY);
    expect(resolver.built).toBe(true);
    await until(() => channel.getConnectivityState() === ConnectivityState.IDLE, "the channel to go idle");
    expect(resolver.built).toBe(false);
    expect((await client.echo({ message: "two" })).message).toBe("two");
    expect(channel.getConnectivityState()).toBe(ConnectivityState.READY);
    expect(resolver.built).toBe(true);
  });

  it("waits while a call is open, however long, and counts from its end", async () => {
    const { name, transport, counts } = await startServer();
    const { channel, client } = channelTo(name, { transport, idleTimeoutMs: 80 });
    const seen: number[] = [];
    for await (const r of client.expand({ message: "long", delayMs: 300 })) seen.push(r.index);
    expect(seen).toEqual([0, 1]);
    // The stream outlived the timeout several times over, and the channel stayed connected for it.
    expect(channel.getConnectivityState()).toBe(ConnectivityState.READY);
    expect(counts.streamsOpen).toBe(0);
    await until(() => channel.getConnectivityState() === ConnectivityState.IDLE, "the channel to go idle after the stream");
  });

  it("never sends a channel IDLE when it is 0", async () => {
    const { name, transport } = await startServer();
    const { channel, client } = channelTo(name, { transport, idleTimeoutMs: 0 });
    await client.echo({ message: "x" });
    await sleep(250);
    expect(channel.getConnectivityState()).toBe(ConnectivityState.READY);
  });

  it("is refused when negative, and so is a cap on attempts below 1", () => {
    expect(() => createChannel("x", { idleTimeoutMs: -1 })).toThrow("idleTimeoutMs must be 0 (never idle) or a number of milliseconds; got -1");
    expect(() => createChannel("x", { maxCallAttempts: 0 })).toThrow("maxCallAttempts must be a whole number of attempts, 1 or more; got 0");
    expect(() => createChannel("x", { maxCallAttempts: 2.5 })).toThrow(/got 2.5/);
  });
});

describe("retry switches", () => {
  it("maxCallAttempts caps a retry policy's attempts: 3 allowed fails a call that needs 4", async () => {
    const { name, transport, counts } = await startServer(undefined, 3);
    const { client } = channelTo(name, { transport, defaultServiceConfig: retryConfig(5), maxCallAttempts: 3 });
    await expect(client.echo({ message: "x" })).rejects.toMatchObject({ code: Code.UNAVAILABLE, rawMessage: "attempt 3 fails" });
    expect(counts.attempts).toBe(3);
  });

  it("maxCallAttempts above the default lets a policy make more than 5 attempts", async () => {
    const { name, transport, counts } = await startServer(undefined, 5);
    const { client } = channelTo(name, { transport, defaultServiceConfig: retryConfig(6), maxCallAttempts: 6 });
    expect((await client.echo({ message: "sixth" })).message).toBe("sixth");
    expect(counts.attempts).toBe(6);
  });

  it("the default cap is 5 attempts", async () => {
    const { name, transport, counts } = await startServer(undefined, 5);
    const { client } = channelTo(name, { transport, defaultServiceConfig: retryConfig(6) });
    await expect(client.echo({ message: "x" })).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    expect(counts.attempts).toBe(5);
  });

  it("disableRetries drops the retry policy", async () => {
    const { name, transport, counts } = await startServer(undefined, 1);
    const { client } = channelTo(name, { transport, defaultServiceConfig: retryConfig(3), disableRetries: true });
    await expect(client.echo({ message: "x" })).rejects.toMatchObject({ code: Code.UNAVAILABLE, rawMessage: "attempt 1 fails" });
    expect(counts.attempts).toBe(1);
  });
});

describe("disableServiceConfig", () => {
  async function withResolverConfig(options: ChannelOptions) {
    const { name, transport, counts } = await startServer(undefined, 1);
    const resolver = createManualResolver(`sc-test-${nextName++}`);
    const state: ResolverState = { endpoints: [{ addresses: [{ addr: name }] }], serviceConfig: JSON.stringify(retryConfig(3)) };
    resolver.updateState(state);
    const { client, channel } = channelTo(`${resolver.name}:///backend`, { transport, resolvers: [resolver], ...options });
    // Calls read the service config in force when they start: connect first, so it is the resolver's.
    await channel.waitForReady();
    return { client, counts };
  }

  it("uses the resolver's service config by default", async () => {
    const { client, counts } = await withResolverConfig({});
    expect((await client.echo({ message: "retried" })).message).toBe("retried");
    expect(counts.attempts).toBe(2);
  });

  it("ignores it when set, keeping the default service config", async () => {
    const { client, counts } = await withResolverConfig({ disableServiceConfig: true });
    await expect(client.echo({ message: "x" })).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    expect(counts.attempts).toBe(1);
  });
});

/** One health-checked subchannel for the first endpoint, picked while READY. */
class HealthCheckedProbe implements Balancer {
  private sc: Subchannel | undefined;
  constructor(private readonly cc: BalancerClientConn) {}
  updateClientConnState({ resolverState }: { resolverState: ResolverState }): void {
    if (this.sc !== undefined) return;
    const sc = (this.sc = this.cc.createSubchannel(resolverState.endpoints[0].addresses, { healthCheck: true }));
    sc.watch((state) => {
      if (state === ConnectivityState.SHUTDOWN) return;
      this.cc.updateState({
        state,
        picker: state === ConnectivityState.READY ? constantPicker({ type: "pick", subchannel: sc }) : constantPicker({ type: "queue" }),
      });
    });
    sc.connect();
  }
  resolverError(): void {}
  exitIdle(): void {
    this.sc?.connect();
  }
  close(): void {
    this.sc?.shutdown();
  }
}
registerBalancer({ name: "test_health_checked", build: (cc) => new HealthCheckedProbe(cc) });

describe("disableHealthCheck", () => {
  // JSON text: the test's policy is registered here, not declared in BalancerConfigMap.
  const config = JSON.stringify({ loadBalancingConfig: [{ test_health_checked: {} }], healthCheckConfig: { serviceName: "" } });

  it("sends calls to a backend its health check calls unhealthy when set", async () => {
    let checks = 0;
    registerHealthChecker((ctx) => {
      checks++;
      ctx.setState(ConnectivityState.TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "not serving"));
      return () => {};
    });
    const { name, transport } = await startServer();
    const checked = channelTo(name, { transport, defaultServiceConfig: config });
    await expect(checked.client.echo({ message: "x" }, { timeoutMs: 200 })).rejects.toMatchObject({ code: Code.DEADLINE_EXCEEDED });
    expect(checks).toBe(1);
    const unchecked = channelTo(name, { transport, defaultServiceConfig: config, disableHealthCheck: true });
    expect((await unchecked.client.echo({ message: "through" })).message).toBe("through");
    expect(checks).toBe(1);
  });
});

describe("resetConnectBackoff", () => {
  it("reconnects a subchannel waiting out a long backoff at once", async () => {
    const transport = createInMemoryTransport();
    const name = `late-${nextName++}`;
    const { channel, client } = channelTo(name, { transport, backoff: { baseDelayMs: 60_000, maxDelayMs: 60_000 } });
    const first = client.echo({ message: "waits" }, { waitForReady: true, timeoutMs: 5000 });
    await until(() => channel.getConnectivityState() === ConnectivityState.TRANSIENT_FAILURE, "the first connection attempt to fail");
    await startServer(transport, 0, name);
    channel.resetConnectBackoff();
    expect((await first).message).toBe("waits");
  });
});
