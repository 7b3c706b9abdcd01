/**
 * @grpckit/balancer-pickfirst: the pick_first load-balancing policy of gRFC A62 for
 * @grpckit/core. Register it to replace core's built-in pick_first.
 */
export { pickFirstBalancer, registerPickFirst } from "./pick-first.js";
export type { PickFirstConfig } from "./pick-first-balancer.js";
