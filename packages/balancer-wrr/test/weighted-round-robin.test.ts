/**
 * weighted_round_robin driven through @grpckit/core/testing: no network, states set by
 * hand, load reports handed to the picks' onDone, time moved by fake timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ConnectivityState, balancerRegistry, parseServiceConfig, type PickResult, type Picker, type Subchannel } from "@grpckit/core";
import { OrcaLoadReportSchema, type OrcaLoadReport } from "@grpckit/core/orca";
import {
  createFakeBalancerClientConn,
  createFakeBuildOptions,
  createPickDoneInfo,
  expectFails,
  expectQueues,
  expectRoundRobin,
  pickDistribution,
  picksOf,
  type FakeBalancerClientConn,
  type FakeSubchannel,
} from "@grpckit/core/testing";
import {
  DEFAULT_WEIGHTED_ROUND_ROBIN_CONFIG,
  registerWeightedRoundRobin,
  weightedRoundRobinBalancer,
  weightedRoundRobinConfigSchema,
  type WeightedRoundRobinJsonConfig,
} from "../src/index.js";

const { IDLE, CONNECTING, READY, TRANSIENT_FAILURE } = ConnectivityState;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function start(json: WeightedRoundRobinJsonConfig, ...addrs: string[]) {
  const cc = createFakeBalancerClientConn();
  const options = createFakeBuildOptions();
  const balancer = weightedRoundRobinBalancer.build(cc, options);
  const config = weightedRoundRobinConfigSchema.parse(json);
  balancer.updateClientConnState({ resolverState: { endpoints: addrs.map((addr) => ({ addresses: [{ addr }] })) }, config });
  return { cc, balancer, options };
}

function loadReport(init: { qps: number; utilization: number; eps?: number }): OrcaLoadReport {
  return create(OrcaLoadReportSchema, { rpsFractional: init.qps, applicationUtilization: init.utilization, eps: init.eps ?? 0 });
}

/** Backends a, b, c reporting 100 qps at utilization 1, 1/2 and 1/3: weights 100, 200, 300. */
const oneTwoThree: Record<string, OrcaLoadReport> = {
  "a:1": loadReport({ qps: 100, utilization: 1 }),
  "b:1": loadReport({ qps: 100, utilization: 1 / 2 }),
  "c:1": loadReport({ qps: 100, utilization: 1 / 3 }),
};

/** Runs `n` calls through the current picker, each ending with the report `reports` has for its backend. */
function callAndReport(cc: FakeBalancerClientConn, n: number, reports: Record<string, OrcaLoadReport>): void {
  for (const p of picksOf(cc.picker, n)) {
    const sc = subchannelOf(p) as FakeSubchannel;
    if (p.type === "pick") p.onDone?.(createPickDoneInfo({ loadReport: reports[sc.addr] }));
  }
}

function subchannelOf(p: PickResult): Subchannel {
  if (p.type !== "pick") throw new Error(`expected a pick, got ${p.type}`);
  return p.subchannel;
}

/** Picks `n` times and returns the counts for a, b and c. */
function spread(cc: FakeBalancerClientConn, picker: Picker, n: number): number[] {
  const d = pickDistribution(picker, n);
  return ["a:1", "b:1", "c:1"].map((addr) => d.get(cc.subchannelFor(addr)) ?? 0);
}

function allReady(cc: FakeBalancerClientConn, ...addrs: string[]): void {
  for (const addr of addrs) cc.subchannelFor(addr).setState(READY);
}

