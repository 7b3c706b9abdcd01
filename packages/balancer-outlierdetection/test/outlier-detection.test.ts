/**
 * Outlier detection driven through @grpckit/core/testing, with round_robin (and
 * pick_first) as its child: no network, subchannel states set by hand, calls ended by
 * hand, and a fake clock for the interval timer.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  Code,
  ConnectivityState,
  GrpcError,
  balancerRegistry,
  innermostSubchannel,
  parseServiceConfig,
  registerBalancer,
  constantPicker,
  type BalancerBuilder,
  type PickDoneInfo,
  type Subchannel,
} from "@grpckit/core";
import {
  createFakeBalancerClientConn,
  createFakeBuildOptions,
  createPickDoneInfo,
  createPickInfo,
  expectFails,
  type FakeBalancerClientConn,
  type FakeSubchannel,
} from "@grpckit/core/testing";
import { registerRoundRobin } from "@grpckit/balancer-roundrobin";
import { OutlierDetectionSubchannel } from "../src/outlier-detection-subchannel.js";
import {
  createOutlierDetectionBuilder,
  outlierDetectionBalancer,
  registerOutlierDetection,
  type OutlierDetectionConfig,
  type OutlierDetectionConfigJson,
} from "../src/index.js";

const { READY, CONNECTING, TRANSIENT_FAILURE } = ConnectivityState;

registerRoundRobin();
registerOutlierDetection();

/** A config as a resolver would deliver it (JSON), parsed by the registered schema. */
function parse(json: unknown): OutlierDetectionConfig {
  const sc = parseServiceConfig(JSON.parse(JSON.stringify({ loadBalancingConfig: [{ outlier_detection_experimental: json }] })), balancerRegistry);
  return sc.balancerConfig as OutlierDetectionConfig;
}

const addrs5 = ["a:1", "b:1", "c:1", "d:1", "e:1"];
const endpointsOf = (addrs: readonly string[]) => ({ endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) });

function start(json: Omit<OutlierDetectionConfigJson, "childPolicy"> & { childPolicy?: OutlierDetectionConfigJson["childPolicy"] }, addrs = addrs5, random?: () => number) {
  const cc = createFakeBalancerClientConn();
  const options = createFakeBuildOptions();
  const builder = random === undefined ? outlierDetectionBalancer : createOutlierDetectionBuilder({ random });
  const balancer = builder.build(cc, options);
  const update = (j: typeof json, list = addrs) =>
    balancer.updateClientConnState({ resolverState: endpointsOf(list), config: parse({ childPolicy: [{ round_robin: {} }], ...j }) });
  update(json);
  for (const addr of addrs) cc.subchannelFor(addr).setState(READY);
  return { cc, balancer, options, update };
}

function addrOf(sc: Subchannel): string {
  return innermostSubchannel(sc).addresses[0]!.addr;
}

/** Sends `n` calls through the channel's latest picker, each ending with the outcome `fails` gives its backend. */
function calls(cc: FakeBalancerClientConn, n: number, fails: (addr: string, i: number) => boolean = () => false): Map<string, number> {
  const where = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = cc.picker.pick(createPickInfo());
    if (r.type !== "pick") throw new Error(`call ${i + 1} was "${r.type}"`);
    const addr = addrOf(r.subchannel);
    where.set(addr, (where.get(addr) ?? 0) + 1);
    const failed = fails(addr, where.get(addr)!);
    r.onDone?.(createPickDoneInfo(failed ? { error: new GrpcError(Code.UNAVAILABLE, `${addr} is down`) } : {}));
  }
  return where;
}

/** The backends the next `n` calls reach (round_robin reaches every READY one in as many calls). */
function reached(cc: FakeBalancerClientConn, n = 10): string[] {
  return [...calls(cc, n).keys()].sort();
}

const without = (...gone: string[]) => addrs5.filter((a) => !gone.includes(a));

/** What the child policy below heard through its picks' onDone. */
const ended: PickDoneInfo[] = [];

