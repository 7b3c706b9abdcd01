/**
 * @grpckit/balancer-leastrequest: the least_request load-balancing policy (gRFC A48)
 * for @grpckit/core. Register it, then name it in a channel's options or service config.
 */
export { leastRequestBalancer, registerLeastRequest, LEAST_REQUEST_POLICY_NAME } from "./least-request.js";
export { LeastRequestPicker, type LoadedBackend } from "./least-request-picker.js";
export {
  leastRequestConfigSchema,
  DEFAULT_CHOICE_COUNT,
  MAX_CHOICE_COUNT,
  type LeastRequestConfig,
} from "./least-request-config.js";

declare module "@grpckit/core" {
  interface BalancerConfigMap {
    /** `choiceCount`: how many READY backends each pick compares, 2 to 10 (default 2). */
    least_request_experimental: { choiceCount?: number };
  }
}
