/**
 * @grpckit/balancer-roundrobin: the round_robin load-balancing policy for
 * @grpckit/core. Register it, then name it in a channel's options or service config.
 */
export { roundRobinBalancer, registerRoundRobin } from "./round-robin.js";
export { RoundRobinPicker } from "./round-robin-picker.js";

declare module "@grpckit/core" {
  interface BalancerConfigMap {
    /** round_robin takes no settings. */
    round_robin: Record<string, never>;
  }
}
