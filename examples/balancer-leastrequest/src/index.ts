/**
 * A least_request load-balancing policy, written as a third-party package would be:
 * it depends on @grpckit/core's public API alone.
 *
 * @example
 * registerLeastRequest();
 * const channel = createChannel("dns:///api.internal:443", {
 *   transport,
 *   defaultServiceConfig: { loadBalancingConfig: [{ least_request: { choiceCount: 2 } }] },
 * });
 */
import { registerBalancer, type BalancerBuilder } from "@grpckit/core";
import { leastRequestBalancer, type LeastRequestConfig } from "./least-request.js";

declare module "@grpckit/core" {
  interface BalancerConfigMap {
    least_request: Partial<LeastRequestConfig>;
  }
}

/** Registers least_request in the process-wide balancer registry. */
export function registerLeastRequest(): void {
  registerBalancer(leastRequestBalancer as BalancerBuilder);
}

export { leastRequestBalancer, type LeastRequestConfig };
