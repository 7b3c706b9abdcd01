import { describe, expect, it } from "vitest";
import { Code, ConnectivityState, GrpcError, balancerRegistry, type Balancer, type BalancerBuilder } from "../src/index.js";
import {
  FakeSubchannel,
  createFakeBalancerClientConn,
  expectAlwaysPicks,
  expectFails,
  expectQueues,
  expectRoundRobin,
  pickDistribution,
  pickedSubchannels,
  picksOf,
} from "../src/testing/index.js";

const pickFirst = balancerRegistry.mustGet("pick_first") as BalancerBuilder;
const endpoints = (...addrs: string[]) => ({ endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) });

function startPickFirst(...addrs: string[]) {
  const cc = createFakeBalancerClientConn();
  const balancer: Balancer = pickFirst.build(cc);
  balancer.updateClientConnState({ resolverState: endpoints(...addrs), config: undefined });
  return { cc, balancer };
}

describe("the fake balancer client conn on pick_first", () => {
  it("records the one subchannel pick_first creates and its connect()", () => {
    const { cc } = startPickFirst("10.0.0.1:1", "10.0.0.2:2");
    expect(cc.subchannels).toHaveLength(1);
    const sc = cc.subchannels[0];
    expect(sc.addresses.map((a) => a.addr)).toEqual(["10.0.0.1:1", "10.0.0.2:2"]);
    expect(sc.connectCount).toBe(1);
    expect(cc.state).toBe(ConnectivityState.CONNECTING);
    expectQueues(cc.picker);
  });

  it("records each published state in order", () => {
    const { cc } = startPickFirst("10.0.0.1:1");
    const sc = cc.subchannelFor("10.0.0.1:1");
    sc.setState(ConnectivityState.CONNECTING);
    sc.setState(ConnectivityState.READY);
    expect(cc.states.map((s) => s.state)).toEqual([
      ConnectivityState.CONNECTING,
      ConnectivityState.CONNECTING,
      ConnectivityState.READY,
    ]);
    expectAlwaysPicks(cc.picker, sc);
    expect(pickDistribution(cc.picker, 20)).toEqual(new Map([[sc, 20]]));
  });

  it("counts re-resolution requests and exposes the failing pick's error", () => {
    const { cc } = startPickFirst("10.0.0.1:1");
    const sc = cc.subchannelFor("10.0.0.1:1");
    sc.setState(ConnectivityState.TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "connection refused"));
    expect(cc.reresolutionRequests).toBe(1);
    const err = expectFails(cc.picker);
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain("connection refused");
  });

  it("counts shutdown() when pick_first replaces or closes its subchannel", () => {
    const { cc, balancer } = startPickFirst("10.0.0.1:1");
    balancer.updateClientConnState({ resolverState: endpoints("10.0.0.9:9"), config: undefined });
    expect(cc.subchannels[0].shutdownCount).toBe(1);
    expect(cc.subchannels[0].state).toBe(ConnectivityState.SHUTDOWN);
    expect(cc.live().map((s) => s.addr)).toEqual(["10.0.0.9:9"]);
    balancer.close();
    expect(cc.live()).toEqual([]);
  });
});

describe("the pick helpers", () => {
  const a = new FakeSubchannel([{ addr: "a:1" }]);
  const b = new FakeSubchannel([{ addr: "b:1" }]);
  const rotating = () => {
    let i = 0;
    return { pick: () => ({ type: "pick" as const, subchannel: [a, b][i++ % 2] }) };
  };

  it("picksOf returns every result", () => {
    expect(picksOf(rotating(), 3).map((r) => (r.type === "pick" ? r.subchannel : r.type))).toEqual([a, b, a]);
  });

  it("pickedSubchannels throws naming a failed pick", () => {
    const failing = { pick: () => ({ type: "fail" as const, error: new GrpcError(Code.UNAVAILABLE, "no backends") }) };
    expect(() => pickedSubchannels(failing, 2)).toThrow(/pick 1 of 2 was "fail" \(.*no backends\)/);
  });

  it("pickDistribution counts picks per subchannel", () => {
    expect(pickDistribution(rotating(), 10)).toEqual(new Map([[a, 5], [b, 5]]));
  });

  it("expectAlwaysPicks throws naming the wrong subchannel", () => {
    expect(() => expectAlwaysPicks(rotating(), a)).toThrow("pick 2 of 10 chose b:1, expected a:1");
  });

  it("expectQueues throws when a pick chooses a subchannel", () => {
    expect(() => expectQueues(rotating())).toThrow(/was "pick", expected "queue"/);
  });

  it("expectFails throws when the pick succeeds", () => {
    expect(() => expectFails(rotating())).toThrow(/expected "fail"/);
  });

  it("expectRoundRobin accepts a steady rotation and rejects a repeat", () => {
    expect(() => expectRoundRobin(rotating(), [a, b])).not.toThrow();
    expect(() => expectRoundRobin({ pick: () => ({ type: "pick", subchannel: a }) }, [a, b])).toThrow(/first 2 picks/);
  });

  it("FakeSubchannel ignores state changes after shutdown", () => {
    const sc = new FakeSubchannel([{ addr: "c:1" }]);
    const seen: ConnectivityState[] = [];
    sc.watch((s) => seen.push(s));
    sc.setState(ConnectivityState.READY);
    sc.shutdown();
    sc.setState(ConnectivityState.READY);
    expect(seen).toEqual([ConnectivityState.READY]);
    expect(sc.state).toBe(ConnectivityState.SHUTDOWN);
  });
});