/**
 * A child policy with an onDone of its own, which publishes only when its subchannel's
 * state changes (not on a config update): every call to the first endpoint.
 */
registerBalancer({
  name: "test_first_with_on_done",
  build(cc) {
    let sc: Subchannel | undefined;
    return {
      updateClientConnState({ resolverState }) {
        if (sc !== undefined) return;
        const chosen = cc.createSubchannel(resolverState.endpoints[0]!.addresses);
        sc = chosen;
        chosen.watch((state, error) => {
          if (state === READY) cc.updateState({ state, picker: constantPicker({ type: "pick", subchannel: chosen, onDone: (i) => void ended.push(i) }) });
          else cc.updateState({ state, picker: constantPicker({ type: "fail", error: error ?? new GrpcError(Code.UNAVAILABLE, "not ready") }) });
        });
        chosen.connect();
      },
      resolverError() {},
      exitIdle() {},
      close() {
        sc?.shutdown();
      },
    };
  },
} satisfies BalancerBuilder);
const firstWithOnDone = [{ test_first_with_on_done: {} }] as never;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("success-rate ejection", () => {
  it("ejects the backend whose calls fail while the other four succeed, at the end of the interval", () => {
    const { cc, options } = start({ successRateEjection: { requestVolume: 10 } });
    calls(cc, 100, (addr) => addr === "e:1");
    // Until the interval ends nothing is judged.
    vi.advanceTimersByTime(9_999);
    expect(reached(cc)).toEqual(addrs5);
    vi.advanceTimersByTime(1);
    expect(reached(cc)).toEqual(without("e:1"));
    expect(options.logged.join("\n")).toMatch(/info: ejected e:1 for 30000 ms: 2 of its 22 calls succeeded/); // 20 failed, and 2 of the 10 checked at 9.999 s
  });

  it("keeps backends within stdevFactor/1000 standard deviations of the mean success rate", () => {
    const { cc } = start({ successRateEjection: { requestVolume: 10 } });
    // Success rates 1, 1, 0.95, 0.9, 0.9: mean 0.95, stdev 0.045, threshold 0.95 − 1.9 × 0.045 ≈ 0.865.
    const failEvery: Record<string, number> = { "c:1": 20, "d:1": 10, "e:1": 10 };
    calls(cc, 100, (addr, i) => failEvery[addr] !== undefined && i % failEvery[addr] === 0);
    vi.advanceTimersByTime(10_000);
    expect(reached(cc)).toEqual(addrs5);
  });

  it("judges nothing while fewer than minimumHosts backends had requestVolume calls", () => {
    const { cc } = start({ successRateEjection: { requestVolume: 21, minimumHosts: 5 } });
    // 20 calls each: below requestVolume, so no backend counts and e:1 stays despite failing every call.
    calls(cc, 100, (addr) => addr === "e:1");
    vi.advanceTimersByTime(10_000);
    expect(reached(cc)).toEqual(addrs5);
  });

  it("ejects an outlier with enforcementPercentage chance", () => {
    const draws = [0.6, 0.4];
    const { cc } = start({ successRateEjection: { requestVolume: 10, enforcementPercentage: 50 } }, addrs5, () => draws.shift()!);
    calls(cc, 100, (addr) => addr === "e:1");
    vi.advanceTimersByTime(10_000); // draws 60: not below 50, e:1 stays
    expect(reached(cc)).toEqual(addrs5);
    calls(cc, 100, (addr) => addr === "e:1");
    vi.advanceTimersByTime(10_000); // draws 40: ejected
    expect(reached(cc)).toEqual(without("e:1"));
    expect(draws).toEqual([]);
  });
});

