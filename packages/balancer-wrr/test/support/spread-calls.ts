/**
 * What the loopback tests share: a grpckit channel with weighted_round_robin over three
 * backends that answer EchoService with their own name, and a count of which backend
 * answered each of many calls.
 */
import { createChannel, createClient, createManualResolver, type Channel } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { EchoService } from "../../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { registerWeightedRoundRobin, type WeightedRoundRobinJsonConfig } from "../../src/index.js";

registerWeightedRoundRobin();

/** The backends' names; each reports the load that gives it weight 1, 2 or 3. */
export const backendNames = ["one", "two", "three"] as const;
export type BackendName = (typeof backendNames)[number];
/** The application utilization each backend reports at 100 queries per second: weights 100, 200, 300. */
export const utilizationOf: Record<BackendName, number> = { one: 1, two: 1 / 2, three: 1 / 3 };
/** The opposite loads, weights 300, 200, 100: what a report the policy must ignore says. */
export const oppositeUtilizationOf: Record<BackendName, number> = { one: 1 / 3, two: 1 / 2, three: 1 };
export const REPORTED_QPS = 100;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface WeightedChannel {
  readonly channel: Channel;
  /** Sends `calls` calls, `concurrency` at a time, and counts which backend answered each. */
  spread(calls: number, concurrency?: number): Promise<Record<BackendName, number>>;
  /** Calls until every backend has answered once (so all are READY); bounded. */
  untilAllAnswered(): Promise<void>;
  /**
   * Warm-up: sends 60 calls at a time, 100 ms apart, until they no longer split evenly,
   * that is until the policy weighs the backends by their reports; bounded (50 rounds).
   */
  untilWeighted(): Promise<void>;
}

/** A channel over `addrs` (one per backend) with weighted_round_robin configured as `config`. */
export function weightedChannel(addrs: readonly string[], config: WeightedRoundRobinJsonConfig): WeightedChannel {
  const resolver = createManualResolver();
  resolver.updateState({ endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) });
  const channel = createChannel("manual:///wrr", {
    transport: h2Transport(),
    resolvers: [resolver],
    defaultServiceConfig: { loadBalancingConfig: [{ weighted_round_robin: config }] },
  });
  const client = createClient(EchoService, channel);
  return {
    channel,
    async spread(calls, concurrency = 8) {
      const counts: Record<BackendName, number> = { one: 0, two: 0, three: 0 };
      let left = calls;
      const worker = async () => {
        while (left > 0) {
          left--;
          const { message } = await client.echo({ message: "x" });
          counts[message as BackendName]++;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      return counts;
    },
    async untilAllAnswered() {
      const seen = new Set<string>();
      for (let i = 0; i < 500 && seen.size < backendNames.length; i++) seen.add((await client.echo({}, { waitForReady: true })).message);
      if (seen.size < backendNames.length) throw new Error(`only ${[...seen].join(", ")} answered in 500 calls`);
    },
    async untilWeighted() {
      for (let round = 0; round < 50; round++) {
        const counts = await this.spread(60);
        const values = backendNames.map((n) => counts[n]);
        // Round robin gives 20 each; any weighted split of 1:2:3 or so differs by far more.
        if (Math.max(...values) - Math.min(...values) > 6) return;
        await sleep(100);
      }
      throw new Error("the calls still split evenly after 50 rounds: no backend's weight came into use");
    },
  };
}

/** "one 1000 (1.00), two 2001 (2.00), three 2999 (3.00)": each count, and its ratio to backend one's. */
export function describeSpread(counts: Record<BackendName, number>): string {
  return backendNames.map((n) => `${n} ${counts[n]} (${(counts[n] / counts.one).toFixed(3)})`).join(", ");
}

/** How far each count is from its share of 1:2:3, as a fraction of that share. */
export function deviationsFromOneTwoThree(counts: Record<BackendName, number>): number[] {
  const total = counts.one + counts.two + counts.three;
  return backendNames.map((n, i) => Math.abs(counts[n] - (total * (i + 1)) / 6) / ((total * (i + 1)) / 6));
}

/**
 * Warms `wrr` up until every backend answered and the weights are in use, then spreads
 * 6,000 calls and prints (and annotates) "<label>, 6000 calls: <spread>".
 */
export async function spreadAfterWarmUp(
  wrr: WeightedChannel,
  label: string,
  annotate: (message: string) => Promise<unknown>,
): Promise<Record<BackendName, number>> {
  await wrr.untilAllAnswered();
  await wrr.untilWeighted();
  const counts = await wrr.spread(6_000);
  const line = `${label}, 6000 calls: ${describeSpread(counts)}`;
  console.log(line);
  await annotate(line);
  return counts;
}
