/**
 * pick_first (gRFC A62) against the fake channel of @grpckit/core/testing: addresses
 * are tried one at a time in order (the next one also after 250 ms without an answer),
 * the first READY one takes every call, failure is sticky, a lost connection goes IDLE,
 * and the resolver is asked again when needed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Code, ConnectivityState, GrpcError, balancerRegistry, type Endpoint } from "@grpckit/core";
import { createFakeBalancerClientConn, expectAlwaysPicks, expectFails, expectQueues, type FakeBalancerClientConn } from "@grpckit/core/testing";
import { pickFirstBalancer, registerPickFirst, type PickFirstConfig } from "../src/index.js";
import { PickFirstBalancer, connectionAttemptDelayMs } from "../src/pick-first-balancer.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const { IDLE, CONNECTING, READY, TRANSIENT_FAILURE } = ConnectivityState;
const refused = (addr: string) => new GrpcError(Code.UNAVAILABLE, `connect ECONNREFUSED ${addr}`);

function endpoints(...groups: string[][]): Endpoint[] {
  return groups.map((addrs) => ({ addresses: addrs.map((addr) => ({ addr })) }));
}

function setup(random?: () => number): { cc: FakeBalancerClientConn; balancer: PickFirstBalancer; update: (eps: Endpoint[], config?: PickFirstConfig) => void } {
  const cc = createFakeBalancerClientConn();
  const balancer = new PickFirstBalancer(cc, { random });
  const update = (eps: Endpoint[], config?: PickFirstConfig) =>
    balancer.updateClientConnState({ resolverState: { endpoints: eps }, config });
  return { cc, balancer, update };
}

/** Drives every attempt to failure in order, so the first pass ends. */
function failAll(cc: FakeBalancerClientConn, addrs: string[]): void {
  for (const addr of addrs) cc.subchannelFor(addr).setState(TRANSIENT_FAILURE, refused(addr));
}

describe("pick_first connection attempts", () => {
  it("connects to the first address only and queues calls while CONNECTING", () => {
    const { cc, update } = setup();
    update(endpoints(["10.0.0.1:1"], ["10.0.0.2:1"]));
    expect(cc.subchannels.map((s) => s.addr)).toEqual(["10.0.0.1:1"]);
    expect(cc.subchannelFor("10.0.0.1:1").connectCount).toBe(1);
    expect(cc.state).toBe(CONNECTING);
    expectQueues(cc.picker);
  });

  it("tries the next address when the current one fails, in the resolver's order", () => {
    const { cc, update } = setup();
    update(endpoints(["10.0.0.1:1", "10.0.0.2:1"], ["10.0.0.3:1"]));
    cc.subchannelFor("10.0.0.1:1").setState(CONNECTING);
    cc.subchannelFor("10.0.0.1:1").setState(TRANSIENT_FAILURE, refused("10.0.0.1:1"));
    expect(cc.subchannels.map((s) => s.addr)).toEqual(["10.0.0.1:1", "10.0.0.2:1"]);
    expect(cc.state).toBe(CONNECTING);
    expectQueues(cc.picker);
    cc.subchannelFor("10.0.0.2:1").setState(TRANSIENT_FAILURE, refused("10.0.0.2:1"));
    expect(cc.subchannels.map((s) => s.addr)).toEqual(["10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"]);
    expect(cc.subchannelFor("10.0.0.3:1").connectCount).toBe(1);
  });

  it("creates one subchannel per address, listing an address repeated across endpoints once", () => {
    const { cc, update } = setup();
    update(endpoints(["10.0.0.1:1", "10.0.0.2:1"], ["10.0.0.2:1", "10.0.0.3:1"]));
    failAll(cc, ["10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"]);
    expect(cc.subchannels.map((s) => s.addresses.map((a) => a.addr))).toEqual([["10.0.0.1:1"], ["10.0.0.2:1"], ["10.0.0.3:1"]]);
  });

  it("sends every call to the first address that becomes READY and shuts the others down", () => {
    const { cc, update } = setup();
    update(endpoints(["10.0.0.1:1"], ["10.0.0.2:1"], ["10.0.0.3:1"]));
    const first = cc.subchannelFor("10.0.0.1:1");
    first.setState(TRANSIENT_FAILURE, refused("10.0.0.1:1"));
    const second = cc.subchannelFor("10.0.0.2:1");
    second.setState(READY);
    expect(cc.state).toBe(READY);
    expectAlwaysPicks(cc.picker, second, 20);
    expect(first.shutdownCount).toBe(1);
    expect(cc.live()).toEqual([second]);
    expect(cc.subchannels).toHaveLength(2);
  });

  it("selects a subchannel that an earlier failure left retrying once it becomes READY", () => {
    const { cc, update } = setup();
    update(endpoints(["10.0.0.1:1"], ["10.0.0.2:1"]));
    const first = cc.subchannelFor("10.0.0.1:1");
    first.setState(TRANSIENT_FAILURE, refused("10.0.0.1:1"));
    const second = cc.subchannelFor("10.0.0.2:1");
    second.setState(CONNECTING);
    first.setState(READY);
    expect(cc.state).toBe(READY);
    expectAlwaysPicks(cc.picker, first);
    expect(second.shutdownCount).toBe(1);
    expect(cc.live()).toEqual([first]);
  });
});

