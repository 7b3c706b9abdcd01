/**
 * @grpckit/balancer-wrr: the weighted_round_robin load-balancing policy (gRFC A58) for
 * @grpckit/core, weighing backends by the ORCA load reports they send. Register it,
 * then name it in a channel's options or service config.
 */
import type { WeightedRoundRobinJsonConfig } from "./wrr-config.js";

export { weightedRoundRobinBalancer, registerWeightedRoundRobin, WEIGHTED_ROUND_ROBIN_POLICY_NAME } from "./weighted-round-robin.js";
export { WeightedRoundRobinPicker, type WeightedBackend } from "./wrr-picker.js";
export {
  weightedRoundRobinConfigSchema,
  DEFAULT_WEIGHTED_ROUND_ROBIN_CONFIG,
  MIN_WEIGHT_UPDATE_PERIOD_MS,
  type WeightedRoundRobinConfig,
  type WeightedRoundRobinJsonConfig,
} from "./wrr-config.js";
export { weightFromReport, type LoadReportValues } from "./endpoint-weight.js";

declare module "@grpckit/core" {
  interface BalancerConfigMap {
    /** gRFC A58's settings, durations written as "10s" or "0.1s"; each may be left out for its default. */
    weighted_round_robin: WeightedRoundRobinJsonConfig;
  }
}
