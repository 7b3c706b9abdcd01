/**
 * Outlier detection over real loopback HTTP/2 (transport-h2): five grpckit servers
 * behind round_robin. One starts failing its calls, is ejected (calls stop reaching
 * it), and after it heals and its ejection time passes it receives calls again. Counts
 * are asserted, never timings: the loops wait for what they look for, up to a bound.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Code, createChannel, createClient, createManualResolver, createServer, GrpcError, type Channel, type Server } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { registerRoundRobin } from "@grpckit/balancer-roundrobin";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { registerOutlierDetection } from "../src/index.js";

registerRoundRobin();
registerOutlierDetection();

const transport = h2Transport();
const servers: Server[] = [];
const channels: Channel[] = [];

afterAll(() => {
  for (const c of channels) c.close();
  for (const s of servers) s.forceShutdown();
});

const tags = ["s0", "s1", "s2", "s3", "s4"];
/** Calls each server received. */
const received = new Map<string, number>(tags.map((t) => [t, 0]));
/** Servers whose handler fails every call with UNAVAILABLE. */
const failing = new Set<string>();

async function serve(tag: string): Promise<string> {
  const server = createServer({ transport });
  server.addService(EchoService, {
    ...echoImpl(),
    async echo() {
      received.set(tag, received.get(tag)! + 1);
      if (failing.has(tag)) throw new GrpcError(Code.UNAVAILABLE, `${tag} is overloaded`);
      return { message: tag };
    },
  });
  const bound = await server.listen("127.0.0.1:0");
  servers.push(server);
  return `127.0.0.1:${bound.port}`;
}

const snapshot = () => new Map(received);
const since = (before: Map<string, number>) => Object.fromEntries(tags.map((t) => [t, received.get(t)! - before.get(t)!]));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("outlier detection on loopback", () => {
  it("ejects a backend that starts failing, and sends it calls again once it healed and its ejection time passed", async () => {
    const addrs = await Promise.all(tags.map(serve));
    const resolver = createManualResolver();
    resolver.updateState({ endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) });
    const channel = createChannel("manual:///echo", {
      transport,
      resolvers: [resolver],
      defaultServiceConfig: {
        loadBalancingConfig: [
          {
            outlier_detection_experimental: {
              interval: "0.2s",
              baseEjectionTime: "1s",
              maxEjectionTime: "3s",
              // Five servers, one failing: its success rate lies two standard deviations below the mean, under 1.9's threshold.
              successRateEjection: { requestVolume: 5 },
              childPolicy: [{ round_robin: {} }],
            },
          },
        ],
      },
    });
    channels.push(channel);
    const client = createClient(EchoService, channel);
    /** Ten calls at once: round_robin over n READY servers gives each 10/n of them. */
    const batch = () => Promise.allSettled(Array.from({ length: 10 }, () => client.echo({ message: "x" })));

    // Warm up until all five servers answered, so all five are READY.
    const seen = new Set<string>();
    for (let i = 0; i < 500 && seen.size < 5; i++) seen.add((await client.echo({}, { waitForReady: true })).message);
    expect([...seen].sort()).toEqual(tags);

    // s3 fails every call. Batches go on until five in a row (50 calls) did not reach it:
    // round_robin over five READY servers would send it two of every ten.
    failing.add("s3");
    let before = snapshot();
    let batches = 0;
    let failures = 0;
    let streak = 0;
    let streakFailures = 0;
    for (; batches < 2000 && streak < 5; batches++) {
      const s3Before = received.get("s3")!;
      const results = await batch();
      const failed = results.filter((r) => r.status === "rejected").length;
      failures += failed;
      if (received.get("s3") === s3Before) {
        streak++;
        streakFailures += failed;
      } else {
        streak = 0;
        streakFailures = 0;
      }
    }
    const whileFailing = since(before);
    console.log(
      `s3 failing: ${batches * 10} calls (${failures} failed) until 50 in a row missed s3; per server: ${JSON.stringify(whileFailing)}`,
    );
    expect(streak).toBe(5);
    expect(streakFailures).toBe(0);
    expect(whileFailing.s3).toBeGreaterThan(0);

    // s3 heals. Calls go on, ten at a time with a pause between, until s3 receives one again.
    failing.delete("s3");
    before = snapshot();
    let rounds = 0;
    for (; rounds < 500 && received.get("s3") === before.get("s3"); rounds++) {
      const results = await batch();
      expect(results.filter((r) => r.status === "rejected")).toEqual([]);
      await sleep(20);
    }
    const untilBack = since(before);
    console.log(`s3 healed: ${rounds * 10} calls until s3 received one again; per server: ${JSON.stringify(untilBack)}`);
    expect(untilBack.s3).toBeGreaterThan(0);

    // Back in the rotation: every server takes calls, and they all succeed.
    before = snapshot();
    const after = (await Promise.all(Array.from({ length: 5 }, batch))).flat();
    const spread = since(before);
    console.log(`after s3 returned: 50 calls, per server: ${JSON.stringify(spread)}`);
    expect(after.filter((r) => r.status === "rejected")).toEqual([]);
    for (const t of tags) expect(spread[t]).toBeGreaterThan(0);
  }, 60_000);
});
