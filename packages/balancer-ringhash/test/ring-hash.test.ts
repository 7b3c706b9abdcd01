import { describe, expect, it } from "vitest";
import { Code, ConnectivityState, GrpcError, Registry, parseServiceConfig, type Balancer, type BalancerBuilder, type Endpoint, type ServiceConfig } from "@grpckit/core";
import {
  createFakeBalancerClientConn,
  createPickInfo,
  expectFails,
  expectQueues,
  pickedSubchannels,
  type FakeBalancerClientConn,
  type FakeSubchannel,
} from "@grpckit/core/testing";
import { aggregateRingHashState, ringHashBalancer, ringHashConfigSchema, type RingHashConfig } from "../src/index.js";

const { READY, CONNECTING, IDLE, TRANSIENT_FAILURE, SHUTDOWN } = ConnectivityState;

const config = (c: Partial<RingHashConfig> = {}): RingHashConfig => ringHashConfigSchema.parse({ requestHashHeader: "x-user", ...c });

function state(endpoints: Endpoint[], c: RingHashConfig = config()) {
  return { resolverState: { endpoints }, config: c };
}
const at = (...addrs: string[]): Endpoint[] => addrs.map((addr) => ({ addresses: [{ addr }] }));

function start(endpoints: Endpoint[], c: RingHashConfig = config()): { cc: FakeBalancerClientConn; balancer: Balancer<RingHashConfig> } {
  const cc = createFakeBalancerClientConn();
  const balancer = ringHashBalancer.build(cc);
  balancer.updateClientConnState(state(endpoints, c));
  return { cc, balancer };
}

const user = (key: string) => createPickInfo({ metadata: { "x-user": key } });
const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

/** Where each key goes: the picked subchannel's address. */
function placement(cc: FakeBalancerClientConn): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of keys) out.set(key, (pickedSubchannels<FakeSubchannel>(cc.picker, 1, user(key))[0]).addr);
  return out;
}

function counts(placed: Map<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const addr of placed.values()) out.set(addr, (out.get(addr) ?? 0) + 1);
  return new Map([...out].sort());
}

