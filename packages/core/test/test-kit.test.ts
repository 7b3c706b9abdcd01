import { describe, expect, it } from "vitest";
import { Code, ConnectivityState, GrpcError, Metadata, balancerRegistry, type Balancer, type BalancerBuilder, type Subchannel } from "../src/index.js";
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
  createFakeBuildOptions,
  createPickInfo,
  createPickDoneInfo,
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

/**
 * A header-hashing policy in miniature: the "x-shard" header of the call picks the
 * backend, and calls past their deadline by more than a minute fail. It logs what it
 * was built for.
 */
const sharding: BalancerBuilder = {
  name: "test_sharding",
  build(cc, options) {
    options?.logger.info(`sharding calls to ${options.target.endpoint} (${options.secure ? "TLS" : "plaintext"})`);
    const subchannels: Subchannel[] = [];
    return {
      updateClientConnState({ resolverState }) {
        for (const e of resolverState.endpoints) subchannels.push(cc.createSubchannel(e.addresses));
        cc.updateState({
          state: ConnectivityState.READY,
          picker: {
            pick: ({ metadata, deadline }) => {
              if (deadline !== undefined && deadline < Date.now() - 60_000) {
                return { type: "fail", error: new GrpcError(Code.DEADLINE_EXCEEDED, "deadline long past") };
              }
              const shard = Number(metadata.get("x-shard") ?? 0);
              return { type: "pick", subchannel: subchannels[shard % subchannels.length] };
            },
          },
        });
      },
      resolverError: () => {},
      exitIdle: () => {},
      close: () => {},
    };
  },
};

describe("pick info and build options for a policy under test", () => {
  it("createPickInfo gives the picker a call's metadata and deadline", () => {
    const cc = createFakeBalancerClientConn();
    sharding.build(cc, createFakeBuildOptions()).updateClientConnState({ resolverState: endpoints("s0:1", "s1:1", "s2:1"), config: undefined });
    const [s0, s1, s2] = cc.subchannels;
    expectAlwaysPicks(cc.picker, s0);
    expectAlwaysPicks(cc.picker, s2, 5, createPickInfo({ metadata: { "x-shard": "5" } }));
    expectAlwaysPicks(cc.picker, s1, 5, createPickInfo({ metadata: new Metadata({ "x-shard": "1" }), deadline: Date.now() + 1000 }));
    expect(expectFails(cc.picker, createPickInfo({ deadline: 1 })).rawMessage).toBe("deadline long past");
    const info = createPickInfo();
    expect([info.path, info.metadata.size, info.deadline]).toEqual(["/grpckit.test.v1.EchoService/Echo", 0, undefined]);
  });

  it("createFakeBuildOptions parses the target and keeps what the policy logged", () => {
    const plain = createFakeBuildOptions();
    sharding.build(createFakeBalancerClientConn(), plain);
    expect(plain.target).toEqual({ scheme: "passthrough", authority: "", endpoint: "test.example:443", raw: "passthrough:///test.example:443" });
    expect(plain.authority).toBe("test.example:443");
    expect(plain.logged).toEqual(["info: sharding calls to test.example:443 (plaintext)"]);
    const tls = createFakeBuildOptions({ target: "dns://8.8.8.8/api.example:443", authority: "api.example", secure: true });
    sharding.build(createFakeBalancerClientConn(), tls);
    expect(tls.target).toMatchObject({ scheme: "dns", authority: "8.8.8.8", endpoint: "api.example:443" });
    expect(tls.authority).toBe("api.example");
    expect(tls.logged).toEqual(["info: sharding calls to api.example:443 (TLS)"]);
    expect(createFakeBuildOptions({ target: "localhost:50051" }).target).toMatchObject({ scheme: "passthrough", endpoint: "localhost:50051" });
  });

  it("createPickDoneInfo reports OK by default, an error's code, and the trailers given", () => {
    const ok = createPickDoneInfo();
    expect([ok.code, ok.error, ok.trailers.size, ok.bytesSent, ok.bytesReceived]).toEqual([Code.OK, undefined, 0, 0, 0]);
    const report = new Uint8Array([1, 2, 3]);
    const failed = createPickDoneInfo({ error: new GrpcError(Code.UNAVAILABLE, "gone"), trailers: { "endpoint-load-metrics-bin": report }, bytesSent: 7 });
    expect([failed.code, failed.error?.rawMessage, failed.bytesSent]).toEqual([Code.UNAVAILABLE, "gone", 7]);
    expect(failed.trailers.get("endpoint-load-metrics-bin")).toEqual(report);
  });
});
