/**
 * Service config (doc/service_config.md): the part a channel needs to choose and
 * configure its load-balancing policy. The JSON is validated with zod when it arrives
 * (from the resolver or as the channel's default), never per call.
 */
import * as z from "zod";
import type { BalancerBuilder } from "../balancer/balancer.js";
import { parseBuilderConfig, type Registry } from "../registry/registry.js";
import {
  MethodConfigTable,
  methodConfigSchema,
  retryThrottlingSchema,
  type CallAttemptLimits,
  type RetryThrottling,
} from "./method-config.js";

/** One methodConfig entry as written in a service config (doc/service_config.md). */
export type MethodConfigJson = z.input<typeof methodConfigSchema>;

/**
 * Load-balancing policies by name and the config each takes. A package that registers
 * a balancer extends this interface, so a typed service config with a misspelt policy
 * name fails to compile:
 *
 * ```ts
 * declare module "@grpckit/core" {
 *   interface BalancerConfigMap { round_robin: Record<string, never> }
 * }
 * ```
 */
export interface BalancerConfigMap {
  pick_first: { shuffleAddressList?: boolean };
}

/** The name of a load-balancing policy some package registers (a key of BalancerConfigMap). */
export type BalancerPolicyName = keyof BalancerConfigMap;

/** One entry of `loadBalancingConfig`: a single policy name mapped to its config. */
export type LoadBalancingConfig = {
  [K in keyof BalancerConfigMap]: { [P in K]: BalancerConfigMap[K] };
}[keyof BalancerConfigMap];

/** A service config as written in code; JSON text from a resolver has the same shape. */
export interface ServiceConfig {
  /** Policies in order of preference: the first one registered is used. */
  loadBalancingConfig?: LoadBalancingConfig[];
  /**
   * The older way to name a policy ("round_robin"); loadBalancingConfig wins. Typed as
   * the names in BalancerConfigMap, so a misspelt name fails to compile; a JSON service
   * config (from a resolver, or a string) is checked when it is parsed instead.
   */
  loadBalancingPolicy?: BalancerPolicyName;
  /** Per-method settings: timeout, waitForReady, message limits, retry or hedging policy. */
  methodConfig?: MethodConfigJson[];
  /** Limits retries and hedging when many calls fail (gRFC A6). */
  retryThrottling?: { maxTokens: number; tokenRatio: number };
  /** Client-side health checking (gRFC A17) for policies that ask for it, such as round_robin. */
  healthCheckConfig?: { serviceName?: string };
  [key: string]: unknown;
}

const serviceConfigSchema = z.looseObject({
  loadBalancingConfig: z
    .array(
      z.record(z.string(), z.unknown()).refine((entry) => Object.keys(entry).length === 1, {
        message: "each loadBalancingConfig entry names exactly one policy",
      }),
    )
    .optional(),
  loadBalancingPolicy: z.string().optional(),
  methodConfig: z.array(methodConfigSchema).optional(),
  retryThrottling: retryThrottlingSchema.optional(),
  healthCheckConfig: z.looseObject({ serviceName: z.string().optional() }).optional(),
});

