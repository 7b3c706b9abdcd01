/**
 * Policy names are typed from BalancerConfigMap: a typed service config or channel
 * option naming a policy no package declared fails to compile (the `@ts-expect-error`
 * lines below are checked by `npm run typecheck`), while JSON text is checked when it is
 * parsed.
 */
import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  ConnectivityState,
  Registry,
  constantPicker,
  createChannel,
  createInMemoryTransport,
  parseServiceConfig,
  pickFirstBalancer,
  type BalancerBuilder,
  type BalancerPolicyName,
  type ChannelOptions,
  type ServiceConfig,
} from "../src/index.js";

declare module "../src/config/service-config.js" {
  interface BalancerConfigMap {
    test_weighted: { weight?: number };
  }
}

const weighted: BalancerBuilder<{ weight?: number }> = {
  name: "test_weighted",
  configSchema: z.object({ weight: z.number().optional() }),
  build: (cc) => ({
    updateClientConnState: () => cc.updateState({ state: ConnectivityState.CONNECTING, picker: constantPicker({ type: "queue" }) }),
    resolverError: () => {},
    exitIdle: () => {},
    close: () => {},
  }),
};

const balancers = new Registry<BalancerBuilder>("balancer");
balancers.register(pickFirstBalancer);
balancers.register(weighted as BalancerBuilder);

describe("typed policy names", () => {
  it("accept a declared name in loadBalancingPolicy and loadBalancingConfig", () => {
    const byPolicy: ServiceConfig = { loadBalancingPolicy: "test_weighted" };
    const byConfig: ServiceConfig = { loadBalancingConfig: [{ test_weighted: { weight: 2 } }] };
    expect(parseServiceConfig(byPolicy, balancers).balancer.name).toBe("test_weighted");
    expect(parseServiceConfig(byConfig, balancers).balancerConfig).toEqual({ weight: 2 });
    const names: BalancerPolicyName[] = ["pick_first", "test_weighted"];
    expect(names).toHaveLength(2);
  });

  it("refuse a misspelt name at compile time; JSON text is refused when parsed", () => {
    // @ts-expect-error "round_robbin" is no key of BalancerConfigMap
    const typo: ServiceConfig = { loadBalancingPolicy: "round_robbin" };
    // @ts-expect-error "pick_frist" is no key of BalancerConfigMap
    const typoInChannel: ChannelOptions = { loadBalancingPolicy: "pick_frist" };
    // @ts-expect-error a declared policy's config is typed too: weight is a number
    const badConfig: ServiceConfig = { loadBalancingConfig: [{ test_weighted: { weight: "heavy" } }] };
    expect(() => parseServiceConfig(typo, balancers)).toThrow(/load-balancing policy "round_robbin" is not registered \(registered: pick_first, test_weighted\)/);
    expect(() => createChannel("passthrough:///x", { ...typoInChannel, transport: createInMemoryTransport() })).toThrow(/"pick_frist" is not registered/);
    expect(() => parseServiceConfig(badConfig, balancers)).toThrow(/invalid config for "test_weighted": at "weight"/);
    expect(() => parseServiceConfig('{"loadBalancingPolicy":"round_robbin"}', balancers)).toThrow(/"round_robbin" is not registered/);
  });
});
