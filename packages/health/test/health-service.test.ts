/**
 * The grpc.health.v1 service over real HTTP/2 on loopback: Check, Watch and List as a
 * client sees them, and a cancelled Watch ending on the server.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Code, createChannel, createClient, createServer, GrpcError, type Channel, type Server } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { addHealthService, HealthService, ServingStatus, type HealthStatusManager } from "../src/index.js";

const transport = http2Transport();
const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };

afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

async function start(): Promise<{ health: HealthStatusManager; client: ReturnType<typeof createClient<typeof HealthService>> }> {
  const server = createServer({ transport });
  const health = addHealthService(server);
  const { address } = await server.listen("127.0.0.1:0");
  open.servers.push(server);
  const channel = createChannel(address, { transport });
  open.channels.push(channel);
  return { health, client: createClient(HealthService, channel) };
}

async function failure(p: Promise<unknown>): Promise<GrpcError> {
  try {
    await p;
  } catch (e) {
    return e as GrpcError;
  }
  throw new Error("expected the call to fail");
}

/** Polls `cond` every few ms, up to about a second. */
async function eventually(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

describe("Check", () => {
  it('answers SERVING for "" (the whole server) from the start', async () => {
    const { client } = await start();
    expect((await client.check({ service: "" }, { timeoutMs: 5000 })).status).toBe(ServingStatus.SERVING);
  });

  it("answers the status set for a service", async () => {
    const { health, client } = await start();
    health.setServingStatus("my.Service", ServingStatus.NOT_SERVING);
    expect((await client.check({ service: "my.Service" })).status).toBe(ServingStatus.NOT_SERVING);
    health.setServingStatus("my.Service", ServingStatus.SERVING);
    expect((await client.check({ service: "my.Service" })).status).toBe(ServingStatus.SERVING);
  });

  it("fails NOT_FOUND, naming the service, for a service the server does not know", async () => {
    const { client } = await start();
    const e = await failure(client.check({ service: "no.Such" }));
    expect(e).toBeInstanceOf(GrpcError);
    expect(e.code).toBe(Code.NOT_FOUND);
    expect(e.rawMessage).toContain("no.Such");
  });
});

describe("Watch", () => {
  it("sends SERVICE_UNKNOWN for an unknown service, keeps the stream open, then every change in order", async () => {
    const { health, client } = await start();
    const it = client.watch({ service: "late.Service" })[Symbol.asyncIterator]();
    expect((await it.next()).value?.status).toBe(ServingStatus.SERVICE_UNKNOWN);
    const changes = [ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVING];
    for (const status of changes) {
      const next = it.next();
      health.setServingStatus("late.Service", status);
      expect((await next).value?.status).toBe(status);
    }
    await it.return?.();
  });

  it("sends nothing when a status is set to the value it already has", async () => {
    const { health, client } = await start();
    health.setServingStatus("s", ServingStatus.SERVING);
    const it = client.watch({ service: "s" })[Symbol.asyncIterator]();
    expect((await it.next()).value?.status).toBe(ServingStatus.SERVING);
    const next = it.next();
    health.setServingStatus("s", ServingStatus.SERVING);
    health.setServingStatus("s", ServingStatus.SERVING);
    health.setServingStatus("s", ServingStatus.NOT_SERVING);
    expect((await next).value?.status).toBe(ServingStatus.NOT_SERVING);
    await it.return?.();
  });

  it("shutdown() sends NOT_SERVING to watchers and resume() sends SERVING", async () => {
    const { health, client } = await start();
    health.setServingStatus("a", ServingStatus.SERVING);
    const whole = client.watch({ service: "" })[Symbol.asyncIterator]();
    const a = client.watch({ service: "a" })[Symbol.asyncIterator]();
    expect((await whole.next()).value?.status).toBe(ServingStatus.SERVING);
    expect((await a.next()).value?.status).toBe(ServingStatus.SERVING);

    health.shutdown();
    expect((await whole.next()).value?.status).toBe(ServingStatus.NOT_SERVING);
    expect((await a.next()).value?.status).toBe(ServingStatus.NOT_SERVING);
    health.setServingStatus("a", ServingStatus.SERVING);
    expect((await client.check({ service: "a" })).status).toBe(ServingStatus.NOT_SERVING);

    health.resume();
    expect((await whole.next()).value?.status).toBe(ServingStatus.SERVING);
    expect((await a.next()).value?.status).toBe(ServingStatus.SERVING);
    await whole.return?.();
    await a.return?.();
  });

  it("a Watch the client cancels ends on the server: the manager holds no watcher afterwards", async () => {
    const { health, client } = await start();
    const controller = new AbortController();
    const it = client.watch({ service: "" }, { signal: controller.signal })[Symbol.asyncIterator]();
    expect((await it.next()).value?.status).toBe(ServingStatus.SERVING);
    expect(health.watcherCount).toBe(1);
    controller.abort();
    const e = await failure(it.next());
    expect(e.code).toBe(Code.CANCELLED);
    await eventually(() => health.watcherCount === 0);
  });

  it("a Watch whose deadline passes ends with DEADLINE_EXCEEDED and is released on the server", async () => {
    const { health, client } = await start();
    const it = client.watch({ service: "" }, { timeoutMs: 100 })[Symbol.asyncIterator]();
    expect((await it.next()).value?.status).toBe(ServingStatus.SERVING);
    const e = await failure(it.next());
    expect(e.code).toBe(Code.DEADLINE_EXCEEDED);
    await eventually(() => health.watcherCount === 0);
  });
});

describe("List", () => {
  it("returns every service's status, the whole server's included", async () => {
    const { health, client } = await start();
    health.setServingStatus("a", ServingStatus.SERVING);
    health.setServingStatus("b", ServingStatus.NOT_SERVING);
    const { statuses } = await client.list({});
    expect(Object.fromEntries(Object.entries(statuses).map(([k, v]) => [k, v.status]))).toEqual({
      "": ServingStatus.SERVING,
      a: ServingStatus.SERVING,
      b: ServingStatus.NOT_SERVING,
    });
  });

  it("lists 100 services and fails RESOURCE_EXHAUSTED above 100", async () => {
    const { health, client } = await start();
    for (let i = 1; i < 100; i++) health.setServingStatus(`svc${i}`, ServingStatus.SERVING);
    expect(Object.keys((await client.list({})).statuses)).toHaveLength(100);
    health.setServingStatus("svc100", ServingStatus.SERVING);
    const e = await failure(client.list({}));
    expect(e.code).toBe(Code.RESOURCE_EXHAUSTED);
  });
});
