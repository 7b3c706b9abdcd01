/**
 * A channel follows a DNS change: once its server goes away, the channel asks the dns
 * resolver again and its next calls reach the server the name now points at.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConnectivityState, createChannel, createClient, createServer, type Channel, type Server } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { dnsResolver } from "../src/index.js";
import { Dnsmasq } from "./dnsmasq.js";

const transport = http2Transport();
const dns = new Dnsmasq();
const servers: Server[] = [];
const channels: Channel[] = [];

beforeAll(async () => {
  await dns.start({ hosts: { "svc.test": ["127.0.0.1"] } });
});

afterEach(() => {
  for (const c of channels.splice(0)) c.close();
  for (const s of servers.splice(0)) s.forceShutdown();
});

afterAll(async () => {
  await dns.dispose();
});

/** A server on `host:port` whose Echo answers with `tag` and counts its calls. */
async function serve(tag: string, host: string, port: number, counts: Map<string, number>): Promise<{ server: Server; port: number }> {
  const server = createServer({ transport });
  server.addService(EchoService, {
    ...echoImpl(),
    async echo() {
      counts.set(tag, (counts.get(tag) ?? 0) + 1);
      return { message: tag };
    },
  });
  const bound = await server.listen(`${host}:${port}`);
  servers.push(server);
  return { server, port: bound.port! };
}

describe("a channel resolving through dns", () => {
  it("reaches the new address of its name after its server shuts down", async ({ annotate }) => {
    const counts = new Map<string, number>();
    const a = await serve("A", "127.0.0.1", 0, counts);
    await serve("B", "127.0.0.2", a.port, counts);
    const channel = createChannel(`dns://${dns.server}/svc.test:${a.port}`, {
      transport,
      backoff: { baseDelayMs: 50, maxDelayMs: 200 },
      resolvers: [dnsResolver({ minResolutionIntervalMs: 50 })],
    });
    channels.push(channel);
    const client = createClient(EchoService, channel);
    for (let i = 0; i < 5; i++) expect((await client.echo({}, { timeoutMs: 5000 })).message).toBe("A");

    await dns.setHosts({ "svc.test": ["127.0.0.2"] }, "svc.test");
    a.server.forceShutdown();
    expect(await channel.waitForStateChange(ConnectivityState.READY, AbortSignal.timeout(5000))).not.toBe(ConnectivityState.READY);

    for (let i = 0; i < 5; i++) {
      expect((await client.echo({}, { waitForReady: true, timeoutMs: 5000 })).message).toBe("B");
    }
    await annotate(`calls per backend: A ${counts.get("A")} before the record changed, B ${counts.get("B")} after`);
    expect(counts).toEqual(new Map([["A", 5], ["B", 5]]));
  });
});
