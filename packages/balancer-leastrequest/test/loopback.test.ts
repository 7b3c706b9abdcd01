/**
 * least_request over real loopback HTTP/2 (transport-h2): three grpckit servers, one of
 * which holds its calls open. Calls pile onto the two that answer, and the held ones
 * finish once released. Counts are asserted, never timings.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Code, createChannel, createClient, createManualResolver, createServer, GrpcError, type Channel, type Server } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { registerLeastRequest } from "../src/index.js";

registerLeastRequest();

const transport = h2Transport();
const servers: Server[] = [];
const channels: Channel[] = [];

afterAll(() => {
  for (const c of channels) c.close();
  for (const s of servers) s.forceShutdown();
});

/** Counts what each server received, and holds the slow server's calls while `holding`. */
const received = new Map<string, number>();
let holding = false;
let releaseHeld: () => void = () => {};
let held = new Promise<void>((resolve) => (releaseHeld = resolve));
/** Resolved by the next call any server receives, so the test sends one call at a time. */
let onReceived: (tag: string) => void = () => {};

async function serve(tag: string, slow: boolean): Promise<string> {
  const server = createServer({ transport });
  server.addService(EchoService, {
    ...echoImpl(),
    async echo() {
      received.set(tag, (received.get(tag) ?? 0) + 1);
      onReceived(tag);
      if (slow && holding) await held;
      return { message: tag };
    },
  });
  const bound = await server.listen("127.0.0.1:0");
  servers.push(server);
  return `127.0.0.1:${bound.port}`;
}

describe("least_request on loopback", () => {
  it("piles calls onto the backends that answer while one holds its calls", async ({ annotate }) => {
    const addrs = [await serve("slow", true), await serve("fast-a", false), await serve("fast-b", false)];
    const resolver = createManualResolver();
    resolver.updateState({ endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) });
    const channel = createChannel("manual:///echo", {
      transport,
      resolvers: [resolver],
      defaultServiceConfig: { loadBalancingConfig: [{ least_request_experimental: { choiceCount: 2 } }] },
    });
    channels.push(channel);
    const client = createClient(EchoService, channel);

    // Warm up until all three backends have answered, so all three are READY.
    const seen = new Set<string>();
    for (let i = 0; i < 500 && seen.size < 3; i++) seen.add((await client.echo({}, { waitForReady: true })).message);
    expect([...seen].sort()).toEqual(["fast-a", "fast-b", "slow"]);

    received.clear();
    holding = true;
    const pending: Promise<unknown>[] = [];
    const calls = 300;
    for (let i = 0; i < calls; i++) {
      const arrived = new Promise<string>((resolve) => (onReceived = resolve));
      const call = client.echo({ message: "x" });
      pending.push(call);
      // A held call stays open; a fast one is awaited, so the fast backends never carry
      // an outstanding call when the next one is picked.
      if ((await arrived) !== "slow") await call;
    }
    const slow = received.get("slow") ?? 0;
    const fastA = received.get("fast-a") ?? 0;
    const fastB = received.get("fast-b") ?? 0;
    await annotate(`${calls} calls, one at a time, slow backend holding: slow ${slow}, fast-a ${fastA}, fast-b ${fastB}`);
    expect(slow + fastA + fastB).toBe(calls);
    // With calls held on it, the slow backend is taken only when both draws land on it
    // (1 in 9, about 33 calls); round robin would give it 100.
    expect(slow).toBeGreaterThan(0);
    expect(slow).toBeLessThan(75);
    expect(fastA).toBeGreaterThan(75);
    expect(fastB).toBeGreaterThan(75);

    holding = false;
    releaseHeld();
    const results = await Promise.allSettled(pending);
    const failed = results.filter((r) => r.status === "rejected");
    expect(failed.map((r) => (r.reason instanceof GrpcError ? Code[r.reason.code] : String(r.reason)))).toEqual([]);
    expect(results.filter((r) => r.status === "fulfilled" && (r.value as { message: string }).message === "slow")).toHaveLength(slow);
  });
});
