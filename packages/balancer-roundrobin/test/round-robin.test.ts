import { describe, expect, it } from "vitest";
import { Code, ConnectivityState, GrpcError, Registry, parseServiceConfig, type Balancer, type BalancerBuilder, type ServiceConfig } from "@grpckit/core";
import {
  createFakeBalancerClientConn,
  expectFails,
  expectQueues,
  expectRoundRobin,
  pickDistribution,
  pickedSubchannels,
  type FakeBalancerClientConn,
} from "@grpckit/core/testing";
import { RoundRobinPicker, roundRobinBalancer } from "../src/index.js";

const { READY, CONNECTING, IDLE, TRANSIENT_FAILURE, SHUTDOWN } = ConnectivityState;

const endpoints = (...addrs: string[]) => ({
  resolverState: { endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) },
  config: undefined,
});

function start(...addrs: string[]): { cc: FakeBalancerClientConn; balancer: Balancer } {
  const cc = createFakeBalancerClientConn();
  const balancer = roundRobinBalancer.build(cc);
  balancer.updateClientConnState(endpoints(...addrs));
  return { cc, balancer };
}

describe("round_robin", () => {
  it("is named round_robin", () => {
    expect(roundRobinBalancer.name).toBe("round_robin");
  });

  it("is chosen by a typed service config naming round_robin", () => {
    // Typed: the package adds round_robin to core's BalancerConfigMap.
    const config: ServiceConfig = { loadBalancingConfig: [{ round_robin: {} }] };
    const registry = new Registry<BalancerBuilder>("balancer").register(roundRobinBalancer);
    expect(parseServiceConfig(config, registry).balancer).toBe(roundRobinBalancer);
  });

  it("creates one subchannel per endpoint and connects them all", () => {
    const { cc } = start("a:1", "b:1", "c:1");
    expect(cc.subchannels.map((s) => s.addr)).toEqual(["a:1", "b:1", "c:1"]);
    expect(cc.subchannels.map((s) => s.connectCount)).toEqual([1, 1, 1]);
    // Health-checked when the service config has a healthCheckConfig (gRFC A17).
    expect(cc.subchannels.map((s) => s.options.healthCheck)).toEqual([true, true, true]);
    expect(cc.state).toBe(CONNECTING);
    expectQueues(cc.picker);
  });

  it("rotates picks over the READY subchannels only", () => {
    const { cc } = start("a:1", "b:1", "c:1");
    const [a, b, c] = cc.subchannels;
    a.setState(READY);
    c.setState(READY);
    b.setState(CONNECTING);
    expect(cc.state).toBe(READY);
    expectRoundRobin(cc.picker, [a, c]);
    b.setState(READY);
    expectRoundRobin(cc.picker, [a, b, c]);
    expect(pickDistribution(cc.picker, 300)).toEqual(new Map([[a, 100], [b, 100], [c, 100]]));
  });

  it("starts each picker at a random subchannel", () => {
    const { cc } = start("a:1", "b:1", "c:1");
    for (const sc of cc.subchannels) sc.setState(READY);
    const firsts = new Set<unknown>();
    for (let i = 0; i < 200 && firsts.size < 3; i++) firsts.add(pickedSubchannels(new RoundRobinPicker(cc.subchannels), 1)[0]);
    expect(firsts.size).toBe(3);
  });

  it("reconnects a subchannel that goes IDLE at once and asks for re-resolution", () => {
    const { cc } = start("a:1", "b:1");
    const [a, b] = cc.subchannels;
    a.setState(READY);
    b.setState(READY);
    a.setState(IDLE);
    expect(a.connectCount).toBe(2);
    expect(cc.reresolutionRequests).toBe(1);
    expectRoundRobin(cc.picker, [b]);
  });

  it("is CONNECTING while no subchannel is READY and one is still trying", () => {
    const { cc } = start("a:1", "b:1");
    const [a, b] = cc.subchannels;
    a.setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "refused"));
    b.setState(CONNECTING);
    expect(cc.state).toBe(CONNECTING);
    expectQueues(cc.picker);
  });

  it("fails picks with UNAVAILABLE naming the last error when every subchannel failed", () => {
    const { cc } = start("a:1", "b:1");
    const [a, b] = cc.subchannels;
    a.setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "a: connection refused"));
    b.setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "b: connection refused"));
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    const err = expectFails(cc.picker);
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain("b: connection refused");
    expect(cc.reresolutionRequests).toBe(2);
  });

  it("stays in TRANSIENT_FAILURE while failed subchannels retry, until one is READY", () => {
    const { cc } = start("a:1");
    const [a] = cc.subchannels;
    a.setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "refused"));
    a.setState(CONNECTING);
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    a.setState(READY);
    expect(cc.state).toBe(READY);
    expectRoundRobin(cc.picker, [a]);
  });

  it("keeps subchannels of unchanged endpoints and shuts down removed ones on an address update", () => {
    const { cc, balancer } = start("a:1", "b:1");
    const [a, b] = cc.subchannels;
    a.setState(READY);
    b.setState(READY);
    balancer.updateClientConnState(endpoints("a:1", "c:1"));
    expect(cc.subchannels).toHaveLength(3);
    expect(a.shutdownCount).toBe(0);
    expect(a.connectCount).toBe(1);
    expect(b.shutdownCount).toBe(1);
    expect(b.state).toBe(SHUTDOWN);
    const c = cc.subchannelFor("c:1");
    expect(c.connectCount).toBe(1);
    expectRoundRobin(cc.picker, [a]);
    c.setState(READY);
    expectRoundRobin(cc.picker, [a, c]);
  });

  it("goes TRANSIENT_FAILURE when the resolver returns no endpoints", () => {
    const { cc, balancer } = start("a:1");
    cc.subchannels[0].setState(READY);
    balancer.updateClientConnState(endpoints());
    expect(cc.subchannels[0].shutdownCount).toBe(1);
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).message).toContain("no addresses");
  });

  it("keeps serving through a resolver error while a subchannel is READY", () => {
    const { cc, balancer } = start("a:1");
    cc.subchannels[0].setState(READY);
    const published = cc.states.length;
    balancer.resolverError(new GrpcError(Code.UNAVAILABLE, "dns down"));
    expect(cc.states.length).toBe(published);
    expect(cc.state).toBe(READY);
  });

  it("fails picks with a resolver error before any endpoint is known", () => {
    const cc = createFakeBalancerClientConn();
    roundRobinBalancer.build(cc).resolverError(new GrpcError(Code.UNAVAILABLE, "dns down"));
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).message).toContain("dns down");
  });

  it("exitIdle connects IDLE subchannels", () => {
    const { cc, balancer } = start("a:1");
    balancer.exitIdle();
    expect(cc.subchannels[0].connectCount).toBe(2);
  });

  it("shuts every subchannel down on close and ignores later state changes", () => {
    const { cc, balancer } = start("a:1", "b:1");
    balancer.close();
    expect(cc.subchannels.map((s) => s.shutdownCount)).toEqual([1, 1]);
    const published = cc.states.length;
    cc.subchannels[0].setState(READY);
    expect(cc.states.length).toBe(published);
  });
});
