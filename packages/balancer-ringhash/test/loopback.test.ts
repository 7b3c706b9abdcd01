/**
 * ring_hash over real loopback HTTP/2 (transport-h2): four servers, a channel hashing
 * the "x-user" header. Calls of one user all reach one server; a thousand users
 * spread over the four.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Metadata, createChannel, createClient, createManualResolver, createServer, type Channel, type Server } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { registerRingHash } from "../src/index.js";

registerRingHash();

const transport = h2Transport();
const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };

afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

/** A server whose Echo answers with its own tag and counts its calls. */
async function serve(tag: string, counts: Map<string, number>): Promise<number> {
  const server = createServer({ transport });
  server.addService(EchoService, {
    ...echoImpl(),
    async echo() {
      counts.set(tag, (counts.get(tag) ?? 0) + 1);
      return { message: tag };
    },
  });
  const bound = await server.listen("127.0.0.1:0");
  open.servers.push(server);
  return bound.port!;
}

describe("ring_hash on loopback", () => {
  it("sends one user's calls to one server, and spreads 1,000 users over four", async ({ annotate }) => {
    const counts = new Map<string, number>();
    const tags = ["a", "b", "c", "d"];
    const ports = await Promise.all(tags.map((t) => serve(t, counts)));
    const resolver = createManualResolver();
    resolver.updateState({ endpoints: ports.map((port) => ({ addresses: [{ addr: `127.0.0.1:${port}` }] })) });
    const channel = createChannel("manual:///echo", {
      transport,
      resolvers: [resolver],
      defaultServiceConfig: { loadBalancingConfig: [{ ring_hash_experimental: { requestHashHeader: "x-user" } }] },
    });
    open.channels.push(channel);
    const client = createClient(EchoService, channel);

    // The same user, 20 calls: one server answers all of them.
    const answers = new Set<string>();
    for (let i = 0; i < 20; i++) answers.add((await client.echo({}, { metadata: new Metadata({ "x-user": "ada" }), waitForReady: true })).message);
    expect(answers.size).toBe(1);

    // 1,000 users, each called twice: each user's two calls reach the same server.
    counts.clear();
    const servedBy = new Map<string, string>();
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const userId = `user-${batch * 100 + i}`;
          const first = (await client.echo({}, { metadata: new Metadata({ "x-user": userId }), waitForReady: true })).message;
          const second = (await client.echo({}, { metadata: new Metadata({ "x-user": userId }), waitForReady: true })).message;
          expect(second).toBe(first);
          servedBy.set(userId, first);
        }),
      );
    }
    const users = new Map<string, number>();
    for (const tag of servedBy.values()) users.set(tag, (users.get(tag) ?? 0) + 1);
    const line = tags.map((t) => `${t} ${users.get(t) ?? 0}`).join(", ");
    console.log(`ring_hash loopback: 1,000 users (2,000 calls) per server: ${line}`);
    await annotate(`users per server: ${line}`);
    expect(servedBy.size).toBe(1000);
    expect([...counts.values()].reduce((a, b) => a + b)).toBe(2000);
    // Within reason: each server has some of the users, none most of them.
    for (const t of tags) {
      expect(users.get(t) ?? 0).toBeGreaterThanOrEqual(150);
      expect(users.get(t) ?? 0).toBeLessThanOrEqual(350);
    }
  });

  it("falls over to another server when a user's server goes away, and keeps that user there", async () => {
    const counts = new Map<string, number>();
    const tags = ["a", "b", "c"];
    const ports = await Promise.all(tags.map((t) => serve(t, counts)));
    const resolver = createManualResolver();
    resolver.updateState({ endpoints: ports.map((port) => ({ addresses: [{ addr: `127.0.0.1:${port}` }] })) });
    const channel = createChannel("manual:///echo", {
      transport,
      resolvers: [resolver],
      backoff: { baseDelayMs: 50, maxDelayMs: 200 },
      defaultServiceConfig: { loadBalancingConfig: [{ ring_hash_experimental: { requestHashHeader: "x-user" } }] },
    });
    open.channels.push(channel);
    const client = createClient(EchoService, channel);
    const call = () => client.echo({}, { metadata: new Metadata({ "x-user": "ada" }), waitForReady: true }).then((r) => r.message);
    const home = await call();
    open.servers[tags.indexOf(home)].forceShutdown();
    let moved: string | undefined;
    for (let i = 0; i < 200 && moved === undefined; i++) {
      const answer = await call().catch(() => undefined);
      if (answer !== undefined && answer !== home) moved = answer;
      else await new Promise((r) => setTimeout(r, 10));
    }
    expect(moved).toBeDefined();
    for (let i = 0; i < 10; i++) expect(await call()).toBe(moved);
  });
});
