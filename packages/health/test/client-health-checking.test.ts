/**
 * Client-side health checking (gRFC A17) over real loopback HTTP/2: a round_robin
 * channel whose service config names a healthCheckConfig sends calls only to
 * backends whose health service reports SERVING.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  Code,
  ConnectivityState,
  createChannel,
  createClient,
  createServer,
  GrpcError,
  registerHealthChecker,
  type Channel,
  type Server,
} from "@grpckit/core";
import { registerRoundRobin } from "@grpckit/balancer-roundrobin";
import { http2Transport } from "@grpckit/transport-http2";
import { addHealthService, registerClientHealthChecking, ServingStatus, type HealthStatusManager } from "../src/index.js";
import { BackendService } from "./gen/grpckit/health/test/v1/backend_pb.js";

const transport = http2Transport();
const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };

beforeAll(() => {
  registerRoundRobin();
  registerClientHealthChecking();
});

afterAll(() => registerHealthChecker(undefined));

afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

interface Backend {
  name: string;
  server: Server;
  address: string;
  /** Undefined for a server without the health service. */
  health: HealthStatusManager | undefined;
}

async function backend(name: string, withHealth = true): Promise<Backend> {
  const server = createServer({ transport });
  server.addService(BackendService, { who: () => ({ backend: name }) });
  const health = withHealth ? addHealthService(server) : undefined;
  health?.setServingStatus("my.Service", ServingStatus.SERVING);
  const { address } = await server.listen("127.0.0.1:0");
  open.servers.push(server);
  return { name, server, address, health };
}

function healthCheckedClient(backends: Backend[], serviceName = "my.Service") {
  const channel = createChannel(`ipv4:${backends.map((b) => b.address).join(",")}`, {
    transport,
    backoff: { baseDelayMs: 50, maxDelayMs: 200 },
    defaultServiceConfig: JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }], healthCheckConfig: { serviceName } }),
  });
  open.channels.push(channel);
  return createClient(BackendService, channel);
}

type BackendClient = ReturnType<typeof healthCheckedClient>;

/** Makes `n` calls one after another and counts them per backend. */
async function countCalls(client: BackendClient, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const { backend } = await client.who({}, { waitForReady: true, timeoutMs: 5000 });
    counts.set(backend, (counts.get(backend) ?? 0) + 1);
  }
  return new Map([...counts].sort());
}

/** Calls until exactly the backends `names` answer within a window of calls, bounded. */
async function settle(client: BackendClient, names: string[]): Promise<void> {
  const want = [...names].sort().join(",");
  let seen = "";
  for (let round = 0; round < 100 && seen !== want; round++) {
    seen = [...(await countCalls(client, names.length * 4)).keys()].join(",");
    if (seen !== want) await new Promise((r) => setTimeout(r, 10));
  }
  expect(seen).toBe(want);
}

