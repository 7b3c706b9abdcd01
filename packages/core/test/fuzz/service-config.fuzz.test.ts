import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import type { BalancerBuilder } from "../../src/balancer/balancer.js";
import { pickFirstBalancer } from "../../src/balancer/pick-first.js";
import { Registry } from "../../src/registry/registry.js";
import { parseServiceConfig } from "../../src/config/service-config.js";

const balancers = new Registry<BalancerBuilder>("balancer");
balancers.register(pickFirstBalancer as BalancerBuilder);
balancers.register({
  name: "weighted_test",
  configSchema: z.object({ weights: z.array(z.number().int().positive()).min(1) }),
  build: () => {
    throw new Error("not built in these tests");
  },
} as BalancerBuilder);

/** Any JSON value, also passed as JSON text. */
const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 20 }));

/** A value that is sometimes right for a field and often not. */
const fieldValue = fc.oneof(
  fc.constantFrom(0, 1, 2, 5, 1000, 1001, -1, 0.5, 1e21, "", "1s", "0.5s", "1.5", "-1s", "0s", "99999999999s", "1.0000000001s", true, null, "UNAVAILABLE", "nope", 14, 17),
  fc.jsonValue({ maxDepth: 1 }),
);

const statusCodes = fc.array(fc.constantFrom("UNAVAILABLE", "unavailable", "DEADLINE_EXCEEDED", 14, 0, 16, 17, -1, "NOPE", 1.5), { maxLength: 3 });

const name = fc.record(
  { service: fc.constantFrom("", "pkg.S", "pkg.T", "x"), method: fc.constantFrom("", "M", "N") },
  { requiredKeys: [] },
);

const retryPolicy = fc.record(
  { maxAttempts: fieldValue, initialBackoff: fieldValue, maxBackoff: fieldValue, backoffMultiplier: fieldValue, retryableStatusCodes: fc.oneof(statusCodes, fieldValue) },
  { requiredKeys: [] },
);

const hedgingPolicy = fc.record({ maxAttempts: fieldValue, hedgingDelay: fieldValue, nonFatalStatusCodes: fc.oneof(statusCodes, fieldValue) }, { requiredKeys: [] });

const methodConfig = fc.record(
  {
    name: fc.oneof(fc.array(name, { maxLength: 3 }), fieldValue),
    timeout: fieldValue,
    waitForReady: fieldValue,
    maxRequestMessageBytes: fieldValue,
    maxResponseMessageBytes: fieldValue,
    retryPolicy: fc.oneof(retryPolicy, fieldValue),
    hedgingPolicy: fc.oneof(hedgingPolicy, fieldValue),
    extra: fieldValue,
  },
  { requiredKeys: [] },
);

const policyName = fc.constantFrom("pick_first", "PICK_FIRST", "round_robin", "weighted_test", "__proto__", "constructor", "toString", "");

const lbEntry = fc.oneof(
  fc.tuple(policyName, fc.oneof(fc.record({ shuffleAddressList: fieldValue, weights: fc.oneof(fc.array(fieldValue, { maxLength: 3 }), fieldValue) }, { requiredKeys: [] }), fieldValue)).map(([k, v]) => JSON.parse(`{${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}}`) as unknown),
  fc.dictionary(policyName, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  fieldValue,
);

/** Configs with the right field names and random, often wrong, contents. */
const nearValid = fc.record(
  {
    loadBalancingConfig: fc.oneof(fc.array(lbEntry, { maxLength: 3 }), fieldValue),
    loadBalancingPolicy: fc.oneof(policyName, fieldValue),
    methodConfig: fc.oneof(fc.array(methodConfig, { maxLength: 3 }), fieldValue),
    retryThrottling: fc.oneof(fc.record({ maxTokens: fieldValue, tokenRatio: fieldValue }, { requiredKeys: [] }), fieldValue),
    healthCheckConfig: fc.oneof(fc.record({ serviceName: fieldValue }, { requiredKeys: [] }), fieldValue),
    unknownField: fieldValue,
  },
  { requiredKeys: [] },
);

/** Parses, returning the error message on failure; fails the test on anything but a plain Error. */
function outcome(input: unknown): string | undefined {
  try {
    const parsed = parseServiceConfig(input as never, balancers);
    expect(balancers.names()).toContain(parsed.balancer.name);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(TypeError);
    expect(e).not.toBeInstanceOf(RangeError);
    return (e as Error).message;
  }
}

describe("parseServiceConfig under hostile input", () => {
  it("any JSON value, or JSON text, is accepted or refused with an Error starting \"invalid service config\" or \"service config\"", () => {
    fc.assert(
      fc.property(anyJson, (input) => {
        const message = outcome(input);
        if (message !== undefined) expect(message).toMatch(/^(invalid )?service config/);
      }),
      { numRuns: 3000 },
    );
  });

  it("near-valid configs with random fields, as objects or JSON text, are accepted or refused with a service config Error", () => {
    fc.assert(
      fc.property(nearValid, fc.boolean(), (config, asText) => {
        const message = outcome(asText ? JSON.stringify(config) : config);
        if (message !== undefined) expect(message).toMatch(/^(invalid )?service config/);
      }),
      { numRuns: 3000 },
    );
  });

  it("a loadBalancingPolicy that is not registered is an \"invalid service config\" Error naming it", () => {
    expect(() => parseServiceConfig('{"loadBalancingPolicy":"round_robin"}', balancers)).toThrow(
      /^invalid service config: load-balancing policy "round_robin" is not registered .*call registerRoundRobin\(\) from @grpckit\/balancer-roundrobin/,
    );
  });

  it("a policy whose schema refuses its config is an \"invalid service config\" Error naming the policy and the field", () => {
    expect(() => parseServiceConfig('{"loadBalancingPolicy":"weighted_test"}', balancers)).toThrow(
      /^invalid service config: invalid config for "weighted_test": at "weights"/,
    );
    expect(() => parseServiceConfig('{"loadBalancingConfig":[{"pick_first":{"shuffleAddressList":1}}]}', balancers)).toThrow(
      /^invalid service config: invalid config for "pick_first": at "shuffleAddressList"/,
    );
  });
});