const flushMicrotasks = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("ring_hash_experimental", () => {
  it("is registered under grpc-go's name and chosen by a typed service config", () => {
    expect(ringHashBalancer.name).toBe("ring_hash_experimental");
    const sc: ServiceConfig = { loadBalancingConfig: [{ ring_hash_experimental: { minRingSize: 16, requestHashHeader: "X-User" } }] };
    const registry = new Registry<BalancerBuilder>("balancer").register(ringHashBalancer as BalancerBuilder);
    const parsed = parseServiceConfig(sc, registry);
    expect(parsed.balancer).toBe(ringHashBalancer);
    expect(parsed.balancerConfig).toEqual({ minRingSize: 16, maxRingSize: 4096, requestHashHeader: "x-user" });
  });

  it("spreads 10,000 keys over 4 backends within 10% of even on a 4096-entry ring", ({ annotate }) => {
    // A ring's evenness grows with its size: the default 1024 entries (256 per backend)
    // leave one of these four backends 12% short (2654, 2626, 2524, 2196); 4096 entries
    // bring every backend within 10%.
    const { cc } = start(at("10.0.0.1:443", "10.0.0.2:443", "10.0.0.3:443", "10.0.0.4:443"), config({ minRingSize: 4096 }));
    for (const sc of cc.subchannels) sc.setState(READY);
    const spread = counts(placement(cc));
    console.log(`ring_hash: 10,000 keys over 4 backends: ${[...spread].map(([a, n]) => `${a} ${n}`).join(", ")}`);
    void annotate(`${[...spread.values()].join(", ")}`);
    expect(spread.size).toBe(4);
    for (const n of spread.values()) {
      expect(n).toBeGreaterThanOrEqual(2250);
      expect(n).toBeLessThanOrEqual(2750);
    }
  });

  it("moves the removed backend's keys to the other three when one of 4 is removed, and few keys between those three", ({ annotate }) => {
    // gRFC A42 sizes the ring by the endpoint count: 4 equal endpoints get 256 entries
    // each on a 1024-entry ring, 3 get 342 each, so the survivors' added entries take
    // some keys from one another as well as all of the removed backend's.
    const four = at("10.0.0.1:443", "10.0.0.2:443", "10.0.0.3:443", "10.0.0.4:443");
    const { cc, balancer } = start(four);
    for (const sc of cc.subchannels) sc.setState(READY);
    const before = placement(cc);
    const removed = cc.subchannelFor("10.0.0.4:443");
    balancer.updateClientConnState(state(four.slice(0, 3)));
    expect(removed.state).toBe(SHUTDOWN);
    const after = placement(cc);
    let moved = 0;
    let betweenSurvivors = 0;
    for (const key of keys) {
      if (before.get(key) === after.get(key)) continue;
      moved++;
      if (before.get(key) !== "10.0.0.4:443") betweenSurvivors++;
    }
    const ofRemoved = [...before.values()].filter((a) => a === "10.0.0.4:443").length;
    console.log(`ring_hash: removing 1 of 4 backends moved ${moved} of 10,000 keys: the removed backend's ${ofRemoved}, and ${betweenSurvivors} between the other three`);
    void annotate(`moved ${moved}: ${ofRemoved} of the removed backend, ${betweenSurvivors} between survivors`);
    expect(new Set(after.values()).has("10.0.0.4:443")).toBe(false);
    expect(ofRemoved).toBeGreaterThanOrEqual(2000);
    expect(ofRemoved).toBeLessThanOrEqual(3000);
    expect(betweenSurvivors).toBeLessThan(1500);
  });

  it("sends the same key to the same backend, across pickers and across balancers given the same endpoints", () => {
    const endpoints = at("a:1", "b:1", "c:1");
    const first = start(endpoints);
    const second = start([...endpoints].reverse());
    for (const sc of [...first.cc.subchannels, ...second.cc.subchannels]) sc.setState(READY);
    for (const key of keys.slice(0, 500)) {
      const picked = pickedSubchannels<FakeSubchannel>(first.cc.picker, 5, user(key)).map((s) => s.addr);
      expect(new Set(picked).size).toBe(1);
      expect(pickedSubchannels<FakeSubchannel>(second.cc.picker, 1, user(key))[0].addr).toBe(picked[0]);
    }
  });

  it("hashes the requestHashHeader from the call's metadata, joining several values with ','", () => {
    const { cc } = start(at("a:1", "b:1", "c:1", "d:1"));
    for (const sc of cc.subchannels) sc.setState(READY);
    const pickFor = (metadata: Record<string, string | string[]>) =>
      pickedSubchannels<FakeSubchannel>(cc.picker, 1, createPickInfo({ metadata }))[0].addr;
    // "x-user: a, b" sent as two values hashes as the single value "a,b".
    const keysWithDifferentOwners = keys.filter((k) => pickFor({ "x-user": `${k},z` }) !== pickFor({ "x-user": k })).slice(0, 20);
    expect(keysWithDifferentOwners.length).toBe(20);
    for (const k of keysWithDifferentOwners) expect(pickFor({ "x-user": [k, "z"] })).toBe(pickFor({ "x-user": `${k},z` }));
    // Other headers do not matter.
    expect(pickFor({ "x-user": "ada", "x-other": "1" })).toBe(pickFor({ "x-user": "ada", "x-other": "2" }));
  });

  it("hashes calls without the header, or with no header configured, at random", () => {
    for (const c of [config(), config({ requestHashHeader: "" })]) {
      const { cc } = start(at("a:1", "b:1", "c:1", "d:1"), c);
      for (const sc of cc.subchannels) sc.setState(READY);
      const picked = new Set(pickedSubchannels<FakeSubchannel>(cc.picker, 400, createPickInfo()).map((s) => s.addr));
      expect(picked.size).toBe(4);
    }
  });

  it("places endpoints by their hash_key attribute when the resolver gives one", () => {
    const keyed = (addrs: string[]) => addrs.map((addr, i) => ({ addresses: [{ addr }], attributes: { hash_key: `backend-${i}` } }));
    const one = start(keyed(["a:1", "b:1", "c:1"]));
    const moved = start(keyed(["x:1", "y:1", "z:1"]));
    for (const sc of [...one.cc.subchannels, ...moved.cc.subchannels]) sc.setState(READY);
    const rename = new Map([["a:1", "x:1"], ["b:1", "y:1"], ["c:1", "z:1"]]);
    // New addresses with the same hash keys own the same keys.
    for (const key of keys.slice(0, 300)) {
      const before = pickedSubchannels<FakeSubchannel>(one.cc.picker, 1, user(key))[0].addr;
      expect(pickedSubchannels<FakeSubchannel>(moved.cc.picker, 1, user(key))[0].addr).toBe(rename.get(before));
    }
  });

  it("gives endpoints ring shares in proportion to their weight attribute", () => {
    const { cc } = start([
      { addresses: [{ addr: "a:1" }], attributes: { weight: 1 } },
      { addresses: [{ addr: "b:1" }], attributes: { weight: 3 } },
    ]);
    for (const sc of cc.subchannels) sc.setState(READY);
    const spread = counts(placement(cc));
    expect(spread.get("b:1")! / spread.get("a:1")!).toBeGreaterThan(2.4);
    expect(spread.get("b:1")! / spread.get("a:1")!).toBeLessThan(3.6);
  });

  describe("config", () => {
    it("defaults minRingSize 1024, maxRingSize 4096 and no header", () => {
      expect(ringHashConfigSchema.parse({})).toEqual({ minRingSize: 1024, maxRingSize: 4096, requestHashHeader: "" });
    });

    it.each([
      [{ minRingSize: 0 }, "minRingSize"],
      [{ maxRingSize: 8 * 1024 * 1024 + 1 }, "maxRingSize"],
      [{ minRingSize: 100, maxRingSize: 10 }, "minRingSize must not exceed maxRingSize"],
      [{ minRingSize: 1.5 }, "minRingSize"],
      [{ requestHashHeader: "x-user-bin" }, "binary (-bin) header"],
      [{ requestHashHeader: "x user" }, "header name"],
      [{ requestHashHeader: ":path" }, "header name"],
    ])("refuses %j with a message naming the problem", (raw, problem) => {
      const registry = new Registry<BalancerBuilder>("balancer").register(ringHashBalancer as BalancerBuilder);
      expect(() => parseServiceConfig({ loadBalancingConfig: [{ ring_hash_experimental: raw as never }] }, registry)).toThrow(problem);
    });

    it("accepts sizes up to 8M", () => {
      expect(ringHashConfigSchema.parse({ minRingSize: 8 * 1024 * 1024, maxRingSize: 8 * 1024 * 1024 }).maxRingSize).toBe(8 * 1024 * 1024);
    });
  });

  describe("connections and states", () => {
    it("starts IDLE without connecting, and connects only the endpoint a call hashes to", async () => {
      const { cc } = start(at("a:1", "b:1", "c:1"));
      expect(cc.state).toBe(IDLE);
      expect(cc.subchannels.map((s) => s.connectCount)).toEqual([0, 0, 0]);
      expectQueues(cc.picker, 1, user("ada"));
      await flushMicrotasks();
      expect(cc.subchannels.map((s) => s.connectCount).reduce((a, b) => a + b)).toBe(1);
      const target = cc.subchannels.find((s) => s.connectCount === 1)!;
      target.setState(CONNECTING);
      expect(cc.state).toBe(CONNECTING);
      expectQueues(cc.picker, 3, user("ada"));
      target.setState(READY);
      expect(cc.state).toBe(READY);
      expect(pickedSubchannels(cc.picker, 3, user("ada"))).toEqual([target, target, target]);
    });

    it("falls over to the next endpoint round the ring when a key's endpoint has failed, and back once it is READY", async () => {
      const { cc } = start(at("a:1", "b:1", "c:1"));
      for (const sc of cc.subchannels) sc.setState(READY);
      const owner = pickedSubchannels<FakeSubchannel>(cc.picker, 1, user("ada"))[0];
      owner.setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "refused"));
      const fallback = pickedSubchannels<FakeSubchannel>(cc.picker, 3, user("ada"));
      expect(new Set(fallback).size).toBe(1);
      expect(fallback[0]).not.toBe(owner);
      // Retrying after the failure still counts as failed (sticky TRANSIENT_FAILURE).
      owner.setState(CONNECTING);
      expect(pickedSubchannels(cc.picker, 1, user("ada"))[0]).toBe(fallback[0]);
      owner.setState(READY);
      expect(pickedSubchannels(cc.picker, 1, user("ada"))[0]).toBe(owner);
    });

    it("queues a key whose endpoint failed while the next one round the ring connects, connecting it if IDLE", async () => {
      const { cc } = start(at("a:1", "b:1"));
      const pick = () => cc.picker.pick(user("ada"));
      expect(pick().type).toBe("queue");
      await flushMicrotasks();
      const owner = cc.subchannels.find((s) => s.connectCount === 1)!;
      const other = cc.subchannels.find((s) => s !== owner)!;
      owner.setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "refused"));
      // The balancer connects the next IDLE endpoint itself once one has failed and none is connecting.
      expect(other.connectCount).toBe(1);
      // One failure out of two: CONNECTING, calls fall over to the other.
      expect(cc.state).toBe(CONNECTING);
      other.setState(CONNECTING);
      expect(pick().type).toBe("queue");
      other.setState(READY);
      expect(pickedSubchannels(cc.picker, 1, user("ada"))[0]).toBe(other);
    });

    it("fails picks with UNAVAILABLE naming the last error once every endpoint has failed", () => {
      const { cc } = start(at("a:1", "b:1"));
      const [a, b] = cc.subchannels;
      a.setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "a: connection refused"));
      expect(cc.state).toBe(CONNECTING);
      b.setState(TRANSIENT_FAILURE, new GrpcError(Code.UNAVAILABLE, "b: connection refused"));
      expect(cc.state).toBe(TRANSIENT_FAILURE);
      for (const info of [user("ada"), createPickInfo()]) {
        const err = expectFails(cc.picker, info);
        expect(err.code).toBe(Code.UNAVAILABLE);
        expect(err.message).toContain("ring_hash: all 2 backends are unavailable");
        expect(err.message).toContain("b: connection refused");
      }
      expect(cc.reresolutionRequests).toBe(2);
    });

    it("a random hash takes any READY endpoint, and connects one IDLE endpoint when none is READY", async () => {
      const { cc } = start(at("a:1", "b:1", "c:1"), config({ requestHashHeader: "" }));
      expectQueues(cc.picker, 5);
      await flushMicrotasks();
      const connected = cc.subchannels.filter((s) => s.connectCount > 0);
      expect(connected.length).toBeGreaterThanOrEqual(1);
      connected[0].setState(CONNECTING);
      expectQueues(cc.picker, 5);
      await flushMicrotasks();
      const b = cc.subchannels.find((s) => s !== connected[0])!;
      b.setState(READY);
      expect(new Set(pickedSubchannels(cc.picker, 50))).toEqual(new Set([b]));
    });

    it("aggregates states as gRFC A42 says", () => {
      expect(aggregateRingHashState([READY, TRANSIENT_FAILURE, TRANSIENT_FAILURE])).toBe(READY);
      expect(aggregateRingHashState([TRANSIENT_FAILURE, TRANSIENT_FAILURE, CONNECTING])).toBe(TRANSIENT_FAILURE);
      expect(aggregateRingHashState([TRANSIENT_FAILURE, CONNECTING, IDLE])).toBe(CONNECTING);
      expect(aggregateRingHashState([TRANSIENT_FAILURE, IDLE])).toBe(CONNECTING);
      expect(aggregateRingHashState([TRANSIENT_FAILURE])).toBe(TRANSIENT_FAILURE);
      expect(aggregateRingHashState([IDLE, IDLE])).toBe(IDLE);
    });

    it("keeps the subchannels of unchanged endpoints on an update", () => {
      const { cc, balancer } = start(at("a:1", "b:1"));
      const [a, b] = cc.subchannels;
      a.setState(READY);
      balancer.updateClientConnState(state(at("a:1", "c:1")));
      expect(a.shutdownCount).toBe(0);
      expect(b.shutdownCount).toBe(1);
      expect(cc.subchannels).toHaveLength(3);
    });

    it("goes TRANSIENT_FAILURE when the resolver returns no endpoints, and keeps serving through a resolver error", () => {
      const { cc, balancer } = start(at("a:1"));
      cc.subchannels[0].setState(READY);
      balancer.resolverError(new GrpcError(Code.UNAVAILABLE, "dns down"));
      expect(cc.state).toBe(READY);
      balancer.updateClientConnState(state([]));
      expect(cc.state).toBe(TRANSIENT_FAILURE);
      expect(expectFails(cc.picker).message).toContain("no addresses");
    });

    it("shuts every subchannel down on close", () => {
      const { cc, balancer } = start(at("a:1", "b:1"));
      balancer.close();
      expect(cc.subchannels.map((s) => s.shutdownCount)).toEqual([1, 1]);
      const published = cc.states.length;
      cc.subchannels[0].setState(READY);
      expect(cc.states.length).toBe(published);
    });
  });
});