describe("failure-percentage ejection", () => {
  it("ejects backends whose failures exceed threshold percent, and keeps those below", () => {
    const { cc } = start({ maxEjectionPercent: 100, failurePercentageEjection: { threshold: 50, requestVolume: 10 } });
    // 20 calls each: d:1 fails 8 (40%), e:1 fails 12 (60%).
    calls(cc, 100, (addr, i) => (addr === "d:1" && i <= 8) || (addr === "e:1" && i <= 12));
    vi.advanceTimersByTime(10_000);
    expect(reached(cc)).toEqual(without("e:1"));
  });

  it("judges nothing while fewer than minimumHosts backends had requestVolume calls", () => {
    const { cc } = start({ failurePercentageEjection: { requestVolume: 10, minimumHosts: 6 } });
    calls(cc, 100, (addr) => addr === "e:1");
    vi.advanceTimersByTime(10_000);
    expect(reached(cc)).toEqual(addrs5);
  });
});

describe("max ejection percent", () => {
  it("stops ejecting once maxEjectionPercent of the backends are ejected", () => {
    const { cc } = start({ maxEjectionPercent: 40, failurePercentageEjection: { requestVolume: 10 } });
    // Three of five fail every call; ejecting 0% and 20% of them is allowed, at 40% it stops.
    const failing = ["c:1", "d:1", "e:1"];
    calls(cc, 100, (addr) => failing.includes(addr));
    vi.advanceTimersByTime(10_000);
    const left = reached(cc);
    expect(left).toHaveLength(3);
    expect(left.filter((a) => failing.includes(a))).toHaveLength(1);
  });

  it("ejects one backend of five under the default 10%", () => {
    const { cc } = start({ failurePercentageEjection: { requestVolume: 10 } });
    calls(cc, 100, (addr) => addr === "d:1" || addr === "e:1");
    vi.advanceTimersByTime(10_000);
    expect(reached(cc)).toHaveLength(4);
  });
});

describe("ejection time", () => {
  const failing = (addr: string) => addr === "e:1";

  it("grows with each ejection, shrinks while the backend behaves, and is capped at maxEjectionTime", () => {
    const { cc, options } = start({ interval: "10s", baseEjectionTime: "30s", maxEjectionTime: "45s", failurePercentageEjection: { requestVolume: 10 } });
    const ejectedAt = (t: number) => {
      vi.advanceTimersByTime(t);
      return !reached(cc).includes("e:1");
    };
    calls(cc, 100, failing);
    expect(ejectedAt(10_000)).toBe(true); // t=10: first ejection, 30 s
    expect(ejectedAt(20_000)).toBe(true); // t=30
    expect(ejectedAt(10_000)).toBe(false); // t=40: 30 s passed
    calls(cc, 100, failing);
    expect(ejectedAt(10_000)).toBe(true); // t=50: second ejection, 60 s capped to 45 s
    expect(ejectedAt(40_000)).toBe(true); // t=90
    expect(ejectedAt(10_000)).toBe(false); // t=100: 50 s ≥ 45 s
    // Healthy for two intervals: the multiplier falls from 2 to 0.
    calls(cc, 100);
    vi.advanceTimersByTime(10_000);
    calls(cc, 100);
    vi.advanceTimersByTime(10_000);
    calls(cc, 100, failing);
    expect(ejectedAt(10_000)).toBe(true); // t=130: ejected again for 30 s only
    expect(ejectedAt(20_000)).toBe(true); // t=150
    expect(ejectedAt(10_000)).toBe(false); // t=160
    const lines = options.logged.filter((l) => l.includes("ejected e:1 for"));
    expect(lines.map((l) => /for (\d+) ms/.exec(l)![1])).toEqual(["30000", "45000", "30000"]);
    expect(options.logged.filter((l) => l.includes("unejected e:1"))).toHaveLength(3);
  });

  it("grows to base × multiplier under the default maxEjectionTime", () => {
    const { cc, options } = start({ interval: "10s", baseEjectionTime: "10s", failurePercentageEjection: { requestVolume: 10 } });
    for (let round = 0; round < 3; round++) {
      calls(cc, 100, failing);
      vi.advanceTimersByTime(10_000); // ejected
      // Wait until it is let back, one interval at a time.
      for (let i = 0; i < 10 && !reached(cc).includes("e:1"); i++) vi.advanceTimersByTime(10_000);
    }
    const lines = options.logged.filter((l) => l.includes("ejected e:1 for"));
    expect(lines.map((l) => /for (\d+) ms/.exec(l)![1])).toEqual(["10000", "20000", "30000"]);
  });
});

