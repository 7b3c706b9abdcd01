/**
 * @grpc/grpc-js, with grpc.health.v1 loaded from this package's .proto by
 * @grpc/proto-loader: calling Check and Watch on a grpckit server, and serving the
 * Watch that a grpckit channel's client-side health checking follows.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, createClient, createServer, registerHealthChecker, type Channel, type Server } from "@grpckit/core";
import { registerRoundRobin } from "@grpckit/balancer-roundrobin";
import { http2Transport } from "@grpckit/transport-http2";
import { addHealthService, registerClientHealthChecking, ServingStatus, type HealthStatusManager } from "../src/index.js";
import { BackendService } from "./gen/grpckit/health/test/v1/backend_pb.js";

const definition = protoLoader.loadSync(["grpc/health/v1/health.proto", "grpckit/health/test/v1/backend.proto"], {
  keepCase: true,
  enums: String,
  defaults: true,
  includeDirs: [fileURLToPath(new URL("../proto", import.meta.url)), fileURLToPath(new URL("./proto", import.meta.url))],
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  grpckit: { health: { test: { v1: { BackendService: grpc.ServiceClientConstructor } } } };
};
const HealthClient = loaded.grpc.health.v1.Health;

interface JsHealthResponse {
  status: string;
}

const open: { servers: Server[]; clients: grpc.Client[]; channels: Channel[]; jsServers: grpc.Server[] } = {
  servers: [],
  clients: [],
  channels: [],
  jsServers: [],
};

afterEach(() => {
  for (const c of open.clients.splice(0)) c.close();
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
  for (const s of open.jsServers.splice(0)) s.forceShutdown();
});

async function start(): Promise<{ health: HealthStatusManager; client: grpc.Client & Record<string, any> }> {
  const server = createServer({ transport: http2Transport() });
  const health = addHealthService(server);
  const { port } = await server.listen("127.0.0.1:0");
  open.servers.push(server);
  const client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  open.clients.push(client);
  return { health, client };
}

function check(client: Record<string, any>, service: string): Promise<JsHealthResponse> {
  return new Promise((resolve, reject) => {
    client.Check({ service }, { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null, res: JsHealthResponse) =>
      err ? reject(err) : resolve(res),
    );
  });
}

describe("grpc-js client against a grpckit health service", () => {
  it("Check reads SERVING, NOT_SERVING, and NOT_FOUND for an unknown service", async () => {
    const { health, client } = await start();
    health.setServingStatus("my.Service", ServingStatus.NOT_SERVING);
    expect((await check(client, "")).status).toBe("SERVING");
    expect((await check(client, "my.Service")).status).toBe("NOT_SERVING");
    const e = (await check(client, "no.Such").catch((err: grpc.ServiceError) => err)) as grpc.ServiceError;
    expect(e.code).toBe(grpc.status.NOT_FOUND);
    expect(e.details).toContain("no.Such");
  });

  it("Watch receives SERVICE_UNKNOWN, then each change, and its cancel releases the server's watcher", async () => {
    const { health, client } = await start();
    const call: grpc.ClientReadableStream<JsHealthResponse> = client.Watch({ service: "my.Service" });
    const received: string[] = [];
    const waiters: (() => void)[] = [];
    call.on("data", (res: JsHealthResponse) => {
      received.push(res.status);
      waiters.shift()?.();
    });
    call.on("error", () => {});
    const nextMessage = () => new Promise<void>((resolve) => waiters.push(resolve));

    await nextMessage();
    for (const status of [ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVING]) {
      const next = nextMessage();
      health.setServingStatus("my.Service", status);
      await next;
    }
    expect(received).toEqual(["SERVICE_UNKNOWN", "SERVING", "NOT_SERVING", "SERVING"]);
    expect(health.watcherCount).toBe(1);

    call.cancel();
    for (let i = 0; i < 200 && health.watcherCount > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(health.watcherCount).toBe(0);
  });
});

/** A grpc-js server answering Who with "js", whose Watch streams send what `send` is given. */
async function jsBackend(): Promise<{ address: string; send(status: string): void }> {
  const watchers = new Set<grpc.ServerWritableStream<unknown, JsHealthResponse>>();
  let current = "SERVING";
  const server = new grpc.Server();
  server.addService(loaded.grpckit.health.test.v1.BackendService.service, {
    Who: (_call: unknown, callback: grpc.sendUnaryData<{ backend: string }>) => callback(null, { backend: "js" }),
  });
  server.addService(HealthClient.service, {
    Check: (_call: unknown, callback: grpc.sendUnaryData<JsHealthResponse>) => callback(null, { status: current }),
    Watch: (call: grpc.ServerWritableStream<unknown, JsHealthResponse>) => {
      watchers.add(call);
      call.on("cancelled", () => watchers.delete(call));
      call.write({ status: current });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  open.jsServers.push(server);
  return {
    address: `127.0.0.1:${port}`,
    send(status) {
      current = status;
      for (const w of watchers) w.write({ status });
    },
  };
}

describe("grpckit client-side health checking against a grpc-js health service", () => {
  it("stops calling a grpc-js backend whose Watch says NOT_SERVING, and calls it again after SERVING", async () => {
    registerRoundRobin();
    registerClientHealthChecking();
    try {
      const server = createServer({ transport: http2Transport() });
      server.addService(BackendService, { who: () => ({ backend: "kit" }) });
      addHealthService(server);
      const { address } = await server.listen("127.0.0.1:0");
      open.servers.push(server);
      const js = await jsBackend();
      const channel = createChannel(`ipv4:${address},${js.address}`, {
        transport: http2Transport(),
        defaultServiceConfig: JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }], healthCheckConfig: { serviceName: "" } }),
      });
      open.channels.push(channel);
      const client = createClient(BackendService, channel);
      const answered = async (n: number) => {
        const seen = new Set<string>();
        for (let i = 0; i < n; i++) seen.add((await client.who({}, { waitForReady: true, timeoutMs: 5000 })).backend);
        return [...seen].sort();
      };
      const until = async (want: string[]) => {
        let seen: string[] = [];
        for (let i = 0; i < 100 && seen.join() !== want.join(); i++) {
          seen = await answered(10);
          if (seen.join() !== want.join()) await new Promise((r) => setTimeout(r, 10));
        }
        expect(seen).toEqual(want);
      };

      await until(["js", "kit"]);
      js.send("NOT_SERVING");
      await until(["kit"]);
      expect(await answered(30)).toEqual(["kit"]);
      js.send("SERVING");
      await until(["js", "kit"]);
    } finally {
      registerHealthChecker(undefined);
    }
  });
});