describe("client-side health checking with round_robin", () => {
  it("sends no call to a backend that reports NOT_SERVING, and calls it again once it is SERVING", async () => {
    const backends = await Promise.all(["a", "b", "c"].map((n) => backend(n)));
    const client = healthCheckedClient(backends);
    await settle(client, ["a", "b", "c"]);
    expect(await countCalls(client, 60)).toEqual(new Map([["a", 20], ["b", 20], ["c", 20]]));

    backends[1].health!.setServingStatus("my.Service", ServingStatus.NOT_SERVING);
    await settle(client, ["a", "c"]);
    expect(await countCalls(client, 60)).toEqual(new Map([["a", 30], ["c", 30]]));

    backends[1].health!.setServingStatus("my.Service", ServingStatus.SERVING);
    await settle(client, ["a", "b", "c"]);
    expect(await countCalls(client, 60)).toEqual(new Map([["a", 20], ["b", 20], ["c", 20]]));
  });

  it("checks the service the config names: other services' statuses do not matter", async () => {
    const backends = await Promise.all(["a", "b"].map((n) => backend(n)));
    const client = healthCheckedClient(backends, "my.Service");
    await settle(client, ["a", "b"]);
    backends[0].health!.setServingStatus("other.Service", ServingStatus.NOT_SERVING);
    backends[0].health!.setServingStatus("", ServingStatus.NOT_SERVING);
    expect(await countCalls(client, 40)).toEqual(new Map([["a", 20], ["b", 20]]));
  });

  it("a backend that does not know the service (SERVICE_UNKNOWN) takes no calls", async () => {
    const known = await backend("a");
    const unknown = await backend("b");
    const client = healthCheckedClient([known, unknown], "only.On.A");
    known.health!.setServingStatus("only.On.A", ServingStatus.SERVING);
    await settle(client, ["a"]);
    expect(await countCalls(client, 30)).toEqual(new Map([["a", 30]]));
  });

  it("a backend without the health service (UNIMPLEMENTED) is treated as healthy and still gets calls", async () => {
    const backends = [await backend("a"), await backend("plain", false), await backend("c")];
    const client = healthCheckedClient(backends);
    await settle(client, ["a", "plain", "c"]);
    expect(await countCalls(client, 60)).toEqual(new Map([["a", 20], ["c", 20], ["plain", 20]]));
  });

  it("with every backend NOT_SERVING, calls fail UNAVAILABLE with the health status in the message", async () => {
    const backends = await Promise.all(["a", "b", "c"].map((n) => backend(n)));
    const client = healthCheckedClient(backends);
    await settle(client, ["a", "b", "c"]);
    for (const b of backends) b.health!.setServingStatus("my.Service", ServingStatus.NOT_SERVING);

    let failure: GrpcError | undefined;
    for (let i = 0; i < 200 && failure === undefined; i++) {
      failure = await client.who({}).then(
        () => undefined,
        (e: GrpcError) => e,
      );
      if (failure === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    expect(failure).toBeInstanceOf(GrpcError);
    expect(failure!.code).toBe(Code.UNAVAILABLE);
    expect(failure!.rawMessage).toContain("health-check: backend status is NOT_SERVING");

    backends[2].health!.setServingStatus("my.Service", ServingStatus.SERVING);
    await settle(client, ["c"]);
  });

  it("a server shutting down its health manager drains calls away from it", async () => {
    const backends = await Promise.all(["a", "b"].map((n) => backend(n)));
    const client = healthCheckedClient(backends);
    await settle(client, ["a", "b"]);
    backends[0].health!.shutdown();
    await settle(client, ["b"]);
    expect(await countCalls(client, 20)).toEqual(new Map([["b", 20]]));
  });

  it("a graceful server shutdown completes: the channel cancels its Watch when the server sends GOAWAY", async () => {
    const [a, b] = await Promise.all(["a", "b"].map((n) => backend(n)));
    const client = healthCheckedClient([a, b]);
    await settle(client, ["a", "b"]);
    expect(a.health!.watcherCount).toBe(1);
    a.health!.shutdown();
    await settle(client, ["b"]);
    const stopped = await Promise.race([a.server.shutdown().then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]);
    expect(stopped).toBe(true);
    expect(a.health!.watcherCount).toBe(0);
    expect(await countCalls(client, 10)).toEqual(new Map([["b", 10]]));
  });

  it("without a healthCheckConfig, a NOT_SERVING backend still gets calls", async () => {
    const backends = await Promise.all(["a", "b"].map((n) => backend(n)));
    backends[0].health!.setServingStatus("my.Service", ServingStatus.NOT_SERVING);
    const channel = createChannel(`ipv4:${backends.map((b) => b.address).join(",")}`, {
      transport,
      loadBalancingPolicy: "round_robin",
    });
    open.channels.push(channel);
    const client = createClient(BackendService, channel);
    await settle(client, ["a", "b"]);
    expect(channel.getConnectivityState()).toBe(ConnectivityState.READY);
  });
});