describe("pick_first Happy Eyeballs (gRFC A61)", () => {
  it("also tries the next address once the current attempt has run 250 ms, keeping that attempt", () => {
    const { cc, update } = setup();
    update(endpoints(["[::1]:1"], ["127.0.0.1:1"], ["127.0.0.2:1"]));
    const first = cc.subchannelFor("[::1]:1");
    first.setState(CONNECTING);
    vi.advanceTimersByTime(connectionAttemptDelayMs - 1);
    expect(cc.subchannels).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(cc.subchannels.map((s) => s.addr)).toEqual(["[::1]:1", "127.0.0.1:1"]);
    expect(cc.subchannelFor("127.0.0.1:1").connectCount).toBe(1);
    expect(first.shutdownCount).toBe(0);
    expect(cc.state).toBe(CONNECTING);
    first.setState(READY);
    expect(cc.state).toBe(READY);
    expectAlwaysPicks(cc.picker, first);
    expect(cc.live()).toEqual([first]);
    vi.advanceTimersByTime(connectionAttemptDelayMs * 4);
    expect(cc.subchannels).toHaveLength(2);
  });

  it("does not start the next attempt early when the current one fails or succeeds first", () => {
    const { cc, update } = setup();
    update(endpoints(["10.0.0.1:1"], ["10.0.0.2:1"], ["10.0.0.3:1"]));
    vi.advanceTimersByTime(connectionAttemptDelayMs - 10);
    cc.subchannelFor("10.0.0.1:1").setState(TRANSIENT_FAILURE, refused("10.0.0.1:1"));
    vi.advanceTimersByTime(connectionAttemptDelayMs - 1);
    expect(cc.subchannels.map((s) => s.addr)).toEqual(["10.0.0.1:1", "10.0.0.2:1"]);
    cc.subchannelFor("10.0.0.2:1").setState(READY);
    vi.advanceTimersByTime(connectionAttemptDelayMs * 4);
    expect(cc.subchannels).toHaveLength(2);
  });

  it("reports TRANSIENT_FAILURE only after every overlapping attempt has failed", () => {
    const { cc, update } = setup();
    update(endpoints(["10.0.0.1:1"], ["10.0.0.2:1"]));
    vi.advanceTimersByTime(connectionAttemptDelayMs);
    cc.subchannelFor("10.0.0.2:1").setState(TRANSIENT_FAILURE, refused("10.0.0.2:1"));
    expect(cc.state).toBe(CONNECTING);
    expect(cc.reresolutionRequests).toBe(0);
    cc.subchannelFor("10.0.0.1:1").setState(TRANSIENT_FAILURE, refused("10.0.0.1:1"));
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).message).toContain("ECONNREFUSED 10.0.0.1:1");
    expect(cc.reresolutionRequests).toBe(1);
  });
});

