import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, createServer, type Channel, type Server } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { ChannelzService } from "@grpckit/channelz";
import { HealthService, ServingStatus } from "@grpckit/health";
import { reflectionV1 } from "@grpckit/reflection";
import { addAdminServices, type AdminServices } from "../src/index.js";

const transport = http2Transport();
let server: Server;
let channel: Channel;
let admin: AdminServices;

beforeAll(async () => {
  server = createServer({ transport });
  admin = addAdminServices(server);
  const { address } = await server.listen("127.0.0.1:0");
  channel = createChannel(address, { transport });
});

afterAll(async () => {
  channel.close();
  server.forceShutdown();
});

describe("addAdminServices", () => {
  it("serves health: the whole server is SERVING, and statuses set through the manager are seen", async () => {
    const health = createClient(HealthService, channel);
    expect((await health.check({ service: "" })).status).toBe(ServingStatus.SERVING);
    admin.health.setServingStatus("demo.v1.Greeter", ServingStatus.NOT_SERVING);
    expect((await health.check({ service: "demo.v1.Greeter" })).status).toBe(ServingStatus.NOT_SERVING);
  });

  it("serves reflection listing the three admin services", async () => {
    const reflection = createClient(reflectionV1.ServerReflection, channel);
    async function* ask() {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
    }
    const names: string[] = [];
    for await (const res of reflection.serverReflectionInfo(ask())) {
      if (res.messageResponse.case === "listServicesResponse") names.push(...res.messageResponse.value.service.map((s) => s.name));
    }
    expect(names).toEqual(
      expect.arrayContaining(["grpc.health.v1.Health", "grpc.channelz.v1.Channelz", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]),
    );
  });

  it("serves channelz with this server and its calls counted", async () => {
    const channelz = createClient(ChannelzService, channel);
    const { server: servers } = await channelz.getServers({});
    const me = servers.find((s) => s.ref?.serverId === BigInt(server.channelz!.id));
    expect(me).toBeDefined();
    expect(me!.data?.callsStarted).toBeGreaterThanOrEqual(BigInt(3));
    expect(me!.listenSocket).toHaveLength(1);
  });
});
