/**
 * A load-balancing policy written as a third-party plug-in would be: it depends on
 * @grpckit/core's public API alone.
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

declare module "@grpckit/core" {
  interface BalancerConfigMap {
    random_ready: Partial<RandomReadyConfig>;
  }
}

/** Registers random_ready in the process-wide balancer registry. */
export function registerRandomReady(): void {
  registerBalancer(randomReadyBalancer as BalancerBuilder);
}

export { randomReadyBalancer, type RandomReadyConfig };
