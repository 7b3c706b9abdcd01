/**
 * @grpckit/balancer-ringhash: the ring_hash load-balancing policy (gRFC A42, with
 * gRFC A76's request hash header) for @grpckit/core, registered as
 * "ring_hash_experimental". Register it, then name it in a channel's options or
 * service config.
 */
import type { RingHashConfig } from "./ring-hash-config.js";

export { ringHashBalancer, registerRingHash, aggregateRingHashState, RING_HASH_POLICY_NAME } from "./ring-hash.js";
export { RingHashPicker, type RingEndpoint } from "./ring-hash-picker.js";
export { ringHashConfigSchema, MAX_RING_SIZE_CAP, type RingHashConfig } from "./ring-hash-config.js";
export { buildRing, ringIndexOf, type RingEntry, type RingMember } from "./ring.js";
export { HASH_KEY_ATTRIBUTE, WEIGHT_ATTRIBUTE } from "./endpoint-attributes.js";
export { xxHash64 } from "./xxhash64.js";

declare module "@grpckit/core" {
  interface BalancerConfigMap {
    /** ring_hash's settings; each may be left out for its default. */
    ring_hash_experimental: Partial<RingHashConfig>;
  }
}