describe("pick_first when every address fails", () => {
  it("reports TRANSIENT_FAILURE with the last error and asks the resolver again", () => {
    const { cc, update } = setup();
    update(endpoints(["10.0.0.1:1"], ["10.0.0.2:1"]));
    expect(cc.reresolutionRequests).toBe(0);
    failAll(cc, ["10.0.0.1:1", "10.0.0.2:1"]);
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    const err = expectFails(cc.picker);
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain("ECONNREFUSED 10.0.0.2:1");
    expect(cc.reresolutionRequests).toBe(1);
  });

  it("stays in TRANSIENT_FAILURE while the subchannels retry, until one is READY", () => {
    const { cc, update } = setup();
    update(endpoints(["10.0.0.1:1"], ["10.0.0.2:1"]));
    failAll(cc, ["10.0.0.1:1", "10.0.0.2:1"]);
    const published = cc.states.length;
    cc.subchannelFor("10.0.0.1:1").setState(CONNECTING);
    cc.subchannelFor("10.0.0.2:1").setState(CONNECTING);
    expect(cc.states.slice(published).map((s) => s.state)).not.toContain(CONNECTING);
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expectFails(cc.picker);
    const second = cc.subchannelFor("10.0.0.2:1");
    second.setState(READY);
    expect(cc.state).toBe(READY);
    expectAlwaysPicks(cc.picker, second);
    expect(cc.live()).toEqual([second]);
  });

  it("publishes the newest error and re-resolves again after each full round of failed retries", () => {
    const { cc, update } = setup();
    update(endpoints(["10.0.0.1:1"], ["10.0.0.2:1"]));
    failAll(cc, ["10.0.0.1:1", "10.0.0.2:1"]);
    cc.subchannelFor("10.0.0.1:1").setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "timed out 10.0.0.1:1"));
    expect(cc.reresolutionRequests).toBe(1);
    cc.subchannelFor("10.0.0.2:1").setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "timed out 10.0.0.2:1"));
    expect(cc.reresolutionRequests).toBe(2);
    expect(expectFails(cc.picker).message).toContain("timed out 10.0.0.2:1");
  });

  it("keeps TRANSIENT_FAILURE through a new address list and tries the new addresses", () => {
    const { cc, update } = setup();
    update(endpoints(["10.0.0.1:1"]));
    failAll(cc, ["10.0.0.1:1"]);
    const published = cc.states.length;
    update(endpoints(["10.0.0.9:1"]));
    expect(cc.subchannels[0].shutdownCount).toBe(1);
    expect(cc.subchannelFor("10.0.0.9:1").connectCount).toBe(1);
    expect(cc.states.slice(published).map((s) => s.state)).not.toContain(CONNECTING);
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    cc.subchannelFor("10.0.0.9:1").setState(READY);
    expect(cc.state).toBe(READY);
  });

  it("fails calls with UNAVAILABLE and re-resolves when the resolver returns no address", () => {
    const { cc, update } = setup();
    update([]);
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).code).toBe(Code.UNAVAILABLE);
    expect(cc.reresolutionRequests).toBe(1);
    expect(cc.subchannels).toHaveLength(0);
  });
});

describe("pick_first after a connection", () => {
  function connected() {
    const t = setup();
    t.update(endpoints(["10.0.0.1:1"], ["10.0.0.2:1"]));
    t.cc.subchannelFor("10.0.0.1:1").setState(TRANSIENT_FAILURE, refused("10.0.0.1:1"));
    const ready = t.cc.subchannelFor("10.0.0.2:1");
    ready.setState(READY);
    return { ...t, ready };
  }

  it("keeps the connection when an address update still lists its address", () => {
    const { cc, update, ready } = connected();
    const created = cc.subchannels.length;
    update(endpoints(["10.0.0.7:1"], ["10.0.0.2:1"]));
    expect(ready.shutdownCount).toBe(0);
    expect(cc.subchannels).toHaveLength(created);
    expect(cc.state).toBe(READY);
    expectAlwaysPicks(cc.picker, ready);
  });

  it("starts over on the new list when an update drops the connected address", () => {
    const { cc, update, ready } = connected();
    update(endpoints(["10.0.0.7:1"], ["10.0.0.8:1"]));
    expect(ready.shutdownCount).toBe(1);
    expect(cc.state).toBe(CONNECTING);
    expectQueues(cc.picker);
    expect(cc.subchannelFor("10.0.0.7:1").connectCount).toBe(1);
  });

  it("goes IDLE and re-resolves when the connection is lost, then reconnects from the first address on the next call", async () => {
    const { cc, ready } = connected();
    const before = cc.reresolutionRequests;
    ready.setState(IDLE);
    expect(cc.state).toBe(IDLE);
    expect(cc.reresolutionRequests).toBe(before + 1);
    expect(cc.live()).toEqual([]);
    expect(cc.subchannels.length).toBe(2);
    expectQueues(cc.picker);
    await Promise.resolve();
    expect(cc.state).toBe(CONNECTING);
    expect(cc.subchannels.map((s) => s.addr)).toEqual(["10.0.0.1:1", "10.0.0.2:1", "10.0.0.1:1"]);
    expect(cc.subchannelFor("10.0.0.1:1").connectCount).toBe(1);
  });

  it("stays IDLE without connecting until a call or exitIdle() asks for a connection", () => {
    const { cc, balancer, update, ready } = connected();
    ready.setState(IDLE);
    update(endpoints(["10.0.0.1:1"], ["10.0.0.2:1"]));
    expect(cc.state).toBe(IDLE);
    expect(cc.live()).toEqual([]);
    balancer.exitIdle();
    expect(cc.state).toBe(CONNECTING);
    expect(cc.subchannelFor("10.0.0.1:1").connectCount).toBe(1);
  });

  it("shuts every subchannel down on close() and ignores later state changes", () => {
    const { cc, update, balancer } = setup();
    update(endpoints(["10.0.0.1:1"], ["10.0.0.2:1"]));
    const first = cc.subchannelFor("10.0.0.1:1");
    first.setState(TRANSIENT_FAILURE, refused("10.0.0.1:1"));
    const published = cc.states.length;
    balancer.close();
    expect(cc.subchannels.every((s) => s.shutdownCount === 1)).toBe(true);
    update(endpoints(["10.0.0.3:1"]));
    expect(cc.states.length).toBe(published);
  });
});