describe("what the child sees", () => {
  it("an ejected subchannel reports TRANSIENT_FAILURE to the child, and its real state on unejection", () => {
    const { cc } = start({ failurePercentageEjection: { requestVolume: 10 } });
    // round_robin hands out each READY subchannel once in five picks.
    const wrapperOfE = Array.from({ length: 5 }, () => cc.picker.pick(createPickInfo()))
      .flatMap((r) => (r.type === "pick" ? [r.subchannel] : []))
      .find((sc) => addrOf(sc) === "e:1");
    expect(wrapperOfE).toBeInstanceOf(OutlierDetectionSubchannel);
    const seen: [ConnectivityState, string | undefined][] = [];
    wrapperOfE!.watch((state, error) => seen.push([state, error?.rawMessage]));

    calls(cc, 100, (addr) => addr === "e:1");
    vi.advanceTimersByTime(10_000);
    expect(wrapperOfE!.state).toBe(TRANSIENT_FAILURE);
    expect(seen).toEqual([[TRANSIENT_FAILURE, "outlier detection ejected e:1: 20 of its 20 calls failed in the last 10000 ms, more than 85%"]]);

    // The real connection drops and comes back while ejected: the child is not told.
    const real = cc.subchannelFor("e:1");
    real.setState(CONNECTING);
    real.setState(READY);
    expect(seen).toHaveLength(1);

    vi.advanceTimersByTime(30_000);
    expect(wrapperOfE!.state).toBe(READY);
    expect(seen.at(-1)).toEqual([READY, undefined]);
    expect(reached(cc)).toEqual(addrs5);
  });

  it("fails calls with UNAVAILABLE naming the ejection when every backend is ejected", () => {
    const { cc } = start({ maxEjectionPercent: 100, failurePercentageEjection: { requestVolume: 10, minimumHosts: 2 } }, ["a:1", "b:1"]);
    calls(cc, 40, () => true);
    vi.advanceTimersByTime(10_000);
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    const error = expectFails(cc.picker);
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(error.rawMessage).toMatch(/outlier detection ejected (a|b):1: 20 of its 20 calls failed/);
  });

  it("counts per endpoint, so calls on a subchannel the child recreated add to the same counts", () => {
    const { cc, update } = start({ maxEjectionPercent: 100, failurePercentageEjection: { requestVolume: 10, minimumHosts: 1 } }, ["a:1"]);
    calls(cc, 6, () => true);
    // A new child policy makes its own subchannel for a:1; six more failures land on it.
    update({ maxEjectionPercent: 100, failurePercentageEjection: { requestVolume: 10, minimumHosts: 1 }, childPolicy: [{ pick_first: {} }] }, ["a:1"]);
    const fresh = cc.subchannels.at(-1)!;
    expect(cc.subchannels).toHaveLength(2);
    fresh.setState(READY);
    expect(cc.subchannels[0]!.shutdownCount).toBe(1); // round_robin's is gone
    calls(cc, 6, () => true);
    vi.advanceTimersByTime(10_000);
    // 12 calls reach requestVolume only together.
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).rawMessage).toContain("outlier detection ejected a:1: 12 of its 12 calls failed");
  });

  it("passes each call's end on to the child's onDone", () => {
    ended.length = 0;
    const { cc } = start({ failurePercentageEjection: {}, childPolicy: firstWithOnDone }, ["a:1"]);
    calls(cc, 3, (_, i) => i === 2);
    expect(ended.map((i) => Code[i.code])).toEqual(["OK", "UNAVAILABLE", "OK"]);
  });
});