describe("weighted_round_robin balancer", () => {
  it("queues until a backend is READY, then goes round robin over the READY ones while no weight is known", () => {
    const { cc } = start({}, "a:1", "b:1", "c:1");
    expect(cc.live().map((sc) => sc.connectCount)).toEqual([1, 1, 1]);
    expectQueues(cc.picker);
    allReady(cc, "a:1", "b:1", "c:1");
    expect(cc.state).toBe(READY);
    expectRoundRobin(cc.picker, cc.live());
  });

  it("spreads calls 1:2:3 by the loads the calls' reports carry, once the blackout period has passed", () => {
    const { cc } = start({ blackoutPeriod: "1s", weightUpdatePeriod: "0.1s" }, "a:1", "b:1", "c:1");
    allReady(cc, "a:1", "b:1", "c:1");
    callAndReport(cc, 30, oneTwoThree);
    vi.advanceTimersByTime(900);
    // Inside the blackout period the weights are known but not used yet.
    expectRoundRobin(cc.picker, cc.live());
    callAndReport(cc, 30, oneTwoThree);
    vi.advanceTimersByTime(200);
    expect(spread(cc, cc.picker, 600)).toEqual([100, 200, 300]);
  });

  it("adds the error rate, times errorUtilizationPenalty, to a backend's utilization", () => {
    // a: 100 / (0.5 + 50/100 * 2) = 66.7; b: 100 / 0.5 = 200; c: 100 / (0.5 + 10/100 * 2) = 142.9.
    const { cc } = start({ blackoutPeriod: "0s", weightUpdatePeriod: "0.1s", errorUtilizationPenalty: 2 }, "a:1", "b:1", "c:1");
    allReady(cc, "a:1", "b:1", "c:1");
    callAndReport(cc, 3, {
      "a:1": loadReport({ qps: 100, utilization: 0.5, eps: 50 }),
      "b:1": loadReport({ qps: 100, utilization: 0.5 }),
      "c:1": loadReport({ qps: 100, utilization: 0.5, eps: 10 }),
    });
    vi.advanceTimersByTime(100);
    const [a, b, c] = spread(cc, cc.picker, 4100);
    // 66.7 : 200 : 142.9 of 409.5.
    expect(a).toBeGreaterThanOrEqual(666);
    expect(a).toBeLessThanOrEqual(669);
    expect(b).toBeGreaterThanOrEqual(2001);
    expect(b).toBeLessThanOrEqual(2004);
    expect(c).toBeGreaterThanOrEqual(1429);
    expect(c).toBeLessThanOrEqual(1432);
  });

  it("ignores reports with no queries or no utilization", () => {
    const { cc } = start({ blackoutPeriod: "0s", weightUpdatePeriod: "0.1s" }, "a:1", "b:1", "c:1");
    allReady(cc, "a:1", "b:1", "c:1");
    callAndReport(cc, 30, {
      "a:1": loadReport({ qps: 0, utilization: 1 }),
      "b:1": loadReport({ qps: 100, utilization: 0 }),
      "c:1": loadReport({ qps: 100, utilization: 1 / 3 }),
    });
    vi.advanceTimersByTime(300);
    // Only c has a weight: nothing to weigh the others against, so round robin goes on.
    expect(spread(cc, cc.picker, 300)).toEqual([100, 100, 100]);
  });

  it("gives a backend without a weight the mean of the others' weights", () => {
    const { cc } = start({ blackoutPeriod: "0s", weightUpdatePeriod: "0.1s" }, "a:1", "b:1", "c:1");
    allReady(cc, "a:1", "b:1", "c:1");
    callAndReport(cc, 30, { "a:1": loadReport({ qps: 100, utilization: 1 }), "c:1": loadReport({ qps: 100, utilization: 1 / 3 }) });
    vi.advanceTimersByTime(100);
    // a 100, c 300, b the mean 200.
    expect(spread(cc, cc.picker, 600)).toEqual([100, 200, 300]);
  });

  it("forgets a weight weightExpirationPeriod after its last report, and goes back to round robin", () => {
    const { cc } = start({ blackoutPeriod: "0s", weightUpdatePeriod: "0.1s", weightExpirationPeriod: "3s" }, "a:1", "b:1", "c:1");
    allReady(cc, "a:1", "b:1", "c:1");
    callAndReport(cc, 30, oneTwoThree);
    vi.advanceTimersByTime(100);
    expect(spread(cc, cc.picker, 600)).toEqual([100, 200, 300]);
    // Picks without reports (their onDone not called) do not refresh the weights.
    vi.advanceTimersByTime(2_800);
    expect(spread(cc, cc.picker, 600)).toEqual([100, 200, 300]);
    vi.advanceTimersByTime(200);
    expectRoundRobin(cc.picker, cc.live());
  });

  it("makes a backend that reconnects wait out a new blackout period, meanwhile weighing it at the mean", () => {
    const { cc } = start({ blackoutPeriod: "1s", weightUpdatePeriod: "0.1s" }, "a:1", "b:1", "c:1");
    allReady(cc, "a:1", "b:1", "c:1");
    callAndReport(cc, 30, oneTwoThree);
    vi.advanceTimersByTime(1_000);
    callAndReport(cc, 60, oneTwoThree);
    vi.advanceTimersByTime(100);
    expect(spread(cc, cc.picker, 600)).toEqual([100, 200, 300]);

    const c = cc.subchannelFor("c:1");
    c.setState(IDLE);
    expect(c.connectCount).toBe(2);
    expect(spread(cc, cc.picker, 300)).toEqual([100, 200, 0]);
    c.setState(CONNECTING);
    c.setState(READY);
    // 63 calls: whole rounds of the 2:4:3 schedule, so the next 450 picks are whole rounds too.
    callAndReport(cc, 63, oneTwoThree);
    vi.advanceTimersByTime(500);
    // c's report is fresh but in blackout: c counts as the mean of a and b, 150.
    expect(spread(cc, cc.picker, 450)).toEqual([100, 200, 150]);
    callAndReport(cc, 60, oneTwoThree);
    vi.advanceTimersByTime(600);
    expect(spread(cc, cc.picker, 600)).toEqual([100, 200, 300]);
  });

  it("publishes a new picker only when a weight changed", () => {
    const { cc } = start({ blackoutPeriod: "0s", weightUpdatePeriod: "0.1s" }, "a:1", "b:1", "c:1");
    allReady(cc, "a:1", "b:1", "c:1");
    callAndReport(cc, 30, oneTwoThree);
    vi.advanceTimersByTime(100);
    const published = cc.states.length;
    callAndReport(cc, 60, oneTwoThree);
    vi.advanceTimersByTime(1_000);
    expect(cc.states.length).toBe(published);
    callAndReport(cc, 60, { ...oneTwoThree, "a:1": loadReport({ qps: 100, utilization: 0.5 }) });
    vi.advanceTimersByTime(100);
    expect(cc.states.length).toBe(published + 1);
    expect(spread(cc, cc.picker, 700)).toEqual([200, 200, 300]);
  });

  it("reads no per-call reports when enableOobLoadReport is set", () => {
    const { cc, balancer } = start({ enableOobLoadReport: true, blackoutPeriod: "0s", weightUpdatePeriod: "0.1s" }, "a:1", "b:1", "c:1");
    allReady(cc, "a:1", "b:1", "c:1");
    for (const p of picksOf(cc.picker, 3)) expect(p.type === "pick" && p.onDone).toBe(undefined);
    balancer.close();
  });

  it("keeps balancing, and says why, when a subchannel cannot carry an out-of-band stream", () => {
    // The test kit's subchannels belong to no channel, so they run no streams.
    const { cc, options } = start({ enableOobLoadReport: true }, "a:1", "b:1");
    expect(options.logged.filter((l) => l.startsWith("error: "))).toEqual([
      expect.stringContaining("a:1: cannot follow out-of-band load reports, so it gets the mean weight"),
      expect.stringContaining("b:1: cannot follow out-of-band load reports, so it gets the mean weight"),
    ]);
    allReady(cc, "a:1", "b:1");
    expectRoundRobin(cc.picker, cc.live());
  });

  it("fails with UNAVAILABLE when every backend failed, naming the last error", () => {
    const { cc } = start({}, "a:1", "b:1");
    cc.subchannelFor("a:1").setState(TRANSIENT_FAILURE);
    cc.subchannelFor("b:1").setState(TRANSIENT_FAILURE);
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).rawMessage).toContain("weighted_round_robin: all 2 backends are unavailable");
  });

  it("fails with UNAVAILABLE when the resolver returns no endpoints", () => {
    const { cc } = start({});
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(expectFails(cc.picker).rawMessage).toContain("returned no addresses");
  });

  it("stops its weight-update timer and its subchannels when closed", () => {
    const timersBefore = vi.getTimerCount();
    const { cc, balancer } = start({ weightUpdatePeriod: "0.1s" }, "a:1", "b:1");
    expect(vi.getTimerCount()).toBe(timersBefore + 1);
    balancer.close();
    expect(vi.getTimerCount()).toBe(timersBefore);
    expect(cc.live()).toEqual([]);
  });
});