describe("pick_first resolver errors", () => {
  it("fails calls with the resolver's error before any address is known", () => {
    const { cc, balancer } = setup();
    balancer.resolverError(new GrpcError(Code.UNAVAILABLE, "dns: lookup failed"));
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).message).toContain("dns: lookup failed");
  });

  it("keeps serving on its connection when the resolver fails later", () => {
    const { cc, balancer, update } = setup();
    update(endpoints(["10.0.0.1:1"]));
    const sc = cc.subchannelFor("10.0.0.1:1");
    sc.setState(READY);
    balancer.resolverError(new GrpcError(Code.UNAVAILABLE, "dns: lookup failed"));
    expect(cc.state).toBe(READY);
    expectAlwaysPicks(cc.picker, sc);
  });
});

describe("pick_first shuffleAddressList", () => {
  const list = endpoints(["10.0.0.1:1", "10.0.0.11:1"], ["10.0.0.2:1"], ["10.0.0.3:1"]);

  function order(random: () => number, config: PickFirstConfig): string[] {
    const { cc, update } = setup(random);
    update(list, config);
    for (let i = 0; i < 4; i++) {
      const current = cc.live().at(-1)!;
      current.setState(TRANSIENT_FAILURE, refused(current.addr));
    }
    return cc.subchannels.map((s) => s.addr);
  }

  it("keeps the resolver's order when shuffleAddressList is unset or false", () => {
    const alwaysSwap = () => 0;
    expect(order(alwaysSwap, {})).toEqual(["10.0.0.1:1", "10.0.0.11:1", "10.0.0.2:1", "10.0.0.3:1"]);
    expect(order(alwaysSwap, { shuffleAddressList: false })).toEqual(["10.0.0.1:1", "10.0.0.11:1", "10.0.0.2:1", "10.0.0.3:1"]);
  });

  it("shuffles whole endpoints, keeping each endpoint's addresses together and in order", () => {
    // random() = 0 swaps each position with the first: [a, b, c] becomes [b, c, a].
    expect(order(() => 0, { shuffleAddressList: true })).toEqual(["10.0.0.2:1", "10.0.0.3:1", "10.0.0.1:1", "10.0.0.11:1"]);
  });

  it("puts each endpoint first in some of many shuffles with Math.random", () => {
    const firsts = new Set<string>();
    for (let i = 0; i < 200 && firsts.size < 3; i++) {
      const { cc, update } = setup();
      update(list, { shuffleAddressList: true });
      firsts.add(cc.subchannels[0].addr);
    }
    expect([...firsts].sort()).toEqual(["10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"]);
  });
});

describe("pick_first builder", () => {
  it("accepts shuffleAddressList in its config and refuses a non-boolean", () => {
    const schema = pickFirstBalancer.configSchema!;
    expect(schema.parse({ shuffleAddressList: true })).toEqual({ shuffleAddressList: true });
    expect(schema.safeParse({ shuffleAddressList: "yes" }).success).toBe(false);
  });

  it("replaces core's built-in pick_first in the process-wide registry", () => {
    expect(balancerRegistry.get("pick_first")).not.toBe(pickFirstBalancer);
    registerPickFirst();
    expect(balancerRegistry.get("pick_first")).toBe(pickFirstBalancer);
  });
});
