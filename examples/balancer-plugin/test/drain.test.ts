/** drain, a parent over one child policy with wrapped subchannels, driven through @grpckit/core/testing. */
import { describe, expect, it } from "vitest";
import {
  ConnectivityState,
  balancerRegistry,
  innermostSubchannel,
  parseBuilderConfig,
  parseServiceConfig,
  type LoadBalancingConfig,
  type Picker,
} from "@grpckit/core";
import { createFakeBalancerClientConn, createFakeBuildOptions, expectFails, pickedSubchannels, type FakeSubchannel } from "@grpckit/core/testing";
import { drainBalancer, registerDrain, registerSpillOver, type DrainConfig } from "../src/index.js";

const { READY, TRANSIENT_FAILURE } = ConnectivityState;

registerSpillOver();
registerDrain();

const endpoints = (...addrs: string[]) => ({ endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) });

/** drain's config as a service config would give it, parsed by its schema. */
const config = (drained: string[], childPolicy: LoadBalancingConfig[] = [{ spill_over: { primaryCount: 2 } }]): DrainConfig =>
  parseBuilderConfig(drainBalancer, { drained, childPolicy });

/**
 * The channel's subchannels that `n` picks send their calls over: a pick returns the
 * wrapper drain gave its child, and the call follows it to the wrapped subchannel.
 */
const connections = (picker: Picker, n: number) => pickedSubchannels(picker, n).map((sc) => innermostSubchannel(sc) as FakeSubchannel);

/** Throws unless `n` picks use exactly the subchannels in `expected`, each equally often. */
function expectSpreadOver(picker: Picker, expected: FakeSubchannel[], n = 30): void {
  const counts = new Map<FakeSubchannel, number>();
  for (const sc of connections(picker, n)) counts.set(sc, (counts.get(sc) ?? 0) + 1);
  expect(new Map([...counts].sort(([x], [y]) => x.addr.localeCompare(y.addr)))).toEqual(new Map(expected.map((sc) => [sc, n / expected.length])));
}

function start(drained: string[], ...addrs: string[]) {
  const cc = createFakeBalancerClientConn();
  const balancer = drainBalancer.build(cc, createFakeBuildOptions());
  balancer.updateClientConnState({ resolverState: endpoints(...addrs), config: config(drained) });
  return { cc, balancer };
}

describe("drain", () => {
  it("runs the child policy its config names, and the child's picks reach the channel's subchannels", () => {
    const { cc } = start([], "a:1", "b:1");
    const [a, b] = cc.subchannels;
    a.setState(READY);
    b.setState(READY);
    // spill_over with primaryCount 2 takes turns over both.
    expectSpreadOver(cc.picker, [a, b]);
  });

  it("hides a drained backend from its child, and hands it back in its real state when it is no longer listed", () => {
    const { cc, balancer } = start(["a:1"], "a:1", "b:1");
    const [a, b] = cc.subchannels;
    a.setState(READY);
    b.setState(READY);
    expectSpreadOver(cc.picker, [b]);
    // The drained backend's connection is left up.
    expect(a.shutdownCount).toBe(0);
    balancer.updateClientConnState({ resolverState: endpoints("a:1", "b:1"), config: config([]) });
    expectSpreadOver(cc.picker, [a, b]);
    balancer.updateClientConnState({ resolverState: endpoints("a:1", "b:1"), config: config(["b:1"]) });
    expectSpreadOver(cc.picker, [a]);
  });

  it("fails calls naming the drain when every backend is drained", () => {
    const { cc } = start(["a:1"], "a:1");
    cc.subchannels[0].setState(READY);
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).rawMessage).toBe("a:1 is drained");
  });

  it("switches to another child policy when a new config names one", () => {
    const { cc, balancer } = start([], "a:1", "b:1");
    const [a, b] = cc.subchannels;
    a.setState(READY);
    b.setState(READY);
    balancer.updateClientConnState({ resolverState: endpoints("a:1", "b:1"), config: config([], [{ pick_first: {} }]) });
    // Core's pick_first: one subchannel over both addresses, while the old child serves until it is READY.
    const [both] = cc.live().filter((s) => s.addresses.length === 2);
    expectSpreadOver(cc.picker, [a, b]);
    both.setState(READY);
    expectSpreadOver(cc.picker, [both]);
    expect(a.shutdownCount + b.shutdownCount).toBe(2);
  });

  it("takes the first registered policy of childPolicy, and refuses a list naming none", () => {
    const parsed = parseServiceConfig(
      { loadBalancingConfig: [{ drain: { childPolicy: [{ no_such_policy: {} } as unknown as LoadBalancingConfig, { spill_over: {} }] } }] },
      balancerRegistry,
    ).balancerConfig as DrainConfig;
    expect(parsed.childPolicy.builder.name).toBe("spill_over");
    expect(parsed.childPolicy.config).toEqual({ primaryCount: 1 });
    expect(() =>
      parseServiceConfig({ loadBalancingConfig: [{ drain: { childPolicy: [{ no_such_policy: {} } as unknown as LoadBalancingConfig] } }] }, balancerRegistry),
    ).toThrow(/invalid config for "drain": at "childPolicy": childPolicy names no registered load-balancing policy \(asked for "no_such_policy"/);
  });
});
