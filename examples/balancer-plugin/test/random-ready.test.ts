/** random_ready driven through @grpckit/core/testing: no network, states set by hand. */
import { describe, expect, it } from "vitest";
import { ConnectivityState, balancerRegistry, parseServiceConfig } from "@grpckit/core";
import { createFakeBalancerClientConn, expectFails, expectQueues, pickDistribution } from "@grpckit/core/testing";
import { randomReadyBalancer, registerRandomReady } from "../src/index.js";

const { READY, TRANSIENT_FAILURE } = ConnectivityState;

function start(avoid: string[], ...addrs: string[]) {
  const cc = createFakeBalancerClientConn();
  const balancer = randomReadyBalancer.build(cc);
  balancer.updateClientConnState({ resolverState: { endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) }, config: { avoid } });
  return { cc, balancer };
}

describe("random_ready", () => {
  it("queues calls until a backend is READY, then picks only READY ones", () => {
    const { cc } = start([], "a:1", "b:1", "c:1");
    expectQueues(cc.picker);
    cc.subchannelFor("b:1").setState(READY);
    expect([...pickDistribution(cc.picker, 100).keys()]).toEqual([cc.subchannelFor("b:1")]);
    cc.subchannelFor("c:1").setState(READY);
    expect(new Set(pickDistribution(cc.picker, 100).keys())).toEqual(new Set([cc.subchannelFor("b:1"), cc.subchannelFor("c:1")]));
  });

  it("keeps calls off an avoided backend while another is READY", () => {
    const { cc } = start(["a:1"], "a:1", "b:1");
    cc.subchannelFor("a:1").setState(READY);
    expect([...pickDistribution(cc.picker, 50).keys()]).toEqual([cc.subchannelFor("a:1")]);
    cc.subchannelFor("b:1").setState(READY);
    expect([...pickDistribution(cc.picker, 50).keys()]).toEqual([cc.subchannelFor("b:1")]);
  });

  it("fails with UNAVAILABLE when every backend failed", () => {
    const { cc } = start([], "a:1", "b:1");
    cc.subchannelFor("a:1").setState(TRANSIENT_FAILURE);
    cc.subchannelFor("b:1").setState(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).rawMessage).toBe("random_ready: none of 2 backends is reachable");
  });

  it("is chosen by name from a service config, with its config parsed and checked", () => {
    registerRandomReady();
    const parsed = parseServiceConfig({ loadBalancingConfig: [{ random_ready: {} }] }, balancerRegistry);
    expect(parsed.balancer.name).toBe("random_ready");
    expect(parsed.balancerConfig).toEqual({ avoid: [] });
    // A service config from a resolver is JSON, checked when it arrives.
    const fromResolver = JSON.parse('{ "loadBalancingConfig": [{ "random_ready": { "avoid": [1] } }] }');
    expect(() => parseServiceConfig(fromResolver, balancerRegistry)).toThrow(
      /invalid config for "random_ready": at "avoid\[0\]"/,
    );
  });
});
