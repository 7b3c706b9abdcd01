/**
 * Load-balancing policies written as third-party plug-ins would be: they depend on
 * @grpckit/core's public API alone. random_ready is the smallest complete policy;
 * spill_over is a parent with one child policy per endpoint (endpoint sharding), and
 * drain a parent over one child policy.
 *
 * @example
 * registerRandomReady();
 * const channel = createChannel("dns:///api.internal:443", {
 *   transport,
 *   defaultServiceConfig: { loadBalancingConfig: [{ random_ready: {} }] },
 * });
 */
import { registerBalancer, type BalancerBuilder } from "@grpckit/core";
import { randomReadyBalancer, type RandomReadyConfig } from "./random-ready.js";
import { spillOverBalancer, type SpillOverConfig } from "./spill-over.js";
import { drainBalancer, type DrainConfig, type DrainConfigJson } from "./drain.js";

declare module "@grpckit/core" {
  interface BalancerConfigMap {
    random_ready: Partial<RandomReadyConfig>;
    spill_over: Partial<SpillOverConfig>;
    drain: DrainConfigJson;
  }
}

/** Registers random_ready in the process-wide balancer registry. */
export function registerRandomReady(): void {
  registerBalancer(randomReadyBalancer as BalancerBuilder);
}

/** Registers spill_over in the process-wide balancer registry. */
export function registerSpillOver(): void {
  registerBalancer(spillOverBalancer as BalancerBuilder);
}

/** Registers drain in the process-wide balancer registry. */
export function registerDrain(): void {
  registerBalancer(drainBalancer as BalancerBuilder);
}

export { randomReadyBalancer, type RandomReadyConfig };
export { spillOverBalancer, type SpillOverConfig };
export { drainBalancer, type DrainConfig, type DrainConfigJson };