/** A validated service config with its balancer chosen. */
export interface ParsedServiceConfig {
  readonly balancer: BalancerBuilder;
  /** The chosen balancer's config, parsed by its schema. */
  readonly balancerConfig: unknown;
  /** healthCheckConfig.serviceName: client-side health checking is on when it is set ("" checks the whole server). */
  readonly healthCheckServiceName: string | undefined;
  /** methodConfig, by name. */
  readonly methods: MethodConfigTable;
  readonly retryThrottling: RetryThrottling | undefined;
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * Validates a service config and chooses its balancer: the first registered policy of
 * `loadBalancingConfig`, else `loadBalancingPolicy`, else `defaultPolicy`. Throws an
 * Error that says what is wrong: bad JSON, a bad field, no registered policy, or a
 * policy config its schema refuses.
 */
export function parseServiceConfig(
  input: string | ServiceConfig | undefined,
  balancers: Registry<BalancerBuilder>,
  defaultPolicy = "pick_first",
  /** What the channel allows of retry and hedging policies: their attempts are capped, or they are dropped. */
  limits: CallAttemptLimits = {},
): ParsedServiceConfig {
  let json: unknown = input ?? {};
  if (typeof input === "string") {
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw new Error(`service config is not valid JSON: ${(e as Error).message}`);
    }
  }
  const result = serviceConfigSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((i) => (i.path.length > 0 ? `at "${i.path.join(".")}": ${i.message}` : i.message));
    throw new Error(`invalid service config: ${problems.join("; ")}`);
  }
  const sc = result.data;
  const healthCheckServiceName = sc.healthCheckConfig?.serviceName;
  let methods = MethodConfigTable.empty;
  try {
    methods = MethodConfigTable.from(sc.methodConfig ?? [], limits);
  } catch (e) {
    throw new Error(`invalid service config: ${(e as Error).message}`);
  }
  const common = { healthCheckServiceName, methods, retryThrottling: sc.retryThrottling, raw: sc };
  if (sc.loadBalancingConfig !== undefined && sc.loadBalancingConfig.length > 0) {
    const chosen = chooseBalancer(sc.loadBalancingConfig, balancers, "service config", "invalid service config: ");
    return { balancer: chosen.builder, balancerConfig: chosen.config, ...common };
  }
  const policy = sc.loadBalancingPolicy !== undefined ? sc.loadBalancingPolicy.toLowerCase() : defaultPolicy;
  const builder = balancers.get(policy);
  if (builder === undefined) {
    throw new Error(
      `invalid service config: load-balancing policy "${policy}" is not registered (registered: ${balancers.names().join(", ")})${howToRegister([policy])}`,
    );
  }
  return { balancer: builder, balancerConfig: policyConfig(builder, {}), ...common };
}

/** The grpckit packages that provide a policy, and the call that registers it. */
const policyPackages: Readonly<Record<string, { pkg: string; register: string }>> = {
  round_robin: { pkg: "@grpckit/balancer-roundrobin", register: "registerRoundRobin" },
  pick_first: { pkg: "@grpckit/balancer-pickfirst", register: "registerPickFirst" },
};

/** What to do about policies that are not registered: the call for each grpckit provides. */
function howToRegister(names: readonly string[]): string {
  const steps = names.flatMap((name) => {
    const p = policyPackages[name];
    return p === undefined ? [] : [`for ${name}, call ${p.register}() from ${p.pkg}`];
  });
  return steps.length === 0 ? "" : `; ${steps.join("; ")}, before creating the channel`;
}

/** A policy chosen from a loadBalancingConfig list, with its config parsed by its schema. */
export interface ChosenBalancer {
  /** The policy's builder, from the registry. */
  readonly builder: BalancerBuilder;
  /** Its config, as its configSchema parsed it. */
  readonly config: unknown;
}

/**
 * The first registered policy of a loadBalancingConfig list (a list of one-key objects,
 * `[{ "round_robin": {} }, { "pick_first": {} }]`), as a service config's or a parent
 * policy's child policy list is read. Throws when no policy of the list is registered or
 * the chosen one's config is refused; `where` names the list in that message.
 */
export function chooseBalancer(
  list: readonly Readonly<Record<string, unknown>>[],
  balancers: Registry<BalancerBuilder>,
  where = "loadBalancingConfig",
  prefix = "",
): ChosenBalancer {
  const names: string[] = [];
  for (const entry of list) {
    const keys = Object.keys(entry);
    if (keys.length !== 1) throw new Error(`${prefix}each entry of ${where} names exactly one policy; got ${keys.length === 0 ? "none" : keys.map((k) => `"${k}"`).join(", ")}`);
    const name = keys[0];
    names.push(name);
    const builder = balancers.get(name);
    if (builder === undefined) continue;
    return { builder, config: policyConfig(builder, entry[name] ?? {}, prefix) };
  }
  throw new Error(
    `${where} names no registered load-balancing policy (asked for ${names.map((n) => `"${n}"`).join(", ")}; registered: ${balancers.names().join(", ")})${howToRegister(names)}`,
  );
}

/** The policy's config parsed by its schema; a refusal says which config it was. */
function policyConfig(builder: BalancerBuilder, raw: unknown, prefix = "invalid service config: "): unknown {
  try {
    return parseBuilderConfig(builder, raw);
  } catch (e) {
    throw new Error(`${prefix}${(e as Error).message}`, { cause: e });
  }
}
