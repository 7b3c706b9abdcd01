/** least_request driven through @grpckit/core/testing: no network, states set by hand. */
import { describe, expect, it } from "vitest";
import { ConnectivityState, parseServiceConfig, balancerRegistry } from "@grpckit/core";
import { createFakeBalancerClientConn, createPickDoneInfo, expectFails, expectQueues, pickDistribution, picksOf } from "@grpckit/core/testing";
import { leastRequestBalancer, registerLeastRequest } from "../src/index.js";

const { READY, TRANSIENT_FAILURE } = ConnectivityState;

function start(choiceCount: number, ...addrs: string[]) {
  const cc = createFakeBalancerClientConn();
  const balancer = leastRequestBalancer.build(cc);
  balancer.updateClientConnState({
    resolverState: { endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) },
    config: { choiceCount },
  });
  return { cc, balancer };
}

describe("least_request", () => {
  it("queues calls until a backend is READY, then picks only READY ones", () => {
    const { cc } = start(2, "a:1", "b:1");
    expectQueues(cc.picker);
    cc.subchannelFor("b:1").setState(READY);
    const picks = pickDistribution(cc.picker, 50);
    expect([...picks.keys()]).toEqual([cc.subchannelFor("b:1")]);
  });

  it("prefers the backend with fewer calls in flight, and onDone releases them", () => {
    const { cc } = start(10, "a:1", "b:1");
    const a = cc.subchannelFor("a:1");
    const b = cc.subchannelFor("b:1");
    a.setState(READY);
    b.setState(READY);
    // Six calls held open: each pick goes to the less loaded backend, so the two stay within one.
    const held = picksOf(cc.picker, 6);
    const onA = held.filter((p) => p.type === "pick" && p.subchannel === a).length;
    expect(Math.abs(onA - (6 - onA))).toBeLessThanOrEqual(1);
    // Finish every call on b: b is now the less loaded and takes the next pick.
    for (const p of held) if (p.type === "pick" && p.subchannel === b) p.onDone?.(createPickDoneInfo());
    const next = picksOf(cc.picker, 1)[0];
    expect(next.type === "pick" && next.subchannel).toBe(b);
  });

  it("fails with UNAVAILABLE when every backend failed, naming the last error", () => {
    const { cc } = start(2, "a:1");
    cc.subchannelFor("a:1").setState(TRANSIENT_FAILURE);
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).rawMessage).toContain("no backend is reachable");
  });

  it("is chosen by name from a service config, with its config parsed and defaulted", () => {
    registerLeastRequest();
    const parsed = parseServiceConfig({ loadBalancingConfig: [{ least_request: {} }] }, balancerRegistry);
    expect(parsed.balancer.name).toBe("least_request");
    expect(parsed.balancerConfig).toEqual({ choiceCount: 2 });
    expect(() => parseServiceConfig({ loadBalancingConfig: [{ least_request: { choiceCount: 1 } }] }, balancerRegistry)).toThrow(
      /invalid config for "least_request": at "choiceCount"/,
    );
  });
});
