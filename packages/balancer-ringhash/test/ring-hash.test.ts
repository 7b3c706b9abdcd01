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
import { aggregateRingHashState, buildRing, ringHashBalancer, ringHashConfigSchema, xxHash64, type RingEntry, type RingHashConfig, type RingMember } from "../src/index.js";

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

/**
 * How keys moved between two placements, relative to one backend that left or joined:
 * how many moved, how many left it or came onto it, and how many moved between others.
 */
function movement(before: Map<string, string>, after: Map<string, string>, addr: string) {
  let moved = 0;
  let fromGone = 0;
  let ontoNew = 0;
  let betweenOthers = 0;
  for (const key of keys) {
    const was = before.get(key);
    const is = after.get(key);
    if (was === is) continue;
    moved++;
    if (was === addr) fromGone++;
    else if (is === addr) ontoNew++;
    else betweenOthers++;
  }
  return { moved, fromGone, ontoNew, betweenOthers };
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

  it("spreads 10,000 keys over 4 backends within 10% of even on the default ring", ({ annotate }) => {
    const { cc } = start(at("10.0.0.1:443", "10.0.0.2:443", "10.0.0.3:443", "10.0.0.4:443"));
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

  it("moves only the removed backend's keys when one of 4 is removed, none between the other three", ({ annotate }) => {
    const four = at("10.0.0.1:443", "10.0.0.2:443", "10.0.0.3:443", "10.0.0.4:443");
    const { cc, balancer } = start(four);
    for (const sc of cc.subchannels) sc.setState(READY);
    const before = placement(cc);
    const removed = cc.subchannelFor("10.0.0.4:443");
    balancer.updateClientConnState(state(four.slice(0, 3)));
    expect(removed.state).toBe(SHUTDOWN);
    const after = placement(cc);
    const { moved, fromGone, betweenOthers } = movement(before, after, "10.0.0.4:443");
    const ofRemoved = [...before.values()].filter((a) => a === "10.0.0.4:443").length;
    console.log(`ring_hash: removing 1 of 4 backends moved ${moved} of 10,000 keys: the removed backend's ${fromGone}, and ${betweenOthers} between the other three`);
    void annotate(`moved ${moved}: ${fromGone} of the removed backend, ${betweenOthers} between survivors`);
    expect(new Set(after.values()).has("10.0.0.4:443")).toBe(false);
    expect(ofRemoved).toBeGreaterThanOrEqual(2000);
    expect(ofRemoved).toBeLessThanOrEqual(3000);
    expect(fromGone).toBe(ofRemoved);
    expect(moved).toBe(ofRemoved);
    expect(betweenOthers).toBe(0);
  });

  it("moves keys only onto a fifth backend added to four, on a ring with room for five at the same size each", ({ annotate }) => {
    // 5 × 1024 entries fit in maxRingSize 5120, so the four keep their 1024 entries each.
    const c = config({ maxRingSize: 5120 });
    const five = at("10.0.0.1:443", "10.0.0.2:443", "10.0.0.3:443", "10.0.0.4:443", "10.0.0.5:443");
    const { cc, balancer } = start(five.slice(0, 4), c);
    for (const sc of cc.subchannels) sc.setState(READY);
    const before = placement(cc);
    balancer.updateClientConnState(state(five, c));
    cc.subchannelFor("10.0.0.5:443").setState(READY);
    const after = placement(cc);
    const { moved, ontoNew, betweenOthers } = movement(before, after, "10.0.0.5:443");
    console.log(`ring_hash: adding a 5th backend to 4 (maxRingSize 5120) moved ${moved} of 10,000 keys: ${ontoNew} onto the new backend, and ${betweenOthers} between the other four`);
    void annotate(`moved ${moved}: ${ontoNew} onto the new backend, ${betweenOthers} between the others`);
    expect(betweenOthers).toBe(0);
    expect(ontoNew).toBe(moved);
    expect(moved).toBeGreaterThanOrEqual(1500);
    expect(moved).toBeLessThanOrEqual(2500);
  });

  it("halves every backend's entries when a fifth joins four on the default ring (five at 1024 would pass maxRingSize 4096), so keys also move between the four", ({ annotate }) => {
    const five = at("10.0.0.1:443", "10.0.0.2:443", "10.0.0.3:443", "10.0.0.4:443", "10.0.0.5:443");
    const { cc, balancer } = start(five.slice(0, 4));
    for (const sc of cc.subchannels) sc.setState(READY);
    const before = placement(cc);
    balancer.updateClientConnState(state(five));
    cc.subchannelFor("10.0.0.5:443").setState(READY);
    const after = placement(cc);
    const { moved, ontoNew, betweenOthers } = movement(before, after, "10.0.0.5:443");
    console.log(`ring_hash: adding a 5th backend to 4 (default sizes) moved ${moved} of 10,000 keys: ${ontoNew} onto the new backend, and ${betweenOthers} between the other four`);
    void annotate(`moved ${moved}: ${ontoNew} onto the new backend, ${betweenOthers} between the others`);
    expect(ontoNew).toBeGreaterThanOrEqual(1500);
    expect(ontoNew).toBeLessThanOrEqual(2500);
    expect(betweenOthers).toBeGreaterThan(0);
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

  it("spreads 10,000 keys over weights 1:2:3 within 10% of 1:2:3", ({ annotate }) => {
    const { cc } = start([
      { addresses: [{ addr: "a:1" }], attributes: { weight: 1 } },
      { addresses: [{ addr: "b:1" }], attributes: { weight: 2 } },
      { addresses: [{ addr: "c:1" }], attributes: { weight: 3 } },
    ]);
    for (const sc of cc.subchannels) sc.setState(READY);
    const spread = counts(placement(cc));
    console.log(`ring_hash: 10,000 keys over weights 1:2:3: ${[...spread].map(([a, n]) => `${a} ${n}`).join(", ")}`);
    void annotate(`${[...spread.values()].join(", ")}`);
    for (const [addr, weight] of [["a:1", 1], ["b:1", 2], ["c:1", 3]] as const) {
      const even = (10_000 * weight) / 6;
      expect(spread.get(addr)).toBeGreaterThanOrEqual(even * 0.9);
      expect(spread.get(addr)).toBeLessThanOrEqual(even * 1.1);
    }
  });

  describe("the ring", () => {
    const members = (n: number, weight: (i: number) => number = () => 1): RingMember<string>[] =>
      Array.from({ length: n }, (_, i) => ({ key: `10.0.0.${i + 1}:443`, weight: weight(i), value: `10.0.0.${i + 1}:443` }));
    /** Each member's entries, as the hashes it owns in ring order. */
    function entriesOf(ring: RingEntry<string>[]): Map<string, bigint[]> {
      const out = new Map<string, bigint[]>();
      for (const e of ring) out.set(e.value, [...(out.get(e.value) ?? []), e.hash]);
      return out;
    }
    /** How many entries each endpoint has, by endpoint. */
    const sizes = (ring: RingEntry<string>[]) => [...entriesOf(ring)].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, h]) => h.length);

    it.each([
      [1, 4096],
      [2, 2048],
      [3, 1024],
      [4, 1024],
      [5, 512],
      [8, 512],
      [9, 256],
    ])("gives each of %i equal endpoints %i entries on the default sizes, the most that fit in 4096 at a power of two", (n, each) => {
      const ring = buildRing(members(n), 1024, 4096);
      expect(sizes(ring)).toEqual(Array<number>(n).fill(each));
    });

    it("places an endpoint's entries at XXH64(\"<key>_<n>\") for n below its count, whatever the other endpoints", () => {
      const alone = entriesOf(buildRing(members(3), 1024, 4096));
      const withMore = entriesOf(buildRing(members(8), 1024, 4096));
      const key = "10.0.0.2:443";
      const expected = Array.from({ length: 1024 }, (_, n) => xxHash64(`${key}_${n}`)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(alone.get(key)).toEqual(expected);
      // At 512 entries the endpoint keeps the first 512 of its 1024.
      const prefix = new Set(Array.from({ length: 512 }, (_, n) => xxHash64(`${key}_${n}`)));
      expect(new Set(withMore.get(key))).toEqual(prefix);
    });

    it("gives weighted endpoints entries in their weights' proportion", () => {
      expect(sizes(buildRing(members(3, (i) => i + 1), 1024, 4096))).toEqual([512, 1024, 1536]);
    });

    it("falls back to gRFC A42's scaling when no power of two lands between the bounds, and keeps within both", () => {
      // Five equal endpoints: 512 each is 2560 entries, below minRingSize 3000; 1024 each
      // is 5120, above maxRingSize 4096. A42 gives each ceil(3000 / 5) = 600.
      const five = buildRing(members(5), 3000, 4096);
      expect(five.length).toBe(3000);
      expect(sizes(five)).toEqual([600, 600, 600, 600, 600]);
      // Three with minRingSize = maxRingSize = 4096: A42 asks for 3 × 1366 and caps it at 4096.
      const three = buildRing(members(3), 4096, 4096);
      expect(three.length).toBe(4096);
      expect(sizes(three).sort()).toEqual([1365, 1365, 1366]);
      for (const [min, max, ring] of [[3000, 4096, five], [4096, 4096, three]] as const) {
        expect(ring.length).toBeGreaterThanOrEqual(min);
        expect(ring.length).toBeLessThanOrEqual(max);
      }
    });

    it("builds the same ring from the same endpoints in any order, in the fallback too", () => {
      for (const [min, max] of [[1024, 4096], [4096, 4096]]) {
        const forward = buildRing(members(3), min, max);
        const reversed = buildRing(members(3).reverse(), min, max);
        expect(reversed).toEqual(forward);
      }
    });

    it("keeps one entry for every endpoint when there are more endpoints than maxRingSize", () => {
      const ring = buildRing(members(10), 1, 8);
      expect(ring.length).toBe(10);
      expect(sizes(ring)).toEqual(Array<number>(10).fill(1));
    });
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
