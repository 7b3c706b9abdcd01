import { afterEach, describe, expect, it } from "vitest";
import * as z from "zod";
import {
  Code,
  ConnectivityState,
  GrpcError,
  balancerRegistry,
  constantPicker,
  createChannel,
  createClient,
  createInMemoryTransport,
  createServer,
  parseServiceConfig,
  registerBalancer,
  type BalancerBuilder,
  type ResolverBuilder,
  type ResolverClientConn,
  type ServiceConfig,
} from "../src/index.js";
import { EchoService, echoImpl } from "./support/echo-service.js";

const failingBalancer: BalancerBuilder<{ reason: string }> = {
  name: "test_always_fail",
  configSchema: z.object({ reason: z.string() }),
  build(cc) {
    return {
      updateClientConnState({ config }) {
        cc.updateState({
          state: ConnectivityState.TRANSIENT_FAILURE,
          picker: constantPicker({ type: "fail", error: new GrpcError(Code.UNAVAILABLE, `test_always_fail: ${config.reason}`) }),
        });
      },
      resolverError() {},
      exitIdle() {},
      close() {},
    };
  },
};
registerBalancer(failingBalancer as BalancerBuilder);

describe("parseServiceConfig", () => {
  it("chooses the first registered policy of loadBalancingConfig and parses its config", () => {
    const parsed = parseServiceConfig(
      JSON.stringify({ loadBalancingConfig: [{ not_registered: {} }, { test_always_fail: { reason: "x" } }, { pick_first: {} }] }),
      balancerRegistry,
    );
    expect(parsed.balancer.name).toBe("test_always_fail");
    expect(parsed.balancerConfig).toEqual({ reason: "x" });
  });

  it("with no policy config, uses loadBalancingPolicy (in any case, from JSON), else pick_first", () => {
    expect(parseServiceConfig('{"loadBalancingPolicy":"PICK_FIRST"}', balancerRegistry).balancer.name).toBe("pick_first");
    expect(parseServiceConfig({ loadBalancingPolicy: "pick_first" }, balancerRegistry).balancer.name).toBe("pick_first");
    expect(parseServiceConfig(undefined, balancerRegistry).balancer.name).toBe("pick_first");
  });

  it("a list naming no registered policy is a clear error", () => {
    expect(() => parseServiceConfig('{"loadBalancingConfig":[{"xds_wrr":{}}]}', balancerRegistry)).toThrow(
      /no registered load-balancing policy.*"xds_wrr"/,
    );
  });

  it("a config asking for round_robin, never registered, says which package and call register it", () => {
    for (const config of ['{"loadBalancingConfig":[{"round_robin":{}}]}', '{"loadBalancingPolicy":"round_robin"}']) {
      let message = "";
      try {
        parseServiceConfig(config, balancerRegistry);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain('"round_robin"');
      expect(message).toContain("registered: pick_first");
      expect(message).toContain("call registerRoundRobin() from @grpckit/balancer-roundrobin");
    }
  });

  it("a config naming only policies grpckit does not provide lists what is registered, and no package", () => {
    expect(() => parseServiceConfig('{"loadBalancingConfig":[{"xds_wrr":{}},{"weird":{}}]}', balancerRegistry)).toThrow(
      /^service config names no registered load-balancing policy \(asked for "xds_wrr", "weird"; registered: pick_first[^)]*\)$/,
    );
  });

  it("a policy config its schema refuses is an error naming the policy and the field", () => {
    expect(() => parseServiceConfig({ loadBalancingConfig: [{ pick_first: { shuffleAddressList: "yes" } as never }] }, balancerRegistry)).toThrow(
      /invalid config for "pick_first": at "shuffleAddressList"/,
    );
  });

  it("JSON that does not parse, or an entry with two policies, is refused", () => {
    expect(() => parseServiceConfig("{", balancerRegistry)).toThrow(/not valid JSON/);
    expect(() => parseServiceConfig('{"loadBalancingConfig":[{"a":{},"b":{}}]}', balancerRegistry)).toThrow(/exactly one policy/);
  });

  it("a typed service config refuses a misspelt policy name at compile time", () => {
    const good: ServiceConfig = { loadBalancingConfig: [{ pick_first: { shuffleAddressList: true } }] };
    // @ts-expect-error "pick_frist" is not a key of BalancerConfigMap
    const bad: ServiceConfig = { loadBalancingConfig: [{ pick_frist: {} }] };
    expect(good.loadBalancingConfig).toHaveLength(1);
    expect(bad.loadBalancingConfig).toHaveLength(1);
  });
});

/** A resolver whose state the test pushes, bound to one in-memory server name. */
function pushResolver(): ResolverBuilder & { push(serviceConfig?: string): void } {
  let cc: ResolverClientConn | undefined;
  let pending: string | undefined | null = null;
  let addr = "";
  const r = {
    name: "sctest",
    build(target: { endpoint: string }, conn: ResolverClientConn) {
      cc = conn;
      addr = target.endpoint;
      if (pending !== null) r.push(pending);
      return { resolveNow() {}, close() {} };
    },
    push(serviceConfig?: string) {
      if (cc === undefined) {
        pending = serviceConfig;
        return;
      }
      cc.updateState({ endpoints: [{ addresses: [{ addr }] }], serviceConfig });
    },
  };
  return r;
}

