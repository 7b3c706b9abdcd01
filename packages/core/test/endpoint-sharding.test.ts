import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectivityState,
  EndpointShardingBalancer,
  GrpcError,
  aggregateChildStates,
  constantPicker,
  pickFirstBalancer,
  type Balancer,
  type BalancerBuildOptions,
  type BalancerBuilder,
  type BalancerClientConn,
  type ClientConnState,
  type EndpointChildState,
  type EndpointShardingOptions,
} from "../src/index.js";
import {
  createFakeBalancerClientConn,
  createFakeBuildOptions,
  createPickInfo,
  expectFails,
  expectQueues,
  expectRoundRobin,
  pickDistribution,
  createPickDoneInfo,
  type FakeBalancerClientConn,
} from "../src/testing/index.js";
import { OrcaLoadReportSchema } from "../src/orca.js";
import type { PickDoneInfo } from "../src/index.js";

const { CONNECTING, READY, TRANSIENT_FAILURE, IDLE, SHUTDOWN } = ConnectivityState;

/** One child of the hand-driven policy: what it was given, and its cc to publish through. */
interface Built {
  readonly cc: BalancerClientConn;
  readonly options: BalancerBuildOptions | undefined;
  readonly updates: ClientConnState[];
  readonly resolverErrors: GrpcError[];
  exitIdles: number;
  closed: boolean;
}

/** A child policy whose states the test publishes by hand, recording everything it is told. */
function handDriven() {
  const built: Built[] = [];
  const builder: BalancerBuilder = {
    name: "hand_driven",
    build(cc, options) {
      const b: Built = { cc, options, updates: [], resolverErrors: [], exitIdles: 0, closed: false };
      built.push(b);
      const balancer: Balancer = {
        updateClientConnState: (s) => void b.updates.push(s),
        resolverError: (e) => void b.resolverErrors.push(e),
        exitIdle: () => void b.exitIdles++,
        close: () => void (b.closed = true),
      };
      return balancer;
    },
  };
  /** The live child for `addr` (its endpoint's first address in its last update). */
  const childFor = (addr: string): Built => {
    const b = built.find((x) => !x.closed && x.updates.at(-1)?.resolverState.endpoints[0].addresses[0].addr === addr);
    if (b === undefined) throw new Error(`no live child for ${addr}`);
    return b;
  };
  /** Publishes `state` from the child for `addr`; its picker fails with the tag `addr` so picks show whose picker answered. */
  const publish = (addr: string, state: ConnectivityState) =>
    childFor(addr).cc.updateState({
      state,
      picker:
        state === READY
          ? { pick: () => ({ type: "fail", error: new GrpcError(Code.UNAVAILABLE, addr) }) }
          : constantPicker({ type: "fail", error: new GrpcError(Code.UNAVAILABLE, `${addr} ${state}`) }),
    });
  return { builder, built, childFor, publish };
}

const update = (...endpoints: string[][]) => ({
  resolverState: { endpoints: endpoints.map((addrs) => ({ addresses: addrs.map((addr) => ({ addr })) })) },
  config: undefined,
});

function start(childBuilder: BalancerBuilder, options: Partial<EndpointShardingOptions> = {}) {
  const cc = createFakeBalancerClientConn();
  const buildOptions = createFakeBuildOptions();
  const sharding = new EndpointShardingBalancer(cc, buildOptions, { childBuilder, ...options });
  return { cc, sharding, buildOptions };
}

/** The tags of `n` picks: which child's READY picker answered each. */
function pickTags(cc: FakeBalancerClientConn, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = cc.picker.pick(createPickInfo());
    out.push(r.type === "fail" ? r.error.rawMessage : r.type);
  }
  return out;
}