describe("without an ejection kind", () => {
  it("counts nothing and ejects nothing, handing on the child's picker as it is", () => {
    const { cc } = start({});
    const childPicker = cc.picker;
    calls(cc, 100, (addr) => addr === "e:1");
    vi.advanceTimersByTime(60_000);
    expect(cc.picker).toBe(childPicker);
    expect(reached(cc)).toEqual(addrs5);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("starts counting at once when a new config turns ejection on", () => {
    const { cc, update } = start({ childPolicy: firstWithOnDone }, ["a:1"]);
    const on = { maxEjectionPercent: 100, failurePercentageEjection: { requestVolume: 10, minimumHosts: 1 }, childPolicy: firstWithOnDone };
    update(on, ["a:1"]);
    // The child published nothing new on that update: its picker is counted all the same.
    calls(cc, 10, () => true);
    vi.advanceTimersByTime(10_000);
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).rawMessage).toContain("outlier detection ejected a:1");
  });

  it("lets every ejected backend back at once when a new config turns ejection off", () => {
    const { cc, update } = start({ failurePercentageEjection: { requestVolume: 10 } });
    calls(cc, 100, (addr) => addr === "e:1");
    vi.advanceTimersByTime(10_000);
    expect(reached(cc)).toEqual(without("e:1"));
    update({});
    expect(reached(cc)).toEqual(addrs5);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("lifecycle", () => {
  it("stops its interval timer on close", () => {
    const { balancer } = start({ failurePercentageEjection: {} });
    expect(vi.getTimerCount()).toBe(1);
    balancer.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("keeps the interval's start when a config update arrives mid-interval", () => {
    const { cc, update } = start({ failurePercentageEjection: { requestVolume: 10 } });
    calls(cc, 100, (addr) => addr === "e:1");
    vi.advanceTimersByTime(6_000);
    update({ failurePercentageEjection: { requestVolume: 10 } });
    vi.advanceTimersByTime(4_000);
    expect(reached(cc)).toEqual(without("e:1"));
  });

  it("forgets a backend the resolver dropped: back later, it starts unejected", () => {
    const { cc, update } = start({ failurePercentageEjection: { requestVolume: 10 } });
    calls(cc, 100, (addr) => addr === "e:1");
    vi.advanceTimersByTime(10_000);
    expect(reached(cc)).toEqual(without("e:1"));
    update({ failurePercentageEjection: { requestVolume: 10 } }, without("e:1"));
    update({ failurePercentageEjection: { requestVolume: 10 } }, addrs5);
    cc.subchannelFor("e:1").setState(READY);
    expect(reached(cc)).toEqual(addrs5);
  });
});

describe("outlier_detection_experimental config", () => {
  it("fills in gRFC A50's defaults", () => {
    const c = parse({ successRateEjection: {}, failurePercentageEjection: {}, childPolicy: [{ round_robin: {} }] });
    expect({ ...c, childPolicy: c.childPolicy.builder.name }).toEqual({
      intervalMs: 10_000,
      baseEjectionTimeMs: 30_000,
      maxEjectionTimeMs: 300_000,
      maxEjectionPercent: 10,
      successRateEjection: { stdevFactor: 1900, enforcementPercentage: 100, minimumHosts: 5, requestVolume: 100 },
      failurePercentageEjection: { threshold: 85, enforcementPercentage: 100, minimumHosts: 5, requestVolume: 50 },
      childPolicy: "round_robin",
    });
    const off = parse({ childPolicy: [{ round_robin: {} }] });
    expect(off.successRateEjection).toBeUndefined();
    expect(off.failurePercentageEjection).toBeUndefined();
  });

  it("reads protobuf JSON durations, and raises maxEjectionTime to baseEjectionTime", () => {
    const c = parse({ interval: "0.25s", baseEjectionTime: "400s", maxEjectionTime: "1.000000001s", childPolicy: [{ round_robin: {} }] });
    expect(c.intervalMs).toBe(250);
    expect(c.baseEjectionTimeMs).toBe(400_000);
    expect(c.maxEjectionTimeMs).toBe(400_000);
    expect(parse({ maxEjectionTime: "1.5s", baseEjectionTime: "1s", childPolicy: [{ round_robin: {} }] }).maxEjectionTimeMs).toBe(1500);
  });

  it("chooses the first registered child policy with its parsed config", () => {
    const c = parse({ childPolicy: [{ no_such_policy: {} }, { pick_first: { shuffleAddressList: true } }] });
    expect(c.childPolicy.builder.name).toBe("pick_first");
    expect(c.childPolicy.config).toEqual({ shuffleAddressList: true });
  });

  it("refuses bad values, saying which field and why", () => {
    const rr = [{ round_robin: {} }];
    const at = (field: string, why: string) => new RegExp(`invalid config for "outlier_detection_experimental": at "${field.replace(/\./g, "\\.")}": ${why}`);
    expect(() => parse({ interval: "10", childPolicy: rr })).toThrow(at("interval", 'interval must be a duration written as seconds with an "s"'));
    expect(() => parse({ interval: 10, childPolicy: rr })).toThrow(at("interval", "interval must be a duration string"));
    expect(() => parse({ interval: "0s", childPolicy: rr })).toThrow(at("interval", "interval must be greater than 0"));
    expect(() => parse({ baseEjectionTime: "-1s", childPolicy: rr })).toThrow(at("baseEjectionTime", "baseEjectionTime must not be negative"));
    expect(() => parse({ maxEjectionTime: "315576000001s", childPolicy: rr })).toThrow(at("maxEjectionTime", "maxEjectionTime is longer than the longest protobuf duration"));
    expect(() => parse({ maxEjectionPercent: 101, childPolicy: rr })).toThrow(at("maxEjectionPercent", "maxEjectionPercent is a percentage: at most 100"));
    expect(() => parse({ successRateEjection: { enforcementPercentage: 150 }, childPolicy: rr })).toThrow(
      at("successRateEjection.enforcementPercentage", "enforcementPercentage is a percentage"),
    );
    expect(() => parse({ successRateEjection: { stdevFactor: 1.5 }, childPolicy: rr })).toThrow(at("successRateEjection.stdevFactor", "stdevFactor must be a whole number"));
    expect(() => parse({ failurePercentageEjection: { threshold: 101 }, childPolicy: rr })).toThrow(at("failurePercentageEjection.threshold", "threshold is a percentage"));
    expect(() => parse({ failurePercentageEjection: { requestVolume: -1 }, childPolicy: rr })).toThrow(at("failurePercentageEjection.requestVolume", "requestVolume must not be negative"));
    expect(() => parse({ failurePercentageEjection: { minimumHosts: "5" }, childPolicy: rr })).toThrow(at("failurePercentageEjection.minimumHosts", "minimumHosts must be a number"));
    expect(() => parse({ successRateEjection: true, childPolicy: rr })).toThrow(at("successRateEjection", "successRateEjection must be an object"));
  });

  it("refuses a missing, empty or unusable childPolicy with core's reason", () => {
    expect(() => parse({})).toThrow(/at "childPolicy": childPolicy is required/);
    expect(() => parse({ childPolicy: [] })).toThrow(/at "childPolicy": childPolicy must name at least one policy/);
    expect(() => parse({ childPolicy: { round_robin: {} } })).toThrow(/at "childPolicy": childPolicy must be a list of policies/);
    expect(() => parse({ childPolicy: [{ round_robn: {} }] })).toThrow(
      /at "childPolicy": childPolicy names no registered load-balancing policy \(asked for "round_robn"; registered: .*round_robin/,
    );
    expect(() => parse({ childPolicy: [{ pick_first: { shuffleAddressList: "yes" } }] })).toThrow(
      /at "childPolicy": invalid config for "pick_first": at "shuffleAddressList"/,
    );
  });

  it("is refused whole by a channel's service config, which keeps its last good one", () => {
    expect(() => parseServiceConfig({ loadBalancingPolicy: "outlier_detection_experimental" }, balancerRegistry)).toThrow(/childPolicy is required/);
  });
});