describe("parseServiceConfig: methodConfig and retryThrottling", () => {
  const name = [{ service: "pkg.S" }];
  const retry = { maxAttempts: 3, initialBackoff: "0.1s", maxBackoff: "1s", backoffMultiplier: 2, retryableStatusCodes: ["UNAVAILABLE"] };
  const refused = (methodConfig: unknown[], extra: Record<string, unknown> = {}) => () =>
    parseServiceConfig(JSON.stringify({ methodConfig, ...extra }), balancerRegistry);

  it("parses durations, status codes by name or number, and caps maxAttempts at 5", () => {
    const parsed = parseServiceConfig(
      { methodConfig: [{ name, timeout: "1.5s", retryPolicy: { ...retry, maxAttempts: 9, retryableStatusCodes: ["unavailable", 4] } }] },
      balancerRegistry,
    );
    const mc = parsed.methods.lookup("/pkg.S/M")!;
    expect(mc.timeoutMs).toBe(1500);
    expect(mc.retryPolicy!.maxAttempts).toBe(5);
    expect([...mc.retryPolicy!.retryableStatusCodes]).toEqual([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED]);
    expect(parsed.methods.lookup("/other.S/M")).toBeUndefined();
  });

  it("refuses a retryPolicy with a hedgingPolicy, maxAttempts of 1, a bad duration or an unknown code", () => {
    expect(refused([{ name, retryPolicy: retry, hedgingPolicy: { maxAttempts: 2 } }])).toThrow(/retryPolicy or a hedgingPolicy, not both/);
    expect(refused([{ name, retryPolicy: { ...retry, maxAttempts: 1 } }])).toThrow(/maxAttempts must be greater than 1/);
    expect(refused([{ name, timeout: "1500ms" }])).toThrow(/duration/);
    expect(refused([{ name, retryPolicy: { ...retry, retryableStatusCodes: ["NOPE"] } }])).toThrow(/unknown status code "NOPE"/);
    expect(refused([{ name, retryPolicy: { ...retry, retryableStatusCodes: [] } }])).toThrow(/retryableStatusCodes must not be empty/);
  });

  it("refuses a name given twice, a method without a service, and throttling out of range", () => {
    expect(refused([{ name }, { name }])).toThrow(/names \/pkg.S\/ more than once/);
    expect(refused([{ name: [{ method: "M" }] }])).toThrow(/has no service/);
    expect(refused([], { retryThrottling: { maxTokens: 2000, tokenRatio: 1 } })).toThrow(/maxTokens must be in \(0, 1000\]/);
  });
});

describe("a channel's service config", () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const c of closers.splice(0)) c();
  });

  async function setup() {
    const transport = createInMemoryTransport();
    const server = createServer({ transport });
    server.addService(EchoService, echoImpl());
    await server.listen("sc-backend");
    const resolver = pushResolver();
    const channel = createChannel("sctest:///sc-backend", { transport, resolvers: [resolver] });
    closers.push(() => channel.close(), () => server.forceShutdown());
    return { resolver, channel, client: createClient(EchoService, channel) };
  }

  it("an invalid default service config fails createChannel with the reason", () => {
    const transport = createInMemoryTransport();
    expect(() => createChannel("x:1", { transport, defaultServiceConfig: '{"loadBalancingConfig":[{"nope":{}}]}' })).toThrow(
      /no registered load-balancing policy/,
    );
  });

  it("the resolver's config selects the balancer", async () => {
    const { resolver, client } = await setup();
    resolver.push(JSON.stringify({ loadBalancingConfig: [{ test_always_fail: { reason: "chosen by config" } }] }));
    const err = await client.echo({}).then(
      () => undefined,
      (e) => e,
    );
    expect(err?.rawMessage).toContain("chosen by config");
  });

  it("an invalid config from the resolver keeps the last good one and says why", async () => {
    const { resolver, channel, client } = await setup();
    resolver.push(JSON.stringify({ loadBalancingConfig: [{ pick_first: {} }] }));
    expect((await client.echo({ message: "ok" })).message).toBe("ok");
    resolver.push(JSON.stringify({ loadBalancingConfig: [{ test_always_fail: { reason: 42 } }] }));
    expect(channel.serviceConfigError?.message).toMatch(/invalid config for "test_always_fail"/);
    expect((await client.echo({ message: "still ok" })).message).toBe("still ok");
  });

  it("an invalid config in the first resolution fails calls with UNAVAILABLE naming the problem", async () => {
    const { resolver, client } = await setup();
    resolver.push("not json");
    const err = await client.echo({}).then(
      () => undefined,
      (e) => e,
    );
    expect(err?.code).toBe(Code.UNAVAILABLE);
    expect(err?.rawMessage).toMatch(/service config is invalid/);
  });
});