describe("endpoint sharding", () => {
  it("builds one child per endpoint, each given a resolver state with its endpoint alone and the config", () => {
    const child = handDriven();
    const { sharding, buildOptions } = start(child.builder);
    sharding.updateClientConnState({
      resolverState: {
        endpoints: [{ addresses: [{ addr: "a:1" }, { addr: "a:2" }] }, { addresses: [{ addr: "b:1" }], attributes: { zone: "z2" } }],
        serviceConfig: "{}",
        attributes: { from: "resolver" },
      },
      config: { shuffleAddressList: true },
    });
    expect(child.built).toHaveLength(2);
    const [a, b] = child.built;
    expect(a.updates).toEqual([
      {
        resolverState: { endpoints: [{ addresses: [{ addr: "a:1" }, { addr: "a:2" }] }], serviceConfig: "{}", attributes: { from: "resolver" } },
        config: { shuffleAddressList: true },
      },
    ]);
    expect(b.updates[0].resolverState.endpoints).toEqual([{ addresses: [{ addr: "b:1" }], attributes: { zone: "z2" } }]);
    // Children are built with the parent's build options.
    expect(a.options).toBe(buildOptions);
  });

  it("keeps the child of an endpoint whose addresses come back in another order, closes removed ones and starts new ones", () => {
    const child = handDriven();
    const { sharding } = start(child.builder);
    sharding.updateClientConnState(update(["a:1", "a:2"], ["b:1"]));
    const [a, b] = child.built;
    sharding.updateClientConnState(update(["c:1"], ["a:2", "a:1"]));
    expect(child.built).toHaveLength(3);
    expect(a.closed).toBe(false);
    expect(a.updates).toHaveLength(2);
    expect(a.updates[1].resolverState.endpoints[0].addresses.map((x) => x.addr)).toEqual(["a:2", "a:1"]);
    expect(b.closed).toBe(true);
    expect(child.childFor("c:1").closed).toBe(false);
    expect(sharding.children.map((c) => c.endpoint.addresses[0].addr)).toEqual(["c:1", "a:2"]);
  });

  it("gives an endpoint listed twice one child, and skips endpoints without addresses", () => {
    const child = handDriven();
    const { sharding } = start(child.builder);
    sharding.updateClientConnState(update(["a:1", "a:2"], [], ["a:2", "a:1"], ["b:1"]));
    expect(child.built).toHaveLength(2);
    expect(sharding.children.map((c) => c.endpoint.addresses.map((x) => x.addr).join(","))).toEqual(["a:1,a:2", "b:1"]);
  });

  it.each([
    { states: [READY, TRANSIENT_FAILURE, CONNECTING, IDLE], want: READY },
    { states: [TRANSIENT_FAILURE, CONNECTING, IDLE], want: CONNECTING },
    { states: [TRANSIENT_FAILURE, IDLE, TRANSIENT_FAILURE], want: IDLE },
    { states: [TRANSIENT_FAILURE, TRANSIENT_FAILURE], want: TRANSIENT_FAILURE },
  ])("aggregates children $states as $want", ({ states, want }) => {
    const child = handDriven();
    // Left IDLE, so the IDLE rows stay IDLE.
    const { cc, sharding } = start(child.builder, { reconnectIdleChildren: false });
    const addrs = states.map((_, i) => `e${i}:1`);
    sharding.updateClientConnState(update(...addrs.map((a) => [a])));
    states.forEach((s, i) => child.publish(addrs[i], s));
    expect(cc.state).toBe(want);
    // The picker takes turns over the children in the aggregated state only.
    const inState = addrs.filter((_, i) => states[i] === want).map((a) => (want === READY ? a : `${a} ${want}`));
    expect(new Set(pickTags(cc, inState.length * 4))).toEqual(new Set(inState));
  });

  it("is CONNECTING with a queueing picker until the children publish", () => {
    const child = handDriven();
    const { cc, sharding } = start(child.builder);
    sharding.updateClientConnState(update(["a:1"], ["b:1"]));
    expect(cc.states).toHaveLength(1);
    expect(cc.state).toBe(CONNECTING);
    expectQueues(cc.picker);
  });

  it("by default takes turns over the READY children's pickers, starting at a random one", () => {
    const child = handDriven();
    const { cc, sharding } = start(child.builder);
    sharding.updateClientConnState(update(["a:1"], ["b:1"], ["c:1"]));
    child.publish("a:1", READY);
    child.publish("b:1", CONNECTING);
    child.publish("c:1", READY);
    const tags = pickTags(cc, 6);
    expect(new Set(tags.slice(0, 2))).toEqual(new Set(["a:1", "c:1"]));
    expect(tags.slice(2)).toEqual([...tags.slice(0, 2), ...tags.slice(0, 2)]);
    const firsts = new Set<string>();
    child.publish("b:1", READY);
    for (let i = 0; i < 300 && firsts.size < 3; i++) {
      child.publish("a:1", READY);
      firsts.add(pickTags(cc, 1)[0]);
    }
    expect(firsts).toEqual(new Set(["a:1", "b:1", "c:1"]));
  });

  it("hands a parent's buildState the children's endpoints, states and pickers in endpoint order, and publishes what it returns", () => {
    const child = handDriven();
    const seen: (readonly EndpointChildState[])[] = [];
    // A parent that prefers the first READY endpoint.
    const { cc, sharding } = start(child.builder, {
      buildState: (children) => {
        seen.push(children);
        const first = children.find((c) => c.state === READY);
        return first === undefined ? undefined : { state: READY, picker: first.picker };
      },
    });
    sharding.updateClientConnState(update(["a:1"], ["b:1"]));
    expect(seen.at(-1)?.map((c) => [c.endpoint.addresses[0].addr, c.state])).toEqual([
      ["a:1", CONNECTING],
      ["b:1", CONNECTING],
    ]);
    // undefined publishes nothing.
    expect(cc.states).toHaveLength(0);
    child.publish("b:1", READY);
    expect(pickTags(cc, 3)).toEqual(["b:1", "b:1", "b:1"]);
    child.publish("a:1", READY);
    expect(pickTags(cc, 3)).toEqual(["a:1", "a:1", "a:1"]);
    expect(seen.at(-1)?.map((c) => c.state)).toEqual([READY, READY]);
    expect(cc.states).toHaveLength(2);
    // The snapshots a parent was handed do not change under it.
    child.publish("a:1", TRANSIENT_FAILURE);
    expect(seen[seen.length - 2].map((c) => c.state)).toEqual([READY, READY]);
    expect(pickTags(cc, 2)).toEqual(["b:1", "b:1"]);
  });

  it("hands a child's pick, its onDone included, to the call: the child hears how the attempt ended and its load report", () => {
    const heard: PickDoneInfo[] = [];
    const counting: BalancerBuilder = {
      name: "counting",
      build: (cc) => ({
        updateClientConnState: ({ resolverState }) => {
          const subchannel = cc.createSubchannel(resolverState.endpoints[0].addresses);
          cc.updateState({ state: READY, picker: { pick: () => ({ type: "pick", subchannel, onDone: (info) => void heard.push(info) }) } });
        },
        resolverError: () => {},
        exitIdle: () => {},
        close: () => {},
      }),
    };
    const { cc, sharding } = start(counting);
    sharding.updateClientConnState(update(["a:1"], ["b:1"]));
    const picks = [cc.picker.pick(createPickInfo()), cc.picker.pick(createPickInfo())];
    expect(new Set(picks.map((p) => (p.type === "pick" ? p.subchannel : undefined)))).toEqual(new Set(cc.subchannels));
    for (const p of picks) if (p.type === "pick") p.onDone?.(createPickDoneInfo({ loadReport: create(OrcaLoadReportSchema, { cpuUtilization: 0.25 }) }));
    expect(heard.map((d) => d.loadReport?.cpuUtilization)).toEqual([0.25, 0.25]);
  });

  it("republish builds the parent's state again on demand", () => {
    const child = handDriven();
    let calls = 0;
    const { cc, sharding } = start(child.builder, { buildState: (children) => (calls++, aggregateChildStates(children)) });
    sharding.updateClientConnState(update(["a:1"]));
    const before = calls;
    sharding.republish();
    expect(calls).toBe(before + 1);
    expect(cc.states).toHaveLength(2);
  });

  it("publishes once per resolver update however many children publish during it", () => {
    const eager: BalancerBuilder = {
      name: "eager",
      build: (cc) => ({
        updateClientConnState: () => cc.updateState({ state: READY, picker: constantPicker({ type: "queue" }) }),
        resolverError: () => cc.updateState({ state: READY, picker: constantPicker({ type: "queue" }) }),
        exitIdle: () => {},
        close: () => {},
      }),
    };
    const { cc, sharding } = start(eager);
    sharding.updateClientConnState(update(["a:1"], ["b:1"], ["c:1"]));
    expect(cc.states).toHaveLength(1);
    sharding.resolverError(new GrpcError(Code.UNAVAILABLE, "dns down"));
    expect(cc.states).toHaveLength(2);
  });

  it("passes exitIdle and resolver errors to every child, and publishes nothing when no child changed", () => {
    const child = handDriven();
    const { cc, sharding } = start(child.builder);
    sharding.updateClientConnState(update(["a:1"], ["b:1"]));
    const published = cc.states.length;
    const error = new GrpcError(Code.UNAVAILABLE, "dns down");
    sharding.resolverError(error);
    sharding.exitIdle();
    expect(child.built.map((b) => b.resolverErrors)).toEqual([[error], [error]]);
    expect(child.built.map((b) => b.exitIdles)).toEqual([1, 1]);
    expect(cc.states).toHaveLength(published);
  });

  it("fails calls with a resolver error while it has no children", () => {
    const child = handDriven();
    const { cc, sharding } = start(child.builder);
    sharding.resolverError(new GrpcError(Code.UNAVAILABLE, "dns down"));
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).rawMessage).toBe("dns down");
  });

  it("goes TRANSIENT_FAILURE and asks for re-resolution when the resolver returns no endpoints, closing every child", () => {
    const child = handDriven();
    const { cc, sharding } = start(child.builder);
    sharding.updateClientConnState(update(["a:1"]));
    sharding.updateClientConnState(update());
    expect(child.built[0].closed).toBe(true);
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    const err = expectFails(cc.picker);
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain("no addresses");
    expect(cc.reresolutionRequests).toBe(1);
  });

  it("asks a child that goes IDLE to leave it, unless told not to", () => {
    const child = handDriven();
    const { sharding } = start(child.builder);
    sharding.updateClientConnState(update(["a:1"]));
    child.publish("a:1", IDLE);
    expect(child.built[0].exitIdles).toBe(1);

    const lazy = handDriven();
    const { cc, sharding: lazySharding } = start(lazy.builder, { reconnectIdleChildren: false });
    lazySharding.updateClientConnState(update(["a:1"]));
    lazy.publish("a:1", IDLE);
    expect(lazy.built[0].exitIdles).toBe(0);
    expect(cc.state).toBe(IDLE);
  });

  it("passes children's re-resolution requests on, and ignores closed children", () => {
    const child = handDriven();
    const { cc, sharding } = start(child.builder);
    sharding.updateClientConnState(update(["a:1"], ["b:1"]));
    const [a, b] = child.built;
    a.cc.requestReresolution();
    expect(cc.reresolutionRequests).toBe(1);
    sharding.updateClientConnState(update(["a:1"]));
    const published = cc.states.length;
    b.cc.requestReresolution();
    b.cc.updateState({ state: READY, picker: constantPicker({ type: "queue" }) });
    expect(cc.reresolutionRequests).toBe(1);
    expect(cc.states).toHaveLength(published);
  });

  it("closes every child on close and publishes nothing after", () => {
    const child = handDriven();
    const { cc, sharding } = start(child.builder);
    sharding.updateClientConnState(update(["a:1"], ["b:1"]));
    sharding.close();
    expect(child.built.map((b) => b.closed)).toEqual([true, true]);
    const published = cc.states.length;
    child.built[0].cc.updateState({ state: READY, picker: constantPicker({ type: "queue" }) });
    sharding.updateClientConnState(update(["c:1"]));
    sharding.resolverError(new GrpcError(Code.UNAVAILABLE, "late"));
    expect(cc.states).toHaveLength(published);
    expect(child.built).toHaveLength(2);
  });

  describe("with pick_first children", () => {
    it("connects one subchannel per endpoint over that endpoint's addresses, and round-robins over the READY ones", () => {
      const { cc, sharding } = start(pickFirstBalancer);
      sharding.updateClientConnState(update(["a:1", "a:2"], ["b:1"], ["c:1"]));
      expect(cc.subchannels.map((s) => s.addresses.map((x) => x.addr))).toEqual([["a:1", "a:2"], ["b:1"], ["c:1"]]);
      expect(cc.subchannels.map((s) => s.connectCount)).toEqual([1, 1, 1]);
      const [a, b, c] = cc.subchannels;
      a.setState(CONNECTING);
      a.setState(READY);
      c.setState(READY);
      expect(cc.state).toBe(READY);
      expectRoundRobin(cc.picker, [a, c]);
      b.setState(READY);
      expect(pickDistribution(cc.picker, 300)).toEqual(new Map([[a, 100], [b, 100], [c, 100]]));
    });

    it("reconnects an endpoint whose connection went IDLE and serves from the others meanwhile", () => {
      const { cc, sharding } = start(pickFirstBalancer);
      sharding.updateClientConnState(update(["a:1"], ["b:1"]));
      const [a, b] = cc.subchannels;
      a.setState(READY);
      b.setState(READY);
      a.setState(IDLE);
      expect(a.connectCount).toBe(2);
      expectRoundRobin(cc.picker, [b]);
      expect(cc.reresolutionRequests).toBe(1);
    });

    it("shuts down the subchannel of a removed endpoint and keeps the others connected", () => {
      const { cc, sharding } = start(pickFirstBalancer);
      sharding.updateClientConnState(update(["a:1"], ["b:1"]));
      const [a, b] = cc.subchannels;
      a.setState(READY);
      b.setState(READY);
      sharding.updateClientConnState(update(["b:1"], ["c:1"]));
      expect(a.state).toBe(SHUTDOWN);
      expect(b.shutdownCount).toBe(0);
      expect(b.connectCount).toBe(1);
      expectRoundRobin(cc.picker, [b]);
    });

    it("fails calls with the children's connection errors once every endpoint failed", () => {
      const { cc, sharding } = start(pickFirstBalancer);
      sharding.updateClientConnState(update(["a:1"], ["b:1"]));
      const [a, b] = cc.subchannels;
      a.setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "a: connection refused"));
      expect(cc.state).toBe(CONNECTING);
      b.setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "b: connection refused"));
      expect(cc.state).toBe(TRANSIENT_FAILURE);
      const messages = new Set([expectFails(cc.picker).rawMessage, expectFails(cc.picker).rawMessage]);
      expect(messages).toEqual(new Set(["a: connection refused", "b: connection refused"]));
    });
  });
});
