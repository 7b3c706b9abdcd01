/** spill_over, a parent on endpoint sharding with pick_first children, driven through @grpckit/core/testing. */
import { describe, expect, it } from "vitest";
import { Code, ConnectivityState, GrpcError, balancerRegistry, parseServiceConfig } from "@grpckit/core";
import {
  createFakeBalancerClientConn,
  createFakeBuildOptions,
  expectAlwaysPicks,
  expectFails,
  expectQueues,
  expectRoundRobin,
} from "@grpckit/core/testing";
import { registerSpillOver, spillOverBalancer } from "../src/index.js";

const { READY, CONNECTING, IDLE, TRANSIENT_FAILURE, SHUTDOWN } = ConnectivityState;

const endpoints = (...addrs: string[]) => ({ endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) });

function start(primaryCount: number, ...addrs: string[]) {
  const cc = createFakeBalancerClientConn();
  const balancer = spillOverBalancer.build(cc, createFakeBuildOptions());
  balancer.updateClientConnState({ resolverState: endpoints(...addrs), config: { primaryCount } });
  return { cc, balancer };
}

describe("spill_over", () => {
  it("connects one pick_first child per endpoint and queues calls until one is READY", () => {
    const { cc } = start(1, "a:1", "b:1", "c:1");
    expect(cc.subchannels.map((s) => [s.addr, s.connectCount])).toEqual([
      ["a:1", 1],
      ["b:1", 1],
      ["c:1", 1],
    ]);
    expect(cc.state).toBe(CONNECTING);
    expectQueues(cc.picker);
  });

  it("sends every call to the primary while it is READY, spills to the others in turn while it is not, and returns", () => {
    const { cc } = start(1, "a:1", "b:1", "c:1");
    const [a, b, c] = cc.subchannels;
    b.setState(READY);
    c.setState(READY);
    // The primary is not READY yet: the others take turns.
    expectRoundRobin(cc.picker, [b, c]);
    a.setState(READY);
    expectAlwaysPicks(cc.picker, a, 30);
    // Its connection is lost: pick_first is asked to reconnect at once, and the calls spill meanwhile.
    a.setState(IDLE);
    expect(a.connectCount).toBe(2);
    expectRoundRobin(cc.picker, [b, c]);
    a.setState(READY);
    expectAlwaysPicks(cc.picker, a, 30);
  });

  it("takes turns over the first primaryCount endpoints", () => {
    const { cc } = start(2, "a:1", "b:1", "c:1");
    const [a, b, c] = cc.subchannels;
    for (const sc of [a, b, c]) sc.setState(READY);
    expectRoundRobin(cc.picker, [a, b]);
    a.setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "refused"));
    expectAlwaysPicks(cc.picker, b, 20);
  });

  it("follows the resolver's order when the endpoints change, and shuts down a removed endpoint's subchannel", () => {
    const { cc, balancer } = start(1, "a:1", "b:1");
    const [a, b] = cc.subchannels;
    a.setState(READY);
    b.setState(READY);
    balancer.updateClientConnState({ resolverState: endpoints("b:1", "c:1"), config: { primaryCount: 1 } });
    expect(a.state).toBe(SHUTDOWN);
    expect(b.connectCount).toBe(1);
    expectAlwaysPicks(cc.picker, b, 20);
  });

  it("fails calls with a backend's connection error once every endpoint failed", () => {
    const { cc } = start(1, "a:1", "b:1");
    const [a, b] = cc.subchannels;
    a.setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "a: connection refused"));
    expect(cc.state).toBe(CONNECTING);
    b.setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "b: connection refused"));
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).rawMessage).toMatch(/^[ab]: connection refused$/);
  });

  it("is chosen by name from a service config, primaryCount 1 by default and at least 1", () => {
    registerSpillOver();
    expect(parseServiceConfig({ loadBalancingConfig: [{ spill_over: {} }] }, balancerRegistry).balancerConfig).toEqual({ primaryCount: 1 });
    expect(() => parseServiceConfig({ loadBalancingConfig: [{ spill_over: { primaryCount: 0 } }] }, balancerRegistry)).toThrow(
      /invalid config for "spill_over": at "primaryCount"/,
    );
  });
});
