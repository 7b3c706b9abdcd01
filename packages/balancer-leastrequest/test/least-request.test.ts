/** least_request driven through @grpckit/core/testing: no network, states set by hand. */
import { describe, expect, it } from "vitest";
import { ConnectivityState, balancerRegistry, parseServiceConfig, type PickResult, type Subchannel } from "@grpckit/core";
import {
  createFakeBalancerClientConn,
  createPickDoneInfo,
  expectFails,
  expectQueues,
  pickDistribution,
  picksOf,
} from "@grpckit/core/testing";
import { LeastRequestPicker, leastRequestBalancer, registerLeastRequest, type LeastRequestConfig, type LoadedBackend } from "../src/index.js";

const { READY, CONNECTING, TRANSIENT_FAILURE } = ConnectivityState;

function start(config: LeastRequestConfig, ...addrs: string[]) {
  const cc = createFakeBalancerClientConn();
  const balancer = leastRequestBalancer.build(cc);
  balancer.updateClientConnState({
    resolverState: { endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) },
    config,
  });
  return { cc, balancer };
}

function subchannelOf(p: PickResult): Subchannel {
  if (p.type !== "pick") throw new Error(`expected a pick, got ${p.type}`);
  return p.subchannel;
}

/** Random numbers that draw the given indexes out of `n` backends, in order. */
function draws(n: number, indexes: number[]): () => number {
  let i = 0;
  return () => {
    if (i >= indexes.length) throw new Error(`the picker drew more than ${indexes.length} times`);
    return (indexes[i++] + 0.5) / n;
  };
}

function loaded(outstanding: number[]): LoadedBackend[] {
  const cc = createFakeBalancerClientConn();
  return outstanding.map((n, i) => ({ subchannel: cc.createSubchannel([{ addr: `b${i}:1` }]), outstanding: n }));
}

describe("least_request balancer", () => {
  it("queues calls until a backend is READY, then picks only READY ones", () => {
    const { cc } = start({ choiceCount: 2 }, "a:1", "b:1", "c:1");
    expectQueues(cc.picker);
    cc.subchannelFor("a:1").setState(TRANSIENT_FAILURE);
    cc.subchannelFor("b:1").setState(READY);
    cc.subchannelFor("c:1").setState(CONNECTING);
    expect([...pickDistribution(cc.picker, 200).keys()]).toEqual([cc.subchannelFor("b:1")]);
    cc.subchannelFor("c:1").setState(READY);
    const spread = pickDistribution(cc.picker, 200);
    expect(new Set(spread.keys())).toEqual(new Set([cc.subchannelFor("b:1"), cc.subchannelFor("c:1")]));
  });

  it("sends calls away from the backend with calls outstanding", async ({ annotate }) => {
    const { cc } = start({ choiceCount: 2 }, "a:1", "b:1");
    cc.subchannelFor("a:1").setState(READY);
    cc.subchannelFor("b:1").setState(READY);
    const held = picksOf(cc.picker, 1)[0];
    const busy = subchannelOf(held);
    // 400 calls that finish at once: the idle backend wins unless both draws hit the busy one (1 in 4).
    let onBusy = 0;
    for (let i = 0; i < 400; i++) {
      const p = picksOf(cc.picker, 1)[0];
      if (subchannelOf(p) === busy) onBusy++;
      if (p.type === "pick") p.onDone?.(createPickDoneInfo());
    }
    await annotate(`400 picks with one call held on a backend: ${onBusy} went to it, ${400 - onBusy} to the idle one`);
    expect(onBusy).toBeGreaterThan(40);
    expect(onBusy).toBeLessThan(160);
    if (held.type === "pick") held.onDone?.(createPickDoneInfo());
  });

  it("counts a finished call once, even if onDone is called again", async ({ annotate }) => {
    const { cc } = start({ choiceCount: 2 }, "a:1", "b:1");
    cc.subchannelFor("a:1").setState(READY);
    cc.subchannelFor("b:1").setState(READY);
    const held = picksOf(cc.picker, 1)[0];
    const first = subchannelOf(held);
    if (held.type === "pick") {
      held.onDone?.(createPickDoneInfo());
      held.onDone?.(createPickDoneInfo());
    }
    // Both backends are back at zero: ties go to the first draw, so each takes about half.
    // Had the second onDone counted, `first` would sit at -1 and take three picks in four.
    let onFirst = 0;
    for (let i = 0; i < 400; i++) {
      const p = picksOf(cc.picker, 1)[0];
      if (subchannelOf(p) === first) onFirst++;
      if (p.type === "pick") p.onDone?.(createPickDoneInfo());
    }
    await annotate(`400 picks after a double onDone: ${onFirst} on that backend`);
    expect(onFirst).toBeGreaterThan(150);
    expect(onFirst).toBeLessThan(250);
  });

  it("keeps a backend's outstanding calls across a new picker", () => {
    const { cc } = start({ choiceCount: 10 }, "a:1", "b:1", "c:1");
    const a = cc.subchannelFor("a:1");
    const b = cc.subchannelFor("b:1");
    a.setState(READY);
    b.setState(READY);
    // Load a and b with 60 calls, about 30 each (ten draws almost always see both).
    const held = picksOf(cc.picker, 60);
    cc.subchannelFor("c:1").setState(READY);
    // c is new and idle: while it has fewer calls than a and b it wins whenever one of the
    // ten draws lands on it (59 times in 60). Had the 60 calls been forgotten with the old
    // picker, c would tie with a and b and take about a third.
    const next = pickDistribution(cc.picker, 15);
    expect(next.get(cc.subchannelFor("c:1"))).toBeGreaterThanOrEqual(11);
    for (const p of held) if (p.type === "pick") p.onDone?.(createPickDoneInfo());
  });

  it("fails with UNAVAILABLE when every backend failed, naming the last error", () => {
    const { cc } = start({ choiceCount: 2 }, "a:1", "b:1");
    cc.subchannelFor("a:1").setState(TRANSIENT_FAILURE);
    cc.subchannelFor("b:1").setState(TRANSIENT_FAILURE);
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).rawMessage).toContain("least_request: all 2 backends are unavailable");
  });

  it("fails with UNAVAILABLE when the resolver returns no endpoints", () => {
    const { cc } = start({ choiceCount: 2 });
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).rawMessage).toContain("returned no addresses");
  });
});