describe("weighted_round_robin config", () => {
  registerWeightedRoundRobin();
  // As a resolver delivers it: JSON, so the values are checked when it arrives, not by the compiler.
  const parse = (config: unknown) =>
    parseServiceConfig(JSON.parse(JSON.stringify({ loadBalancingConfig: [{ weighted_round_robin: config }] })), balancerRegistry)
      .balancerConfig;

  it("is chosen by name, every setting defaulting as gRFC A58 says", () => {
    const parsed = parseServiceConfig({ loadBalancingPolicy: "weighted_round_robin" }, balancerRegistry);
    expect(parsed.balancer.name).toBe("weighted_round_robin");
    expect(parse({})).toEqual({
      enableOobLoadReport: false,
      oobReportingPeriodMs: 10_000,
      blackoutPeriodMs: 10_000,
      weightExpirationPeriodMs: 180_000,
      weightUpdatePeriodMs: 1_000,
      errorUtilizationPenalty: 1,
    });
    expect(parse({})).toEqual(DEFAULT_WEIGHTED_ROUND_ROBIN_CONFIG);
  });

  it("reads durations written as protobuf JSON seconds", () => {
    expect(
      parse({
        enableOobLoadReport: true,
        oobReportingPeriod: "2.5s",
        blackoutPeriod: "0s",
        weightExpirationPeriod: "60s",
        weightUpdatePeriod: "0.25s",
        errorUtilizationPenalty: 0.5,
      }),
    ).toEqual({
      enableOobLoadReport: true,
      oobReportingPeriodMs: 2_500,
      blackoutPeriodMs: 0,
      weightExpirationPeriodMs: 60_000,
      weightUpdatePeriodMs: 250,
      errorUtilizationPenalty: 0.5,
    });
  });

  it("raises a weightUpdatePeriod below 100ms to 100ms", () => {
    expect(parse({ weightUpdatePeriod: "0.01s" })).toMatchObject({ weightUpdatePeriodMs: 100 });
    expect(parse({ weightUpdatePeriod: "0s" })).toMatchObject({ weightUpdatePeriodMs: 100 });
  });

  it("refuses a negative errorUtilizationPenalty and values of the wrong kind, naming the field", () => {
    expect(() => parse({ errorUtilizationPenalty: -0.5 })).toThrow(
      /invalid config for "weighted_round_robin": at "errorUtilizationPenalty": errorUtilizationPenalty must be 0 or more/,
    );
    expect(() => parse({ errorUtilizationPenalty: "1" })).toThrow(/at "errorUtilizationPenalty": errorUtilizationPenalty must be a number/);
    expect(() => parse({ enableOobLoadReport: "yes" })).toThrow(/at "enableOobLoadReport": enableOobLoadReport must be true or false/);
  });

  it("refuses a duration not written as seconds with an \"s\", saying how to write it", () => {
    expect(() => parse({ blackoutPeriod: "10" })).toThrow(/at "blackoutPeriod": blackoutPeriod must be a duration in seconds with an "s", like "10s"/);
    expect(() => parse({ weightExpirationPeriod: "3m" })).toThrow(/at "weightExpirationPeriod": weightExpirationPeriod must be a duration in seconds/);
    expect(() => parse({ weightUpdatePeriod: "-1s" })).toThrow(/at "weightUpdatePeriod"/);
    expect(() => parse({ oobReportingPeriod: 10 })).toThrow(/at "oobReportingPeriod": oobReportingPeriod must be a duration string like "10s"/);
  });
});