describe("least_request picker", () => {
  it("takes the drawn backend with the fewest outstanding calls", () => {
    const backends = loaded([5, 1, 3]);
    const picker = new LeastRequestPicker(backends, 3, draws(3, [0, 2, 1]));
    expect(subchannelOf(picker.pick())).toBe(backends[1].subchannel);
    expect(backends.map((b) => b.outstanding)).toEqual([5, 2, 3]);
  });

  it("looks only at the drawn backends, and a tie goes to the first drawn", () => {
    const backends = loaded([4, 0, 4]);
    expect(subchannelOf(new LeastRequestPicker(backends, 2, draws(3, [2, 0])).pick())).toBe(backends[2].subchannel);
  });

  it("draws choiceCount times per pick and releases the call once on onDone", () => {
    const backends = loaded([0, 0]);
    const picker = new LeastRequestPicker(backends, 10, draws(2, [1, 0, 1, 0, 1, 0, 1, 0, 1, 0]));
    const p = picker.pick();
    expect(subchannelOf(p)).toBe(backends[1].subchannel);
    expect(backends[1].outstanding).toBe(1);
    if (p.type === "pick") {
      p.onDone?.(createPickDoneInfo());
      p.onDone?.(createPickDoneInfo());
    }
    expect(backends[1].outstanding).toBe(0);
  });
});

describe("least_request config", () => {
  registerLeastRequest();
  // As a resolver delivers it: JSON, so the values are checked when it arrives, not by the compiler.
  const parse = (config: unknown) =>
    parseServiceConfig(JSON.parse(JSON.stringify({ loadBalancingConfig: [{ least_request_experimental: config }] })), balancerRegistry)
      .balancerConfig;

  it("is chosen by name from a service config, choiceCount defaulting to 2", () => {
    const parsed = parseServiceConfig({ loadBalancingConfig: [{ least_request_experimental: {} }] }, balancerRegistry);
    expect(parsed.balancer.name).toBe("least_request_experimental");
    expect(parsed.balancerConfig).toEqual({ choiceCount: 2 });
  });

  it("keeps a choiceCount from 2 to 10 and clamps a larger one to 10", () => {
    expect(parse({ choiceCount: 2 })).toEqual({ choiceCount: 2 });
    expect(parse({ choiceCount: 7 })).toEqual({ choiceCount: 7 });
    expect(parse({ choiceCount: 10 })).toEqual({ choiceCount: 10 });
    expect(parse({ choiceCount: 11 })).toEqual({ choiceCount: 10 });
    expect(parse({ choiceCount: 1000 })).toEqual({ choiceCount: 10 });
  });

  it("refuses a choiceCount below 2, fractional or not a number, saying why", () => {
    expect(() => parse({ choiceCount: 1 })).toThrow(/invalid config for "least_request_experimental": at "choiceCount": choiceCount must be at least 2/);
    expect(() => parse({ choiceCount: 0 })).toThrow(/choiceCount must be at least 2/);
    expect(() => parse({ choiceCount: 2.5 })).toThrow(/at "choiceCount": choiceCount must be a whole number/);
    expect(() => parse({ choiceCount: "3" })).toThrow(/at "choiceCount": choiceCount must be a number/);
  });
});
